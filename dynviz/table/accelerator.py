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
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from dynviz.cluster import Cluster
from dynviz.table.client import TableClient
from dynviz.table.engine import TableEngine, TableSnapshot
from dynviz.table.errors import TableError
from dynviz.table.expressions import Placeholders, parse_projection, project
from dynviz.table.values import Item, copy_item, key_native

DEFAULT_TTL = 300 * 1_000_000  # 5 minutes of virtual time, as DAX's record/query TTL


@dataclass(frozen=True, slots=True)
class CacheStats:
    hits: int
    misses: int
    expired: int
    evictions: int
    entries: int

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


class TtlLru:
    """An LRU map whose entries also expire ``ttl`` virtual µs after they were written."""

    def __init__(self, ttl: int, max_entries: int, clock: Any) -> None:
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


@dataclass(frozen=True, slots=True)
class AcceleratorStats:
    items: CacheStats
    queries: CacheStats


def _canonical(params: dict[str, Any]) -> str:
    def default(o: Any) -> Any:
        if isinstance(o, (bytes, bytearray)):
            return {"$b": base64.b64encode(bytes(o)).decode()}
        if isinstance(o, Decimal):
            return str(o)
        raise TypeError(type(o))

    return json.dumps(params, sort_keys=True, default=default, separators=(",", ":"))


class AcceleratedClient(TableClient):
    """A ``TableClient`` with DAX's two caches in front of its reads."""

    _write_through = True

    def __init__(self, cluster: Cluster, engine: TableEngine, item_ttl: int = DEFAULT_TTL, query_ttl: int = DEFAULT_TTL,
                 item_cache_size: int = 10_000, query_cache_size: int = 1_000) -> None:
        super().__init__(cluster, engine)
        clock = lambda: cluster.now  # noqa: E731
        self.item_cache = TtlLru(item_ttl, item_cache_size, clock)
        self.query_cache = TtlLru(query_ttl, query_cache_size, clock)

    def _item_key(self, table: str, key: Item) -> tuple[Any, ...]:
        t = self.engine.tables[table]
        return (table, *(key_native(key[n]) for n in t.schema.key_names))

    def _after_write(self, table: str, key: Item, item: Item | None) -> None:
        self.item_cache.put(self._item_key(table, key), copy_item(item) if item is not None else None)

    def _cached_item(self, table: str, key_raw: Any, consistent: bool) -> tuple[Item | None, bool]:
        """(item, hit) through the item cache."""
        t = self.engine._table(table)
        key = t.schema.check_key(key_raw)
        ck = self._item_key(table, key)
        hit, item = self.item_cache.get(ck)
        if hit:
            return item, True
        res = self.engine.get_item({"TableName": table, "Key": key, "ConsistentRead": consistent})
        item = res.get("Item")
        self.item_cache.put(ck, item)
        return item, False

    def get_item(self, **params: Any) -> dict[str, Any]:
        if params.get("ConsistentRead"):
            return super().get_item(**params)
        try:
            text = params.get("ProjectionExpression")
            ph = Placeholders(params.get("ExpressionAttributeNames"), params.get("ExpressionAttributeValues"))
            paths = parse_projection(text, ph) if text is not None else None
            ph.check_unused()
            item, _ = self._cached_item(params.get("TableName"), params.get("Key"), False)  # type: ignore[arg-type]
        except TableError as exc:
            raise exc.with_operation("GetItem") from None
        out: dict[str, Any] = {}
        if item is not None:
            out["Item"] = project(item, paths) if paths is not None else copy_item(item)
        return self._meta(out)

    def batch_get_item(self, **params: Any) -> dict[str, Any]:
        """Each key is served as a separate GetItem through the item cache."""
        req = params.get("RequestItems") or {}
        if any(spec.get("ConsistentRead") for spec in req.values()):
            return super().batch_get_item(**params)
        responses: dict[str, list[Item]] = {}
        try:
            for table, spec in req.items():
                text = spec.get("ProjectionExpression")
                ph = Placeholders(spec.get("ExpressionAttributeNames"), None)
                paths = parse_projection(text, ph) if text is not None else None
                got = responses.setdefault(table, [])
                for k in spec.get("Keys", []):
                    item, _ = self._cached_item(table, k, False)
                    if item is not None:
                        got.append(project(item, paths) if paths is not None else copy_item(item))
        except TableError as exc:
            raise exc.with_operation("BatchGetItem") from None
        return self._meta({"Responses": responses, "UnprocessedKeys": {}})

    def _cached_read(self, op: str, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("ConsistentRead"):
            return getattr(super(), op)(**params)  # type: ignore[no-any-return]
        ck = (op, _canonical(params))
        hit, value = self.query_cache.get(ck)
        if hit:
            return self._meta(copy.deepcopy(value))
        out = getattr(super(), op)(**params)
        out.pop("ResponseMetadata", None)
        self.query_cache.put(ck, copy.deepcopy(out))
        return self._meta(out)

    def query(self, **params: Any) -> dict[str, Any]:
        return self._cached_read("query", params)

    def scan(self, **params: Any) -> dict[str, Any]:
        return self._cached_read("scan", params)

    def cache_stats(self) -> AcceleratorStats:
        return AcceleratorStats(self.item_cache.stats(), self.query_cache.stats())

    def snapshot(self, table: str) -> TableSnapshot:
        from dataclasses import replace

        return replace(self.engine.snapshot(table), cache=self.cache_stats())
