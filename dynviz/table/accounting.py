"""Capacity accounting of one request: what it costs, whether the buckets allow it,
charging them, and the ConsumedCapacity it reports (spec §7).

The units and the token buckets are in capacity.py; this module applies them to a
table and its indexes. A throttled request changes nothing and is counted in the
table's stats and on the bucket that refused it.
"""

from __future__ import annotations

from typing import Any

from dynviz.table.capacity import Bucket, write_units
from dynviz.table.errors import ProvisionedThroughputExceededException, ValidationException
from dynviz.table.indexes import index_write_units
from dynviz.table.state import Table
from dynviz.table.values import Item, item_size

TABLE_THROTTLED = ("The level of configured provisioned throughput for the table was exceeded. "
                   "Consider increasing your provisioning level with the UpdateTable API.")
INDEX_THROTTLED = ("The level of configured provisioned throughput for one or more global secondary indexes of the "
                   "table was exceeded. Consider increasing your provisioning level for the under-provisioned global "
                   "secondary indexes with the UpdateTable API")


def throttled(index: bool = False) -> ProvisionedThroughputExceededException:
    """DynamoDB's error for a request the table's (or a GSI's) buckets refused."""
    return ProvisionedThroughputExceededException(INDEX_THROTTLED if index else TABLE_THROTTLED)


def return_consumed(p: dict[str, Any]) -> str:
    """The request's ReturnConsumedCapacity: NONE, TOTAL or INDEXES."""
    mode = p.get("ReturnConsumedCapacity", "NONE")
    if mode not in ("NONE", "TOTAL", "INDEXES"):
        raise ValidationException(f"1 validation error detected: Value '{mode}' at 'returnConsumedCapacity' failed to "
                                  "satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]")
    return str(mode)


def consumed(t: Table, mode: str, table_units: float, lsi: dict[str, float],
             gsi: dict[str, float]) -> dict[str, Any] | None:
    """The ConsumedCapacity of one request on one table (None when not asked for)."""
    if mode == "NONE":
        return None
    total = table_units + sum(lsi.values()) + sum(gsi.values())
    out: dict[str, Any] = {"TableName": t.name, "CapacityUnits": total}
    if mode == "INDEXES":
        out["Table"] = {"CapacityUnits": table_units}
        if lsi:
            out["LocalSecondaryIndexes"] = {k: {"CapacityUnits": v} for k, v in lsi.items()}
        if gsi:
            out["GlobalSecondaryIndexes"] = {k: {"CapacityUnits": v} for k, v in gsi.items()}
    return out


def write_costs(t: Table, old: Item | None, new: Item | None) -> tuple[float, dict[str, float], dict[str, float]]:
    """(table units, units per LSI, units per GSI) of a write from ``old`` to ``new``;
    indexes the write does not touch are left out."""
    size = max(item_size(old) if old else 0, item_size(new) if new else 0)
    base = write_units(size)
    lsi = {n: index_write_units(ix, old, new) for n, ix in t.lsis.items()}
    gsi = {n: index_write_units(g.ix, old, new) for n, g in t.gsis.items()}
    return base, {k: v for k, v in lsi.items() if v}, {k: v for k, v in gsi.items() if v}


def check_write(t: Table, table_units: float, gsi_units: dict[str, float], now: int) -> None:
    """Throttle a write the table's or a GSI's write bucket cannot pay for now."""
    if t.write_bucket is not None and not t.write_bucket.allows(table_units, now):
        t.stats.throttled_writes += 1
        t.write_bucket.throttled += 1
        raise throttled()
    for name, units in gsi_units.items():
        b = t.gsis[name].write_bucket
        if b is not None and units and not b.allows(units, now):
            t.stats.throttled_writes += 1
            b.throttled += 1
            raise throttled(index=True)


def spend_write(t: Table, table_units: float, gsi_units: dict[str, float], now: int) -> None:
    """Charge a write that went through to the table's and the GSIs' write buckets."""
    if t.write_bucket is not None:
        t.write_bucket.spend(table_units, now)
    t.stats.consumed_write += table_units
    for name, units in gsi_units.items():
        b = t.gsis[name].write_bucket
        if b is not None and units:
            b.spend(units, now)


def charge_read(t: Table, units: float, bucket: Bucket | None, now: int, index: str | None = None) -> None:
    """Charge a read to ``bucket`` (the table's, or the GSI ``index``'s), throttling
    it when the bucket cannot pay for it now."""
    if bucket is not None and not bucket.allows(units, now):
        t.stats.throttled_reads += 1
        bucket.throttled += 1
        raise throttled(index=index is not None)
    if bucket is not None:
        bucket.spend(units, now)
    t.stats.consumed_read += units
    t.stats.reads += 1
