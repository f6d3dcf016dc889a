"""Item reads: GetItem and BatchGetItem, each key a get of its item's object.

An eventually consistent read asks one replica, a consistent one every replica
(store.py). A read costs what it read, rounded up to 4 KB units, half for an
eventually consistent one, and a missing item still costs a unit (spec §7).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dynviz.table.accounting import charge_read, consumed, return_consumed, throttled
from dynviz.table.capacity import read_units
from dynviz.table.errors import ProvisionedThroughputExceededException, ValidationException
from dynviz.table.expressions import Path, project
from dynviz.table.legacy import translate_get
from dynviz.table.params import a_map, consistent_read, projection, required
from dynviz.table.state import Catalog, Table
from dynviz.table.store import ItemStore
from dynviz.table.values import Item, copy_item, item_size, key_native
from dynviz.table.writes import check_item_table

if TYPE_CHECKING:
    from dynviz.cluster import Cluster

MAX_BATCH_GET = 100
MAX_BATCH_GET_BYTES = 16 * 1024 * 1024
"""A BatchGetItem answers at most 16 MB of items; the keys past that come back in
UnprocessedKeys (with their table's other parameters), to be asked again."""


@dataclass(frozen=True, slots=True)
class GetPlan:
    """One table's part of a BatchGetItem, validated: its keys, projection and consistency."""

    table: Table
    spec: dict[str, Any]
    keys: list[Item]
    paths: list[Path] | None
    consistent: bool


def request_items(p: dict[str, Any]) -> dict[str, Any]:
    """A batch request's RequestItems: a map with at least one table."""
    req = p.get("RequestItems")
    if not isinstance(req, dict) or not req:
        raise ValidationException("1 validation error detected: Value at 'requestItems' failed to satisfy constraint: "
                                  "Member must have length greater than or equal to 1")
    return req


def shown(item: Item, paths: list[Path] | None) -> Item:
    """What a read returns of an item: its projection, or a copy of all of it."""
    return project(item, paths) if paths is not None else copy_item(item)


@dataclass(slots=True, eq=False)
class ItemReads:
    """GetItem and BatchGetItem on one cluster's tables."""

    catalog: Catalog
    store: ItemStore
    cluster: Cluster

    def get_item(self, p: dict[str, Any]) -> dict[str, Any]:
        check_item_table(self.catalog, p.get("TableName"))
        t = self.catalog.table(p.get("TableName"))
        p = translate_get(p)
        key = t.schema.check_key(required(p, "Key"))
        paths, ph = projection(p)
        ph.check_unused()
        consistent = consistent_read(p)
        rcc = return_consumed(p)
        pk_av, _, sk_av = t.key_parts(key)
        found = self.store.read_item(t, pk_av, sk_av, consistent)
        item = self.store.visible(found)
        units = read_units(item_size(item) if item else 0, consistent)
        charge_read(t, units, t.read_bucket, self.cluster.now)
        out: dict[str, Any] = {}
        if item is not None:
            out["Item"] = shown(item, paths)
        cc = consumed(t, rcc, units, {}, {})
        if cc:
            out["ConsumedCapacity"] = cc
        return out

    def plan_batch_get(self, p: dict[str, Any]) -> list[GetPlan]:
        """A BatchGetItem's tables, every key and parameter validated before any read."""
        req = request_items(p)
        plans = []
        total = 0
        for name, spec in req.items():
            t = self.catalog.table(name)
            spec = a_map(spec, f"RequestItems.{name}")
            asked = translate_get(spec)  # spec itself is kept for UnprocessedKeys
            keys_raw = spec.get("Keys")
            if not isinstance(keys_raw, list) or not keys_raw:
                raise ValidationException("1 validation error detected: Value at 'requestItems." + name + ".member.keys' "
                                          "failed to satisfy constraint: Member must have length greater than or equal to 1")
            keys = [t.schema.check_key(k) for k in keys_raw]
            seen = set()
            for k in keys:
                ident = tuple(key_native(k[n]) for n in t.schema.key_names)
                if ident in seen:
                    raise ValidationException("Provided list of item keys contains duplicates")
                seen.add(ident)
            total += len(keys)
            paths, ph = projection(asked)
            ph.check_unused()
            plans.append(GetPlan(t, spec, keys, paths, consistent_read(asked)))
        if total > MAX_BATCH_GET:
            raise ValidationException("Too many items requested for the BatchGetItem call")
        return plans

    def batch_get_item(self, p: dict[str, Any]) -> dict[str, Any]:
        """Each key is one get; a key its table's bucket cannot pay for is returned in
        UnprocessedKeys (the request fails only when every key was throttled)."""
        req = request_items(p)
        rcc = return_consumed(p)
        plans = self.plan_batch_get({"RequestItems": req})
        responses: dict[str, list[Item]] = {}
        unprocessed: dict[str, Any] = {}
        spent = []
        throttled_all = True
        size = 0  # of the items answered so far: past 16 MB the rest is unprocessed
        for plan in plans:
            t, consistent = plan.table, plan.consistent
            got = responses.setdefault(t.name, [])
            units_sum = 0.0
            for k in plan.keys:
                item, deferred = None, size > MAX_BATCH_GET_BYTES
                if not deferred:
                    pk_av, _, sk_av = t.key_parts(k)
                    item = self.store.visible(self.store.read_item(t, pk_av, sk_av, consistent))
                    size += item_size(item) if item else 0
                    deferred = size > MAX_BATCH_GET_BYTES
                units = read_units(item_size(item) if item else 0, consistent)
                if not deferred:
                    try:
                        charge_read(t, units, t.read_bucket, self.cluster.now)
                    except ProvisionedThroughputExceededException:
                        deferred = True
                if deferred:  # throttled, or past the 16 MB an answer holds: for the next call
                    un = unprocessed.setdefault(t.name, {k2: v for k2, v in plan.spec.items() if k2 != "Keys"})
                    un.setdefault("Keys", []).append(copy_item(k))
                    continue
                throttled_all = False
                units_sum += units
                if item is not None:
                    got.append(shown(item, plan.paths))
            cc = consumed(t, rcc, units_sum, {}, {})
            if cc:
                spent.append(cc)
        if throttled_all and unprocessed:
            raise throttled()
        out: dict[str, Any] = {"Responses": responses, "UnprocessedKeys": unprocessed}
        if spent:
            out["ConsumedCapacity"] = spent
        return out
