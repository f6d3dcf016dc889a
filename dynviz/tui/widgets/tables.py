"""What the Tables screen draws, as text from the real table engine (issue 7, item 8).

Each function takes the executor's :class:`~dynviz.table.console.TableDesk` and a
table name and returns Rich text; the screen puts it in a :class:`TextPane`, which
also keeps the plain text (tests assert on it). Nothing here changes the cluster:
gauges come from ``TableDesk.snapshot`` (which puts the token buckets back), pages from
the last ``table scan``/``table query`` the executor ran, stream records straight from
the stream's shards.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from dynviz.core.units import SECOND
from dynviz.table.capacity import BURST_SECONDS
from dynviz.table.console import Page, TableDesk, show_record, show_value
from dynviz.table.views import CapacityGauge
from dynviz.wording import plural

BAR = 16


class TextPane(Static):
    """A Static that remembers the plain text of what it shows."""

    plain = ""

    def show(self, renderable: Any, plain: str) -> None:
        if plain != self.plain:
            self.plain = plain
            self.update(renderable)


def _bar(value: float, maximum: float, width: int = BAR) -> str:
    filled = 0 if maximum <= 0 else round(width * max(0.0, min(1.0, value / maximum)))
    return "█" * filled + "·" * (width - filled)


def _lines(text: Text) -> tuple[Text, str]:
    return text, text.plain


def table_list(desk: TableDesk, selected: str | None) -> list[tuple[str, str, str, str, str, str]]:
    """Rows of the table list: name, keys, billing, items, partitions, extras."""
    rows = []
    for name in desk.names():
        s = desk.snapshot(name)
        extras = []
        if s.indexes:
            extras.append(f"{len(s.indexes)} idx")
        if s.stream_arn:
            extras.append("stream")
        if name in desk.accelerated:
            extras.append("accel")
        if s.resolver != "LWW":
            extras.append(s.resolver.lower())
        billing = "prov" if s.billing_mode == "PROVISIONED" else "on-demand"
        rows.append((name, ",".join(s.key_schema), billing, str(s.item_count), str(s.partitions), " ".join(extras)))
    return rows


def _gauge_lines(out: Text, what: str, g: CapacityGauge) -> None:
    if g.mode != "PROVISIONED":
        out.append(f"{what}: on-demand, never throttles; consumed {g.consumed_read:g} RCU, "
                   f"{g.consumed_write:g} WCU\n", style="grey70")
        return
    for label, rate, avail, most, used, throttled in (
            ("read ", g.read_rate, g.read_available, g.read_burst_max, g.consumed_read, g.throttled_reads),
            ("write", g.write_rate, g.write_available, g.write_burst_max, g.consumed_write, g.throttled_writes)):
        unit = "RCU" if label.startswith("read") else "WCU"
        colour = "red" if avail < rate else "yellow" if avail < most * 0.1 else "green"
        out.append(f"{what} {label} ")
        out.append(_bar(avail, most), style=colour)
        out.append(f" {avail:.1f}/{most:g} {unit} ({rate:g}/s)\n")
        out.append(f"       consumed {used:g} {unit}", style="grey70")
        out.append(f"  throttled {throttled}\n", style="bold red" if throttled else "grey70")


def capacity_text(desk: TableDesk, table: str) -> tuple[Text, str]:
    """Capacity gauges (table and each GSI), the accelerator's hit rates and the table's
    throttle events."""
    s = desk.snapshot(table)
    out = Text()
    out.append(f"{table}", style="bold")
    banked = (f"; the gauges show tokens banked of the {BURST_SECONDS}s burst"
              if s.capacity.mode == "PROVISIONED" else "")
    out.append(f"  {plural(s.item_count, 'item')}, {plural(s.size_bytes, 'byte')}, {plural(s.partitions, 'partition')}, "
               f"resolver {s.resolver}{banked}\n", style="grey70")
    _gauge_lines(out, "table", s.capacity)
    for ix in s.indexes:
        if ix.capacity is not None:
            _gauge_lines(out, f"gsi {ix.name}", ix.capacity)
        lag = f", {ix.pending_updates} pending" if ix.pending_updates else ""
        out.append(f"{ix.kind} index {ix.name}: {plural(ix.item_count, 'entry', 'entries')}{lag}\n", style="grey70")
    if table in desk.accelerated and s.cache is not None:
        for label, st in (("item cache ", s.cache.items), ("query cache", s.cache.queries)):
            out.append(f"accelerator {label} ")
            out.append(_bar(st.hit_rate, 1.0, 12), style="cyan")
            out.append(f" {st.hit_rate:.0%} ({st.hits} hit, {st.misses} miss)\n")
    else:
        out.append("accelerator: off (table create ... accelerator=on)\n", style="grey50")
    events = [e for e in desk.throttles if e.table == table]
    out.append(f"throttle events: {len(events)}\n", style="bold red" if events else "grey70")
    for e in events[-4:]:
        out.append(f"  {e.time / SECOND:8.3f}s {e.op} throttled\n", style="red")
    return _lines(out)


def page_text(desk: TableDesk, table: str, page: Page | None, number: int | None = None) -> tuple[Any, str]:
    """A scan or query page: the items as a table, Count/ScannedCount, capacity and the
    key to go on from."""
    if page is None:
        hint = "n: first page (table scan)" if number is not None else "type a key condition above, enter runs it"
        text = Text(f"no page yet; {hint}", style="grey50")
        return text, text.plain
    keys = desk.key_names(table)
    names: list[str] = list(keys)
    for it in page.items:
        for n in sorted(it):
            if n not in names:
                names.append(n)
    head = Text()
    if number is not None:
        head.append(f"page {number}  ", style="bold")
    head.append(f"Count {page.count}  ScannedCount {page.scanned}  ")
    head.append("accelerator cache hit" if page.cached else
                f"consumed {page.consumed:g} RCU" if page.consumed is not None else "")
    head.append(f"   at {page.time / SECOND:.3f}s\n", style="grey50")
    head.append(f"> {page.command}\n", style="grey70")
    if page.last_key:
        shown = ", ".join(f"{k}: {show_value(v)}" for k, v in page.last_key.items())
        head.append(f"LastEvaluatedKey {{{shown}}}  (n: next page)\n", style="yellow")
    else:
        head.append("no LastEvaluatedKey: this is the last page\n", style="grey50")
    grid = Table(box=None, pad_edge=False, expand=False, header_style="bold")
    for n in names:
        grid.add_column(n, style="cyan" if n in keys else None, no_wrap=True, max_width=24)
    for it in page.items:
        grid.add_row(*(show_value(it[n]) if n in it else "" for n in names))
    plain = head.plain + "  ".join(names) + "\n" + "\n".join(
        "  ".join(show_value(it[n]) if n in it else "" for n in names) for it in page.items)
    from rich.console import Group

    return Group(head, grid), plain


def stream_text(desk: TableDesk, table: str) -> tuple[Text, str]:
    out = Text()
    if not desk.has_stream(table):
        out.append("no stream on this table (table create ... stream=NEW_AND_OLD_IMAGES)", style="grey50")
        return _lines(out)
    s = desk.snapshot(table)
    out.append(f"stream {s.stream_view_type}: {plural(s.stream_records, 'record')}, latest #{s.latest_sequence}\n",
               style="bold")
    read = desk.stream_reads.get(table)
    if read is not None:
        out.append(f"last 'table stream {table}' read {plural(len(read), 'record')} (s: read on)\n", style="grey70")
    else:
        out.append(f"s: read with GetRecords (table stream {table})\n", style="grey50")
    for r in desk.stream_tail(table, 30):
        event = r["eventName"]
        style = {"INSERT": "green", "MODIFY": "yellow", "REMOVE": "red"}.get(event)
        out.append(show_record(r, desk.key_names(table)) + "\n", style=style)
    return _lines(out)


def placement_text(desk: TableDesk, table: str) -> tuple[Text, str]:
    """Where the table's item collections live: per node and per partition key."""
    places = desk.placement(table)
    out = Text()
    out.append(f"{plural(len(places), 'partition')}, marked ▲ on the ring: each item is its own object, placed by its "
               "partition key's MD5\n", style="bold")
    primaries = Counter(p.preference_list[0] for p in places if p.preference_list)
    replicas = Counter(n for p in places for n in p.preference_list)
    for node in sorted(replicas):
        out.append(f"  {node}: {plural(replicas[node], 'replica')}, {primaries[node]} as first\n")
    for p in sorted(places, key=lambda p: p.token)[:40]:
        out.append(f"  {show_value(p.partition_key):<20} {plural(p.items, 'item'):>9}  token {p.token[:10]}…  → "
                   f"{', '.join(p.preference_list)}\n", style="grey70")
    if len(places) > 40:
        out.append(f"  ... and {len(places) - 40} more\n", style="grey50")
    return _lines(out)


def partition_tokens(desk: TableDesk, table: str) -> list[int]:
    """The ring tokens of the table's item collections (for the ring overlay)."""
    return [int(p.token, 16) for p in desk.placement(table)]


__all__ = ["TextPane", "capacity_text", "page_text", "partition_tokens", "placement_text",
           "stream_text", "table_list"]
