"""A live space-time diagram of the cluster's messages (Lamport, "Time, Clocks, and the
Ordering of Events in a Distributed System", 1978): one column per node, time running
down, one arrow per message at the moment it arrived (or was lost), scrollable back
through the tape. It draws with the shared Line-API kit (:mod:`dynviz.tui.widgets.lines`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.style import Style
from textual.binding import Binding
from textual.reactive import var
from textual.strip import Strip

from dynviz.events import (
    MessageDelivered,
    MessageDropped,
    MessageSent,
    NetworkChanged,
    NodeDown,
    NodeUp,
)
from dynviz.tui.view import chosen_message
from dynviz.tui.widgets.lines import (
    Canvas,
    Line,
    LinesView,
    fmt_time,
    new_since,
    printable,
)

if TYPE_CHECKING:
    from dynviz.sim.choices import PendingMessage
    from dynviz.tui.view import ClusterView, Frame

ABBREVIATIONS = {
    "ClientPut": "Put", "ClientGet": "Get", "ClientReply": "Reply",
    "ReplicaPut": "RPut", "ReplicaPutAck": "RAck", "ReplicaGet": "RGet",
    "ReplicaGetReply": "RRep", "ReadRepairPut": "Repair",
    "HintHandoff": "Hint", "HintHandoffAck": "HAck",
    "GossipPush": "GPush", "GossipPull": "GPull",
    "AEHashes": "AEHash", "AEInSync": "AESync", "AEKeyDigests": "AEDig",
    "AEKeyData": "AEData", "AERefused": "AERef",
    "TransferTask": "XTask", "TransferDone": "XDone", "PullRequest": "XPull",
    "PullBatch": "XBatch",
    "ClientRangeGet": "Range", "ClientRangeReply": "RangeR", "ReplicaRangeGet": "RRange",
    "ReplicaRangeReply": "RRangeR",
}


def abbreviate(message: str) -> str:
    """A message type's short name for an arrow: the table above, else the first word
    (cut to 6) and the initials of the rest (``GossipDigestAck`` -> ``GossipDA``)."""
    short = ABBREVIATIONS.get(message)
    if short is not None:
        return short
    words: list[str] = []
    for ch in message:
        if ch.isupper() or not words:
            words.append(ch)
        else:
            words[-1] += ch
    if not words:
        return "?"
    return words[0][:6] + "".join(w[0] for w in words[1:])


CLIENTS = "clients"
"""The one column that stands for every client endpoint (``client:NAME``)."""


@dataclass(frozen=True, slots=True)
class Arrow:
    """One message, drawn at the time it arrived or was lost."""

    time: int
    src: str
    dst: str
    message: str
    sent: int
    key: bytes | None
    dropped: str  # "" when delivered, else the reason


@dataclass(frozen=True, slots=True)
class Mark:
    """A fault on the timeline: a node went down or up, the network changed."""

    time: int
    node: str  # "" when it concerns the network
    text: str
    up: bool = False


def column_of(endpoint: str) -> str:
    return CLIENTS if endpoint.startswith("client:") else endpoint


class SpaceTime(LinesView):
    """Messages as a space-time diagram: nodes (and clients) as columns, time down,
    one arrow per message at its arrival row, ``✕`` where one was lost (with why).

    Rows are kept incrementally from the tape (only new events are read each frame) and
    formatted on demand by ``render_line``, so the cost per frame does not grow with the
    history; at most ``max_rows`` rows are kept.
    """

    DEFAULT_CSS = """
    SpaceTime > .spacetime--life { color: $text-disabled; }
    SpaceTime > .spacetime--head { color: $text; text-style: bold; }
    SpaceTime > .spacetime--time { color: $text-muted; }
    SpaceTime > .spacetime--arrow { color: $accent; }
    SpaceTime > .spacetime--client { color: $secondary; }
    SpaceTime > .spacetime--key { color: $warning; text-style: bold; }
    SpaceTime > .spacetime--drop { color: $error; text-style: bold; }
    SpaceTime > .spacetime--fault { color: $error; }
    SpaceTime > .spacetime--recover { color: $success; }
    SpaceTime > .spacetime--note { color: $text-muted; }
    """
    COMPONENT_CLASSES = {
        "spacetime--life", "spacetime--head", "spacetime--time", "spacetime--arrow",
        "spacetime--client", "spacetime--key", "spacetime--drop", "spacetime--fault",
        "spacetime--recover", "spacetime--note",
    }
    ROLE_PREFIX = "spacetime"
    FOLLOWS = True

    TIME_WIDTH = 10
    COLUMN_WIDTH = (8, 14)
    """Narrowest and widest column: columns share the panel's width between these."""
    NOTES_WIDTH = 26
    BACKGROUND = ("Gossip", "AE")
    """Message types (by prefix) of background traffic: gossip and anti-entropy, which
    run all the time; ``b`` hides them to follow the requests."""

    BINDINGS = [Binding("o", "toggle_background", "Gossip/anti-entropy messages", show=False)]
    show_background: var[bool] = var(True)

    def __init__(self, *, max_rows: int = 2000, name: str | None = None, id: str | None = None,
                 classes: str | None = None, disabled: bool = False) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.max_rows = max_rows
        self._rows: list[Arrow | Mark] = []
        self._shown: list[Arrow | Mark] = self._rows  # the rows drawn (all, or no background)
        self._columns: list[str] = []
        self._centers: dict[str, int] = {}
        self._spacing = self.COLUMN_WIDTH[1]
        self._keys: dict[int, bytes | None] = {}  # message id -> key, from MessageSent
        self._endpoints: dict[str, None] = {}  # columns seen in the rows, in order
        self._last_message: object = None
        self._last_log: object = None
        self._source: tuple[object, object] = (None, None)
        self._selected: bytes | None = None
        self._row_strips: dict[int, tuple[int, Strip]] = {}  # id(row) -> (id(previous row), strip)
        self._observed = True
        self._chosen: PendingMessage | None = None  # the Network panel's pending message
        self.follow = True

    def _follow_changed(self, follow: bool) -> None:
        if self._header is not None:
            self._header = self._header_line()
            self.refresh()

    # -- reading the tape ----------------------------------------------------------------

    def refresh_view(self, frame: Frame) -> None:
        cluster, tape = frame.view, frame.tape
        selected = frame.key
        self._observed = cluster.observes_messages()
        chosen = chosen_message(frame)
        if self.unchanged(cluster, tape, tape.version, selected, self.size.width, chosen):
            return
        if chosen != self._chosen:
            self._chosen = chosen
            self._header = self._header_line()
            self.refresh()
        if (cluster, tape) != self._source:
            self._source = (cluster, tape)
            self._reset()
            self.follow = True
        restyle = selected != self._selected
        self._selected = selected
        added = self._ingest(tape)
        columns = self._columns_for(cluster)
        if columns != self._columns or self._column_width() != self._spacing:
            self._set_columns(columns)
            restyle = True
        if restyle:
            self._row_strips.clear()
        if added or restyle or not self.virtual_size.height:
            self._header = self._header_line()
            self._resize(self._width())

    def _reset(self) -> None:
        self._row_strips.clear()
        self._rows = self._shown = []
        self._keys = {}
        self._endpoints = {}
        self._last_message = self._last_log = None
        self._strips.clear()

    def _ingest(self, tape: Any) -> bool:
        messages = new_since(tape.messages, self._last_message)
        log = new_since(tape.log, self._last_log)
        if messages is None or log is None:  # fell off the tape (or it was cleared): start over
            self._reset()
            messages, log = list(tape.messages), list(tape.log)
        if tape.messages:
            self._last_message = tape.messages[-1]
        if tape.log:
            self._last_log = tape.log[-1]
        rows: list[Arrow | Mark] = []
        keys = self._keys
        if len(messages) > 2 * self.max_rows:
            # At high speed more arrived than the panel can hold: only the newest show.
            messages = messages[-2 * self.max_rows:]
        for event in messages:
            if isinstance(event, MessageSent):
                keys[event.id] = event.key
            elif isinstance(event, (MessageDelivered, MessageDropped)):
                dropped = event.reason if isinstance(event, MessageDropped) else ""
                rows.append(Arrow(event.time, event.src, event.dst, event.message, event.sent,
                                  keys.pop(event.id, None), dropped))
        if len(keys) > 4 * self.max_rows:  # sends whose fate fell off the tape
            for mid in sorted(keys)[: len(keys) - 2 * self.max_rows]:
                del keys[mid]
        marks: list[Mark] = []
        for event in log:
            if isinstance(event, NodeDown):
                marks.append(Mark(event.time, event.node, "wiped" if event.wiped else "down"))
            elif isinstance(event, NodeUp):
                marks.append(Mark(event.time, event.node, "up", up=True))
            elif isinstance(event, NetworkChanged):
                marks.append(Mark(event.time, "", event.what))
        if marks:  # both streams are in time order: merge them
            rows = sorted([*rows, *marks], key=lambda r: r.time)  # stable: arrivals first
        if not rows:
            return False
        for row in rows:
            for end in (row.src, row.dst) if isinstance(row, Arrow) else (row.node,):
                if end:
                    self._endpoints.setdefault(column_of(end), None)
        self._rows.extend(rows)
        excess = len(self._rows) - self.max_rows
        if excess > 0:
            for row in self._rows[: excess + 1]:  # the first kept row loses its predecessor
                self._row_strips.pop(id(row), None)
            del self._rows[:excess]
            if not self.follow:  # keep the rows the user is reading in view
                self.scroll_to(y=max(self.scroll_y - excess, 0), animate=False, immediate=True)
        self._filter()
        return True

    def _filter(self) -> None:
        if self.show_background:
            self._shown = self._rows
        else:
            background = self.BACKGROUND
            self._shown = [r for r in self._rows if not (isinstance(r, Arrow) and r.message.startswith(background))]

    def watch_show_background(self) -> None:
        self._filter()
        if self._header is not None:
            self._header = self._header_line()
            self._resize(self._width())

    def action_toggle_background(self) -> None:
        self.show_background = not self.show_background

    def _columns_for(self, cluster: ClusterView) -> list[str]:
        names = cluster.node_names()
        columns = list(names)
        # nodes no longer in the cluster keep their column while their rows are shown
        columns += [c for c in self._endpoints if c != CLIENTS and c not in names]
        return [CLIENTS, *columns] if CLIENTS in self._endpoints else columns

    def _column_width(self, count: int | None = None) -> int:
        count = count if count is not None else len(self._columns)
        narrow, wide = self.COLUMN_WIDTH
        room = self.size.width - self.TIME_WIDTH - 1 - self.NOTES_WIDTH
        return max(narrow, min(wide, room // max(count, 1)))

    def _set_columns(self, columns: list[str]) -> None:
        self._columns = columns
        self._spacing = spacing = self._column_width()
        first = self.TIME_WIDTH + 1 + spacing // 2
        self._centers = {c: first + i * spacing for i, c in enumerate(columns)}

    def _notes_x(self) -> int:
        return self.TIME_WIDTH + 1 + len(self._columns) * self._spacing

    def _width(self) -> int:
        return self._notes_x() + self.NOTES_WIDTH + 14

    # -- lines ---------------------------------------------------------------------------

    def line_count(self) -> int:
        return len(self._shown) if self._shown else 1

    def _line_strip(self, index: int, base: Style) -> Strip:
        # Cached by row identity, not index: rows shift up when old ones are dropped.
        if not self._shown:
            return self._strip(self.line_at(index), base)
        row = self._shown[index]
        previous = id(self._shown[index - 1]) if index else 0
        cached = self._row_strips.get(id(row))
        if cached is not None and cached[0] == previous:
            return cached[1]
        strip = self._strip(self.line_at(index), base)
        self._row_strips[id(row)] = (previous, strip)
        return strip

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._row_strips.clear()

    def line_at(self, index: int) -> Line:
        if not self._shown:
            if not self._observed:
                return (("messages are not observed over TCP: the nodes record no per-message events "
                         "(attach shows the ring, the nodes, versions, gossip and the log)", "note"),)
            return (("no messages yet: put or get a key (put KEY VALUE) and watch them flow"
                     if not self._rows else "only gossip/anti-entropy so far (o shows them)", "note"),)
        row = self._shown[index]
        previous = self._shown[index - 1].time if index else None
        return self._format(row, previous)

    def _header_line(self) -> Line:
        canvas = Canvas()
        canvas.text(0, 0, "time".rjust(self.TIME_WIDTH), "time")
        chosen = self._chosen
        ends = {column_of(chosen.src), column_of(chosen.dst)} if chosen is not None else set()
        for col, x in self._centers.items():
            name = col[: self._spacing - 2]
            canvas.text(x - len(name) // 2, 0, name, "key" if col in ends else "head")
        if chosen is not None:
            # The message the Network panel points at is not on the diagram yet (it is
            # drawn when it arrives): its two columns are lit and it is named here.
            state = "held" if chosen.held else f"due {fmt_time(chosen.due, 4).strip()}"
            canvas.text(self._notes_x(), 0, f"{chosen.id} {column_of(chosen.src)}->{column_of(chosen.dst)} "
                                            f"{abbreviate(chosen.kind)} {state}", "key")
            return canvas.line()
        status = "following newest" if self.follow else "paused: End follows again"
        if not self.show_background:
            status += ", gossip/AE hidden (o)"
        canvas.text(self._notes_x(), 0, status, "note")
        return canvas.line()

    def _format(self, row: Arrow | Mark, previous: int | None) -> Line:
        canvas = Canvas()
        label = fmt_time(row.time, 4)
        if previous is None or fmt_time(previous, 4) != label:
            canvas.text(0, 0, label.rjust(self.TIME_WIDTH), "time")
        for x in self._centers.values():
            canvas.text(x, 0, "│", "life")
        notes = self._notes_x()
        if isinstance(row, Mark):
            role = "recover" if row.up else "fault"
            if row.node and row.node in self._centers:
                canvas.text(self._centers[row.node], 0, "●" if row.up else "✕", role)
                canvas.text(notes, 0, f"{row.node} {row.text}", role)
            else:
                canvas.text(notes, 0, row.text, role)
            return canvas.line()
        src, dst = self._centers.get(column_of(row.src)), self._centers.get(column_of(row.dst))
        if src is None or dst is None:
            return canvas.line()
        role = "arrow"
        if CLIENTS in (column_of(row.src), column_of(row.dst)):
            role = "client"
        if self._selected is not None and row.key == self._selected:
            role = "key"
        if row.dropped:
            role = "drop"
        name = abbreviate(row.message)
        client = row.src if row.src.startswith("client:") else row.dst if row.dst.startswith("client:") else ""
        if client and client != "client:client":
            name += " " + printable(client.removeprefix("client:"), 6)
        if src == dst:
            canvas.text(src, 0, "○", role)
            canvas.text(src + 2, 0, name, role)
        else:
            step = 1 if dst > src else -1
            for x in range(src + step, dst, step):
                canvas.text(x, 0, "─", role)
            canvas.text(src, 0, "├" if step > 0 else "┤", role)
            canvas.text(dst, 0, "✕" if row.dropped else ("→" if step > 0 else "←"), role)
            span = abs(dst - src) - 1
            if len(name) < span:
                lo = min(src, dst) + 1 + (span - len(name)) // 2
                canvas.text(lo, 0, name, role)
        if row.dropped:
            canvas.text(notes, 0, f"✕ {row.message} {row.src}→{row.dst} {row.dropped}", "drop")
        elif row.key is not None and role == "key":
            canvas.text(notes, 0, f"{row.message} {printable(row.key, 16)}", "note")
        return canvas.line()

