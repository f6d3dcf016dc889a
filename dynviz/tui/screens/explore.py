"""Explore from here (issue 17, ``e``): the model checker on a copy of the paused cluster.

One modal in three phases. First the bounds (depth, fault budgets, a cap on states);
enter starts. Then the search runs in a worker thread (DESIGN §8: long work never
blocks a frame) on a private copy of the cluster made at that moment, with a progress
line fed from the explorer's ``progress`` callback; escape asks it to stop between two
chunks of states, and what it found so far is kept. Last the result: how far it got,
whether the bounded space was covered, and each violation with the length of its
shortest path; enter on one returns that :class:`~dynviz.explore.search.Finding`, and
the app replays its path on its own cluster as commands (a branch from "here").

The screen never touches the app's cluster: ``here`` (given by the app) makes the copy,
on the UI thread, before the worker starts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from dynviz.explore.search import Finding, Report, Stats, explore
from dynviz.explore.spec import Bounds, Spec
from dynviz.wording import plural

if TYPE_CHECKING:
    from dynviz.explore.world import World

FIELDS: tuple[tuple[str, str, int, int], ...] = (
    ("depth", "depth (choices on one path)", 8, 200),
    ("drops", "drops", 0, 5),
    ("duplicates", "duplicates", 0, 5),
    ("crashes", "crashes", 0, 3),
    ("max_states", "at most this many states", 20_000, 10_000_000),
)
"""The bounds asked for: (name, label, default, largest allowed)."""


def progress_line(stats: Stats, depth: int, stopping: bool = False) -> str:
    """What the running search shows: how deep, how many states, how fast."""
    level = f" (level {stats.level_done:,}/{stats.level_states:,})" if stats.level_states else ""
    tail = "stopping…" if stopping else "escape stops, keeping what was found"
    return (f"depth {stats.depth}/{depth}{level} · {plural(stats.states, 'state', spec=',')} · "
            f"{stats.rate:,.0f} states/s · {stats.seconds:.1f}s · {tail}")


def summary(report: Report) -> str:
    """How far the search got and what that means for "no violation"."""
    s = report.stats
    bound = report.spec.bounds.describe()
    states = f"{plural(s.states, 'state', spec=',')} in {s.seconds:.1f}s ({bound})"
    if report.stopped == "stopped":
        scope = f"stopped by escape after {states}: a partial result"
    elif report.stopped:
        scope = f"stopped at the {report.stopped} after {states}: a partial result"
    elif report.complete:
        scope = f"every state explored: {states}, each path ran to its end"
    else:
        scope = (f"every state within the bound explored: {states}; "
                 f"{plural(s.cut, 'state', spec=',')} at the depth bound still had choices")
    violations = report.violations
    if not violations:
        where = "within the bound" if not report.stopped else "in the states explored"
        return f"{scope}\nno violation {where}"
    return f"{scope}\n{plural(len(violations), 'violation')}: enter opens its path as a branch from here"


def finding_row(finding: Finding) -> str:
    steps = plural(len(finding.path), "step")
    return f"{finding.property}: {finding.text} ({steps})"


class ExploreScreen(ModalScreen["Finding | None"]):
    """Bounds, then the search with its progress, then the violations (see the module
    docstring). Returns the chosen finding, or None."""

    DEFAULT_CSS = """
    ExploreScreen { align: center middle; }
    ExploreScreen > Vertical {
        width: 100; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    ExploreScreen Grid { grid-size: 2; grid-columns: 32 14; width: auto; grid-rows: 1; height: auto; margin: 1 0 0 0; }
    ExploreScreen Grid Label { color: $text; }
    ExploreScreen Label { width: 1fr; }
    ExploreScreen .hint { color: $text-muted; }
    ExploreScreen #explore-progress { color: $text-accent; height: auto; margin: 1 0 0 0; }
    ExploreScreen #explore-summary { height: auto; margin: 1 0 0 0; }
    ExploreScreen OptionList { height: auto; max-height: 16; }
    """
    BINDINGS = [Binding("escape", "escape", "stop / close")]

    def __init__(self, here: Callable[[], World], spec_of: Callable[[World, Bounds], Spec]) -> None:
        """``here`` copies the app's cluster as it is now (called once, on start);
        ``spec_of`` makes the spec for a copy and bounds (:func:`~dynviz.explore.here.spec_here`)."""
        super().__init__()
        self.here = here
        self.spec_of = spec_of
        self.phase = "bounds"  # bounds, running, result
        self.stop_requested = False
        self.report: Report | None = None
        self.depth = 0

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "explore from here"
            yield Label("Every order in which the held messages could be delivered from this state, "
                        "and within these budgets every drop, duplicate and crash, searched on a copy "
                        "of the cluster. Yours stays paused.", classes="hint", id="explore-about")
            with Grid(id="explore-bounds"):
                for name, label, default, _ in FIELDS:
                    yield Label(label)
                    yield Input(str(default), id=f"bound-{name}", type="integer", compact=True)
            yield Label("", id="explore-progress")
            yield Label("", id="explore-summary")
            yield OptionList(id="explore-findings")
            yield Label("enter starts · tab moves · escape closes", classes="hint", id="explore-keys")

    def on_mount(self) -> None:
        self.query_one("#explore-progress").display = False
        self.query_one("#explore-summary").display = False
        self.query_one("#explore-findings").display = False
        self.query_one("#bound-depth", Input).focus()

    # -- phase 1: the bounds ---------------------------------------------------------------

    def bounds(self) -> tuple[Bounds, int] | str:
        """The bounds typed, and the state cap; or what is wrong with them."""
        values: dict[str, int] = {}
        for name, label, _, largest in FIELDS:
            text = self.query_one(f"#bound-{name}", Input).value.strip()
            try:
                value = int(text)
            except ValueError:
                return f"{label}: a whole number, please"
            low = 1 if name in ("depth", "max_states") else 0
            if not low <= value <= largest:
                return f"{label}: from {low} to {largest:,}"
            values[name] = value
        cap = values.pop("max_states")
        return Bounds(**values), cap  # type: ignore[arg-type]

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.phase == "bounds":
            self.start()

    def start(self) -> None:
        chosen = self.bounds()
        keys = self.query_one("#explore-keys", Label)
        if isinstance(chosen, str):
            keys.update(f"{chosen} · enter starts · escape closes")
            return
        bounds, cap = chosen
        world = self.here()
        spec = self.spec_of(world, bounds)
        self.phase = "running"
        self.depth = bounds.depth
        self.query_one("#explore-bounds").display = False
        keys.update(f"{bounds.describe()}, at most {plural(cap, 'state', spec=',')} · escape stops")
        line = self.query_one("#explore-progress", Label)
        line.display = True
        line.update(progress_line(Stats(), bounds.depth))
        self.focus()
        self.search(world, spec, cap)

    # -- phase 2: the search, in a thread -------------------------------------------------------

    @work(thread=True, exclusive=True, group="explore", exit_on_error=False)
    def search(self, world: World, spec: Spec, cap: int) -> Report:
        worker = get_current_worker()

        def progress(stats: Stats) -> None:
            snapshot = replace(stats)
            if not worker.is_cancelled:
                self.app.call_from_thread(self.show_progress, snapshot)

        report = explore(spec, "", start=world, progress=progress, max_states=cap,
                         should_stop=lambda: self.stop_requested or worker.is_cancelled)
        if not worker.is_cancelled:
            self.app.call_from_thread(self.show_result, report)
        return report

    def show_progress(self, stats: Stats) -> None:
        if self.phase == "running":
            self.query_one("#explore-progress", Label).update(
                progress_line(stats, self.depth, self.stop_requested))

    # -- phase 3: the result ---------------------------------------------------------------

    def show_result(self, report: Report) -> None:
        self.phase = "result"
        self.report = report
        self.query_one("#explore-progress").display = False
        text = self.query_one("#explore-summary", Label)
        text.display = True
        text.update(summary(report))
        found = self.query_one("#explore-findings", OptionList)
        found.clear_options()
        violations = report.violations
        found.add_options([Option(finding_row(f), id=str(i)) for i, f in enumerate(violations)])
        found.display = bool(violations)
        keys = self.query_one("#explore-keys", Label)
        keys.update(("↑ ↓ choose · enter opens the path · " if violations else "") + "escape closes")
        if violations:
            found.highlighted = 0
            found.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if self.report is not None and event.option.id is not None:
            self.dismiss(self.report.violations[int(event.option.id)])

    def action_escape(self) -> None:
        if self.phase == "running":
            self.stop_requested = True
            self.query_one("#explore-keys", Label).update("stopping at the next chunk of states…")
            return
        self.dismiss(None)

    # -- facts for tests ---------------------------------------------------------------------

    def text(self) -> str:
        """What the screen says now (progress or result), as plain text."""
        parts = []
        for name in ("#explore-progress", "#explore-summary"):
            label = self.query_one(name, Label)
            if label.display:
                parts.append(str(label.render()))
        found = self.query_one("#explore-findings", OptionList)
        if found.display:
            parts.extend(str(found.get_option_at_index(i).prompt) for i in range(found.option_count))
        return "\n".join(parts)
