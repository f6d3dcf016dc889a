"""A DAX-like accelerator: an item cache and a query cache in front of the tables
(spec §6; the seed's "Accelerator: Caching").

* **Item cache** (table + primary key): serves eventually consistent GetItem and each
  key of a BatchGetItem. A miss reads the full item from the table and caches it, a
  missing item too (negative caching). Writes through this client are write-through:
  after the table acknowledged a write, the cache holds the new item (or the absence of
  a deleted one), whatever the TTL.
* **Query cache** (the full request parameters): serves eventually consistent Query and
  Scan. Writes do **not** invalidate or update it, as DAX behaves: the same query
  returns the old result until its TTL expires.
* Strongly consistent reads pass through and are not cached. Each entry expires after
  its TTL (default 5 virtual minutes) and each cache is an LRU bounded by entry count.
  An expired entry counts as a miss.
"""

from __future__ import annotations

import base64
import copy
import json
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from dynviz.table.client import TableClient
from dynviz.table.errors import TableError
from dynviz.table.expressions import Placeholders, parse_projection
from dynviz.table.reads import MAX_BATCH_GET_BYTES, shown
from dynviz.table.values import Item, copy_item, item_size, key_native
from dynviz.table.views import AcceleratorStats, CacheStats

if TYPE_CHECKING:
    from dynviz.cluster import Cluster
    from dynviz.table.engine import TableEngine
    from dynviz.table.views import TableSnapshot

__all__ = ["DEFAULT_TTL", "AcceleratedClient", "AcceleratorStats", "CacheStats", "TtlLru"]

DEFAULT_TTL = 300 * 1_000_000  # 5 minutes of virtual time, as DAX's record/query TTL


class TtlLru:
    """An LRU map whose entries also expire ``ttl`` virtual µs after they were written."""

    def __init__(self, ttl: int, max_entries: int, clock: Callable[[], int]) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self.data: OrderedDict[Any, tuple[int, Any]] = OrderedDict()
        self.hits = self.misses = self.expired = self.evictions = 0

    def get(self, key: Any) -> tuple[bool, Any]:
        found = self.data.get(key)
        if found is None:
            self.misses += 1
            return False, None
        written, value = found
        if self.clock() - written >= self.ttl:
            del self.data[key]
            self.expired += 1
            self.misses += 1
            return False, None
        self.data.move_to_end(key)
        self.hits += 1
        return True, value

    def put(self, key: Any, value: Any) -> None:
        self.data[key] = (self.clock(), value)
        self.data.move_to_end(key)
        while len(self.data) > self.max_entries:
            self.data.popitem(last=False)
            self.evictions += 1

    def stats(self) -> CacheStats:
        return CacheStats(self.hits, self.misses, self.expired, self.evictions, len(self.data))


def _canonical(params: dict[str, Any]) -> str | None:
    """The query cache's key of a request: its parameters as canonical JSON, or None
    when they have no JSON form (such a request goes to the table uncached, to be
    refused there if it is malformed)."""
    def default(o: Any) -> Any:
        if isinstance(o, (bytes, bytearray)):
            return {"$b": base64.b64encode(bytes(o)).decode()}
        if isinstance(o, Decimal):
            return str(o)
        raise TypeError(type(o))

    try:
        return json.dumps(params, sort_keys=True, default=default, separators=(",", ":"))
    except (TypeError, ValueError):  # what json.dumps raises for what it cannot write
        return None


