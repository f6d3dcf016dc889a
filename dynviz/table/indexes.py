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
from dynviz.table.errors import ValidationException
from dynviz.table.keyconditions import SortCondition, byte_bounds, conjuncts, key_term
from dynviz.table.keys import sort_key_bytes, tuple_bytes
from dynviz.table.schema import IndexDef
from dynviz.table.values import Item, item_size, items_equal, type_of

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
    keys_same = all(items_equal({k.name: before[k.name]}, {k.name: after[k.name]})
                    for k in (*ix.hash_keys, *ix.range_keys))
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

    def partition_av(self, item: Item) -> dict[str, Any]:
        """The value an entry's index partition is named by: its partition key's, or,
        for a key of several attributes, their values as one order-preserving tuple
        (a binary value: a group is bytes, whatever the attributes' types)."""
        ix = self.ix
        if not ix.pk_more:
            return item[ix.pk.name]
        return {"B": tuple_bytes([sort_key_bytes(item[k.name]) for k in ix.hash_keys])}

    def suffix(self, item: Item) -> bytes:
        """Where an entry sorts within its index partition (``IndexDef.sort_tuple`` as bytes)."""
        ix = self.ix
        names = [k.name for k in ix.range_keys]
        names.append(ix.table_pk.name)
        if ix.table_sk is not None:
            names.append(ix.table_sk.name)
        return tuple_bytes([sort_key_bytes(item[n]) for n in names])

    def key_of(self, item: Item) -> bytes:
        """The Dynamo key of ``item``'s entry (the item must carry the index keys)."""
        return grouped_key(self.group(self.partition_av(item)), self.suffix(item))

    def account(self, old: Item | None, new: Item | None) -> None:
        """Count ``old``'s entry out and ``new``'s in (DescribeTable, the Scan directory)."""
        ix = self.ix
        for item, sign in ((old, -1), (new, 1)):
            if item is None or not ix.has_keys(item):
                continue
            self.count += sign
            self.size += sign * entry_size(ix, item)
            pk_av = self.partition_av(item)
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


def composite_condition(node: Any, ix: IndexDef) -> tuple[Item, list[dict[str, Any]], SortCondition | None]:
    """A Query's key condition on a GSI whose key has several attributes (DynamoDB's
    multi-attribute keys): every partition key attribute compared with ``=``; sort key
    attributes from the first, left to right with none skipped, each with ``=`` but the
    last, which may take any sort key condition. Returns the partition key values (by
    name), the values the leading sort key attributes equal, and the last condition."""
    hashes: dict[str, dict[str, Any]] = {}
    ranges: dict[str, Any] = {}
    order = {k.name: i for i, k in enumerate(ix.range_keys)}
    types = {k.name: k.type for k in (*ix.hash_keys, *ix.range_keys)}
    for c in conjuncts(node):
        path, cond = key_term(c)
        if len(path.parts) != 1:
            raise _invalid("Key condition expressions cannot use nested attributes; use a top-level key attribute")
        name = path.parts[0]
        if name not in types:
            raise _invalid("Query key condition not supported")
        if name in hashes or name in ranges:
            raise _invalid("KeyConditionExpressions must only contain one condition per key")
        if cond[0] == "begins_with" and types[name] == "N":
            raise _invalid("Invalid KeyConditionExpression: Incorrect operand type for operator or function; "
                           "operator or function: begins_with, operand type: N")
        for v in cond[1:]:
            if type_of(v) != types[name]:
                raise _invalid("One or more parameter values were invalid: Condition parameter type does not match "
                               "schema type")
        if name in order:
            ranges[name] = cond
        elif cond[0] != "=":
            raise _invalid("Query key condition not supported")
        else:
            hashes[name] = cond[1]
    for k in ix.hash_keys:
        if k.name not in hashes:
            raise _invalid(f"Query condition missed key schema element: {k.name}")
    given = sorted(ranges, key=order.__getitem__)
    if [order[n] for n in given] != list(range(len(given))):
        raise _invalid("Query key condition not supported: the sort key attributes of a multi-attribute key are "
                       "compared from the first, none skipped")
    equal: list[dict[str, Any]] = []
    for n in given[:-1]:
        if ranges[n][0] != "=":
            raise _invalid("Query key condition not supported: only the last sort key attribute compared may use "
                           "another operator than =")
        equal.append(ranges[n][1])
    last = ranges[given[-1]] if given else None
    return hashes, equal, last


def composite_bounds(equal: list[dict[str, Any]], last: SortCondition | None) -> tuple[bytes, bytes | None]:
    """The range ``[start, end)`` of entry suffixes (``GlobalIndex.suffix``) a composite
    key condition selects: the tuple prefix of the equal values, then ``last`` on the
    next element (keyconditions.byte_bounds on tuples)."""
    prefix = tuple_bytes([sort_key_bytes(v) for v in equal]) if equal else b""
    end_of_prefix = prefix[:-1] + b"\x01" if prefix else None
    if last is None:
        return prefix, end_of_prefix
    lo, hi = byte_bounds(last, tuples=True)
    return prefix + lo, (prefix + hi) if hi is not None else end_of_prefix


def _invalid(message: str) -> ValidationException:
    return ValidationException(message)
