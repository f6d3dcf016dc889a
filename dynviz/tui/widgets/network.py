"""The Network panel (issue 16): what can happen next, as a list the learner picks from,
like Stateright's "next action choices" and DSLabs' message queues.

One row per pending message (``m42 n1->n3 RPut cart  held``) and per pending timer
(``n1.t7 n1 gossip tick  in 120ms``), read from the cluster view's ``choices()``. With a
row under the cursor, a key makes the choice: enter or ``d`` delivers a message (or
fires a timer), ``x`` drops it, ``u`` duplicates it, ``y`` delays it 300 ms. Each is a
command the app runs (posted as :class:`NetworkPanel.Chosen`), so it is recorded and
replayed like a typed one. ``o`` cycles the filter: everything, the selected node's, the
selected key's, those of the kind under the cursor (say every ``ReplicaPutAck``), the
selected key's, messages only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable

from dynviz.sim.choices import PendingTimer
from dynviz.tui.widgets.spacetime import abbreviate

if TYPE_CHECKING:
    from dynviz.sim.choices import Choices, PendingMessage
    from dynviz.tui.view import Frame

COLUMNS = ("id", "route", "what", "when", "key")
"""Narrow first: at 80x24 id, route, kind and when fit; a timer's purpose sits under key."""
MAX_ROWS = 200
"""Rows shown at most: played on under a hold, the app's workload can queue thousands of
messages, and a table rebuilt with all of them each frame would stall the app."""
FILTERS = ("all", "node", "key", "kind", "messages")
"""What ``o`` cycles through: every choice, the selected node's, the selected key's,
messages without timers."""


def _after(micros: int) -> str:
    """How soon, short: ``+3ms``, ``+1.2s``."""
    micros = max(0, micros)
    return f"+{micros / 1e3:.0f}ms" if micros < 1_000_000 else f"+{micros / 1e6:.1f}s"


