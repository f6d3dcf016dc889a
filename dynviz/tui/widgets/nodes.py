"""The nodes table: one row per node of the running cluster (``Cluster.node_views``).

Status (up, suspected by a peer, down), keys and hints held, partition group, clock
skew, whom the node suspects, and how many requests it is coordinating. Rows are keyed
by node name and updated cell by cell, so the cursor and scroll survive refreshes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import DataTable

from dynviz.tui.widgets.ring import node_colour

if TYPE_CHECKING:
    from dynviz.cluster import NodeView
    from dynviz.tui.view import Frame

COLUMNS = ("node", "status", "keys", "hints", "group", "skew", "suspects", "active")


class NodesTable(DataTable[Text | str]):
    """Every node's health and load, live."""

    DEFAULT_CSS = """
    NodesTable {
        height: 1fr;
        background: $surface;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._key: tuple[object, ...] | None = None
        self._rows: tuple[str, ...] = ()
        self.rows_text: dict[str, tuple[str, ...]] = {}

    def on_mount(self) -> None:
        for name in COLUMNS:
            self.add_column(name, key=name)

    def refresh_view(self, frame: Frame) -> None:
        view = frame.view
        key = (id(view), frame.tape.version, view.now // 250_000)
        if key == self._key:
            return
        self._key = key
        views = view.node_views()
        suspected: dict[str, int] = {}
        for v in views:
            if v.up:
                for s in v.suspects:
                    suspected[s] = suspected.get(s, 0) + 1
        names = tuple(v.name for v in views)
        colours = {n: node_colour(i) for i, n in enumerate(view.node_names())}
        cells = {v.name: self._cells(v, suspected, colours) for v in views}
        text = {name: tuple(str(c) for c in row) for name, row in cells.items()}
        if names != self._rows:
            self.clear()
            for name in names:
                self.add_row(*cells[name], key=name)
            self._rows = names
        else:
            for name in names:
                if self.rows_text.get(name) == text[name]:
                    continue
                for column, cell in zip(COLUMNS, cells[name], strict=True):
                    self.update_cell(name, column, cell)
        self.rows_text = text

    @staticmethod
    def _cells(v: NodeView, suspected: dict[str, int], colours: dict[str, str]) -> tuple[Text | str, ...]:
        if not v.up:
            status = Text("○ down", style="bold red")
        elif v.name in suspected:
            status = Text(f"● suspected×{suspected[v.name]}", style="bold yellow")
        else:
            status = Text("● up", style="green")
        group = "-" if v.group is None else chr(ord("A") + v.group) if v.group < 26 else str(v.group)
        skew = "0" if not v.skew else f"{v.skew / 1e6:+g}s"
        name = Text(v.name + (f"#{v.epoch}" if v.epoch else ""), style=f"bold {colours.get(v.name, 'white')}")
        return (name, status, str(v.keys), str(v.hints), group, skew,
                ",".join(v.suspects) or "-", str(v.active_requests))
