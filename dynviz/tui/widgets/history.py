"""The version history of the selected key, drawn as a DAG of boxes.

Each box is one version a coordinator created (value, dot or vector clock, coordinator,
time, and which replicas hold it now); an edge runs from a version down to each version
written over a context that saw it (it supersedes it, paper section 4.4). Rows are
networkx's topological generations (``dynviz.tui.history``), so concurrent siblings sit
side by side; the current siblings are highlighted and a version that supersedes two or
more concurrent ones is marked as a reconciliation. Read repairs of the key are listed
under the graph.

Layout is a small layered (Sugiyama-style) drawing: an edge that skips rows passes
through them as a vertical line in a slot of its own, boxes in a row are ordered by the
mean position of what they supersede, and the connectors between two rows run on
horizontal tracks assigned so that unrelated connectors never share a track.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dynviz.events import ReadRepair
from dynviz.tui.history import HistoryNode, build_history
from dynviz.tui.widgets.lines import Canvas, Line, LinesView, fmt_time, new_since, printable
from dynviz.wording import plural

if TYPE_CHECKING:
    from dynviz.tui.view import ClusterView, Frame

MAX_VERSIONS = 30
"""The newest versions of a key drawn (older ones are counted, not drawn)."""
MAX_REPAIRS = 12
GAP = 3
"""Columns between two boxes of a row."""

Holders = dict[tuple[tuple[str, int], bytes | None], list[str]]
"""(dot, value) -> the nodes storing that version now (hints marked)."""


@dataclass(eq=False, slots=True)
class _Item:
    """A box (``version`` >= 0) or a pass-through slot of a long edge (``version`` -1)."""

    version: int
    width: int
    layer: int
    order: float = 0.0
    x: int = 0

    @property
    def center(self) -> int:
        return self.x + self.width // 2


def _value(node: HistoryNode) -> str:
    return "(delete)" if node.value is None else printable(node.value, 18)


def _clock(clock: dict[str, int]) -> str:
    return "{" + ",".join(f"{a}:{c}" for a, c in sorted(clock.items())) + "}"


class VersionHistory(LinesView):
    """The selected key's versions as a DAG: what supersedes what, siblings side by side."""

    DEFAULT_CSS = """
    VersionHistory > .history--title { color: $text; text-style: bold; }
    VersionHistory > .history--note { color: $text-muted; }
    VersionHistory > .history--box { color: $text-disabled; }
    VersionHistory > .history--old { color: $text-muted; }
    VersionHistory > .history--current { color: $success; text-style: bold; }
    VersionHistory > .history--reconcile { color: $warning; text-style: bold; }
    VersionHistory > .history--edge { color: $primary-lighten-1; }
    VersionHistory > .history--lost { color: $error; text-style: bold; }
    VersionHistory > .history--repair { color: $warning; }
    """
    COMPONENT_CLASSES = {
        "history--title", "history--note", "history--box", "history--old", "history--current",
        "history--reconcile", "history--edge", "history--lost", "history--repair",
    }
    ROLE_PREFIX = "history"

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None, disabled: bool = False) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._source: tuple[object, ...] = ()
        self._events: list[Any] = []  # the selected key's VersionCreated events
        self._repairs: list[ReadRepair] = []  # and its read repairs
        self._last_version: object = None
        self._last_log: object = None
        self._drawn: tuple[object, ...] = ()

    def refresh_view(self, frame: Frame) -> None:
        cluster, tape, key = frame.view, frame.tape, frame.key
        versions, log = tape.versions, tape.log
        if self.unchanged(cluster, tape, key, len(versions), versions[-1] if versions else None,
                          len(log), log[-1] if log else None):
            return
        if (cluster, tape, key) != self._source:
            self._source = (cluster, tape, key)
            self._events, self._repairs, self._last_version, self._last_log = [], [], None, None
        if key is not None:
            self._follow_tape(tape, key)
        holders = self._holders(cluster, key) if key is not None and self._events else {}
        # Rebuild only when the picture would change: most events are about other keys.
        drawn = (cluster, tape, key, len(self._events), self._events[-1] if self._events else None,
                 len(self._repairs), holders)
        if drawn == self._drawn:
            return
        self._drawn = drawn
        self.set_lines(self.build(cluster, key, self._events, self._repairs, holders))

    def _follow_tape(self, tape: Any, key: bytes) -> None:
        """Collect the key's versions and read repairs from what is new on the tape."""
        fresh = new_since(tape.versions, self._last_version)
        if fresh is None:
            self._events, fresh = [], list(tape.versions)
        self._last_version = tape.versions[-1] if tape.versions else None
        self._events.extend(e for e in fresh if e.key == key)
        fresh = new_since(tape.log, self._last_log)
        if fresh is None:
            self._repairs, fresh = [], list(tape.log)
        self._last_log = tape.log[-1] if tape.log else None
        self._repairs.extend(e for e in fresh if isinstance(e, ReadRepair) and e.key == key)

    # -- the picture -----------------------------------------------------------------------

    def build(self, cluster: ClusterView, key: bytes | None, events: list[Any], repairs: list[ReadRepair],
              holders: Holders) -> list[Line]:
        if key is None:
            return [(("select a key: type get KEY, press s, or ↑ ↓ on the ring", "note"),)]
        shown = printable(key, 40)
        if not events:
            return [(("key ", "note"), (shown, "title"), (": no version created since the app started "
                                                           f"watching (put {shown} VALUE makes one)", "note"))]
        total = len(events)
        events = events[-MAX_VERSIONS:]
        vclock = cluster.config.versioning == "vclock"
        nodes = build_history(events, vclock=vclock)
        current = self._now(nodes, holders)
        lines: list[Line] = [
            (("key ", "note"), (shown, "title"),
             (f"  {total} version{'s' * (total != 1)}, {len(current)} current sibling{'s' * (len(current) != 1)}",
              "note")),
            # The current versions first, however long the past drawn below them.
            (("now: ", "current"), *self._current_runs(current, vclock)),
            (("● current", "current"), ("  ○ superseded", "old"), ("  ◆ reconciles siblings", "reconcile")),
            ((f"({'vector clocks' if vclock else 'dotted version vectors'}; "
              "an edge goes down to what supersedes)", "note"),),
        ]
        if total > len(events):
            lines.append(((f"(the {plural(total - len(events), 'oldest version')} not drawn)", "note"),))
        lines.append(())
        lines.extend(self._draw(nodes, holders, vclock))
        lines.append(())
        lines.extend(self._repair_lines(repairs, shown))
        return lines

    @staticmethod
    def _now(nodes: list[HistoryNode], holders: Holders) -> list[HistoryNode]:
        """What a read of every replica would return now: the versions some replica
        holds that no other held version supersedes. Not the causal frontier alone: a
        version nothing supersedes can still be gone (the vector-clock lost update; a
        last-write-wins resolver keeping the other write), and the panel must not call
        it current. Without any holder (not read yet), the causal frontier."""
        held = [n for n in nodes if holders.get((n.dot, n.value))]
        if not held:
            return [n for n in nodes if n.current]
        parents = {n.dot: n.supersedes for n in nodes}
        covered: set[tuple[str, int]] = set()
        for node in held:
            todo = list(node.supersedes)
            while todo:
                dot = todo.pop()
                if dot not in covered and dot != node.dot:
                    covered.add(dot)
                    todo.extend(parents.get(dot, ()))
        return [n for n in held if n.dot not in covered]

    @staticmethod
    def _current_runs(current: list[HistoryNode], vclock: bool) -> list[tuple[str, str]]:
        if not current:
            return [("no current version on the tape (every one was superseded)", "note")]
        runs: list[tuple[str, str]] = []
        for i, node in enumerate(current):
            if i:
                runs.append((" | ", "note"))
            runs.append((f"● {_value(node)} ", "current"))
            runs.append((_clock(node.clock) if vclock else f"dot {node.dot[0]}:{node.dot[1]}", "note"))
        return runs

    @staticmethod
    def _holders(cluster: ClusterView, key: bytes) -> Holders:
        """(dot, value) -> the nodes storing that version now (hints marked)."""
        out: Holders = {}
        for replica in cluster.inspect(key).replicas:
            for v in replica.versions:
                out.setdefault((v.dot, v.value), []).append(replica.node)
            for intended, versions in replica.hints:
                for v in versions:
                    out.setdefault((v.dot, v.value), []).append(f"{replica.node}(hint for {intended})")
        return out

    def _draw(self, nodes: list[HistoryNode], holders: Holders, vclock: bool) -> list[Line]:
        contents: list[list[tuple[str, str]]] = []
        for node in nodes:
            role = "current" if node.current else "old"
            rows = [(f"{'●' if node.current else '○'} {_value(node)}", role)]
            if node.reconciles:
                rows.append((f"◆ reconciles {len(node.supersedes)}", "reconcile"))
            rows.append((_clock(node.clock) if vclock else f"dot {node.dot[0]}:{node.dot[1]}", role))
            rows.append((f"by {node.coordinator} at {fmt_time(node.time)}", role))
            held = holders.get((node.dot, node.value), [])
            if held:
                rows.append(("on " + " ".join(held), role))
            elif node.current:
                rows.append(("held nowhere (lost)", "lost"))
            else:
                rows.append(("superseded", "old"))
            contents.append(rows)
        borders = ["current" if n.current else "reconcile" if n.reconciles else "box" for n in nodes]
        # Edges between versions (dots can repeat in vclock mode: link every match).
        by_dot: dict[tuple[str, int], list[int]] = {}
        for i, node in enumerate(nodes):
            by_dot.setdefault(node.dot, []).append(i)
        edges = sorted({(i, j) for j, node in enumerate(nodes) for dot in node.supersedes
                        for i in by_dot.get(dot, ()) if nodes[i].layer < node.layer})
        return draw_dag([n.layer for n in nodes], [n.time for n in nodes], edges, contents, borders)

    @staticmethod
    def _repair_lines(repairs: list[ReadRepair], shown: str) -> list[Line]:
        if not repairs:
            return [((f"no read repair of {shown} yet (a get that finds a stale replica repairs it)", "note"),)]
        lines: list[Line] = [((f"read repairs of {shown}:", "title"),)]
        for event in repairs[-MAX_REPAIRS:]:
            lines.append((("  read repair ", "repair"), (f"{event.coordinator} → {', '.join(event.targets)}", "repair"),
                          (f" at {fmt_time(event.time)}", "note")))
        if len(repairs) > MAX_REPAIRS:
            lines.append(((f"  ({len(repairs) - MAX_REPAIRS} earlier)", "note"),))
        return lines


