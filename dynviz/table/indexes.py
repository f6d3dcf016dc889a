"""Secondary indexes: the sorted views Query and Scan read, and their write costs.

*Local* indexes share the table's partitions: a partition's LSI view (items that
carry the index sort key, ordered by it, ties broken by the table sort key) is built
from the partition's items as a range read returns them from the ring, so LSI reads
have the table's consistency, and LSI entries count toward the item-collection size
the table layer accounts per partition (spec §4).

*Global* indexes are partitioned like tables, on the same ring: each entry is its own
Dynamo object under the key group ``<table>#<index>@<incarnation>/<index partition key>``,
its suffix the tuple (index sort key, table partition key, table sort key) as
order-preserving bytes (``keys.tuple_bytes``), so pagination over equal index keys is
exact (moto#7834, dynalite#43) and a GSI Query is a range read like a table's. Entries
are written from the table's change log on virtual-time timers
(``cluster.scheduler.after(delay, ...)``) by asynchronous puts: a GSI read right after a
write can miss it for ``delay`` and the puts' round trips, the "fraction of a second"
of the real service. :class:`GlobalIndex` keeps what DescribeTable reports (counts,
sizes) and the directory of index partitions a Scan walks.
"""

from __future__ import annotations

import bisect
from typing import Any

from dynviz.core.hashing import grouped_key, token_of
from dynviz.table.capacity import Bucket, write_units
from dynviz.table.keys import sort_key_bytes, tuple_bytes
from dynviz.table.schema import IndexDef
from dynviz.table.values import Item, item_size, items_equal

INDEX_ENTRY_OVERHEAD = 100
"""Bytes an index entry counts beyond its attributes (spec §4, GSI storage)."""


def key_bytes(av: dict[str, Any]) -> bytes:
    """A key attribute's bytes inside a Dynamo key (the type is fixed per attribute)."""
    (t, v), = av.items()
    if t == "B":
        return bytes(v)
    return str(v).encode("utf-8")


def entry_size(ix: IndexDef, item: Item) -> int:
    return item_size(ix.project(item)) + INDEX_ENTRY_OVERHEAD


def index_write_units(ix: IndexDef, old: Item | None, new: Item | None) -> float:
    """Writes an index takes for one table write (spec §4): 0 when the item is in the
    index neither before nor after, 1 when it enters, leaves, or only projected
    attributes change, 2 when an index key changes (delete + put)."""
    before = old if old is not None and ix.has_keys(old) else None  # the item's entry, if it has one
    after = new if new is not None and ix.has_keys(new) else None
    if before is None:
        return write_units(entry_size(ix, after)) if after is not None else 0.0
    if after is None:
        return write_units(entry_size(ix, before))
    keys_same = all(items_equal({k: before[k]}, {k: after[k]}) for k in (ix.pk.name, *((ix.sk.name,) if ix.sk else ())))
    if not keys_same:
        return write_units(entry_size(ix, before)) + write_units(entry_size(ix, after))
    if items_equal(ix.project(before), ix.project(after)):
        return 0.0
    return write_units(max(entry_size(ix, before), entry_size(ix, after)))


class LocalView:
    """One collection's entries for one LSI, sorted."""

    __slots__ = ("tuples", "firsts", "items")

    def __init__(self, ix: IndexDef, items: list[Item]) -> None:
        rows = sorted(((ix.sort_tuple(it), it) for it in items if ix.has_keys(it)), key=lambda r: r[0])
        self.tuples = [r[0] for r in rows]
        self.firsts = [r[0][0] for r in rows]
        self.items = [r[1] for r in rows]


class GlobalIndex:
    """A GSI's placement, its accounting, its capacity and its count of pending updates."""

    def __init__(self, table: str, ix: IndexDef, now: int, provisioned: bool, incarnation: str = "") -> None:
        self.table = table
        self.ix = ix
        # A recreated table gets new index groups, so a put still in flight for the old
        # one can never show up in the new one's index.
        self.incarnation = incarnation
        self.order: list[tuple[int, bytes]] = []  # (token, group) of partitions with entries: scan order
        self.pk_avs: dict[bytes, dict[str, Any]] = {}  # group -> index partition key
        self.entries: dict[bytes, int] = {}  # group -> entries in it
        self.pending = 0
        self.count = 0
        self.size = 0
        self.live = True
        self.backfilling = False  # added by UpdateTable, its existing items still on their way (backfill.py)
        self.read_bucket = Bucket.new(ix.rcu, now) if provisioned else None
        self.write_bucket = Bucket.new(ix.wcu, now) if provisioned else None

    @property
    def prefix(self) -> bytes:
        """``<table>#<index>@<incarnation>/``: what every group of this index starts with."""
        return f"{self.table}#{self.ix.name}@{self.incarnation}/".encode()

    def group(self, pk_av: dict[str, Any]) -> bytes:
        """``<table>#<index>@<incarnation>/<index partition key>`` (names never hold
        ``# @ /``, so no table's or other index's group can be the same bytes)."""
        return self.prefix + key_bytes(pk_av)

    def token(self, pk_av: dict[str, Any]) -> int:
        return token_of(self.group(pk_av))

    def suffix(self, item: Item) -> bytes:
        """Where an entry sorts within its index partition (``IndexDef.sort_tuple`` as bytes)."""
        ix = self.ix
        names = [ix.sk.name] if ix.sk is not None else []
        names.append(ix.table_pk.name)
        if ix.table_sk is not None:
            names.append(ix.table_sk.name)
        return tuple_bytes([sort_key_bytes(item[n]) for n in names])

    def key_of(self, item: Item) -> bytes:
        """The Dynamo key of ``item``'s entry (the item must carry the index keys)."""
        return grouped_key(self.group(item[self.ix.pk.name]), self.suffix(item))

    def account(self, old: Item | None, new: Item | None) -> None:
        """Count ``old``'s entry out and ``new``'s in (DescribeTable, the Scan directory)."""
        ix = self.ix
        for item, sign in ((old, -1), (new, 1)):
            if item is None or not ix.has_keys(item):
                continue
            self.count += sign
            self.size += sign * entry_size(ix, item)
            pk_av = item[ix.pk.name]
            group = self.group(pk_av)
            n = self.entries.get(group, 0) + sign
            if n > 0:
                if group not in self.entries:
                    bisect.insort(self.order, (token_of(group), group))
                    self.pk_avs[group] = pk_av
                self.entries[group] = n
            elif group in self.entries:
                del self.entries[group]
                del self.pk_avs[group]
                i = bisect.bisect_left(self.order, (token_of(group), group))
                del self.order[i]
