"""The command palette (Ctrl+P): every action of the app, with its current nodes and keys.

Built afresh from the app's state on each search (Posting's and Harlequin's pattern): a
node that joined a moment ago can be killed from the palette, a key just written can be
read. Each hit runs an app action or a command line (so it is logged like a typed one,
and recorded with origin ``palette``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, Protocol, runtime_checkable

from textual.command import DiscoveryHit, Hit, Hits, Provider

from dynviz.session.lesson import list_lessons
from dynviz.tui.panels import PANELS
from dynviz.tui.widgets.eventlog import EVENT_KINDS

Entry = tuple[str, Callable[[], object], str]


class PaletteHost(Protocol):
    """What the palette reads of the app and the actions it offers."""

    selected_table: str | None

    @property
    def driver(self) -> Any: ...

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None: ...
    def action_drive(self, action: str) -> None: ...
    def action_partition(self, origin: str = "key") -> None: ...
    def action_antientropy(self, origin: str = "key") -> None: ...
    def action_join(self, origin: str = "key") -> None: ...
    def action_log_filter(self) -> None: ...
    def action_help(self) -> None: ...
    def action_tables(self) -> None: ...
    def action_metrics(self) -> None: ...
    def action_lessons(self) -> None: ...
    def action_select(self) -> None: ...
    def action_save(self) -> None: ...
    def action_explore_here(self) -> None: ...
    def set_log_filter(self, hidden: set[str]) -> None: ...
    def maximize_panel(self, name: str, focus: bool = True) -> None: ...
    def restore_panels(self) -> None: ...
    def run_line(self, text: str, origin: str = "script") -> str | None: ...
    def select_node(self, node: str | None) -> None: ...
    def select_key(self, key: bytes | str | None) -> None: ...
    def known_keys(self) -> list[str]: ...
    def table_names(self) -> list[str]: ...
    def start_lesson(self, name: str) -> None: ...
    def leave_lesson(self) -> None: ...


@runtime_checkable
class PaletteSource(Protocol):
    """An app that lists its palette entries (the dynviz app)."""

    def palette_entries(self) -> Iterator[Entry]: ...


DRIVE_ENTRIES: tuple[tuple[str, str, str], ...] = (
    ("play", "Play / pause", "space: run or stop virtual time"),
    ("step", "Step one event", ". : process the next event"),
    ("step_request", "Step to the end of the request", "> : run until no request is in progress"),
    ("faster", "Faster", "+ : speed up (x0.1 .. x1000)"),
    ("slower", "Slower", "- : slow down"),
    ("abort", "Stop the running command", "escape: stop a long step, run or settle"),
    ("workload", "Workload on / off", "w : the gentle background reads and writes (on keys of its own)"),
    ("next", "Lesson: next narration", "n or enter"),
    ("back", "Lesson: previous narration", "b : the cluster as it was then"),
    ("history", "Lesson: every narration so far", "h"),
    ("seek", "Replay: seek", "g : a time (12.5s) or a command (#42)"),
    ("branches", "Replay: branches", "b : switch to one or save it"),
)
"""Driver actions the palette offers when the mode supports them: (action, title, help)."""


def palette_entries(app: PaletteHost) -> Iterator[Entry]:
    """(title, callback, help) for everything the palette offers right now."""
    driver = app.driver
    for action, title, help_text in DRIVE_ENTRIES:
        if driver.supports(action):
            yield (title, partial(app.action_drive, action), help_text)
    yield ("Lessons", app.action_lessons, "L : pick a lesson; your progress is kept")
    for name, title in list_lessons():
        yield (f"Lesson {name}", partial(app.start_lesson, name), title)
    if driver.kind == "lesson":
        yield ("Leave the lesson", app.leave_lesson, "back to the live cluster")
    yield ("Select a node or a key", app.action_select, "s")
    if driver.supports("save"):
        yield ("Save the session", app.action_save, "ctrl+s: a session file you can replay")
    if driver.supports("partition"):
        yield ("Partition editor", partial(app.action_partition, "palette"), "p : pick groups of nodes, apply or heal")
        yield ("Heal the network", partial(app.run_line, "heal", "palette"), "remove every partition")
    if driver.supports("antientropy"):
        yield ("Anti-entropy between two nodes", partial(app.action_antientropy, "palette"),
               "a : Merkle-tree exchange")
    if driver.supports("join"):
        yield ("Join a new node", partial(app.action_join, "palette"), "j : add the next node to the ring")
    yield ("Log filter", app.action_log_filter, "f : choose the kinds of events shown")
    yield ("Log: show everything", partial(app.set_log_filter, set()), "clear the log filter")
    for kind in EVENT_KINDS:
        yield (f"Log: only {kind}", partial(app.set_log_filter, {k for k in EVENT_KINDS if k != kind}),
               f"show only {kind} events")
    for panel in PANELS:
        yield (f"Maximise {panel.title}", partial(app.maximize_panel, panel.name), "escape or m restores")
    yield ("Restore panels", app.restore_panels, "undo maximise")
    yield ("Help", app.action_help, "? : every binding and command")
    yield ("Metrics", app.action_metrics, "M : live plots of latency percentiles, throughput, hints, load, staleness")
    if driver.supports("tables"):
        yield ("Tables screen", app.action_tables, "T : items page by page, queries, stream, capacity, placement")
        for table in app.table_names():
            yield (f"Select table {table}", partial(setattr, app, "selected_table", table),
                   "the ring marks its partitions; T shows it")
            yield (f"Scan table {table}", partial(app.run_line, f"table scan {table} limit=8", "palette"),
                   "the first page of its items")
    view = driver.view
    for node in view.node_names():
        yield (f"Select node {node}", partial(app.select_node, node), "for k (kill/recover), l (leave)")
        if driver.supports("kill"):
            if view.is_up(node):
                yield (f"Kill {node}", partial(app.run_line, f"kill {node}", "palette"),
                       "crash it; its storage survives")
            else:
                yield (f"Recover {node}", partial(app.run_line, f"recover {node}", "palette"), "restart it")
        if driver.supports("leave"):
            yield (f"Leave {node}", partial(app.run_line, f"leave {node}", "palette"),
                   "graceful leave, hands off its data")
            yield (f"Wipe {node}", partial(app.run_line, f"wipe {node}", "palette"),
                   "lose its disk; back as a new actor")
    if driver.supports("explore"):
        yield ("Explore from here", app.action_explore_here,
               "e : search every delivery order from this state (bounded) for violations")
    if driver.supports("hold"):
        yield from _choice_entries(app, view)
    for key in app.known_keys():
        yield (f"Select key {key}", partial(app.select_key, key), "show its preference list and versions")
        yield (f"Get {key}", partial(app.run_line, f"get {key}", "palette"), "read it (R replies)")
        yield (f"Inspect {key}", partial(app.run_line, f"inspect {key}", "palette"),
               "every replica's siblings and hints")


PALETTE_CHOICES = 12
"""The most pending messages (and as many timers) the palette offers as next choices."""


def _choice_entries(app: PaletteHost, view: Any) -> Iterator[Entry]:
    """The next action choices (Stateright's word): hold or release, and for each pending
    message deliver, drop, duplicate, delay; for each pending timer, fire it now."""
    choices = view.choices()
    if choices.holds:
        yield ("Release every hold", partial(app.run_line, "release", "palette"),
               "H : what the holds kept is delivered now")
    else:
        yield ("Hold every message", partial(app.run_line, "hold", "palette"),
               "H : nothing is delivered until you choose (the Network panel)")
    for m in choices.messages[:PALETTE_CHOICES]:
        route = f"{m.src.removeprefix('client:')}->{m.dst.removeprefix('client:')} {m.kind}"
        for verb, extra, about in (("deliver", "", "hand it over now"), ("drop", "", "lose it"),
                                   ("duplicate", "", "a copy beside it"), ("delay", " 300ms", "let it go in 300 ms")):
            yield (f"{verb.capitalize()} {m.id} ({route})", partial(app.run_line, f"{verb} {m.id}{extra}", "palette"),
                   about)
    for t in choices.timers[:PALETTE_CHOICES]:
        yield (f"Fire {t.id} ({t.node} {t.purpose})", partial(app.run_line, f"fire {t.id}", "palette"),
               "run the timer now instead of when it is due")


class DynvizCommands(Provider):
    """Palette provider over the app's :meth:`palette_entries`."""

    def _entries(self) -> Iterator[Entry]:
        app = self.app
        return app.palette_entries() if isinstance(app, PaletteSource) else iter(())

    async def discover(self) -> Hits:
        for i, (title, callback, help_text) in enumerate(self._entries()):
            if i >= 40:
                break
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, callback, help_text in self._entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, text=title, help=help_text)
