"""Query and Scan: the run of items a request selects, read a page at a time.

A Query reads one partition's run of keys, bounded by its sort-key condition
(keyconditions.py): for the table and a GSI a range read of that run on the ring, for
an LSI a sorted view built from the partition's items. A Scan walks the table's (or
the GSI's) partitions in token order, a parallel Scan's segment being a token range.
Both then share one pipeline (spec §2, :meth:`Queries.page`): read up to Limit items
or 1 MB, then filter, then project; LastEvaluatedKey is the last item *evaluated*,
and an ExclusiveStartKey resumes just after it.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dynviz.core.hashing import token_of
from dynviz.table.accounting import charge_read, consumed, return_consumed
from dynviz.table.capacity import read_units
from dynviz.table.collection import Entry
from dynviz.table.errors import ValidationException
from dynviz.table.expressions import (
    Path,
    Placeholders,
    condition_paths,
    evaluate,
    parse_condition,
    parse_projection,
    project,
)
from dynviz.table.indexes import INDEX_ENTRY_OVERHEAD, composite_bounds, composite_condition
from dynviz.table.keyconditions import SortCondition, bounds, byte_bounds, in_bounds, key_condition
from dynviz.table.legacy import translate_query, translate_scan
from dynviz.table.params import consistent_read, invalid_type, limit
from dynviz.table.schema import IndexDef
from dynviz.table.state import Catalog, Table
from dynviz.table.store import READ_CHUNK, ItemStore
from dynviz.table.values import Item, check_value, copy_item, item_size, key_native, type_of

if TYPE_CHECKING:
    from dynviz.cluster import Cluster

PAGE_BYTES = 1024 * 1024
"""Query and Scan stop after reading 1 MB (before filters and projections)."""
SELECTS = ("ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES", "COUNT")
RING = 1 << 128
"""Tokens run over ``[0, RING)``; a parallel Scan's segment is an equal share of them."""


def _bad(message: str) -> ValidationException:
    return ValidationException(message)


@dataclass(frozen=True, slots=True)
class PageRequest:
    """What a Query or Scan asks of its page, validated: where it reads (the table, or
    the index ``index``), how much, and what it returns."""

    index: IndexDef | None
    limit: int | None
    filter: Any
    paths: list[Path] | None
    select: str
    consistent: bool
    return_consumed: str

    @property
    def chunk(self) -> int:
        """Keys to ask the ring for at a time: a page's worth when it is small."""
        return min(self.limit, 1000) if self.limit is not None else READ_CHUNK


def _live_items(entries: Iterator[Entry]) -> Iterator[Item]:
    for e in entries:
        if e.item is not None:  # the store yields live entries only
            yield e.item


def _select(p: dict[str, Any], ix: IndexDef | None, paths: list[Path] | None) -> str:
    sel = p.get("Select")
    if sel is None:
        return "SPECIFIC_ATTRIBUTES" if paths is not None else ("ALL_PROJECTED_ATTRIBUTES" if ix else "ALL_ATTRIBUTES")
    if sel not in SELECTS:
        raise _bad(f"1 validation error detected: Value '{sel}' at 'select' failed to satisfy constraint: Member must "
                   "satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]")
    # the projection may come as AttributesToGet, the legacy parameter: say which was sent
    given = "AttributesToGet" if p.get("AttributesToGet") is not None else "ProjectionExpression"
    if paths is not None and sel != "SPECIFIC_ATTRIBUTES":
        raise _bad(f"One or more parameter values were invalid: Select type {sel} is not compatible with "
                   f"{given}; use SPECIFIC_ATTRIBUTES")
    if sel == "SPECIFIC_ATTRIBUTES" and paths is None:
        raise _bad("One or more parameter values were invalid: Select type SPECIFIC_ATTRIBUTES requires a "
                   "ProjectionExpression or AttributesToGet")
    if sel == "ALL_PROJECTED_ATTRIBUTES" and ix is None:
        raise _bad("One or more parameter values were invalid: Select type ALL_PROJECTED_ATTRIBUTES is supported "
                   "only for index queries")
    if sel == "ALL_ATTRIBUTES" and ix is not None and ix.kind == "global" and ix.projection != "ALL":
        raise _bad(f"One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for "
                   f"global secondary index {ix.name} because its projection type is not ALL")
    return str(sel)


