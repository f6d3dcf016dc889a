"""SVG snapshots of the app's screens at 80x24 and 160x50 (pytest-textual-snapshot), so a
layout regression fails CI: the main screen, every panel maximised, the welcome, a lesson
mid-way, a replay, the Tables screen and the partition editor.

Every app here is deterministic: a fixed seed, paused, no workload, virtual time moved
only by the scene. A snapshot that differs is a change to look at: run
``pytest tests/tui/test_snapshots.py --snapshot-update`` and open the report (or the SVGs
under ``__snapshots__``) to accept it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from dynviz.core.units import MS, SECOND
from dynviz.session.lesson import parse_lesson
from dynviz.session.recording import load_session
from dynviz.tui.app import DynvizApp
from dynviz.tui.drivers.lesson import LessonDriver
from dynviz.tui.drivers.replay import ReplayDriver
from dynviz.tui.panels import NAMES

ROOT = Path(__file__).resolve().parents[2]
SMALL, LARGE = (80, 24), (160, 50)
SIZES = pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "160x50"])

LESSON = """# Snapshot lesson
cluster nodes=5 n=3 r=2 w=2 seed=4
put cart book
run 100ms
say "The cart is on three replicas: the Preference list panel shows them." key=cart
kill n3
put cart lamp
run 300ms
say "n3 is down, so a stand-in took the write and holds a hint for it." panel=preflist
expect hints=1
recover n3
wait until hint delivered to n3
say "n3 is back: the hint was handed over and deleted." node=n3 panel=nodes
"""


async def settled(pilot) -> None:  # type: ignore[no-untyped-def]
    """Let layout, scrolling to the newest line and the first frames finish."""
    for _ in range(4):
        pilot.app.refresh_views()
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()


def live() -> DynvizApp:
    return DynvizApp.live(seed=0, workload=False, playing=False)


def scene(*lines: str, run: int = 0, after: Callable[[DynvizApp], None] | None = None,
          first: Callable[[DynvizApp], None] | None = None
          ) -> Callable[[DynvizApp], Callable[..., Awaitable[None]]]:
    """A run_before that types nothing: ``first``, then it runs ``lines``, moves time,
    then ``after``."""

    def make(app: DynvizApp) -> Callable[..., Awaitable[None]]:
        async def before(pilot) -> None:  # type: ignore[no-untyped-def]
            await pilot.pause()  # the main screen composed
            if first is not None:
                first(app)
                await pilot.pause()
            for line in lines:
                app.run_line(line)
            if run:
                app.run_for(run)
            if after is not None:
                after(app)
            await settled(pilot)

        return before

    return make


MAIN = scene("put cart:alice milk", "as bob put cart:alice eggs", "kill n4", run=2 * SECOND,
             after=lambda app: app.select_node("n3"))


@SIZES
def test_main(snap_compare, size) -> None:  # type: ignore[no-untyped-def]
    app = live()
    assert snap_compare(app, terminal_size=size, run_before=MAIN(app))


@pytest.mark.parametrize("panel", NAMES)
def test_each_panel_maximised(snap_compare, panel: str) -> None:  # type: ignore[no-untyped-def]
    app = live()
    lines = ("put cart:alice milk", "as bob put cart:alice eggs", "kill n4", "antientropy n2 n3")
    make = scene(*lines, run=2 * SECOND, first=lambda a: a.maximize_panel(panel), after=lambda a: a.select_node("n3"))
    assert snap_compare(app, terminal_size=SMALL, run_before=make(app))


@SIZES
def test_welcome(snap_compare, size) -> None:  # type: ignore[no-untyped-def]
    app = DynvizApp.live(seed=0, workload=False, playing=False, welcome=True)
    assert snap_compare(app, terminal_size=size, run_before=settled)


@SIZES
def test_lesson_mid_way(snap_compare, size) -> None:  # type: ignore[no-untyped-def]
    app = DynvizApp(LessonDriver(parse_lesson(LESSON, "snapshot"), playing=False))
    assert snap_compare(app, terminal_size=size, press=["n"], run_before=settled)


@SIZES
def test_replay(snap_compare, size) -> None:  # type: ignore[no-untyped-def]
    session = load_session(ROOT / "sessions" / "recorded" / "partition-heal.jsonl")
    app = DynvizApp(ReplayDriver(session, playing=False))
    assert snap_compare(app, terminal_size=size, press=["slash", *"seek 5s", "enter", "escape"],
                        run_before=settled)


TABLES = ("table create orders pk=customer sk=ts:N rcu=4 wcu=4 stream=NEW_AND_OLD_IMAGES",
          *(f"table put orders customer=c{i % 3} ts={i} total={i * 7}" for i in range(9)))


@SIZES
def test_tables(snap_compare, size) -> None:  # type: ignore[no-untyped-def]
    app = live()
    assert snap_compare(app, terminal_size=size, run_before=scene(*TABLES, run=500 * MS)(app),
                        press=["T", "n"])


@SIZES
def test_partition_editor(snap_compare, size) -> None:  # type: ignore[no-untyped-def]
    app = live()
    assert snap_compare(app, terminal_size=size, press=["p", "tab", "enter"], run_before=settled)
