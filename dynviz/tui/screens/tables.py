"""The Tables screen (``T``, the palette, or ``tables`` on the command line).

Top: the cluster's tables (items, partitions, billing) and, for the selected one, its
capacity gauges (tokens banked against the 300 s burst maximum, consumed units,
throttle counts and the latest throttle events), and the accelerator's hit rates. Below,
in tabs: **Items** (browse page by page: each page is a real ``table scan NAME limit=N
[after KEY]`` command, with the LastEvaluatedKey of the page before), **Query** (type
a key condition, see the items, Count, ScannedCount and consumed capacity), **Stream**
(the stream's records as they arrive; ``s`` reads them with GetRecords) and
**Placement** (which nodes hold the table's item collections; the ring view marks
their tokens).

Everything the screen does to the cluster is a command of the language, run through the
app (logged, recorded, replayable); everything it shows comes from the table engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static, TabbedContent, TabPane

from dynviz.commands import CommandError, parse_line
from dynviz.events import WireRequest
from dynviz.tui.tape import EventTape
from dynviz.tui.widgets.tables import (
    TextPane,
    capacity_text,
    page_text,
    placement_text,
    stream_text,
    table_list,
)

PAGE_SIZE = 8
WIRE_LINES = 3
"""Requests over the DynamoDB endpoint shown at the top (``dynviz --dynamodb``)."""


class TablesHost(Protocol):
    """What the screen needs of the app: the tables, the selected table, and a way to
    run a command line (logged, recorded, its outcome shown, like a typed one)."""

    selected_table: str | None
    tape: EventTape

    def table_desk(self) -> Any | None: ...

    def run_line(self, text: str, origin: str = "script") -> str | None: ...


class TablesScreen(Screen[None]):
    DEFAULT_CSS = """
    TablesScreen { layout: vertical; }
    TablesScreen #tables-top { height: auto; max-height: 45%; }
    TablesScreen #tables-list { width: 1fr; height: auto; max-height: 100%; border: round $accent; }
    TablesScreen #tables-gauges { width: 1fr; height: auto; border: round $accent; padding: 0 1; }
    TablesScreen #tables-tabs { height: 1fr; }
    TablesScreen TabPane { padding: 0 1; }
    TablesScreen #query-input { border: none; height: 1; background: $panel; }
    TablesScreen #query-error { color: $text-error; height: auto; }
    TablesScreen #tables-help { height: 1; color: $text-muted; padding: 0 1; }
    TablesScreen #tables-wire { height: auto; max-height: 3; color: $text-accent; padding: 0 1; display: none; }
    """
    BINDINGS = [
        Binding("escape,T", "close", "Close"),
        Binding("n", "next_page", "Next page"),
        Binding("b", "previous_page", "Previous page"),
        Binding("r", "first_page", "First page"),
        Binding("s", "read_stream", "Read stream"),
        Binding("slash", "focus_query", "Query", key_display="/"),
    ]

    def __init__(self, host: TablesHost) -> None:
        super().__init__()
        self.host = host
        self.page_history: list[str] = []  # the scan command of each page browsed, in order
        self._rows: Sequence[tuple[str, ...]] = []

    # -- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("Tables   ↑↓ choose a table · n/b/r next/previous/first page · / query · s read stream · "
                     "esc close", id="tables-help")
        yield Static("", id="tables-wire")
        with Horizontal(id="tables-top"):
            table: DataTable[str] = DataTable(id="tables-list", cursor_type="row", zebra_stripes=True)
            table.border_title = "tables"
            yield table
            gauges = TextPane("", id="tables-gauges")
            gauges.border_title = "capacity · cache · throttles"
            yield gauges
        with TabbedContent(id="tables-tabs"):
            with TabPane("Items", id="tab-items"), VerticalScroll():
                yield TextPane("", id="items-view")
            with TabPane("Query", id="tab-query"), Vertical():
                yield Input(placeholder="key condition, e.g.  customer=ada ts>=3 limit=5 desc   (enter runs it)",
                            id="query-input")
                yield Static("", id="query-error")
                with VerticalScroll():
                    yield TextPane("", id="query-view")
            with TabPane("Stream", id="tab-stream"), VerticalScroll():
                yield TextPane("", id="stream-view")
            with TabPane("Placement", id="tab-placement"), VerticalScroll():
                yield TextPane("", id="placement-view")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#tables-list", DataTable).add_columns("table", "keys", "billing", "items", "parts", "")
        self.refresh_view()
        self.set_interval(0.25, self.refresh_view)

    # -- state -------------------------------------------------------------------------

    @property
    def desk(self) -> Any | None:
        """The cluster's TableDesk, read fresh (a cluster command replaces it); None
        before the first table command."""
        return self.host.table_desk()

    @property
    def table(self) -> str | None:
        desk = self.desk
        name = self.host.selected_table
        return name if desk is not None and desk.has(name) else None

    def select(self, name: str | None) -> None:
        self.host.selected_table = name
        self.refresh_view()

    def wire_lines(self) -> list[str]:
        """The latest requests the DynamoDB endpoint answered (``dynviz --dynamodb``),
        the newest last."""
        found: list[str] = []
        if not self.host.tape.counts.get("wire"):
            return found
        for event in reversed(self.host.tape.log):
            if isinstance(event, WireRequest):
                found.append(f"{event.time / 1e6:.3f}s  {event.describe()}")
                if len(found) == WIRE_LINES:
                    break
        return found[::-1]

    def refresh_view(self) -> None:
        lines = self.wire_lines()
        wire = self.query_one("#tables-wire", Static)
        wire.display = bool(lines)
        if lines:
            wire.update("\n".join(lines))
        desk = self.desk
        names = desk.names() if desk is not None else []
        if self.table is None and names:
            self.host.selected_table = names[0]
        table = self.table
        rows = table_list(desk, table) if desk is not None else []
        lst = self.query_one("#tables-list", DataTable)
        if rows != self._rows:
            self._rows = rows
            lst.clear()
            for row in rows:
                lst.add_row(*row, key=row[0])
        if table is not None and rows:
            index = next((i for i, r in enumerate(rows) if r[0] == table), 0)
            if lst.cursor_row != index:
                lst.move_cursor(row=index)
        gauges = self.query_one("#tables-gauges", TextPane)
        items = self.query_one("#items-view", TextPane)
        query = self.query_one("#query-view", TextPane)
        stream = self.query_one("#stream-view", TextPane)
        place = self.query_one("#placement-view", TextPane)
        if table is None or desk is None:
            empty = "no tables yet: table create NAME pk=ATTR ... on the command line"
            for pane in (gauges, items, query, stream, place):
                pane.show(empty, empty)
            return
        gauges.show(*capacity_text(desk, table))
        pages = [c for c in self.page_history if f" {table} " in f"{c} "]
        items.show(*page_text(desk, table, desk.pages.get((table, "scan")), max(1, len(pages))))
        query.show(*page_text(desk, table, desk.pages.get((table, "query"))))
        stream.show(*stream_text(desk, table))
        place.show(*placement_text(desk, table))

    def on_data_table_row_highlighted(self, message: DataTable.RowHighlighted) -> None:
        if message.data_table.id == "tables-list" and message.row_key.value is not None:
            name = str(message.row_key.value)
            if name != self.table:
                self.page_history.clear()
                self.select(name)

    # -- commands (each one a line of the language, run by the app) -------------------

    def _run(self, text: str, origin: str = "key") -> str | None:
        problem = self.host.run_line(text, origin)
        self.refresh_view()
        return problem

    def action_first_page(self) -> None:
        table = self.table
        if table is None:
            return
        self.page_history = [f"table scan {table} limit={PAGE_SIZE}"]
        self._show_tab("tab-items")
        self._run(self.page_history[-1])

    def action_next_page(self) -> None:
        table = self.table
        if table is None:
            return
        desk = self.desk
        page = desk.pages.get((table, "scan")) if desk is not None else None
        if not self.page_history or page is None:
            self.action_first_page()
            return
        if page.next_command is None:
            self.notify("that was the last page (no LastEvaluatedKey)", timeout=3)
            return
        self.page_history.append(page.next_command)
        self._show_tab("tab-items")
        self._run(page.next_command)

    def action_previous_page(self) -> None:
        if len(self.page_history) < 2:
            self.action_first_page()
            return
        self.page_history.pop()
        self._show_tab("tab-items")
        self._run(self.page_history[-1])

    def action_read_stream(self) -> None:
        table = self.table
        if table is not None:
            self._show_tab("tab-stream")
            self._run(f"table stream {table}")

    def action_focus_query(self) -> None:
        self._show_tab("tab-query")
        self.query_one("#query-input", Input).focus()

    def action_close(self) -> None:
        self.app.pop_screen()

    def _show_tab(self, tab: str) -> None:
        self.query_one("#tables-tabs", TabbedContent).active = tab

    def run_query(self, condition: str, origin: str = "typed") -> str | None:
        """Run ``table query TABLE condition``; returns the parse error, if any."""
        table = self.table
        error = self.query_one("#query-error", Static)
        if table is None:
            return "no table selected"
        text = f"table query {table} {condition.strip()}"
        try:
            parse_line(text)
        except CommandError as exc:
            column = exc.column - len(f"table query {table} ")
            error.update(" " * max(0, column - 1) + "^ " + exc.message)
            return exc.message
        error.update("")
        self._run(text, origin)
        return None

    def on_input_submitted(self, message: Input.Submitted) -> None:
        if message.input.id == "query-input" and message.value.strip():
            message.stop()
            if self.run_query(message.value) is None:
                message.input.value = ""  # ran: the next condition starts on a clean line

    def on_key(self, event: events.Key) -> None:
        # letters typed into the query line are text, not the screen's bindings
        if isinstance(self.focused, Input) and event.key == "escape":
            self.set_focus(None)
            event.stop()