def draw_dag(layers_of: list[int], times: list[int], edges: list[tuple[int, int]],
             contents: list[list[tuple[str, str]]], borders: list[str]) -> list[Line]:
    """Draw boxes (``contents`` rows, ``borders`` role) in rows ``layers_of`` with an
    edge ``i -> j`` from the bottom of box ``i`` to the top of box ``j`` per ``edges``
    (each from a lower layer to a higher one)."""
    width = max(16, min(34, max(len(t) for rows in contents for t, _ in rows) + 4))
    height = max(len(rows) for rows in contents) + 2
    depth = max(layers_of) + 1
    layers: list[list[_Item]] = [[] for _ in range(depth)]
    boxes = [_Item(i, width, layer, order=times[i]) for i, layer in enumerate(layers_of)]
    for item in boxes:
        layers[item.layer].append(item)
    links: list[tuple[_Item, _Item]] = []  # between consecutive layers
    for i, j in edges:
        prev = boxes[i]
        for level in range(layers_of[i] + 1, layers_of[j]):
            slot = _Item(-1, 1, level)
            layers[level].append(slot)
            links.append((prev, slot))
            prev = slot
        links.append((prev, boxes[j]))
    parents: dict[_Item, list[_Item]] = {}
    for a, b in links:
        parents.setdefault(b, []).append(a)

    # Order each row by the mean position of what it supersedes (barycentre), centre rows.
    for layer in layers:
        for item in layer:
            above = parents.get(item)
            if above:
                item.order = sum(p.center for p in above) / len(above)
        layer.sort(key=lambda it: (it.order, times[it.version] if it.version >= 0 else 0))
        x = 0
        for item in layer:
            item.x = x
            x += item.width + GAP
    used = [sum(it.width for it in layer) + GAP * (len(layer) - 1) for layer in layers]
    for layer, size in zip(layers, used, strict=True):
        for item in layer:
            item.x += (max(used) - size) // 2 + 1

    # Where each connector enters its child: the centre, unless a parent leaves from that
    # column (their vertical lines would merge and read as an edge), then the nearest
    # free column of the box's top border.
    enter: dict[tuple[_Item, _Item], int] = {}
    for level in range(depth - 1):
        gap = [(a, b) for a, b in links if a.layer == level]
        leaving = {a.center for a, _ in gap}
        for a, b in gap:
            col = b.center
            if col in leaving and a.center != col and b.version >= 0:
                free = [c for c in range(b.x + 2, b.x + b.width - 2) if c not in leaving]
                if free:
                    col = min(free, key=lambda c: abs(c - b.center))
            enter[a, b] = col

    # Tracks: a parent's turning connectors share one horizontal track (a fan-out);
    # two parents share a track only when their spans are apart.
    track_of: dict[_Item, int] = {}
    tracks = [0] * depth
    for level in range(depth - 1):
        spans: dict[_Item, tuple[int, int]] = {}
        for a, b in links:
            if a.layer == level and enter[a, b] != a.center:
                lo, hi = spans.get(a, (a.center, a.center))
                spans[a] = (min(lo, enter[a, b]), max(hi, enter[a, b]))
        taken: list[list[tuple[int, int]]] = []
        for a, (lo, hi) in sorted(spans.items(), key=lambda kv: kv[1]):
            for t, track_spans in enumerate(taken):
                if all(hi < ulo - 1 or lo > uhi + 1 for ulo, uhi in track_spans):
                    track_spans.append((lo, hi))
                    track_of[a] = t
                    break
            else:
                taken.append([(lo, hi)])
                track_of[a] = len(taken) - 1
        tracks[level] = len(taken)
    tops: list[int] = []
    y = 0
    for level in range(depth):
        tops.append(y)
        y += height + max(tracks[level], 1)

    canvas = Canvas()
    for level, layer in enumerate(layers):
        top = tops[level]
        for item in layer:
            if item.version < 0:
                canvas.vline(item.center, top, top + height - 1, "edge")
                continue
            canvas.box(item.x, top, width, height, borders[item.version])
            for row, (text, role) in enumerate(contents[item.version]):
                canvas.text(item.x + 2, top + 1 + row, text[: width - 4], role)
    for a, b in links:
        start, end, col = tops[a.layer] + height - 1, tops[b.layer], enter[a, b]
        if col == a.center:
            canvas.vline(col, start, end, "edge")
            continue
        track = start + 1 + track_of[a]
        canvas.vline(a.center, start, track, "edge")
        canvas.hline(a.center, col, track, "edge")
        canvas.vline(col, track, end, "edge")
    return canvas.lines()
