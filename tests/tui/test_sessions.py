"""Recorded sessions in the app (issue 6): recording while the app runs (typed, key,
palette, workload, setup commands), replaying in the app with a timeline, seeking,
branching and saving, and lessons with their panel. The recording is driven with the
Pilot and checked with ``dynviz replay FILE --verify`` in another process (another
PYTHONHASHSEED); the replay must reach the same state and show the same panels at
the same virtual times."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from dynviz.core.units import MS, SECOND
from dynviz.session.recording import load_session
from dynviz.session.replay import replay_session
from dynviz.session.timeline import Timeline
from dynviz.tui.app import DynvizApp
from dynviz.tui.drivers.live import default_recording_path
from dynviz.tui.drivers.replay import ReplayDriver, parse_seek
from dynviz.tui.palette import palette_entries
from dynviz.tui.screens.session import BranchesScreen, SaveScreen
from dynviz.tui.widgets.nodes import NodesTable
from dynviz.tui.widgets.preflist import PreferenceList
from dynviz.tui.widgets.ring import RingView
from dynviz.tui.widgets.timeline import TimelineBar

ROOT = Path(__file__).resolve().parents[2]
SIZE = (120, 36)


async def settle(app, pilot) -> None:
    app.refresh_views()
    await pilot.pause()
    app.refresh_views()
    await pilot.pause()


async def type_command(pilot, text: str) -> None:
    await pilot.press("slash")
    await pilot.press(*text)
    await pilot.press("enter", "escape")



async def until(pilot, check, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    """Let frames run until ``check()`` holds (bounded: a deadline, not a sleep)."""
    async with asyncio.timeout(timeout):
        while not check():
            await pilot.pause(0.05)

def screen_facts(app: DynvizApp) -> dict[str, object]:
    """What the state-driven panels show (the ring's node labels, whatever its size; the
    nodes table; the preference list)."""
    screen = app.screen
    ring = "\n".join(screen.query_one(RingView).plain_lines())
    return {
        "ring": sorted(re.findall(r"(?:\d:)?n\d+[●○][A-Z]?", ring)),
        "nodes": dict(screen.query_one(NodesTable).rows_text),
        "preflist": list(screen.query_one(PreferenceList).last_lines),
    }


async def record_in_app(path: Path) -> list[dict[str, object]]:
    """Drive a recording app: typed commands, k (kill/recover), the palette, real play
    time with the workload on. Returns the state at a few instants (for the replay)."""
    app = DynvizApp.live(seed=3, workload=True, playing=False, record=path)
    marks: list[dict[str, object]] = []
    async with app.run_test(size=SIZE) as pilot:

        async def mark() -> None:
            app.select_node("n3")
            app.select_key("cart:alice")
            await settle(app, pilot)
            cluster = app.cluster
            marks.append({"time": cluster.now, "events": cluster.scheduler.events_run,
                          "state": cluster.state_digest(), "trace": cluster.digest(),
                          "screen": screen_facts(app)})
            app.run_for(1 * MS)  # the next action comes strictly after the mark

        await type_command(pilot, "put cart:alice milk")
        app.run_for(400 * MS)
        await mark()
        app.select_node("n3")
        await pilot.press("k")  # kill n3 through the binding
        played_from = app.driver.view.now
        await pilot.press("space")  # play for real, the workload firing
        await until(pilot, lambda: app.driver.view.now >= played_from + 500 * MS)
        await pilot.press("space")
        app.run_for(300 * MS)
        await mark()
        heal = next(cb for title, cb, _ in palette_entries(app) if title == "Heal the network")
        heal()  # a palette command
        await type_command(pilot, "as bob put cart:alice eggs")
        await pilot.press("k")  # recover n3
        app.run_for(2 * SECOND)
        await mark()
        await type_command(pilot, "get cart:alice")
        app.run_for(1500 * MS)
        await mark()
        assert app.driver.recording
        await pilot.press("q")
    assert not app.driver.recording  # the footer was written on the way out
    return marks


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, object]]]:
    import asyncio

    path = tmp_path_factory.mktemp("rec") / "app-session.jsonl"
    marks = asyncio.run(record_in_app(path))
    return path, marks


def test_app_recording_has_every_origin_and_verifies_in_another_process(recorded) -> None:
    path, _ = recorded
    session = load_session(path)
    origins = Counter(r.origin for r in session.commands)
    assert origins["setup"] == 6 and origins["typed"] == 3 and origins["key"] == 2
    assert origins["palette"] == 1 and origins["workload"] >= 1, origins
    assert session.footer is not None
    texts = [r.text for r in session.commands]
    assert "kill n3" in texts and "recover n3" in texts and "heal" in texts
    assert all(t.startswith("as workload ") for r, t in zip(session.commands, texts, strict=True)
               if r.origin == "workload")
    assert replay_session(session).verified
    env = {**os.environ, "PYTHONHASHSEED": "777"}
    proc = subprocess.run([sys.executable, "-m", "dynviz", "replay", str(path), "--verify"],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "verified" in proc.stdout


def test_headless_timeline_reaches_the_recorded_states(recorded) -> None:
    path, marks = recorded
    session = load_session(path)
    tl = Timeline(session, every_commands=5)
    for m in [*marks, *reversed(marks)]:  # forward, then seeking back from checkpoints
        tl.seek(m["time"])  # type: ignore[arg-type]
        assert tl.cluster.scheduler.events_run == m["events"]
        assert tl.cluster.state_digest() == m["state"]
        assert tl.cluster.digest() == m["trace"]


async def test_replay_app_shows_the_same_screens_at_the_same_times(recorded) -> None:
    path, marks = recorded
    app = DynvizApp(ReplayDriver(load_session(path), playing=False))
    replay = app.driver
    # two more rows for the timeline bar: the panels get the same room as when recording
    async with app.run_test(size=(SIZE[0], SIZE[1] + 2)) as pilot:
        for m in marks:  # playing forward
            app.run_for(m["time"] - replay.timeline.now)  # type: ignore[operator]
            app.select_node("n3")
            app.select_key("cart:alice")
            await settle(app, pilot)
            assert replay.timeline.now == m["time"]
            assert app.cluster.state_digest() == m["state"] and app.cluster.digest() == m["trace"]
            assert screen_facts(app) == m["screen"]
        for m in reversed(marks):  # and seeking back
            await type_command(pilot, f"seek {m['time'] / 1e6}s")
            app.select_node("n3")
            app.select_key("cart:alice")
            await settle(app, pilot)
            assert app.cluster.state_digest() == m["state"]
            assert screen_facts(app) == m["screen"]
        await pilot.press("end")
        await settle(app, pilot)
        assert replay.end_check.startswith("✓"), replay.end_check
        bar = app.screen.query_one(TimelineBar)
        assert "digests match" in bar.build().plain


SHIPPED = ROOT / "sessions" / "recorded" / "crash-recover.jsonl"


@pytest.mark.skipif(not SHIPPED.exists(), reason="no shipped session")
async def test_replay_keys_seek_branch_switch_and_save(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    session = load_session(SHIPPED)
    replay = ReplayDriver(session, playing=False)
    app = DynvizApp(replay)
    async with app.run_test(size=SIZE) as pilot:
        tl = replay.timeline
        await pilot.press("right_square_bracket", "right_square_bracket", "right_square_bracket")
        assert tl.now == 3 * SECOND
        await pilot.press("left_square_bracket")
        assert tl.now == 2 * SECOND
        await pilot.press("right_curly_bracket")  # the next command of the user: recover n3 at 7s
        assert session.commands[tl.index - 1].text == "recover n3"
        await pilot.press("left_curly_bracket")  # back to kill n3
        assert session.commands[tl.index - 1].text == "kill n3"
        await type_command(pilot, "seek 5s")
        assert tl.now == 5 * SECOND
        await pilot.press("home")  # the start: after the synchronous setup writes at time 0
        assert all(r.origin == "setup" for r in session.commands[: tl.index]) and tl.now < 100 * MS
        started = tl.now
        await pilot.press("space")
        await until(pilot, lambda: tl.now > started)
        await pilot.press("space")
        assert 0 < tl.now < session.end_time
        await type_command(pilot, "seek 4s")
        await type_command(pilot, "kill n5")  # acting in the past starts a branch
        assert tl.current == 1
        infos = {b.id: b for b in tl.branches()}
        assert infos[0].commands == len(session.commands)  # the old future is kept
        await pilot.press("b")
        assert isinstance(app.screen, BranchesScreen)
        await pilot.press("escape")
        replay.switch_branch(0)
        assert tl.current == 0
        await pilot.press("end")
        assert replay.end_check.startswith("✓")
        replay.switch_branch(1)
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, SaveScreen)
        await pilot.press("ctrl+a", "ctrl+k", *"mine.jsonl", "enter")
        await pilot.pause()
    saved = load_session(tmp_path / "mine.jsonl")
    assert any(r.text == "kill n5" for r in saved.commands)
    assert replay_session(saved).verified


def test_parse_seek() -> None:
    assert parse_seek("12.5s") == ("time", 12_500_000)
    assert parse_seek("800ms") == ("time", 800_000)
    assert parse_seek("2") == ("time", 2 * SECOND)
    assert parse_seek("#3") == ("command", 2)
    with pytest.raises(ValueError):
        parse_seek("soon")


async def test_ctrl_s_saves_the_live_recording(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = DynvizApp.live(seed=1, workload=False, playing=False, record=tmp_path / "live.jsonl")
    async with app.run_test(size=SIZE) as pilot:
        await type_command(pilot, "put k v")
        app.run_for(200 * MS)
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, SaveScreen)
        await pilot.press("ctrl+a", "ctrl+k", *"named.jsonl", "enter")
        await pilot.pause()
        assert app.driver.recording  # saving does not stop the recording
    named = load_session(tmp_path / "named.jsonl")
    assert [r.text for r in named.commands][-1] == "put k v"
    assert replay_session(named).verified
    assert replay_session(load_session(tmp_path / "live.jsonl")).verified


def test_default_recording_path_counts_up(tmp_path: Path) -> None:
    first = default_recording_path(4, tmp_path)
    assert first.name == "dynviz-seed4-1.jsonl"
    first.write_text("")
    assert default_recording_path(4, tmp_path).name == "dynviz-seed4-2.jsonl"


def test_cli_opens_replay_and_lesson(monkeypatch, tmp_path: Path) -> None:
    from dynviz import cli

    seen: list[str] = []
    monkeypatch.setattr(DynvizApp, "run", lambda self, *a, **k: seen.append(self.driver.kind))
    assert cli.main(["replay", str(SHIPPED)]) == 0
    assert cli.main(["lesson", "01-consistent-hashing"]) == 0
    assert cli.main(["--record", str(tmp_path / "r.jsonl")]) == 0
    assert seen == ["replay", "lesson", "live"]
    assert load_session(tmp_path / "r.jsonl").footer is not None
