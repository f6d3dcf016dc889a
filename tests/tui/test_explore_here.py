"""Explore from here (issue 17, ``e``): the search runs off the UI thread on a copy of
the paused cluster, shows its progress, stops on escape keeping what it found, lists the
violations, and enter opens one's path on the app's cluster as recorded commands."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from dynviz.session.recording import load_session
from dynviz.tui.app import DynvizApp
from dynviz.tui.driver import Saving
from dynviz.tui.drivers.replay import ReplayDriver
from dynviz.tui.screens.explore import ExploreScreen

SETUP = (
    "cluster nodes=3 n=3 r=2 w=2 versioning=vclock seed=1",
    "put cart book",
    "run 200ms",
    "as alice get cart",
    "as bob get cart",
    "hold",
    "as alice put cart lamp via=n1",
    "as bob put cart pen via=n1",
)
"""Two puts held at one coordinator (sessions/lessons/16-by-hand-lost-update.dyn)."""


async def until(pilot, check, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not check():
            await pilot.pause(0.05)


async def two_held_puts(app: DynvizApp, pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.pause()
    for line in SETUP:
        assert app.run_line(line, "typed") is None
        if line.startswith("run"):
            await until(pilot, lambda: app.driver.clock().state != "working")
    cluster = app.driver.view
    await until(pilot, lambda: sum(m.kind == "ClientPut" for m in cluster.choices().messages) == 2)


async def open_explore(app: DynvizApp, pilot, depth: str) -> ExploreScreen:  # type: ignore[no-untyped-def]
    await pilot.press("e")
    await until(pilot, lambda: isinstance(app.screen, ExploreScreen))
    screen = app.screen
    assert isinstance(screen, ExploreScreen)
    await pilot.press(*["backspace"] * 3, *depth)  # the depth field has the focus
    return screen


def stored(app: DynvizApp, value: bytes) -> list[str]:
    view = app.driver.view
    return [name for name in view.node_names()
            if any(value in [v.value for v in siblings.versions]
                   for key, siblings in view.nodes[name].store.items() if key == b"cart")]


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
async def test_explore_from_here_finds_the_lost_update_and_opens_its_path(size: tuple[int, int]) -> None:
    app = DynvizApp.live(seed=1, workload=False, playing=True, preload=False)
    async with app.run_test(size=size) as pilot:
        await two_held_puts(app, pilot)
        before = app.driver.view.now
        screen = await open_explore(app, pilot, "5")
        await pilot.press("enter")
        assert not app.driver.clock().playing  # the app's cluster waits while the copy is searched
        await until(pilot, lambda: screen.phase == "result")
        text = screen.text()
        assert "lost: acknowledged write 'lamp'" in text
        assert "states" in text and "partial" not in text
        assert app.driver.view.now == before  # the search never moved the app's cluster
        # Choose the lost write (the findings are in the order found: a reused dot first).
        report = screen.report
        assert report is not None
        index = next(i for i, f in enumerate(report.violations) if f.property == "lost")
        await pilot.press(*["down"] * index, "enter")
        await until(pilot, lambda: not isinstance(app.screen, ExploreScreen))
        finding = report.violations[index]
        journal = [line.text for line in app.journal.lines]
        for command in finding.path:
            assert f"> {command}" in journal  # each step ran as a command, logged like a typed one
        assert any(t.startswith("explore: applied") for t in journal)
        # The counterexample reproduced on the app's cluster: lamp was acknowledged to
        # Alice, and no node holds it; n1 has pen.
        assert stored(app, b"lamp") == []
        assert "n1" in stored(app, b"pen")
        assert any(t.startswith("put cart ok: coordinator n1") for t in journal[-4:])  # Alice's, acknowledged


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
async def test_escape_stops_a_long_search_and_keeps_the_partial_result(size: tuple[int, int]) -> None:
    app = DynvizApp.live(seed=1, workload=False, playing=False, preload=False)
    async with app.run_test(size=size) as pilot:
        await two_held_puts(app, pilot)
        screen = await open_explore(app, pilot, "40")
        await pilot.press("enter")
        assert screen.phase == "running"
        await until(pilot, lambda: "states/s" in screen.text() and " · 0 states" not in screen.text())
        await pilot.press("escape")
        await until(pilot, lambda: screen.phase == "result")
        assert screen.report is not None and screen.report.stopped == "stopped"
        assert "stopped by escape" in screen.text() and "partial" in screen.text()
        await pilot.press("escape")  # closes the result; nothing applied
        await until(pilot, lambda: not isinstance(app.screen, ExploreScreen))
        assert sum(m.kind == "ClientPut" for m in app.driver.view.choices().messages) == 2


async def test_explore_is_offered_only_where_the_cluster_is_simulated() -> None:
    app = DynvizApp.live(seed=1, workload=False, playing=False, preload=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.check_action("explore_here", ())
        assert any(title == "Explore from here" for title, _, _ in app.palette_entries())
        assert any(key == "e" for key, _ in app.help_bindings())


async def test_in_a_replay_the_path_joins_the_timeline_as_a_branch(tmp_path: Path) -> None:
    live = DynvizApp.live(seed=1, workload=False, playing=False, preload=False, record=tmp_path / "rec.jsonl")
    async with live.run_test(size=(80, 24)) as pilot:
        await two_held_puts(live, pilot)
        saving = live.driver
        assert isinstance(saving, Saving)
        saving.save_to(str(tmp_path / "held.jsonl"))
    replay = ReplayDriver(load_session(tmp_path / "held.jsonl"), playing=False)
    app = DynvizApp(replay)
    async with app.run_test(size=(80, 26)) as pilot:
        await pilot.press("end")
        await until(pilot, lambda: sum(m.kind == "ClientPut" for m in app.driver.view.choices().messages) == 2)
        recorded = len(replay.timeline.branch_data.commands)
        screen = await open_explore(app, pilot, "5")
        await pilot.press("enter")
        await until(pilot, lambda: screen.phase == "result")
        report = screen.report
        assert report is not None
        index = next(i for i, f in enumerate(report.violations) if f.property == "lost")
        await pilot.press(*["down"] * index, "enter")
        await until(pilot, lambda: not isinstance(app.screen, ExploreScreen))
        branch = replay.timeline.branch_data
        assert [rc.text for rc in branch.commands[recorded:]] == list(report.violations[index].path)
        assert stored(app, b"lamp") == []