class NetworkPanel(DataTable[Text | str]):
    """Pending messages and timers, each one a choice."""

    DEFAULT_CSS = """
    NetworkPanel {
        height: 1fr;
        background: $surface;
    }
    """

    BINDINGS = [
        Binding("enter,d", "choose('deliver')", "Deliver", tooltip="Deliver the message now (or fire the timer)"),
        Binding("x", "choose('drop')", "Drop", tooltip="Lose the message"),
        Binding("u", "choose('duplicate')", "Duplicate", tooltip="Put a copy of the message beside it"),
        Binding("y", "choose('delay')", "Delay", tooltip="Deliver the message 300 ms from now"),
        Binding("o", "cycle_filter", "Filter",
                tooltip="All / the selected node's / key's / the kind under the cursor / messages only"),
    ]

    class Chosen(Message):
        """The learner chose: run ``command`` (``deliver m42``, ``fire n1.t7``...)."""

        def __init__(self, command: str) -> None:
            super().__init__()
            self.command = command

    class Pointed(Message):
        """The cursor is on ``choice`` (a message or timer id, or None): the ring draws it."""

        def __init__(self, choice: str | None) -> None:
            super().__init__()
            self.choice = choice

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.filter = "all"
        self.kind = ""  # the kind the "kind" filter keeps (a message type or a timer's purpose)
        self._kinds: dict[str, str] = {}  # row id -> its kind
        self._key: tuple[object, ...] | None = None
        self._rows: tuple[str, ...] = ()
        self._timer_ids: frozenset[str] = frozenset()
        self.summary = ""
        self.rows_text: dict[str, tuple[str, ...]] = {}

    def on_mount(self) -> None:
        for name in COLUMNS:
            self.add_column(name, key=name)

    def refresh_view(self, frame: Frame) -> None:
        view = frame.view
        choices = view.choices()
        key = (id(view), frame.tape.version, view.now, self.filter, self.kind, frame.node, frame.key,
               len(choices.messages),
               choices.holds)
        if key == self._key:
            return
        self._key = key
        every = self._filtered(choices, frame)
        rows = every[:MAX_ROWS]
        now = view.now
        cells = {row_id: cells for row_id, cells in (self._row(item, now) for item in rows)}
        self._kinds = {item.id: item.purpose if isinstance(item, PendingTimer) else item.kind for item in rows}
        self._timer_ids = frozenset(t.id for t in choices.timers)
        names = tuple(cells)
        if names != self._rows:
            at = self.cursor_row
            self.clear()
            for name in names:
                self.add_row(*cells[name], key=name)
            self._rows = names
            if names:
                self.move_cursor(row=min(at, len(names) - 1))
        else:
            for name in names:
                text = tuple(str(c) for c in cells[name])
                if self.rows_text.get(name) == text:
                    continue
                for column, cell in zip(COLUMNS, cells[name], strict=True):
                    self.update_cell(name, column, cell)
        self.rows_text = {name: tuple(str(c) for c in row) for name, row in cells.items()}
        held = sum(m.held for m in choices.messages)
        holding = ", ".join(choices.holds) or "nothing"
        shown = f" · first {MAX_ROWS} of {len(every)}" if len(every) > MAX_ROWS else ""
        self.summary = (f"holding {holding} · {len(choices.messages)} msgs, {held} held · "
                        f"{len(choices.timers)} timers · o: {self.kind if self.filter == 'kind' else self.filter}"
                        f"{shown}")
        if isinstance(self.parent, Widget):  # the Panel's border, under the rows
            self.parent.border_subtitle = self.summary

    def _filtered(self, choices: Choices, frame: Frame) -> list[PendingMessage | PendingTimer]:
        messages = list(choices.messages)
        timers = list(choices.timers)
        if self.filter == "node" and frame.node is not None:
            node = frame.node
            messages = [m for m in messages if node in (m.src, m.dst)]
            timers = [t for t in timers if t.node == node]
        elif self.filter == "key" and frame.key is not None:
            messages = [m for m in messages if m.key == frame.key]
            timers = []
        elif self.filter == "kind":
            messages = [m for m in messages if m.kind == self.kind]
            timers = [t for t in timers if t.purpose == self.kind]
        elif self.filter == "messages":
            timers = []
        return [*messages, *timers]

    @staticmethod
    def _row(item: PendingMessage | PendingTimer, now: int) -> tuple[str, tuple[Text | str, ...]]:
        from dynviz.sim.choices import PendingMessage

        if isinstance(item, PendingMessage):
            key = "" if item.key is None else item.key.decode("utf-8", "backslashreplace")
            src = item.src.removeprefix("client:")
            dst = item.dst.removeprefix("client:")
            when = Text("held", style="bold yellow") if item.held else _after(item.due - now)
            return item.id, (Text(item.id, style="bold"), f"{src}->{dst}", abbreviate(item.kind), when, key)
        return item.id, (Text(item.id, style="dim"), item.node, "timer", _after(item.due - now),
                         item.purpose)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.post_message(self.Pointed(str(event.row_key.value) if event.row_key.value else None))

    def selected_id(self) -> str | None:
        if not self._rows or not 0 <= self.cursor_row < len(self._rows):
            return None
        return self._rows[self.cursor_row]

    def action_choose(self, verb: str) -> None:
        chosen = self.selected_id()
        if chosen is None:
            self.app.bell()
            return
        if chosen in self._timer_ids:
            if verb != "deliver":
                self.notify(f"{chosen} is a timer: enter fires it now; it cannot be {verb}ed",
                            severity="warning")
                return
            self.post_message(self.Chosen(f"fire {chosen}"))
            return
        self.post_message(self.Chosen(f"{verb} {chosen}" + (" 300ms" if verb == "delay" else "")))

    def action_cycle_filter(self) -> None:
        self.filter = FILTERS[(FILTERS.index(self.filter) + 1) % len(FILTERS)]
        if self.filter == "kind":
            # The kind of the row under the cursor: its message type, or its timer's purpose.
            self.kind = self._kinds.get(self.selected_id() or "", "")
            if not self.kind:
                self.filter = FILTERS[FILTERS.index("kind") + 1]
        self._key = None