def _index(t: Table, p: dict[str, Any], consistent: bool) -> IndexDef | None:
    name = p.get("IndexName")
    if name is None:
        return None
    ix = t.schema.index(name)
    if ix is None:
        raise _bad(f"The table does not have the specified index: {name}")
    if ix.kind == "global" and consistent:
        raise _bad("Consistent reads are not supported on global secondary indexes")
    if ix.kind == "global" and t.gsis[name].backfilling and t.gsis[name].pending:
        raise _bad(f"Cannot read from backfilling global secondary index: {name}")
    return ix


def _start_key(t: Table, ix: IndexDef | None, esk: Any) -> tuple[dict[str, Any], tuple[Any, ...]] | None:
    """(partition key value, sort tuple) of an ExclusiveStartKey, validated."""
    if esk is None:
        return None
    s = t.schema
    names = ix.key_names if ix is not None else s.key_names
    if not isinstance(esk, dict) or set(esk) != set(names):
        raise _bad("The provided starting key is invalid: The provided key element does not match the schema")
    vals = {k: check_value(v, f"ExclusiveStartKey.{k}") for k, v in esk.items()}
    defs = {a.name: a.type for a in s.attribute_definitions}
    for k, v in vals.items():
        if type_of(v) != defs.get(k):
            raise _bad("The provided starting key is invalid: The provided key element does not match the schema")
    if ix is None:
        return vals[s.pk.name], (s.sk_native(vals),)
    if ix.composite:
        return t.gsis[ix.name].partition_av(vals), ix.sort_tuple(vals)
    return vals[ix.pk.name], ix.sort_tuple(vals)


def _read_filters(p: dict[str, Any], ph: Placeholders) -> tuple[Any, list[Path] | None]:
    ftext = p.get("FilterExpression")
    filt = parse_condition(ftext, "FilterExpression", ph) if ftext is not None else None
    ptext = p.get("ProjectionExpression")
    paths = parse_projection(ptext, ph) if ptext is not None else None
    return filt, paths


def _segment(p: dict[str, Any]) -> tuple[int, int]:
    """The token range ``[lo, hi)`` of a parallel Scan's segment (the whole ring without one)."""
    seg, total = p.get("Segment"), p.get("TotalSegments")
    if seg is not None and total is None:
        raise _bad("The TotalSegments parameter is required but was not present in the request when Segment "
                   "parameter is present")
    if total is not None and seg is None:
        raise _bad("The Segment parameter is required but was not present in the request when parameter "
                   "TotalSegments is present")
    if total is None:
        return 0, RING
    if not isinstance(total, int) or not 1 <= total <= 1_000_000:
        raise _bad(f"1 validation error detected: Value '{total}' at 'totalSegments' failed to satisfy "
                   "constraint: Member must have value less than or equal to 1000000")
    if not isinstance(seg, int) or seg < 0:
        raise _bad(f"1 validation error detected: Value '{seg}' at 'segment' failed to satisfy constraint: "
                   "Member must have value greater than or equal to 0")
    if seg >= total:
        raise _bad(f"The Segment parameter is zero-based and must be less than parameter TotalSegments: "
                   f"Segment: {seg} is not less than TotalSegments: {total}")
    return RING * seg // total, RING * (seg + 1) // total


