"""Secondary indexes: the sorted views Query and Scan read, and their write costs.

*Local* indexes share the table's partitions: a partition's LSI view (items that
carry the index sort key, ordered by it, ties broken by the table sort key) is built
from the partition's items as a range read returns them from the ring, so LSI reads
have the table's consistency, and LSI entries count toward the item-collection size
the table layer accounts per partition (spec §4).

*Global* indexes are materialised views the table layer keeps, one sorted list per
index partition key, ordered by (index sort key, table partition key, table sort key)
so pagination over equal index keys is exact (moto#7834, dynalite#43). They are
maintained from the table's change log on virtual-time timers
(``cluster.scheduler.after(delay, ...)``): a GSI read right after a write can miss it
for ``delay`` of virtual time, the "fraction of a second" of the real service. They are
held by the table layer in memory, not replicated on the ring (see the README).
"""

from __future__ import annotations

import bisect
from typing import Any

from dynviz.core.hashing import token_of
from dynviz.table.capacity import Bucket, write_units
from dynviz.table.schema import IndexDef
from dynviz.table.values import Item, item_size, items_equal, key_native

INDEX_ENTRY_OVERHEAD = 100
"""Bytes an index entry counts beyond its attributes (spec §4, GSI storage)."""


def key_bytes(av: dict[str, Any]) -> bytes:
    """A key attribute's bytes inside a Dynamo key (the type is fixed per attribute)."""
    (t, v), = av.items()
    if t == "B":
        return v
    return v.encode("utf-8")


def entry_size(ix: IndexDef, item: Item) -> int:
    return item_size(ix.project(item)) + INDEX_ENTRY_OVERHEAD


def index_write_units(ix: IndexDef, old: Item | None, new: Item | None) -> float:
    """Writes an index takes for one table write (spec §4): 0 when the item is in the
    index neither before nor after, 1 when it enters, leaves, or only projected
    attributes change, 2 when an index key changes (delete + put)."""
    before = old is not None and ix.has_keys(old)
    after = new is not None and ix.has_keys(new)
    if not before and not after:
        return 0.0
    if before and not after:
        return write_units(entry_size(ix, old))  # type: ignore[arg-type]
    if after and not before:
        return write_units(entry_size(ix, new))  # type: ignore[arg-type]
    assert old is not None and new is not None
    keys_same = all(items_equal({k: old[k]}, {k: new[k]}) for k in (ix.pk.name, *((ix.sk.name,) if ix.sk else ())))
    if not keys_same:
        return write_units(entry_size(ix, old)) + write_units(entry_size(ix, new))
    if items_equal(ix.project(old), ix.project(new)):
        return 0.0
    return write_units(max(entry_size(ix, old), entry_size(ix, new)))


class LocalView:
    """One collection's entries for one LSI, sorted."""

    __slots__ = ("tuples", "firsts", "items")

    def __init__(self, ix: IndexDef, items: list[Item]) -> None:
        rows = sorted(((ix.sort_tuple(it), it) for it in items if ix.has_keys(it)), key=lambda r: r[0])
        self.tuples = [r[0] for r in rows]
        self.firsts = [r[0][0] for r in rows]
        self.items = [r[1] for r in rows]


class GlobalIndex:
    """A GSI's entries, its capacity, and its queue of pending updates."""

    def __init__(self, table: str, ix: IndexDef, now: int, provisioned: bool) -> None:
        self.table = table
        self.ix = ix
        self.tuples: dict[Any, list[tuple[Any, ...]]] = {}
        self.items: dict[Any, list[Item]] = {}
        self.pk_avs: dict[Any, dict[str, Any]] = {}
        self.where: dict[tuple[Any, Any], tuple[Any, tuple[Any, ...], int]] = {}
        self.order: list[tuple[int, Any]] = []  # (token, pk native): scan order
        self.pending = 0
        self.count = 0
        self.size = 0
        self.live = True
        self.read_bucket = Bucket.new(ix.rcu, now) if provisioned else None
        self.write_bucket = Bucket.new(ix.wcu, now) if provisioned else None

    def token(self, pk_av: dict[str, Any]) -> int:
        return token_of(self.table.encode() + b"\x00" + self.ix.name.encode() + b"\x00" + key_bytes(pk_av))

    def apply(self, table_key: tuple[Any, Any], item: Item | None) -> None:
        """Make the index reflect ``item`` (None: deleted) for ``table_key``."""
        self.pending -= 1
        if not self.live:
            return
        old = self.where.pop(table_key, None)
        if old is not None:
            gpk, tup, size = old
            tuples, items = self.tuples[gpk], self.items[gpk]
            i = bisect.bisect_left(tuples, tup)
            del tuples[i], items[i]
            self.count -= 1
            self.size -= size
            if not tuples:
                del self.tuples[gpk], self.items[gpk]
                av = self.pk_avs.pop(gpk)
                j = bisect.bisect_left(self.order, (self.token(av), gpk))
                del self.order[j]
        if item is None or not self.ix.has_keys(item):
            return
        ix = self.ix
        pk_av = item[ix.pk.name]
        gpk = key_native(pk_av)
        tup = ix.sort_tuple(item)
        entry = ix.project(item)
        size = item_size(entry) + INDEX_ENTRY_OVERHEAD
        tuples = self.tuples.get(gpk)
        if tuples is None:
            tuples = self.tuples[gpk] = []
            self.items[gpk] = []
            self.pk_avs[gpk] = pk_av
            bisect.insort(self.order, (self.token(pk_av), gpk))
        i = bisect.bisect_left(tuples, tup)
        tuples.insert(i, tup)
        self.items[gpk].insert(i, entry)
        self.where[table_key] = (gpk, tup, size)
        self.count += 1
        self.size += size
