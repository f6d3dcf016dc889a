"""What views read of a table each frame: immutable snapshots, cheap to build.

The Tables screen, the ring's partition marks and ``table describe`` read these, never
the engine's live state: a snapshot of a table's counts, capacity gauges, indexes and
stream position, and the placement of its item collections on the ring.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dynviz.core.hashing import token_hex
from dynviz.table.capacity import Bucket
from dynviz.table.state import Table, TableStats
from dynviz.table.values import copy_item

if TYPE_CHECKING:
    from dynviz.core.ring import Ring


@dataclass(frozen=True, slots=True)
class CapacityGauge:
    """A table's or GSI's capacity right now (rates in units per second)."""

    mode: str
    read_rate: float
    write_rate: float
    read_available: float
    write_available: float
    read_burst_max: float
    write_burst_max: float
    consumed_read: float
    consumed_write: float
    throttled_reads: int
    throttled_writes: int


@dataclass(frozen=True, slots=True)
class IndexSnapshot:
    name: str
    kind: str  # local | global
    key_schema: tuple[str, ...]
    projection: str
    item_count: int
    size_bytes: int
    pending_updates: int
    capacity: CapacityGauge | None


@dataclass(frozen=True, slots=True)
class PartitionPlacement:
    """Where one item collection (a partition key's items) lives on the ring."""

    partition_key: dict[str, Any]
    group: bytes
    token: str
    preference_list: tuple[str, ...]
    items: int = 0
    """Live items, each its own Dynamo object on this preference list."""


@dataclass(frozen=True, slots=True)
class CacheStats:
    """One of the accelerator's caches (accelerator.py): hits, misses and size."""

    hits: int
    misses: int
    expired: int
    evictions: int
    entries: int

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


@dataclass(frozen=True, slots=True)
class AcceleratorStats:
    items: CacheStats
    queries: CacheStats


@dataclass(frozen=True, slots=True)
class TableSnapshot:
    """What a view needs of a table each frame: cheap to build, immutable."""

    name: str
    status: str
    key_schema: tuple[str, ...]
    billing_mode: str
    item_count: int
    size_bytes: int
    partitions: int
    capacity: CapacityGauge
    indexes: tuple[IndexSnapshot, ...]
    stream_arn: str | None
    stream_view_type: str | None
    stream_records: int
    latest_sequence: str | None
    version: int
    cache: AcceleratorStats | None = None
    """The accelerator's cache statistics, when read through an accelerated client."""
    resolver: str = "LWW"


def _gauge(rb: Bucket | None, wb: Bucket | None, stats: TableStats | None, now: int) -> CapacityGauge:
    """The gauge of a pair of buckets (refilled to ``now``), a table's counted by its stats."""
    return CapacityGauge(
        "PROVISIONED" if rb is not None else "PAY_PER_REQUEST",
        rb.rate if rb else 0.0, wb.rate if wb else 0.0,
        rb.refill(now) if rb else 0.0, wb.refill(now) if wb else 0.0,
        rb.capacity if rb else 0.0, wb.capacity if wb else 0.0,
        stats.consumed_read if stats else (rb.consumed if rb else 0.0),
        stats.consumed_write if stats else (wb.consumed if wb else 0.0),
        stats.throttled_reads if stats else (rb.throttled if rb else 0),
        stats.throttled_writes if stats else (wb.throttled if wb else 0),
    )


def table_snapshot(t: Table, now: int) -> TableSnapshot:
    """Counts, capacity gauges, throttle counters, index lag, stream position. Reading
    a gauge refills its bucket to ``now`` (see ``TableDesk.snapshot``)."""
    indexes = []
    for ix in t.schema.lsis:
        c = t.lsi_counts[ix.name]
        indexes.append(IndexSnapshot(ix.name, "local", tuple(k for k in (ix.pk.name, ix.sk.name if ix.sk else None) if k),
                                     ix.projection, c[0], c[1], 0, None))
    for ix in t.schema.gsis:
        g = t.gsis[ix.name]
        indexes.append(IndexSnapshot(ix.name, "global", tuple(k.name for k in (*ix.hash_keys, *ix.range_keys)),
                                     ix.projection, g.count, g.size, g.pending,
                                     _gauge(g.read_bucket, g.write_bucket, None, now)))
    st = t.stream
    records = sum(len(sh.records) for sh in st.shards) if st else 0
    latest = None
    if st:
        for sh in reversed(st.shards):
            if sh.seqs:
                latest = str(sh.seqs[-1])
                break
    return TableSnapshot(
        t.name, "ACTIVE", t.schema.key_names, t.schema.billing_mode, t.item_count, t.size_bytes,
        len(t.partitions), _gauge(t.read_bucket, t.write_bucket, t.stats, now), tuple(indexes),
        st.arn if st else None, st.view_type if st else None, records, latest, t.version,
        resolver=t.schema.resolver)


def placements(t: Table, ring: Ring, n: int) -> list[PartitionPlacement]:
    """Each partition key's item collection: its key group, token, replicas, items."""
    out = []
    for tok, group in t.partitions:
        out.append(PartitionPlacement(copy_item({"k": t.pk_avs[group]})["k"], group, token_hex(tok),
                                      tuple(ring.preference_list(group, n)), t.collections[group][0]))
    return out