@dataclass(slots=True, eq=False)
class Queries:
    """Query and Scan on one cluster's tables."""

    catalog: Catalog
    store: ItemStore
    cluster: Cluster

    def query(self, p: dict[str, Any]) -> dict[str, Any]:
        t = self.catalog.table(p.get("TableName"))
        p = translate_query(p, t.schema)
        consistent = consistent_read(p)
        ix = _index(t, p, consistent)
        kce = p.get("KeyConditionExpression")
        if kce is None:
            raise _bad("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
        ph = Placeholders(p.get("ExpressionAttributeNames"), p.get("ExpressionAttributeValues"))
        key_node = parse_condition(kce, "KeyConditionExpression", ph)
        filt, paths = _read_filters(p, ph)
        ph.check_unused()
        s = t.schema
        kpk, ksk = (ix.pk, ix.sk) if ix is not None else (s.pk, s.sk)
        composite: tuple[list[dict[str, Any]], SortCondition | None] | None = None
        if ix is not None and ix.composite:
            hashes, equal, last = composite_condition(key_node, ix)
            pk_val, sk_cond = t.gsis[ix.name].partition_av(hashes), None
            composite = (equal, last)
        else:
            pk_val, sk_cond = key_condition(key_node, kpk, ksk)
        key_attrs = [k.name for k in (*ix.hash_keys, *ix.range_keys)] if ix is not None else list(s.key_names)
        if filt is not None:
            for path in condition_paths(filt):
                if path.top in key_attrs:
                    raise _bad(f"Filter Expression can only contain non-primary key attributes: Primary key attribute: "
                               f"{path.top}")
            if ix is not None:
                ix.check_filter([path.top for path in condition_paths(filt)])
        n = limit(p)
        select = _select(p, ix, paths)
        forward = p.get("ScanIndexForward", True)
        if not isinstance(forward, bool):
            raise invalid_type("ScanIndexForward", forward, bool)
        start = _start_key(t, ix, p.get("ExclusiveStartKey"))
        req = PageRequest(ix, n, filt, paths, select, consistent, return_consumed(p))
        if start is not None:
            spk, stup = start
            if key_native(spk) != key_native(pk_val) or (composite is None and not in_bounds(stup[0], sk_cond)):
                raise _bad("The provided starting key is outside query boundaries based on provided conditions")
        if ix is None or ix.kind == "global":
            bounds_ = composite_bounds(*composite) if composite is not None else None
            return self.page(t, req, self._ring_run(t, p, req, pk_val, sk_cond, start is not None, forward, bounds_))
        view = self.store.partition(t, pk_val, consistent).lsi_view(ix)
        lo, hi = bounds(view.firsts, sk_cond)
        if forward:
            if start is not None:
                lo = max(lo, bisect.bisect_right(view.tuples, start[1]))
            order: Iterator[int] = iter(range(lo, hi))
        else:
            if start is not None:
                hi = min(hi, bisect.bisect_left(view.tuples, start[1]))
            order = iter(range(hi - 1, lo - 1, -1))
        return self.page(t, req, (view.items[i] for i in order))

    def _ring_run(self, t: Table, p: dict[str, Any], req: PageRequest, pk_val: dict[str, Any],
                  sk_cond: SortCondition | None, resume: bool, forward: bool,
                  suffixes: tuple[bytes, bytes | None] | None = None) -> Iterator[Item]:
        """A Query's run of the table's or a GSI's partition, as a range read on the
        ring (an index's keys are tuples, see indexes.py), resumed after the
        ExclusiveStartKey when ``resume``; ``suffixes``: the range of entry suffixes
        already worked out (a multi-attribute key's, indexes.composite_bounds)."""
        ix = req.index
        g = t.gsis[ix.name] if ix is not None else None
        lo_b, hi_b = suffixes if suffixes is not None else byte_bounds(sk_cond, tuples=g is not None)
        if resume:
            esk = g.suffix(p["ExclusiveStartKey"]) if g is not None else t.sort_bytes(p["ExclusiveStartKey"])
            if forward:
                lo_b = max(lo_b, esk + b"\x00")
            else:
                hi_b = esk if hi_b is None else min(hi_b, esk)
        if g is not None:
            entries = self.store.group_entries(g.group(pk_val), None, False, lo_b, hi_b, not forward, req.chunk)
        else:
            entries = self.store.entries(t, pk_val, req.consistent, lo_b, hi_b, not forward, req.chunk)
        return _live_items(entries)

    def scan(self, p: dict[str, Any]) -> dict[str, Any]:
        t = self.catalog.table(p.get("TableName"))
        p = translate_scan(p)
        consistent = consistent_read(p)
        ix = _index(t, p, consistent)
        ph = Placeholders(p.get("ExpressionAttributeNames"), p.get("ExpressionAttributeValues"))
        filt, paths = _read_filters(p, ph)
        if p.get("ExpressionAttributeValues") is not None and filt is None:
            raise _bad("ExpressionAttributeValues can only be specified when using expressions")
        if ix is not None and filt is not None:
            ix.check_filter([path.top for path in condition_paths(filt)])
        ph.check_unused()
        n = limit(p)
        select = _select(p, ix, paths)
        req = PageRequest(ix, n, filt, paths, select, consistent, return_consumed(p))
        lo_tok, hi_tok = _segment(p)
        start = _start_key(t, ix, p.get("ExclusiveStartKey"))
        glob = t.gsis[ix.name] if ix is not None and ix.kind == "global" else None
        if glob is not None:
            order = glob.order
            start_tok = glob.token(start[0]) if start is not None else None
        else:
            order = t.partitions
            start_tok = token_of(t.group(start[0])) if start is not None else None
        if start_tok is not None and not lo_tok <= start_tok < hi_tok:
            raise _bad("Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. "
                       f"TotalSegments: {p.get('TotalSegments')} Segment: {p.get('Segment')}")

        def source() -> Iterator[Item]:
            if start is not None and start_tok is not None:
                pos = bisect.bisect_left(order, (start_tok,))
            else:
                pos = bisect.bisect_left(order, (lo_tok,))
            first = True
            for tok, ident in list(order[pos:]):
                if tok >= hi_tok:
                    return
                pk_av = glob.pk_avs.get(ident) if glob is not None else t.pk_avs.get(ident)
                if pk_av is None:
                    continue
                resume = first and start is not None and key_native(pk_av) == key_native(start[0])
                first = False
                if glob is not None:
                    begin = glob.suffix(p["ExclusiveStartKey"]) + b"\x00" if resume else b""
                    yield from _live_items(self.store.group_entries(ident, None, False, begin, None, False, req.chunk))
                    continue
                if ix is None:
                    begin = t.sort_bytes(p["ExclusiveStartKey"]) + b"\x00" if resume else b""
                    yield from _live_items(self.store.entries(t, pk_av, consistent, begin, None, False, req.chunk))
                    continue
                view = self.store.partition(t, pk_av, consistent).lsi_view(ix)
                i = bisect.bisect_right(view.tuples, start[1]) if resume and start is not None else 0
                yield from view.items[i:]

        return self.page(t, req, source())

    def page(self, t: Table, req: PageRequest, source: Iterator[Item]) -> dict[str, Any]:
        """The shared pipeline (spec §2): read up to Limit items or 1 MB, then filter,
        then project; LastEvaluatedKey is the last item *evaluated*."""
        ix, paths, select, consistent, rcc = req.index, req.paths, req.select, req.consistent, req.return_consumed
        evaluated: list[Item] = []
        size = 0
        last: Item | None = None
        stopped = False
        fetch = ix is not None and ix.kind == "local" and (
            select == "ALL_ATTRIBUTES" or (paths is not None and ix.projection != "ALL"))
        for item in source:
            isz = item_size(item) + (INDEX_ENTRY_OVERHEAD if ix is not None and ix.kind == "global" else 0)
            if evaluated and size + isz > PAGE_BYTES:
                stopped = True
                break
            evaluated.append(item)
            size += isz
            last = item
            if req.limit is not None and len(evaluated) >= req.limit:
                stopped = True
                break
        units = read_units(size, consistent)
        if fetch:
            units += sum(read_units(item_size(it), consistent) for it in evaluated) - read_units(0, consistent)
        now = self.cluster.now
        if ix is not None and ix.kind == "global":
            g = t.gsis[ix.name]
            charge_read(t, units, g.read_bucket, now, ix.name)
            cc = consumed(t, rcc, 0.0, {}, {ix.name: units})
        else:
            charge_read(t, units, t.read_bucket, now)
            cc = consumed(t, rcc, units, {ix.name: 0.0} if ix is not None and rcc == "INDEXES" else {}, {})
            if cc and ix is not None and rcc == "INDEXES":
                cc["Table"] = {"CapacityUnits": 0.0}
                cc["LocalSecondaryIndexes"] = {ix.name: {"CapacityUnits": units}}
        matched = [it for it in evaluated if evaluate(req.filter, it)] if req.filter is not None else evaluated
        out: dict[str, Any] = {}
        if select != "COUNT":
            if paths is not None:
                shown = [project(it if fetch or ix is None or ix.kind == "global" else ix.project(it), paths)
                         for it in matched]
            elif ix is not None and select != "ALL_ATTRIBUTES":
                shown = [copy_item(ix.project(it)) for it in matched]
            else:
                shown = [copy_item(it) for it in matched]
            out["Items"] = shown
        out["Count"] = len(matched)
        out["ScannedCount"] = len(evaluated)
        if stopped and last is not None:
            names = ix.key_names if ix is not None else t.schema.key_names
            out["LastEvaluatedKey"] = {k: dict(last[k]) for k in names}
        if cc:
            out["ConsumedCapacity"] = cc
        return out