class AcceleratedClient(TableClient):
    """A ``TableClient`` with DAX's two caches in front of its reads."""

    _write_through = True

    def __init__(self, cluster: Cluster, engine: TableEngine, item_ttl: int = DEFAULT_TTL, query_ttl: int = DEFAULT_TTL,
                 item_cache_size: int = 10_000, query_cache_size: int = 1_000) -> None:
        super().__init__(cluster, engine)
        # the clock is a bound method, so a copy of the cluster (a checkpoint) copies it
        # bound to the copy
        self.item_cache = TtlLru(item_ttl, item_cache_size, self.now)
        self.query_cache = TtlLru(query_ttl, query_cache_size, self.now)

    def now(self) -> int:
        """The cluster's virtual time: the caches' clock."""
        return self.cluster.now

    def _item_key(self, table: str, key: Item) -> tuple[Any, ...]:
        t = self.engine.tables[table]
        return (table, *(key_native(key[n]) for n in t.schema.key_names))

    def _after_write(self, table: str, key: Item, item: Item | None) -> None:
        self.item_cache.put(self._item_key(table, key), copy_item(item) if item is not None else None)

    def _cached_item(self, table: str, key: Item) -> Item | None:
        """An item (a checked key of ``table``) through the item cache: a miss is an
        eventually consistent GetItem, whose answer (an absence too) is cached."""
        ck = self._item_key(table, key)
        hit, cached = self.item_cache.get(ck)
        if hit:
            item: Item | None = cached
            return item
        res = self.engine.get_item({"TableName": table, "Key": key, "ConsistentRead": False})
        found: Item | None = res.get("Item")
        self.item_cache.put(ck, found)
        return found

    def get_item(self, **params: Any) -> dict[str, Any]:
        if params.get("ConsistentRead"):
            return super().get_item(**params)
        try:
            text = params.get("ProjectionExpression")
            ph = Placeholders(params.get("ExpressionAttributeNames"), params.get("ExpressionAttributeValues"))
            paths = parse_projection(text, ph) if text is not None else None
            ph.check_unused()
            t = self.engine.table(params.get("TableName"))
            item = self._cached_item(t.name, t.schema.check_key(params.get("Key")))
        except TableError as exc:
            raise exc.with_operation("GetItem") from None
        out: dict[str, Any] = {}
        if item is not None:
            out["Item"] = shown(item, paths)
        return self._meta(out)

    def batch_get_item(self, **params: Any) -> dict[str, Any]:
        """Each key is served as a separate GetItem through the item cache (the request
        checked as the table checks it, first)."""
        plans = self._call("BatchGetItem", self.engine.plan_batch_get, params)
        if any(plan.consistent for plan in plans):
            return super().batch_get_item(**params)
        responses: dict[str, list[Item]] = {}
        unprocessed: dict[str, Any] = {}
        size = 0  # past the 16 MB an answer holds, the keys are left for the next call
        try:
            for plan in plans:
                got = responses.setdefault(plan.table.name, [])
                for key in plan.keys:
                    item = self._cached_item(plan.table.name, key) if size <= MAX_BATCH_GET_BYTES else None
                    size += item_size(item) if item is not None else 0
                    if size > MAX_BATCH_GET_BYTES:
                        left = unprocessed.setdefault(plan.table.name, {k: v for k, v in plan.spec.items() if k != "Keys"})
                        left.setdefault("Keys", []).append(copy_item(key))
                    elif item is not None:
                        got.append(shown(item, plan.paths))
        except TableError as exc:
            raise exc.with_operation("BatchGetItem") from None
        return self._meta({"Responses": responses, "UnprocessedKeys": unprocessed})

    def _cached_read(self, op: str, read: Callable[..., dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
        if params.get("ConsistentRead"):
            return read(**params)
        text = _canonical(params)
        if text is None:
            return read(**params)
        ck = (op, text)
        hit, value = self.query_cache.get(ck)
        if hit:
            return self._meta(copy.deepcopy(value))
        out = read(**params)
        out.pop("ResponseMetadata", None)
        self.query_cache.put(ck, copy.deepcopy(out))
        return self._meta(out)

    def query(self, **params: Any) -> dict[str, Any]:
        return self._cached_read("query", super().query, params)

    def scan(self, **params: Any) -> dict[str, Any]:
        return self._cached_read("scan", super().scan, params)

    def cache_stats(self) -> AcceleratorStats:
        return AcceleratorStats(self.item_cache.stats(), self.query_cache.stats())

    def snapshot(self, table: str) -> TableSnapshot:
        return replace(self.engine.snapshot(table), cache=self.cache_stats())
