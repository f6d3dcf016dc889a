"""Walk a lesson in the app, headless, as a student would, and say what was on screen at
every narration: ``python -m dynviz.tui.walk NAME [WIDTHxHEIGHT]``.

For lesson authors (does each narration describe what the screen shows?) and for the
tests that hold every shipped lesson to it: at every stop the narration must be on
screen whole, the panel it names must be visible, the key or node it is about must be
selected, and Back must restore the previous narration and the cluster exactly.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass

from textual.pilot import Pilot

from dynviz.session.lesson import load_lesson
from dynviz.tui.app import DynvizApp
from dynviz.tui.drivers.lesson import LessonDriver
from dynviz.tui.panels import NAMES, TITLES
from dynviz.tui.progress import Progress
from dynviz.tui.widgets.lesson import LessonPanel
from dynviz.tui.widgets.panel import Panel


@dataclass(frozen=True, slots=True)
class StopView:
    """What the screen showed at one narration."""

    number: int
    narration: str
    panels: tuple[str, ...]  # the cue's panels
    key: bytes | None  # the cue's key
    node: str | None  # the cue's node
    selected_key: bytes | None
    selected_node: str | None
    visible: tuple[str, ...]  # panels on screen
    narration_whole: bool  # the lesson panel shows the narration without cutting it
    shown: dict[str, list[str]]  # text of each cued panel
    failures: tuple[str, ...]  # checks of this narration that failed
    digest: tuple[str, str]  # (trace, state)


def _visible(app: DynvizApp) -> tuple[str, ...]:
    screen = app.screen
    maximized = screen.maximized
    out = []
    for name in NAMES:
        panel = screen.query_one(f"#panel-{name}", Panel)
        if maximized is not None and maximized is not panel:
            continue
        if panel.display and panel.region.area and panel.is_on_screen:
            out.append(name)
    return tuple(out)


def _whole(app: DynvizApp) -> bool:
    panel = app.screen.query_one(LessonPanel)
    if not panel.is_on_screen:
        return False
    width = max(1, panel.content_region.width)
    needed = len(panel.build().wrap(app.console, width))
    return panel.content_region.height >= needed


def _text(app: DynvizApp, name: str) -> list[str]:
    view = app.screen.query_one(f"#panel-{name}", Panel).view
    for attr in ("plain_lines", "visible_text"):
        lines = getattr(view, attr, None)
        if callable(lines):
            return list(lines())
    rows = getattr(view, "rows_text", None)
    if isinstance(rows, dict):
        return [" ".join(cells) for cells in rows.values()]
    last = getattr(view, "last_lines", None)
    return list(last) if isinstance(last, list) else []


async def _settle(app: DynvizApp, pilot: Pilot[None]) -> None:
    for _ in range(3):
        app.refresh_views()
        await pilot.pause()


async def walk(name: str, size: tuple[int, int] = (80, 24), back: bool = True) -> list[StopView]:
    """Every narration of lesson ``name`` as the app showed it at ``size``; with
    ``back``, also press Back at each and check it restores the one before (an
    ``AssertionError`` says how it did not)."""
    lesson = load_lesson(name)
    driver = LessonDriver(lesson, playing=False, progress=None)
    app = DynvizApp(driver, progress=Progress.load())
    stops: list[StopView] = []
    async with app.run_test(size=size) as pilot:
        await _settle(app, pilot)
        while True:
            runner = driver.runner
            while runner.is_waiting:
                await pilot.press("n")  # skip to the end of the wait
                await _settle(app, pilot)
                runner = driver.runner
            if runner.done:
                break
            await _settle(app, pilot)
            cue = driver.cue()
            cluster = driver.cluster
            stops.append(StopView(
                runner.stop_number, runner.narration, cue.panels, cue.key, cue.node, app.selected_key,
                app.selected_node, _visible(app), _whole(app), {p: _text(app, p) for p in cue.panels},
                tuple(r.text for r in runner.results_since_stop() if not r.ok),
                (cluster.digest(), cluster.state_digest())))
            if back and len(stops) >= 2:
                await pilot.press("b")
                await _settle(app, pilot)
                before = stops[-2]
                again = driver.runner
                restored = (driver.cluster.digest(), driver.cluster.state_digest())
                if again.narration != before.narration or restored != before.digest:
                    raise AssertionError(f"{name}: Back from narration {len(stops)} did not restore "
                                         f"narration {len(stops) - 1} as it was")
                await pilot.press("n")
                await _settle(app, pilot)
                while driver.runner.is_waiting:
                    await pilot.press("n")
                    await _settle(app, pilot)
                forward = (driver.cluster.digest(), driver.cluster.state_digest())
                if driver.runner.narration != stops[-1].narration or forward != stops[-1].digest:
                    raise AssertionError(f"{name}: Next after Back did not reach narration {len(stops)} again")
            await pilot.press("n")
            await _settle(app, pilot)
    return stops


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m dynviz.tui.walk LESSON [WIDTHxHEIGHT]", file=sys.stderr)
        return 2
    size = tuple(int(x) for x in args[1].split("x")) if len(args) > 1 else (80, 24)
    for stop in asyncio.run(walk(args[0], (size[0], size[1]), back=False)):
        print(f"--- narration {stop.number}: {stop.narration}")
        about = [f"panel {', '.join(TITLES[p] for p in stop.panels)}" if stop.panels else "",
                 f"key {stop.key.decode(errors='replace')}" if stop.key else "",
                 f"node {stop.node}" if stop.node else ""]
        print(f"    about: {'; '.join(a for a in about if a) or '(nothing)'}; visible: {', '.join(stop.visible)}"
              f"; whole: {stop.narration_whole}")
        for failed in stop.failures:
            print(f"    FAILED: {failed}")
        for panel, lines in stop.shown.items():
            print(f"    [{TITLES[panel]}]")
            for line in lines[:40]:
                print(f"      {line.rstrip()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
