"""Gossip: who knows what about whom, and how the latest rumour spread.

Dynamo's membership is gossip-based (paper section 4.8.1): every node keeps its own view
of every member (status, and how recently it heard of that member's heartbeat), and a
change (a join, a leave, a restart) spreads as a rumour, each node passing it on to a
random peer every round: the number of nodes that know it grows like an epidemic.

The panel shows the node x node matrix of views (``Cluster.gossip_matrix``: row =
observer, column = subject) and the infection curve of the latest rumour from the
tape's ``Learned`` events: one row per node in the order it learned, with the running
count as a bar. A cluster without membership views shows each node's failure detector
instead, and says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dynviz.core.units import SECOND
from dynviz.tui.widgets.lines import Line, LinesView, fmt_time

if TYPE_CHECKING:
    from dynviz.events import Learned
    from dynviz.tui.view import ClusterView, Frame

CELL = 10
"""Width of one matrix cell."""
BAR = 24
"""Width of a full infection bar (every node knows)."""
EARLIER = 4
"""Earlier rumours listed under the curve."""

STATUS = {"joining": "join", "up": "up", "leaving": "leave", "left": "left", "removed": "rm"}


@dataclass(frozen=True, slots=True)
class Rumour:
    """One membership change and, in order, the nodes the tape saw learn it."""

    subject: str
    generation: int
    version: int
    status: str
    learned: tuple[Learned, ...]  # oldest first

    @property
    def started(self) -> int:
        return self.learned[0].time

    def describe(self) -> str:
        return f"{self.subject} is {self.status} (generation {self.generation}, version {self.version})"


def group_rumours(learned: Iterable[Learned]) -> list[Rumour]:
    """Learned events grouped by rumour ``(subject, generation, version)``, the one
    started last at the end."""
    groups: dict[tuple[str, int, int], list[Learned]] = {}
    for event in learned:
        groups.setdefault((event.subject, event.generation, event.version), []).append(event)
    rumours = [Rumour(s, g, v, events[-1].status, tuple(events)) for (s, g, v), events in groups.items()]
    # A leave or a join bumps every member's entry at once (their tokens move): among
    # rumours started together, the status change itself (joining, leaving, left...)
    # is the news, so it sorts last, as the latest; then the subject, so ties never
    # depend on the tape's order.
    rumours.sort(key=lambda r: (r.started, r.status != "up", r.subject, r.learned[-1].time))
    return rumours


def _age(us: int) -> str:
    seconds = us / SECOND
    return f"{seconds:.1f}s" if seconds < 10 else f"{seconds:.0f}s"


class GossipPanel(LinesView):
    """The membership matrix (row observes column) and the latest rumour's spread."""

    DEFAULT_CSS = """
    GossipPanel > .gossip--title { color: $text; text-style: bold; }
    GossipPanel > .gossip--note { color: $text-muted; }
    GossipPanel > .gossip--head { color: $text; text-style: bold; }
    GossipPanel > .gossip--self { color: $text-disabled; }
    GossipPanel > .gossip--fresh { color: $success; }
    GossipPanel > .gossip--stale { color: $warning; }
    GossipPanel > .gossip--bad { color: $error; text-style: bold; }
    GossipPanel > .gossip--status { color: $secondary; text-style: bold; }
    GossipPanel > .gossip--down { color: $error; }
    GossipPanel > .gossip--bar { color: $accent; }
    GossipPanel > .gossip--selected { color: $warning; text-style: bold; }
    """
    COMPONENT_CLASSES = {
        "gossip--title", "gossip--note", "gossip--head", "gossip--self", "gossip--fresh",
        "gossip--stale", "gossip--bad", "gossip--status", "gossip--down", "gossip--bar",
        "gossip--selected",
    }
    ROLE_PREFIX = "gossip"

    REFRESH_EVERY = SECOND // 10
    """Ages in the matrix move with virtual time: rebuild at most this often (µs) when
    no event came."""

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None, disabled: bool = False) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._rumours: list[Rumour] = []
        self._rumours_of: tuple[object, ...] = ()

    def refresh_view(self, frame: Frame) -> None:
        cluster, tape = frame.view, frame.tape
        if self.unchanged(cluster, tape, tape.version, cluster.now // self.REFRESH_EVERY, frame.node):
            return
        learned = tape.learned
        source = (cluster, tape, len(learned), learned[-1] if learned else None)
        if source != self._rumours_of:
            self._rumours_of = source
            self._rumours = group_rumours(learned)
        self.set_lines(self.build(cluster, frame.node))

    def build(self, cluster: ClusterView, selected: str | None) -> list[Line]:
        lines = self._matrix(cluster, selected)
        lines.append(())
        lines.extend(self._curve(cluster))
        return lines

    # -- who knows what about whom -------------------------------------------------------

    def _matrix(self, cluster: ClusterView, selected: str | None) -> list[Line]:
        names = list(cluster.node_names())
        views = cluster.gossip_matrix()
        lines: list[Line] = [
            (("Who knows what about whom", "title"),
             ("  (row's view of column: status, age of its heartbeat news)", "note")),
            (("fresh", "fresh"), ("  stale", "stale"), ("  ✕ suspected", "bad"),
             ("  not up (join/leave/left/rm)", "status"), ("  self", "self")),
        ]
        config = cluster.config
        fresh = 2 * config.gossip_interval
        stale = config.suspect_after
        subjects = list(names)
        for known in views.values():
            subjects.extend(s for s in known if s not in subjects)
        header: list[tuple[str, str]] = [(" " * CELL, "")]
        for s in subjects:
            header.append((s[: CELL - 1].ljust(CELL), "selected" if s == selected else "head"))
        lines.append(tuple(header))
        for observer in names:
            row: list[tuple[str, str]] = [(observer[: CELL - 1].ljust(CELL), "selected" if observer == selected
                                           else "head")]
            if not cluster.is_up(observer):
                row.append(("down: its view is frozen until it recovers", "down"))
                lines.append(tuple(row))
                continue
            view = views.get(observer, {})
            for subject in subjects:
                row.append(self._cell(observer, subject, view.get(subject), fresh, stale))
            lines.append(tuple(row))
        down = [n for n in names if not cluster.is_up(n)]
        if down:
            lines.append((("actually down now: ", "note"), (", ".join(down), "down")))
        return lines

    @staticmethod
    def _cell(observer: str, subject: str, entry: tuple[str, int, bool] | None,
              fresh: int, stale: int) -> tuple[str, str]:
        if subject == observer:
            return "self".ljust(CELL), "self"
        if entry is None:
            return "?".ljust(CELL), "stale"
        status, age, suspected = entry
        text = f"{'✕' if suspected else ''}{STATUS.get(status, status[:5])} {_age(age)}"
        if suspected:
            role = "bad"
        elif status != "up":
            role = "status"
        else:
            role = "fresh" if age <= fresh else "stale" if age <= stale else "bad"
        return text[: CELL - 1].ljust(CELL), role

    # -- the latest rumour's spread --------------------------------------------------------

    def _curve(self, cluster: ClusterView) -> list[Line]:
        if not self._rumours:
            return [(("no membership rumour on the tape yet: join, leave or restart a node "
                      "(join n6, leave n2, kill n3 then recover n3)", "note"),)]
        rumour = self._rumours[-1]
        names = list(cluster.node_names())
        total = len(names)
        knows = self._knowers(cluster, rumour)
        seen = {e.node for e in rumour.learned}
        lines: list[Line] = [
            (("Latest rumour: ", "title"), (rumour.describe(), "head"),
             (f", started at {fmt_time(rumour.started)}", "note")),
        ]
        before = [n for n in names if n in knows and n not in seen]
        count = 0
        if before:
            count = len(before)
            lines.append(self._bar("before", count, total, f"knew it already: {' '.join(before)}"))
        for event in rumour.learned:
            count += 1
            how = "made the change" if not event.source else f"told by {event.source}"
            lines.append(self._bar(f"+{(event.time - rumour.started) / SECOND:.3f}s", count, total,
                                   f"{event.node} ({how}, its round {event.round})"))
        missing = [n for n in names if n not in knows]
        know = len([n for n in names if n in knows])
        spread = rumour.learned[-1].time - rumour.started
        interval = cluster.config.gossip_interval
        lines.append(((f"{know}/{total} know", "title"),
                      (f"  spread over {spread / SECOND:.3f}s (about {spread / interval:.1f} gossip intervals)",
                       "note")))
        if missing:
            down = [n for n in missing if not cluster.is_up(n)]
            lines.append((("not yet: ", "note"), (", ".join(missing), "stale"),
                          (f"  ({', '.join(down)} down)" if down else "", "down")))
        else:
            lines.append((("every node knows", "fresh"),))
        earlier = self._rumours[-1 - EARLIER:-1]
        if earlier:
            lines.append(())
            lines.append((("Earlier rumours", "title"),))
            for r in reversed(earlier):
                who = self._knowers(cluster, r)
                lines.append(((f"  {fmt_time(r.started)}  ", "note"), (r.describe(), ""),
                              (f"  {len([n for n in names if n in who])}/{total} know", "note")))
        return lines

    @staticmethod
    def _knowers(cluster: ClusterView, rumour: Rumour) -> set[str]:
        """Nodes whose membership view holds this rumour or a newer entry of its subject."""
        out: set[str] = set()
        for observer, members in cluster.views().items():
            for member in members:
                # A member entry's rumours are ordered by (version, generation), as
                # dynviz.core.membership orders them.
                if member.name == rumour.subject and (member.version, member.generation) >= (
                        rumour.version, rumour.generation):
                    out.add(observer)
        return out

    @staticmethod
    def _bar(label: str, count: int, total: int, note: str) -> Line:
        filled = round(BAR * count / total) if total else 0
        return ((f"  {label:>9} ", "note"), ("▮" * filled, "bar"), ("·" * (BAR - filled), "self"),
                (f" {count}/{total}  ", "head"), (note, "note"))
