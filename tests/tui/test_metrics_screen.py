"""The Metrics screen (issue 18): the app's metrics follow the cluster. Latency drawn
from the simulator's latency model moves when ``latency`` changes, hints rise while a
replica is down and drain after it recovers, and the screen shows, switches and saves
its plots."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from dynviz.core.units import MS, SECOND
from dynviz.tui.app import DynvizApp
from dynviz.tui.screens.metrics import MetricsScreen

SIZE = (80, 24)


def live(seed: int) -> DynvizApp:
    return DynvizApp.live(seed=seed, workload=True, playing=False)


def run(app: DynvizApp, duration: int) -> None:
    """Virtual time with the workload firing, sampled as the app's frames would."""
    app.run_for(duration)


async def until(pilot, check, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not check():
            await pilot.pause(0.05)


@pytest.mark.parametrize("seed", [0, 5])
async def test_p999_follows_the_latency_model(seed: int) -> None:
    app = live(seed)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        run(app, 6 * SECOND)
        before = app.metrics.snapshot(app.driver.view.now).latest("get", "p99.9")
        assert before is not None and before < 40
        assert app.run_line("latency 1ms..50ms", "typed") is None
        run(app, 5 * SECOND)  # a window (4 s) and a little: every point in it is new
        after = app.metrics.snapshot(app.driver.view.now).latest("get", "p99.9")
        assert after is not None and after > 2 * before and after > 50


@pytest.mark.parametrize("seed", [0, 3])
async def test_hints_rise_while_a_replica_is_down_and_drain_after(seed: int) -> None:
    app = live(seed)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.driver.view
        victim = view.inspect("cart:alice").preference_list[0]
        assert app.run_line(f"kill {victim}", "typed") is None
        run(app, 3 * SECOND)  # the others notice it is down
        for i in range(3):
            assert app.run_line(f"put cart:alice v{i}", "typed") is None
            run(app, 500 * MS)
        held = app.metrics.snapshot(view.now).hints
        assert max(h or 0 for h in held) > 0
        assert app.run_line(f"recover {victim}", "typed") is None
        deadline = view.now + 60 * SECOND
        while (app.metrics.snapshot(view.now).hints[-1] or 0) > 0:
            assert view.now < deadline, "hints did not drain within 60 virtual seconds"
            run(app, SECOND)
        assert app.metrics.snapshot(view.now).hints[-1] == 0


async def test_the_screen_shows_switches_and_saves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = live(2)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        run(app, 3 * SECOND)
        await pilot.press("M")
        await until(pilot, lambda: isinstance(app.screen, MetricsScreen))
        screen = app.screen
        assert isinstance(screen, MetricsScreen)
        await pilot.pause()
        assert "p99.9" in str(screen.query_one("#metrics-head").render())
        await pilot.press("3")
        await until(pilot, lambda: screen.active_tab == "hints")
        await pilot.press("o")
        assert screen.op == "put" and screen.active_tab == "latency"
        await pilot.press("s")
        await until(pilot, lambda: (tmp_path / "dynviz-metrics" / "metrics.json").exists())
        data = json.loads((tmp_path / "dynviz-metrics" / "metrics.json").read_text())
        assert data["totals"]["get"]["count"] > 0
        assert (tmp_path / "dynviz-metrics" / "latency-get.svg").read_text().startswith("<svg")
        await pilot.press("slash")
        await pilot.press(*"loss 0.5", "enter")
        await until(pilot, lambda: app.driver.view.network.loss == 0.5)  # type: ignore[attr-defined]
        await pilot.press("escape", "escape")
        await until(pilot, lambda: not isinstance(app.screen, MetricsScreen))
