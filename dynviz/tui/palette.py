"""The command palette (Ctrl+P): every action of the app, with its current nodes and keys.

Built afresh from the app's state on each search (Posting's and Harlequin's pattern): a
node that joined a moment ago can be killed from the palette, a key just written can be
read. Each hit runs an app action or a command line (so it is logged like a typed one,
and recorded with origin ``palette``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from dynviz.tui.widgets.eventlog import EVENT_KINDS

if TYPE_CHECKING:
    from dynviz.tui.app import DynvizApp

Entry = tuple[str, Callable[[], object], str]


def palette_entries(app: DynvizApp) -> Iterator[Entry]:
    """(title, callback, help) for everything the palette offers right now."""
    from dynviz.tui.app import PANELS

    cluster = app.cluster
    yield ("Play / pause", app.action_toggle_play, "space: run or stop virtual time")
    yield ("Step one event", app.action_step, ". : process the next event")
    yield ("Step to the end of the request", app.action_step_request, "> : run until no request is in progress")
    yield ("Faster", app.action_faster, "+ : speed up (x0.1 .. x1000)")
    yield ("Slower", app.action_slower, "- : slow down")
    yield (f"Workload {'off' if app.workload.enabled else 'on'}", app.action_toggle_workload,
           "w : the gentle background reads and writes")
    yield ("Partition editor", partial(app.action_partition, "palette"), "p : pick groups of nodes, apply or heal")
    yield ("Heal the network", partial(app.run_line, "heal", "palette"), "remove every partition")
    yield ("Anti-entropy between two nodes", partial(app.action_antientropy, "palette"), "a : Merkle-tree exchange")
    yield ("Join a new node", partial(app.action_join, "palette"), "j : add the next node to the ring")
    yield ("Log filter", app.action_log_filter, "f : choose the kinds of events shown")
    yield ("Log: show everything", partial(app.set_log_filter, set()), "clear the log filter")
    for kind in EVENT_KINDS:
        yield (f"Log: only {kind}", partial(app.set_log_filter, {k for k in EVENT_KINDS if k != kind}),
               f"show only {kind} events")
    for name, title, _ in PANELS:
        yield (f"Maximise {title}", partial(app.maximize_panel, name), "escape or m restores")
    yield ("Restore panels", app.restore_panels, "undo maximise")
    yield ("Help", app.action_help, "? : every binding and command")
    yield ("Tables screen", app.action_tables, "T : items page by page, queries, stream, capacity, placement")
    for table in app.executor.tables.names():
        yield (f"Select table {table}", partial(setattr, app, "selected_table", table),
               "the ring marks its partitions; T shows it")
        yield (f"Scan table {table}", partial(app.run_line, f"table scan {table} limit=8", "palette"),
               "the first page of its items")
    for node in cluster.nodes:
        up = cluster.is_up(node)
        yield (f"Select node {node}", partial(app.select_node, node), "for k (kill/recover), l (leave)")
        if up:
            yield (f"Kill {node}", partial(app.run_line, f"kill {node}", "palette"), "crash it; its storage survives")
        else:
            yield (f"Recover {node}", partial(app.run_line, f"recover {node}", "palette"), "restart it")
        yield (f"Leave {node}", partial(app.run_line, f"leave {node}", "palette"), "graceful leave, hands off its data")
        yield (f"Wipe {node}", partial(app.run_line, f"wipe {node}", "palette"), "lose its disk; back as a new actor")
    for key in app.known_keys():
        yield (f"Select key {key}", partial(app.select_key, key), "show its preference list and versions")
        yield (f"Get {key}", partial(app.run_line, f"get {key}", "palette"), "read it (R replies)")
        yield (f"Inspect {key}", partial(app.run_line, f"inspect {key}", "palette"), "every replica's siblings and hints")


class DynvizCommands(Provider):
    """Palette provider over :func:`palette_entries`."""

    async def discover(self) -> Hits:
        for i, (title, callback, help_text) in enumerate(palette_entries(self.app)):  # type: ignore[arg-type]
            if i >= 40:
                break
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, callback, help_text in palette_entries(self.app):  # type: ignore[arg-type]
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, text=title, help=help_text)
