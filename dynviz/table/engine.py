"""The table layer of one cluster: tables, their items on the ring, Query and Scan,
indexes, streams and capacity.

There is one ``TableEngine`` per ``Cluster`` (``engine_for``), so every client of a
cluster sees the same tables, as every client of a region does. Operations take and
return boto3's low-level shapes; the client (``dynviz.table.client``) adds response
metadata and the operation name to errors.

Placement (issue 7, §2): every item is its own Dynamo object under a grouped key
placed by the MD5 of ``<table>/<partition key>`` (collection.py), so a partition's
items share one preference list and each node keeps them sorted by sort key. GetItem
is a get of one object; Query and Scan are range reads of a partition's run of keys
(``Cluster.range_get``), read lazily in chunks as a page needs them.

Consistency: an eventually consistent read asks R=1 (whatever one replica holds);
``ConsistentRead`` asks R=N (every replica answers, so while the preference list's
own nodes answer it sees every acknowledged write; stand-ins of a sloppy quorum may
not hold it, see lesson 12). A write reads the item with the cluster's R, applies the
change, and puts it back with the cluster's W over the context it read.
"""

from __future__ import annotations

import bisect
import hashlib
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from dynviz.cluster import Cluster
from dynviz.core.hashing import after_prefix, group_prefix, grouped_key, token_hex, token_of
from dynviz.core.versions import Siblings, Version
from dynviz.table.capacity import Bucket, read_units, write_units
from dynviz.table.collection import (
    Collection,
    Entry,
    decode_entry,
    encode_entry,
    merge_sets,
    newest,
)
from dynviz.table.errors import (
    ConditionalCheckFailedException,
    InternalServerError,
    ItemCollectionSizeLimitExceededException,
    LimitExceededException,
    ProvisionedThroughputExceededException,
    ResourceInUseException,
    ResourceNotFoundException,
    ValidationException,
)
from dynviz.table.expressions import (
    Between,
    Compare,
    Func,
    Path,
    Placeholders,
    Value,
    apply_update,
    condition_paths,
    evaluate,
    parse_condition,
    parse_projection,
    parse_update,
    project,
)
from dynviz.table.indexes import (
    INDEX_ENTRY_OVERHEAD,
    GlobalIndex,
    LocalView,
    entry_size,
    index_write_units,
    key_bytes,
)
from dynviz.table.keys import escape, sort_key_bytes
from dynviz.table.schema import IndexDef, KeyDef, TableSchema, parse_create_table
from dynviz.table.streams import (
    ACCOUNT,
    FIRST_SEQUENCE,
    REGION,
    Stream,
    decode_iterator,
    wall,
)
from dynviz.table.values import (
    MAX_ITEM_BYTES,
    Item,
    check_item,
    check_value,
    copy_item,
    item_size,
    items_equal,
    key_native,
    type_of,
)

PAGE_BYTES = 1024 * 1024
"""Query and Scan stop after reading 1 MB (before filters and projections)."""
ITEM_COLLECTION_LIMIT = 10 * 1024**3
"""The LSI item-collection limit (10 GB, spec §4): table items plus LSI entries."""
GSI_DELAY = 100_000
"""Default GSI propagation delay in virtual µs."""
MAX_BATCH_WRITE = 25
MAX_BATCH_GET = 100
READ_CHUNK = 100
"""Keys a Query or Scan asks the ring for at a time (more if its Limit is larger)."""
_MS = 1000


def _bad(message: str) -> ValidationException:
    return ValidationException(message)


@dataclass(slots=True)
class TableStats:
    reads: int = 0
    writes: int = 0
    throttled_reads: int = 0
    throttled_writes: int = 0
    consumed_read: float = 0.0
    consumed_write: float = 0.0
    conditional_failures: int = 0


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
    cache: Any = None  # accelerator CacheStats when read through an accelerated client
    resolver: str = "LWW"


class Table:
    """One table's runtime state (its items live on the ring)."""

    def __init__(self, schema: TableSchema, now: int, number: int) -> None:
        self.schema = schema
        self.name = schema.name
        self.created = now
        self.id = hashlib.md5(f"{schema.name}/{number}".encode()).hexdigest()
        self.arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{schema.name}"
        provisioned = schema.billing_mode == "PROVISIONED"
        self.read_bucket = Bucket.new(schema.rcu, now) if provisioned else None
        self.write_bucket = Bucket.new(schema.wcu, now) if provisioned else None
        self.gsis = {ix.name: GlobalIndex(schema.name, ix, now, provisioned, self.id[:8]) for ix in schema.gsis}
        self.lsis = {ix.name: ix for ix in schema.lsis}
        self.stream: Stream | None = None
        self.old_streams: list[Stream] = []
        self.partitions: list[tuple[int, bytes]] = []  # (token, group), scan order
        self.pk_avs: dict[bytes, dict[str, Any]] = {}
        # per partition with live items: [items, bytes of items and LSI entries] (spec §4)
        self.collections: dict[bytes, list[int]] = {}
        self.item_count = 0
        self.size_bytes = 0
        self.lsi_counts = {name: [0, 0] for name in self.lsis}  # items, bytes
        self.stats = TableStats()
        self.version = 0
        self.live = True

    def group(self, pk_av: dict[str, Any]) -> bytes:
        """``<table>/<partition key bytes>``: the key group of a partition, whose MD5
        places every item of it (a table name never holds ``/``, schema.py)."""
        return self.name.encode() + b"/" + key_bytes(pk_av)

    def item_key(self, pk_av: dict[str, Any], sk_av: dict[str, Any] | None) -> bytes:
        """An item's Dynamo key: its partition's group, then its sort key as bytes."""
        return grouped_key(self.group(pk_av), sort_key_bytes(sk_av) if sk_av is not None else b"")


class TableEngine:
    """Every table of one cluster."""

    def __init__(self, cluster: Cluster, gsi_delay: int = GSI_DELAY,
                 item_collection_limit: int = ITEM_COLLECTION_LIMIT) -> None:
        self.cluster = cluster
        self.gsi_delay = gsi_delay
        self.item_collection_limit = item_collection_limit
        self.tables: dict[str, Table] = {}
        self.client_name = "dynviz.table"
        self.index_client = "dynviz.table.index"  # the writer of GSI entries (asynchronous)
        self._seq = 0
        self._stream_seq = FIRST_SEQUENCE
        self._created = 0
        self._decoded: dict[bytes, tuple[Version, Entry]] = {}  # item key -> last decoded version

    @property
    def now(self) -> int:
        return self.cluster.now

    # ------------------------------------------------------------------- ring access

    def _entry_of(self, key: bytes, siblings: Siblings | None, sk_name: str | None,
                  resolver: str = "LWW") -> Entry | None:
        """An item's siblings resolved to one entry (a tombstone included) by the
        table's resolver (the newest for LWW), or None. Decoding is cached per stored
        version: a hot item is decoded once."""
        if siblings is None:
            return None
        versions = siblings.versions
        cache = self._decoded
        found: list[Entry] = []
        hit = cache.get(key)
        for v in versions:
            if v.value is None:  # deleted with its table
                continue
            if hit is not None and hit[0] is v:
                found.append(hit[1])
                continue
            entry = decode_entry(v.value, sk_name)
            if len(versions) == 1:
                cache[key] = (v, entry)
            found.append(entry)
        if not found:
            return None
        if len(found) > 1 and resolver == "MERGE":
            return merge_sets(found)
        return newest(found)

    def _r(self, consistent: bool) -> int:
        return self.cluster.config.n if consistent else 1

    def _read_item(self, t: Table, pk_av: dict[str, Any], sk_av: dict[str, Any] | None,
                   consistent: bool) -> Entry | None:
        """One item's entry (None if it never existed), by a get of its object."""
        return self._get_entry(t, pk_av, sk_av, self._r(consistent))

    def _read_for_write(self, t: Table, pk_av: dict[str, Any], sk_av: dict[str, Any] | None) -> Entry | None:
        """The read of a read-modify-write: a quorum (the cluster's R), not every
        replica. With R + W > N it sees every acknowledged write while quorums hold,
        and, like Dynamo, a write still goes through on the side of a partition that
        has R and W nodes (sloppy quorum); the other side's concurrent write becomes a
        sibling that the table's resolver settles on the next read."""
        return self._get_entry(t, pk_av, sk_av, None)

    def _get_entry(self, t: Table, pk_av: dict[str, Any], sk_av: dict[str, Any] | None,
                   r: int | None) -> Entry | None:
        key = t.item_key(pk_av, sk_av)
        res = self.cluster.get(key, client=self.client_name, r=r)
        if not res.ok:
            raise InternalServerError(f"Internal server error (the cluster could not read {key!r}: {res.error})")
        return self._entry_of(key, res.siblings, t.schema.sk.name if t.schema.sk else None, t.schema.resolver)

    def _runs(self, group: bytes, consistent: bool, start: bytes = b"", end: bytes | None = None,
              reverse: bool = False, chunk: int = READ_CHUNK) -> Iterator[tuple[bytes, Siblings]]:
        """Every ``(item key, siblings)`` of one partition in ``[start, end)`` (sort-key
        bytes), in order or reversed, read from the ring ``chunk`` keys at a time, each
        chunk only when the one before is used up."""
        prefix = group_prefix(group)
        r = self._r(consistent)
        while True:
            res = self.cluster.range_get(group, start, end, chunk, reverse, client=self.client_name, r=r)
            if not res.ok:
                raise InternalServerError(f"Internal server error (the cluster could not read partition {group!r}: "
                                          f"{res.error})")
            for suffix, siblings in res.entries:
                yield prefix + suffix, siblings
            if not res.more or not res.entries:
                return
            last = res.entries[-1][0]
            if reverse:
                end = last
            else:
                start = last + b"\x00"  # the smallest suffix after ``last``

    def _entries(self, t: Table, pk_av: dict[str, Any], consistent: bool, start: bytes = b"",
                 end: bytes | None = None, reverse: bool = False, chunk: int = READ_CHUNK) -> Iterator[Entry]:
        """A partition's live items (as entries) in sort-key order, read as consumed."""
        sk_name = t.schema.sk.name if t.schema.sk else None
        return self._group_entries(t.group(pk_av), sk_name, consistent, start, end, reverse, chunk, t.schema.resolver)

    def _group_entries(self, group: bytes, sk_name: str | None, consistent: bool, start: bytes = b"",
                       end: bytes | None = None, reverse: bool = False, chunk: int = READ_CHUNK,
                       resolver: str = "LWW") -> Iterator[Entry]:
        """The live entries of a table's or an index's partition, read as consumed."""
        for key, siblings in self._runs(group, consistent, start, end, reverse, chunk):
            entry = self._entry_of(key, siblings, sk_name, resolver)
            if entry is not None and entry.item is not None:
                yield entry

    def _partition(self, t: Table, pk_av: dict[str, Any], consistent: bool) -> Collection:
        """All of a partition's live items, sorted (for LSI views)."""
        return Collection(list(self._entries(t, pk_av, consistent, chunk=1000)))

    def _write_entry(self, t: Table, pk_av: dict[str, Any], entry: Entry) -> None:
        """Put one item's entry over the context its read left with the client."""
        key = t.item_key(pk_av, entry.sk_av)
        data = encode_entry(entry)
        res = self.cluster.put(key, data, client=self.client_name)
        if not res.ok:
            raise InternalServerError(f"Internal server error (the cluster did not acknowledge the write: {res.error})")
        if res.siblings is not None:
            for v in res.siblings.versions:
                if v.value is data:
                    self._decoded[key] = (v, entry)
                    break

    # ------------------------------------------------------------------------ tables

    def _table(self, name: Any, describe: bool = False) -> Table:
        if not isinstance(name, str):
            raise _bad(f"Invalid type for parameter TableName, value: {name!r}, type: {type(name)}, valid types: <class 'str'>")
        t = self.tables.get(name)
        if t is None:
            raise ResourceNotFoundException(
                f"Requested resource not found: Table: {name} not found" if describe else "Requested resource not found")
        return t

    def create_table(self, p: dict[str, Any]) -> dict[str, Any]:
        schema = parse_create_table(p)
        if schema.name in self.tables:
            raise ResourceInUseException(f"Table already exists: {schema.name}")
        if len(self.tables) >= 2500:
            raise LimitExceededException("Subscriber limit exceeded: There is a limit of 2500 tables per account")
        self._created += 1
        t = Table(schema, self.now, self._created)
        if schema.stream_view_type:
            t.stream = Stream(t.name, schema.stream_view_type, schema.key_schema(), self.now, self._stream_seq)
        self.tables[t.name] = t
        return {"TableDescription": self.describe(t)}

    def describe(self, t: Table, status: str = "ACTIVE") -> dict[str, Any]:
        s = t.schema
        out: dict[str, Any] = {
            "AttributeDefinitions": [{"AttributeName": a.name, "AttributeType": a.type} for a in s.attribute_definitions],
            "TableName": t.name,
            "KeySchema": s.key_schema(),
            "TableStatus": status,
            "CreationDateTime": wall(t.created),
            "ProvisionedThroughput": {
                "NumberOfDecreasesToday": 0,
                "ReadCapacityUnits": int(t.read_bucket.rate) if t.read_bucket else 0,
                "WriteCapacityUnits": int(t.write_bucket.rate) if t.write_bucket else 0,
            },
            "TableSizeBytes": t.size_bytes,
            "ItemCount": t.item_count,
            "TableArn": t.arn,
            "TableId": f"{t.id[:8]}-{t.id[8:12]}-{t.id[12:16]}-{t.id[16:20]}-{t.id[20:32]}",
            "BillingModeSummary": {"BillingMode": s.billing_mode},
        }
        if s.lsis:
            out["LocalSecondaryIndexes"] = [
                {**ix.describe(), "IndexSizeBytes": t.lsi_counts[ix.name][1], "ItemCount": t.lsi_counts[ix.name][0],
                 "IndexArn": f"{t.arn}/index/{ix.name}"} for ix in s.lsis]
        if s.gsis:
            gl = []
            for ix in s.gsis:
                g = t.gsis[ix.name]
                gl.append({**ix.describe(), "IndexStatus": "ACTIVE",
                           "ProvisionedThroughput": {
                               "NumberOfDecreasesToday": 0,
                               "ReadCapacityUnits": int(g.read_bucket.rate) if g.read_bucket else 0,
                               "WriteCapacityUnits": int(g.write_bucket.rate) if g.write_bucket else 0},
                           "IndexSizeBytes": g.size, "ItemCount": g.count, "IndexArn": f"{t.arn}/index/{ix.name}"})
            out["GlobalSecondaryIndexes"] = gl
        if s.resolver != "LWW":
            out["Resolver"] = s.resolver  # dynviz's own: DynamoDB has no siblings to resolve
        if t.stream is not None and t.stream.enabled:
            out["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": t.stream.view_type}
        latest = t.stream or (t.old_streams[-1] if t.old_streams else None)
        if latest is not None:
            out["LatestStreamLabel"] = latest.label
            out["LatestStreamArn"] = latest.arn
        return out

    def describe_table(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"Table": self.describe(self._table(p.get("TableName"), describe=True))}

    def list_tables(self, p: dict[str, Any]) -> dict[str, Any]:
        names = sorted(self.tables)
        start = p.get("ExclusiveStartTableName")
        if start is not None:
            names = [n for n in names if n > start]
        limit = p.get("Limit", 100)
        if not isinstance(limit, int) or not 1 <= limit <= 100:
            raise _bad(f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: "
                       "Member must have value less than or equal to 100")
        out: dict[str, Any] = {"TableNames": names[:limit]}
        if len(names) > limit:
            out["LastEvaluatedTableName"] = names[limit - 1]
        return out

    def delete_table(self, p: dict[str, Any]) -> dict[str, Any]:
        t = self._table(p.get("TableName"), describe=True)
        desc = self.describe(t, status="DELETING")
        for _, group in list(t.partitions):
            for key, _ in list(self._runs(group, consistent=True)):
                res = self.cluster.delete(key, client=self.client_name)
                if not res.ok:
                    raise InternalServerError(f"Internal server error (deleting item {key!r}: {res.error})")
                self._decoded.pop(key, None)
        t.live = False
        for g in t.gsis.values():
            g.live = False
            for _, group in list(g.order):
                for key, _ in list(self._runs(group, consistent=True)):
                    self.cluster.delete(key, client=self.index_client)
                    self._decoded.pop(key, None)
        if t.stream is not None:
            t.stream.close(self.now, self._stream_seq)
        del self.tables[t.name]
        return {"TableDescription": desc}

    def update_table(self, p: dict[str, Any]) -> dict[str, Any]:
        """Provisioned throughput (table and GSIs), billing mode, and streams."""
        t = self._table(p.get("TableName"), describe=True)
        now = self.now
        mode = p.get("BillingMode")
        if mode is not None and mode not in ("PROVISIONED", "PAY_PER_REQUEST"):
            raise _bad(f"1 validation error detected: Value '{mode}' at 'billingMode' failed to satisfy constraint: "
                       "Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]")
        pt = p.get("ProvisionedThroughput")
        if mode == "PAY_PER_REQUEST":
            if pt is not None:
                raise _bad("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits "
                           "can be specified when BillingMode is PAY_PER_REQUEST")
            t.read_bucket = t.write_bucket = None
            for g in t.gsis.values():
                g.read_bucket = g.write_bucket = None
        elif pt is not None or mode == "PROVISIONED":
            if pt is None:
                raise _bad("One or more parameter values were invalid: ProvisionedThroughput must be specified when "
                           "BillingMode is PROVISIONED")
            r, w = pt.get("ReadCapacityUnits"), pt.get("WriteCapacityUnits")
            for v in (r, w):
                if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                    raise _bad(f"1 validation error detected: Value '{v}' at 'provisionedThroughput' failed to satisfy "
                               "constraint: Member must have value greater than or equal to 1")
            if t.read_bucket is None or t.write_bucket is None:
                t.read_bucket, t.write_bucket = Bucket.new(r, now), Bucket.new(w, now)
            else:
                t.read_bucket.set_rate(r, now)
                t.write_bucket.set_rate(w, now)
        for upd in p.get("GlobalSecondaryIndexUpdates") or []:
            u = upd.get("Update")
            if u is None:
                raise _bad("dynviz supports only Update in GlobalSecondaryIndexUpdates (indexes are fixed at CreateTable)")
            g = t.gsis.get(u.get("IndexName"))
            if g is None:
                raise ResourceNotFoundException(f"Requested resource not found: Index: {u.get('IndexName')} not found")
            gpt = u.get("ProvisionedThroughput") or {}
            if g.read_bucket is None or g.write_bucket is None:
                raise _bad("One or more parameter values were invalid: ProvisionedThroughput cannot be specified for an "
                           "index of a PAY_PER_REQUEST table")
            g.read_bucket.set_rate(gpt.get("ReadCapacityUnits", g.read_bucket.rate), now)
            g.write_bucket.set_rate(gpt.get("WriteCapacityUnits", g.write_bucket.rate), now)
        spec = p.get("StreamSpecification")
        if spec is not None:
            if spec.get("StreamEnabled"):
                if t.stream is not None and t.stream.enabled:
                    raise ResourceInUseException(f"Table {t.name} already has an enabled stream: {t.stream.arn}")
                view = spec.get("StreamViewType")
                if view not in ("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"):
                    raise _bad("One or more parameter values were invalid: StreamViewType must be one of KEYS_ONLY, "
                               "NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES when StreamEnabled is true")
                if t.stream is not None:
                    t.old_streams.append(t.stream)
                t.stream = Stream(t.name, view, t.schema.key_schema(), now, self._stream_seq)
            else:
                if t.stream is None or not t.stream.enabled:
                    raise _bad(f"Table {t.name} does not have a stream enabled")
                t.stream.close(now, self._stream_seq)
                t.old_streams.append(t.stream)
                t.stream = None
        t.version += 1
        return {"TableDescription": self.describe(t)}

    # ------------------------------------------------------------------- item writes

    def _placeholders(self, p: dict[str, Any], used_any: bool) -> Placeholders:
        names, values = p.get("ExpressionAttributeNames"), p.get("ExpressionAttributeValues")
        if not used_any:
            if values is not None:
                raise _bad("ExpressionAttributeValues can only be specified when using expressions")
            if names is not None:
                raise _bad("ExpressionAttributeNames can only be specified when using expressions")
        return Placeholders(names, values)

    @staticmethod
    def _legacy(p: dict[str, Any], *names: str) -> None:
        for n in names:
            if p.get(n) is not None:
                raise _bad(f"dynviz supports expressions only: the legacy parameter {n} is not supported; "
                           "use the expression parameters instead")

    def _rcc(self, p: dict[str, Any]) -> str:
        mode = p.get("ReturnConsumedCapacity", "NONE")
        if mode not in ("NONE", "TOTAL", "INDEXES"):
            raise _bad(f"1 validation error detected: Value '{mode}' at 'returnConsumedCapacity' failed to satisfy "
                       "constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]")
        return mode

    def _consumed(self, t: Table, mode: str, table_units: float, lsi: dict[str, float],
                  gsi: dict[str, float]) -> dict[str, Any] | None:
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

    def _check_write_capacity(self, t: Table, table_units: float, gsi_units: dict[str, float]) -> None:
        now = self.now
        if t.write_bucket is not None and not t.write_bucket.allows(table_units, now):
            t.stats.throttled_writes += 1
            t.write_bucket.throttled += 1
            raise ProvisionedThroughputExceededException(
                "The level of configured provisioned throughput for the table was exceeded. "
                "Consider increasing your provisioning level with the UpdateTable API.")
        for name, units in gsi_units.items():
            b = t.gsis[name].write_bucket
            if b is not None and units and not b.allows(units, now):
                t.stats.throttled_writes += 1
                b.throttled += 1
                raise ProvisionedThroughputExceededException(
                    "The level of configured provisioned throughput for one or more global secondary indexes of the "
                    "table was exceeded. Consider increasing your provisioning level for the under-provisioned global "
                    "secondary indexes with the UpdateTable API")

    def _spend_write(self, t: Table, table_units: float, gsi_units: dict[str, float]) -> None:
        now = self.now
        if t.write_bucket is not None:
            t.write_bucket.spend(table_units, now)
        t.stats.consumed_write += table_units
        for name, units in gsi_units.items():
            b = t.gsis[name].write_bucket
            if b is not None and units:
                b.spend(units, now)

    def _write_costs(self, t: Table, old: Item | None, new: Item | None) -> tuple[float, dict[str, float], dict[str, float]]:
        size = max(item_size(old) if old else 0, item_size(new) if new else 0)
        base = write_units(size)
        lsi = {n: index_write_units(ix, old, new) for n, ix in t.lsis.items()}
        gsi = {n: index_write_units(g.ix, old, new) for n, g in t.gsis.items()}
        return base, {k: v for k, v in lsi.items() if v}, {k: v for k, v in gsi.items() if v}

    def _collection_bytes(self, t: Table, item: Item | None) -> int:
        """What one item adds to its item collection: itself and its LSI entries."""
        if item is None:
            return 0
        return item_size(item) + sum(entry_size(ix, item) for ix in t.lsis.values() if ix.has_keys(item))

    def _apply(self, t: Table, pk_av: dict[str, Any], sk: Any, sk_av: Any, old: Item | None,
               new: Item | None) -> bool:
        """Write one item's change (``new`` None deletes) and, once acknowledged, record
        it: counts, the partition directory, the stream and the GSI queues. Returns
        whether the item changed.

        A write that changes nothing (by what its read saw) is still written, with a
        new time stamp: its read may have been stale (a sloppy quorum, a partition),
        and an older concurrent write it did not see must not win over it under LWW.
        Only the record is skipped: no stream record, no index update, as DynamoDB."""
        changed = not items_equal(old, new)
        if changed and t.lsis:
            c = t.collections.get(t.group(pk_av))
            size = (c[1] if c else 0) - self._collection_bytes(t, old) + self._collection_bytes(t, new)
            if size > self.item_collection_limit:
                raise ItemCollectionSizeLimitExceededException("Collection size exceeded.")
        self._seq += 1
        entry = Entry(sk, sk_av, self.now, self._seq, new, item_size(new) if new is not None else 0)
        self._write_entry(t, pk_av, entry)
        if changed:
            self._record(t, pk_av, old, new)
        return changed

    def _record(self, t: Table, pk_av: dict[str, Any], old: Item | None, new: Item | None) -> None:
        s = t.schema
        t.version += 1
        t.stats.writes += 1
        t.item_count += (new is not None) - (old is not None)
        t.size_bytes += (item_size(new) if new else 0) - (item_size(old) if old else 0)
        for name, ix in t.lsis.items():
            c = t.lsi_counts[name]
            if old is not None and ix.has_keys(old):
                c[0] -= 1
                c[1] -= entry_size(ix, old)
            if new is not None and ix.has_keys(new):
                c[0] += 1
                c[1] += entry_size(ix, new)
        group = t.group(pk_av)
        counts = t.collections.get(group)
        if counts is None:
            counts = t.collections[group] = [0, 0]
            bisect.insort(t.partitions, (token_of(group), group))
            t.pk_avs[group] = pk_av
        counts[0] += (new is not None) - (old is not None)
        counts[1] += self._collection_bytes(t, new) - self._collection_bytes(t, old)
        if counts[0] <= 0:
            del t.collections[group]
            i = bisect.bisect_left(t.partitions, (token_of(group), group))
            if i < len(t.partitions) and t.partitions[i][1] == group:
                del t.partitions[i]
            t.pk_avs.pop(group, None)
        image = new if new is not None else old
        assert image is not None
        keys = {k: image[k] for k in s.key_names}
        if t.stream is not None:
            event = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
            t.stream.append(self.now, self._stream_seq, event, keys, old, new)
            self._stream_seq += 1
        if t.gsis:
            sched = self.cluster.scheduler
            for g in t.gsis.values():
                if (old is not None and g.ix.has_keys(old)) or (new is not None and g.ix.has_keys(new)):
                    g.pending += 1
                    sched.after(self.gsi_delay, self._propagate, g, old, new, self.now, self._seq)

    def _propagate(self, g: GlobalIndex, old: Item | None, new: Item | None, ts: int, seq: int) -> None:
        """Apply one table write to one GSI, a moment after it: the entry it removes
        becomes a tombstone, the entry it adds or changes is put, both as asynchronous
        puts through the cluster (retried until acknowledged). ``pending`` counts the
        table write until its last put is acknowledged."""
        if not g.live:
            g.pending -= 1
            return
        ix = g.ix
        g.account(old, new)
        old_key = g.key_of(old) if old is not None and ix.has_keys(old) else None
        new_key = g.key_of(new) if new is not None and ix.has_keys(new) else None
        writes: list[tuple[bytes, Entry]] = []
        if old_key is not None and old_key != new_key:
            writes.append((old_key, Entry(0, None, ts, seq, None, 0)))
        if new_key is not None:
            entry = ix.project(new)  # type: ignore[arg-type]
            if old_key != new_key or not items_equal(ix.project(old), entry):  # type: ignore[arg-type]
                writes.append((new_key, Entry(0, None, ts, seq, entry, item_size(entry))))
        if not writes:
            g.pending -= 1
            return
        left = [len(writes)]

        def put(key: bytes, data: bytes) -> None:
            if not g.live:
                left[0] -= 1
                if not left[0]:
                    g.pending -= 1
                return
            self.cluster.submit_put(key, data, client=self.index_client).callbacks.append(
                lambda pending: acked(key, data, pending.result.ok))  # type: ignore[union-attr]

        def acked(key: bytes, data: bytes, ok: bool) -> None:
            if not ok:  # no quorum now: try again later, as DynamoDB's propagation does
                self.cluster.scheduler.after(self.gsi_delay, put, key, data)
                return
            left[0] -= 1
            if not left[0]:
                g.pending -= 1

        for key, entry in writes:
            put(key, encode_entry(entry))

    def _key_parts(self, t: Table, key: Item) -> tuple[dict[str, Any], Any, Any]:
        s = t.schema
        sk_av = key[s.sk.name] if s.sk else None
        return key[s.pk.name], (key_native(sk_av) if sk_av is not None else 0), sk_av

    def _fail_condition(self, t: Table, p: dict[str, Any], old: Item | None, units: float) -> None:
        self._spend_write(t, units, {})
        t.stats.conditional_failures += 1
        item = copy_item(old) if old is not None and p.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" else None
        raise ConditionalCheckFailedException("The conditional request failed", item=item)

    def put_item(self, p: dict[str, Any]) -> tuple[dict[str, Any], Item | None]:
        """Returns the response and the item now stored (for a write-through cache)."""
        t = self._table(p.get("TableName"))
        self._legacy(p, "Expected", "ConditionalOperator")
        if "Item" not in p:
            raise _bad('Missing required parameter in input: "Item"')
        item = check_item(p["Item"])
        s = t.schema
        s.check_item_keys(item)
        if item_size(item) > MAX_ITEM_BYTES:
            raise _bad("Item size has exceeded the maximum allowed size")
        failed_units = write_units(item_size(item))
        out, pk_av = self._write_one(t, p, item, item, lambda old, base: failed_units if old else 1.0)
        self._item_metrics(t, p, out, pk_av)
        return out, item

    def _write_one(self, t: Table, p: dict[str, Any], key: Item, new: Item | None,
                   failed_units: Callable[[Item | None, float], float]) -> tuple[dict[str, Any], dict[str, Any]]:
        """What put_item and delete_item share: the condition, the capacity check, the
        read-modify-write of the item's object, ReturnValues and consumed capacity.
        ``new`` None deletes. Returns the response and the partition key."""
        cond_text = p.get("ConditionExpression")
        ph = self._placeholders(p, cond_text is not None)
        cond = parse_condition(cond_text, "ConditionExpression", ph) if cond_text is not None else None
        ph.check_unused()
        rv = p.get("ReturnValues", "NONE")
        if rv not in ("NONE", "ALL_OLD"):
            raise _bad("Return values set to invalid value")
        rcc = self._rcc(p)
        pk_av, sk, sk_av = self._key_parts(t, key)
        found = self._read_for_write(t, pk_av, sk_av)
        old = found.item if found is not None else None
        base, lsi, gsi = self._write_costs(t, old, new)
        self._check_write_capacity(t, base + sum(lsi.values()), gsi)
        if cond is not None and not evaluate(cond, old or {}):
            self._fail_condition(t, p, old, failed_units(old, base))
        self._apply(t, pk_av, sk, sk_av, old, new)
        self._spend_write(t, base + sum(lsi.values()), gsi)
        out: dict[str, Any] = {}
        if rv == "ALL_OLD" and old is not None:
            out["Attributes"] = copy_item(old)
        cc = self._consumed(t, rcc, base, lsi, gsi)
        if cc:
            out["ConsumedCapacity"] = cc
        return out, pk_av

    def _item_metrics(self, t: Table, p: dict[str, Any], out: dict[str, Any], pk_av: dict[str, Any]) -> None:
        if p.get("ReturnItemCollectionMetrics") == "SIZE" and t.lsis:
            c = t.collections.get(t.group(pk_av))
            gb = (c[1] if c else 0) / 1024**3
            out["ItemCollectionMetrics"] = {"ItemCollectionKey": {t.schema.pk.name: dict(pk_av)},
                                            "SizeEstimateRangeGB": [0.0, max(1.0, gb)]}

    def delete_item(self, p: dict[str, Any]) -> tuple[dict[str, Any], Item]:
        t = self._table(p.get("TableName"))
        self._legacy(p, "Expected", "ConditionalOperator")
        if "Key" not in p:
            raise _bad('Missing required parameter in input: "Key"')
        key = t.schema.check_key(p["Key"])
        out, _ = self._write_one(t, p, key, None, lambda old, base: base)
        return out, key

    def update_item(self, p: dict[str, Any]) -> tuple[dict[str, Any], Item | None]:
        t = self._table(p.get("TableName"))
        self._legacy(p, "Expected", "ConditionalOperator", "AttributeUpdates")
        if "Key" not in p:
            raise _bad('Missing required parameter in input: "Key"')
        s = t.schema
        key = s.check_key(p["Key"])
        upd_text, cond_text = p.get("UpdateExpression"), p.get("ConditionExpression")
        ph = self._placeholders(p, upd_text is not None or cond_text is not None)
        actions = parse_update(upd_text, ph) if upd_text is not None else []
        cond = parse_condition(cond_text, "ConditionExpression", ph) if cond_text is not None else None
        ph.check_unused()
        for a in actions:
            if a.path.top in s.key_names:
                raise _bad(f"One or more parameter values were invalid: Cannot update attribute {a.path.top}. "
                           "This attribute is part of the key")
        rv = p.get("ReturnValues", "NONE")
        if rv not in ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"):
            raise _bad("Return values set to invalid value")
        rcc = self._rcc(p)
        pk_av, sk, sk_av = self._key_parts(t, key)
        found = self._read_for_write(t, pk_av, sk_av)
        old = found.item if found is not None else None
        if cond is not None and not evaluate(cond, old or {}):
            base, lsi, gsi = self._write_costs(t, old, old)
            self._check_write_capacity(t, base + sum(lsi.values()), gsi)
            self._fail_condition(t, p, old, base if old else 1.0)
        new = apply_update(actions, old if old is not None else key)
        if item_size(new) > MAX_ITEM_BYTES:
            raise _bad("Item size to update has exceeded the maximum allowed size")
        s.check_item_keys(new)
        base, lsi, gsi = self._write_costs(t, old, new)
        self._check_write_capacity(t, base + sum(lsi.values()), gsi)
        self._apply(t, pk_av, sk, sk_av, old, new)
        self._spend_write(t, base + sum(lsi.values()), gsi)
        out: dict[str, Any] = {}
        touched = {a.path.top for a in actions}
        if rv == "ALL_OLD" and old is not None:
            out["Attributes"] = copy_item(old)
        elif rv == "ALL_NEW":
            out["Attributes"] = copy_item(new)
        elif rv == "UPDATED_OLD" and old is not None:
            attrs = {k: v for k, v in old.items() if k in touched}
            if attrs:
                out["Attributes"] = copy_item(attrs)
        elif rv == "UPDATED_NEW":
            attrs = {k: v for k, v in new.items() if k in touched}
            if attrs:
                out["Attributes"] = copy_item(attrs)
        cc = self._consumed(t, rcc, base, lsi, gsi)
        if cc:
            out["ConsumedCapacity"] = cc
        self._item_metrics(t, p, out, pk_av)
        return out, new

    # -------------------------------------------------------------------- item reads

    def _projection(self, p: dict[str, Any]) -> tuple[list[Path] | None, Placeholders]:
        text = p.get("ProjectionExpression")
        ph = self._placeholders(p, text is not None)
        paths = parse_projection(text, ph) if text is not None else None
        return paths, ph

    def _check_read_capacity(self, t: Table, units: float, bucket: Bucket | None, index: str | None = None) -> None:
        if bucket is not None and not bucket.allows(units, self.now):
            t.stats.throttled_reads += 1
            bucket.throttled += 1
            if index is not None:
                raise ProvisionedThroughputExceededException(
                    "The level of configured provisioned throughput for one or more global secondary indexes of the "
                    "table was exceeded. Consider increasing your provisioning level for the under-provisioned global "
                    "secondary indexes with the UpdateTable API")
            raise ProvisionedThroughputExceededException(
                "The level of configured provisioned throughput for the table was exceeded. "
                "Consider increasing your provisioning level with the UpdateTable API.")
        if bucket is not None:
            bucket.spend(units, self.now)
        t.stats.consumed_read += units
        t.stats.reads += 1

    @staticmethod
    def _consistent(p: dict[str, Any]) -> bool:
        c = p.get("ConsistentRead", False)
        if not isinstance(c, bool):
            raise _bad(f"Invalid type for parameter ConsistentRead, value: {c!r}, type: {type(c)}, valid types: <class 'bool'>")
        return c

    def get_item(self, p: dict[str, Any]) -> dict[str, Any]:
        t = self._table(p.get("TableName"))
        self._legacy(p, "AttributesToGet")
        if "Key" not in p:
            raise _bad('Missing required parameter in input: "Key"')
        key = t.schema.check_key(p["Key"])
        paths, ph = self._projection(p)
        ph.check_unused()
        consistent = self._consistent(p)
        rcc = self._rcc(p)
        pk_av, _, sk_av = self._key_parts(t, key)
        found = self._read_item(t, pk_av, sk_av, consistent)
        item = found.item if found is not None else None
        units = read_units(item_size(item) if item else 0, consistent)
        self._check_read_capacity(t, units, t.read_bucket)
        out: dict[str, Any] = {}
        if item is not None:
            out["Item"] = project(item, paths) if paths is not None else copy_item(item)
        cc = self._consumed(t, rcc, units, {}, {})
        if cc:
            out["ConsumedCapacity"] = cc
        return out

    def batch_get_item(self, p: dict[str, Any]) -> dict[str, Any]:
        req = p.get("RequestItems")
        if not isinstance(req, dict) or not req:
            raise _bad("1 validation error detected: Value at 'requestItems' failed to satisfy constraint: "
                       "Member must have length greater than or equal to 1")
        rcc = self._rcc(p)
        plans = []
        total = 0
        for name, spec in req.items():
            t = self._table(name)
            self._legacy(spec, "AttributesToGet")
            keys_raw = spec.get("Keys")
            if not isinstance(keys_raw, list) or not keys_raw:
                raise _bad("1 validation error detected: Value at 'requestItems." + name + ".member.keys' failed to "
                           "satisfy constraint: Member must have length greater than or equal to 1")
            keys = [t.schema.check_key(k) for k in keys_raw]
            seen = set()
            for k in keys:
                ident = tuple(key_native(k[n]) for n in t.schema.key_names)
                if ident in seen:
                    raise _bad("Provided list of item keys contains duplicates")
                seen.add(ident)
            total += len(keys)
            paths, ph = self._projection(spec)
            ph.check_unused()
            plans.append((t, spec, keys, paths, self._consistent(spec)))
        if total > MAX_BATCH_GET:
            raise _bad("Too many items requested for the BatchGetItem call")
        responses: dict[str, list[Item]] = {}
        unprocessed: dict[str, Any] = {}
        consumed = []
        throttled_all = True
        for t, spec, keys, paths, consistent in plans:
            got = responses.setdefault(t.name, [])
            units_sum = 0.0
            for k in keys:
                pk_av, _, sk_av = self._key_parts(t, k)
                found = self._read_item(t, pk_av, sk_av, consistent)
                item = found.item if found is not None else None
                units = read_units(item_size(item) if item else 0, consistent)
                try:
                    self._check_read_capacity(t, units, t.read_bucket)
                except ProvisionedThroughputExceededException:
                    un = unprocessed.setdefault(t.name, {k2: v for k2, v in spec.items() if k2 != "Keys"})
                    un.setdefault("Keys", []).append(copy_item(k))
                    continue
                throttled_all = False
                units_sum += units
                if item is not None:
                    got.append(project(item, paths) if paths is not None else copy_item(item))
            cc = self._consumed(t, rcc, units_sum, {}, {})
            if cc:
                consumed.append(cc)
        if throttled_all and unprocessed:
            raise ProvisionedThroughputExceededException(
                "The level of configured provisioned throughput for the table was exceeded. "
                "Consider increasing your provisioning level with the UpdateTable API.")
        out: dict[str, Any] = {"Responses": responses, "UnprocessedKeys": unprocessed}
        if consumed:
            out["ConsumedCapacity"] = consumed
        return out

    def batch_write_item(self, p: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, Item, Item | None]]]:
        """Every request is validated before any is applied; then each is one
        read-modify-write of its item. A request that is throttled or cannot reach its
        replicas is returned in UnprocessedItems, untouched; the others are applied."""
        req = p.get("RequestItems")
        if not isinstance(req, dict) or not req:
            raise _bad("1 validation error detected: Value at 'requestItems' failed to satisfy constraint: "
                       "Member must have length greater than or equal to 1")
        rcc = self._rcc(p)
        total = 0
        plan: list[tuple[str, dict[str, Any], Item, Item | None]] = []
        tables: dict[str, Table] = {}
        for name, reqs in req.items():
            t = self._table(name)
            tables[name] = t
            if not isinstance(reqs, list) or not reqs:
                raise _bad(f"1 validation error detected: Value at 'requestItems.{name}.member' failed to satisfy "
                           "constraint: Member must have length greater than or equal to 1")
            seen = set()
            for r in reqs:
                total += 1
                if not isinstance(r, dict) or len(r) != 1 or next(iter(r)) not in ("PutRequest", "DeleteRequest"):
                    raise _bad("Supplied AttributeValue has more than one datatypes set, must contain exactly one of "
                               "the supported datatypes" if isinstance(r, dict) and len(r) > 1 else
                               "1 validation error detected: each WriteRequest must be a PutRequest or a DeleteRequest")
                if "PutRequest" in r:
                    item = check_item((r["PutRequest"] or {}).get("Item"), "Item")
                    t.schema.check_item_keys(item)
                    if item_size(item) > MAX_ITEM_BYTES:
                        raise _bad("Item size has exceeded the maximum allowed size")
                    key = t.schema.key_of(item)
                    new: Item | None = item
                else:
                    key = t.schema.check_key((r["DeleteRequest"] or {}).get("Key"))
                    new = None
                ident = tuple(key_native(key[n]) for n in t.schema.key_names)
                if ident in seen:
                    raise _bad("Provided list of item keys contains duplicates")
                seen.add(ident)
                plan.append((name, r, key, new))
        if total > MAX_BATCH_WRITE:
            raise _bad("1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must "
                       "satisfy constraint: [Member must have length less than or equal to 25, Member must have length "
                       "greater than or equal to 1]")
        unprocessed: dict[str, list[dict[str, Any]]] = {}
        consumed: dict[str, list[float]] = {}
        written: list[tuple[str, Item, Item | None]] = []
        processed_any = False
        for name, r, key, new in plan:
            t = tables[name]
            pk_av, sk, sk_av = self._key_parts(t, key)
            try:
                found = self._read_for_write(t, pk_av, sk_av)
                old = found.item if found is not None else None
                base, lsi, gsi = self._write_costs(t, old, new)
                self._check_write_capacity(t, base + sum(lsi.values()), gsi)
                changed = self._apply(t, pk_av, sk, sk_av, old, new)
            except (ProvisionedThroughputExceededException, InternalServerError, ItemCollectionSizeLimitExceededException):
                unprocessed.setdefault(name, []).append(r)
                continue
            processed_any = True
            if changed:
                written.append((name, key, new))
            self._spend_write(t, base + sum(lsi.values()), gsi)
            c = consumed.setdefault(name, [0.0, 0.0])
            c[0] += base
            c[1] += sum(lsi.values()) + sum(gsi.values())
        if unprocessed and not processed_any:
            raise ProvisionedThroughputExceededException(
                "The level of configured provisioned throughput for the table was exceeded. "
                "Consider increasing your provisioning level with the UpdateTable API.")
        out: dict[str, Any] = {"UnprocessedItems": unprocessed}
        if rcc != "NONE":
            out["ConsumedCapacity"] = [{"TableName": n, "CapacityUnits": a + b, **({"Table": {"CapacityUnits": a}} if rcc == "INDEXES" else {})}
                                       for n, (a, b) in consumed.items()]
        return out, written

    # ------------------------------------------------------------------ query, scan

    def _select(self, p: dict[str, Any], ix: IndexDef | None, paths: list[Path] | None) -> str:
        sel = p.get("Select")
        if sel is None:
            return "SPECIFIC_ATTRIBUTES" if paths is not None else ("ALL_PROJECTED_ATTRIBUTES" if ix else "ALL_ATTRIBUTES")
        if sel not in ("ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES", "COUNT"):
            raise _bad(f"1 validation error detected: Value '{sel}' at 'select' failed to satisfy constraint: Member must "
                       "satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]")
        if paths is not None and sel != "SPECIFIC_ATTRIBUTES":
            raise _bad(f"One or more parameter values were invalid: Select type {sel} is not compatible with "
                       "ProjectionExpression; use SPECIFIC_ATTRIBUTES")
        if sel == "SPECIFIC_ATTRIBUTES" and paths is None:
            raise _bad("One or more parameter values were invalid: Select type SPECIFIC_ATTRIBUTES requires a "
                       "ProjectionExpression")
        if sel == "ALL_PROJECTED_ATTRIBUTES" and ix is None:
            raise _bad("One or more parameter values were invalid: Select type ALL_PROJECTED_ATTRIBUTES is supported "
                       "only for index queries")
        if sel == "ALL_ATTRIBUTES" and ix is not None and ix.kind == "global" and ix.projection != "ALL":
            raise _bad(f"One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for "
                       f"global secondary index {ix.name} because its projection type is not ALL")
        return sel

    @staticmethod
    def _limit(p: dict[str, Any]) -> int | None:
        limit = p.get("Limit")
        if limit is None:
            return None
        if not isinstance(limit, int) or isinstance(limit, bool):
            raise _bad(f"Invalid type for parameter Limit, value: {limit!r}, type: {type(limit)}, valid types: <class 'int'>")
        if limit < 1:
            raise _bad(f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: "
                       "Member must have value greater than or equal to 1")
        return limit

    def _index(self, t: Table, p: dict[str, Any], consistent: bool) -> IndexDef | None:
        name = p.get("IndexName")
        if name is None:
            return None
        ix = t.schema.index(name)
        if ix is None:
            raise _bad(f"The table does not have the specified index: {name}")
        if ix.kind == "global" and consistent:
            raise _bad("Consistent reads are not supported on global secondary indexes")
        return ix

    def _start_key(self, t: Table, ix: IndexDef | None, esk: Any) -> tuple[dict[str, Any], tuple[Any, ...]] | None:
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
        return vals[ix.pk.name], ix.sort_tuple(vals)

    def _key_condition(self, node: Any, pk: KeyDef, sk: KeyDef | None) -> tuple[dict[str, Any], tuple[Any, ...] | None]:
        conj: list[Any] = []

        def flatten(n: Any) -> None:
            from dynviz.table.expressions import And, In, Not, Or

            if isinstance(n, And):
                flatten(n.left)
                flatten(n.right)
            elif isinstance(n, Or):
                raise _bad("Invalid operator used in KeyConditionExpression: OR")
            elif isinstance(n, Not):
                raise _bad("Invalid operator used in KeyConditionExpression: NOT")
            elif isinstance(n, In):
                raise _bad("Invalid operator used in KeyConditionExpression: IN")
            else:
                conj.append(n)

        flatten(node)
        pk_val: dict[str, Any] | None = None
        sk_cond: tuple[Any, ...] | None = None
        flip = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "<>": "<>"}
        for c in conj:
            if isinstance(c, Compare):
                path, value, op = c.left, c.right, c.op
                if isinstance(path, Value) and isinstance(value, Path):
                    path, value, op = value, path, flip[op]
                if op == "<>":
                    raise _bad("Invalid operator used in KeyConditionExpression: <>")
                if not isinstance(path, Path) or not isinstance(value, Value):
                    raise _bad("Invalid KeyConditionExpression: The key condition must compare a key attribute with a value")
                cond: tuple[Any, ...] = (op, value.value)
            elif isinstance(c, Between):
                if not isinstance(c.operand, Path) or not isinstance(c.low, Value) or not isinstance(c.high, Value):
                    raise _bad("Invalid KeyConditionExpression: The key condition must compare a key attribute with a value")
                path = c.operand
                cond = ("BETWEEN", c.low.value, c.high.value)
            elif isinstance(c, Func):
                if c.name != "begins_with":
                    raise _bad(f"Invalid operator used in KeyConditionExpression: {c.name}")
                path, value = c.args
                if not isinstance(path, Path) or not isinstance(value, Value):
                    raise _bad("Invalid KeyConditionExpression: The key condition must compare a key attribute with a value")
                cond = ("begins_with", value.value)
            else:
                raise _bad("Query key condition not supported")
            if len(path.parts) != 1:
                raise _bad("Key condition expressions cannot use nested attributes; use a top-level key attribute")
            name = path.parts[0]
            if name == pk.name:
                if cond[0] != "=":
                    raise _bad("Query key condition not supported")
                if pk_val is not None:
                    raise _bad("KeyConditionExpressions must only contain one condition per key")
                if type_of(cond[1]) != pk.type:
                    raise _bad("One or more parameter values were invalid: Condition parameter type does not match schema type")
                pk_val = cond[1]
            elif sk is not None and name == sk.name:
                if sk_cond is not None:
                    raise _bad("KeyConditionExpressions must only contain one condition per key")
                for v in cond[1:]:
                    if type_of(v) != sk.type:
                        raise _bad("One or more parameter values were invalid: Condition parameter type does not match schema type")
                if cond[0] == "begins_with" and sk.type == "N":
                    raise _bad("Invalid KeyConditionExpression: Incorrect operand type for operator or function; "
                               "operator or function: begins_with, operand type: N")
                sk_cond = cond
            else:
                raise _bad(f"Query condition missed key schema element: {pk.name if pk_val is None else (sk.name if sk else pk.name)}"
                           if pk_val is None else "Query key condition not supported")
        if pk_val is None:
            raise _bad(f"Query condition missed key schema element: {pk.name}")
        return pk_val, sk_cond

    @staticmethod
    def _bounds(firsts: list[Any], cond: tuple[Any, ...] | None) -> tuple[int, int]:
        n = len(firsts)
        if cond is None:
            return 0, n
        op = cond[0]
        v = key_native(cond[1])
        if op == "=":
            return bisect.bisect_left(firsts, v), bisect.bisect_right(firsts, v)
        if op == "<":
            return 0, bisect.bisect_left(firsts, v)
        if op == "<=":
            return 0, bisect.bisect_right(firsts, v)
        if op == ">":
            return bisect.bisect_right(firsts, v), n
        if op == ">=":
            return bisect.bisect_left(firsts, v), n
        if op == "BETWEEN":
            hi_v = key_native(cond[2])
            return bisect.bisect_left(firsts, v), bisect.bisect_right(firsts, hi_v)
        lo = bisect.bisect_left(firsts, v)
        hi = lo
        while hi < n and firsts[hi][:len(v)] == v:
            hi += 1
        return lo, hi

    @staticmethod
    def _in_bounds(first: Any, cond: tuple[Any, ...] | None) -> bool:
        if cond is None:
            return True
        op, v = cond[0], key_native(cond[1])
        if op == "=":
            return bool(first == v)
        if op == "<":
            return bool(first < v)
        if op == "<=":
            return bool(first <= v)
        if op == ">":
            return bool(first > v)
        if op == ">=":
            return bool(first >= v)
        if op == "BETWEEN":
            return bool(v <= first <= key_native(cond[2]))
        return bool(first[:len(v)] == v)

    @staticmethod
    def _byte_bounds(cond: tuple[Any, ...] | None, tuples: bool = False) -> tuple[bytes, bytes | None]:
        """A sort-key condition as the range ``[start, end)`` of key suffixes (``end``
        None: to the partition's end).

        A table's suffix is the sort key's bytes ``v``: ``v + 0x00`` is the smallest
        suffix above ``v``, so it ends ``<= v`` and starts ``> v``. An index's suffix is
        a tuple (``keys.tuple_bytes``) whose first value is the index sort key: every
        entry whose first value is ``v`` lies in ``[e 00 00, e 00 01)``, ``e`` being
        ``v`` escaped."""
        if cond is None:
            return b"", None
        op = cond[0]
        if tuples:
            e = escape(sort_key_bytes(cond[1]))
            at, past = e + b"\x00\x00", e + b"\x00\x01"
        else:
            e = at = sort_key_bytes(cond[1])
            past = at + b"\x00"
        if op == "=":
            return at, past
        if op == "<":
            return b"", at
        if op == "<=":
            return b"", past
        if op == ">":
            return past, None
        if op == ">=":
            return at, None
        if op == "BETWEEN":
            hi = sort_key_bytes(cond[2])
            return at, (escape(hi) + b"\x00\x01") if tuples else hi + b"\x00"
        return e, after_prefix(e)  # begins_with

    @staticmethod
    def _sort_bytes(t: Table, key: Item) -> bytes:
        return sort_key_bytes(key[t.schema.sk.name]) if t.schema.sk else b""

    def _view(self, ix: IndexDef, coll: Collection) -> tuple[list[tuple[Any, ...]], list[Any], list[Item]]:
        """(sort tuples, first elements, items) of one partition's LSI, sorted."""
        lsi = ix

        def build_lsi(c: Collection) -> Any:
            v = LocalView(lsi, [e.item for e in c.live()])  # type: ignore[misc]
            return (v.tuples, v.firsts, v.items)
        return coll.lsi_view(ix.name, build_lsi)  # type: ignore[no-any-return]

    def _read_filters(self, p: dict[str, Any], ph: Placeholders) -> tuple[Any, list[Path] | None]:
        ftext = p.get("FilterExpression")
        filt = parse_condition(ftext, "FilterExpression", ph) if ftext is not None else None
        ptext = p.get("ProjectionExpression")
        paths = parse_projection(ptext, ph) if ptext is not None else None
        return filt, paths

    def query(self, p: dict[str, Any]) -> dict[str, Any]:
        t = self._table(p.get("TableName"))
        self._legacy(p, "KeyConditions", "QueryFilter", "AttributesToGet", "ConditionalOperator")
        consistent = self._consistent(p)
        ix = self._index(t, p, consistent)
        kce = p.get("KeyConditionExpression")
        if kce is None:
            raise _bad("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
        ph = Placeholders(p.get("ExpressionAttributeNames"), p.get("ExpressionAttributeValues"))
        key_node = parse_condition(kce, "KeyConditionExpression", ph)
        filt, paths = self._read_filters(p, ph)
        ph.check_unused()
        s = t.schema
        kpk, ksk = (ix.pk, ix.sk) if ix is not None else (s.pk, s.sk)
        pk_val, sk_cond = self._key_condition(key_node, kpk, ksk)
        if filt is not None:
            for path in condition_paths(filt):
                if path.top in (kpk.name, *((ksk.name,) if ksk else ())):
                    raise _bad(f"Filter Expression can only contain non-primary key attributes: Primary key attribute: {path.top}")
        limit = self._limit(p)
        select = self._select(p, ix, paths)
        forward = p.get("ScanIndexForward", True)
        if not isinstance(forward, bool):
            raise _bad(f"Invalid type for parameter ScanIndexForward, value: {forward!r}, type: {type(forward)}, valid types: <class 'bool'>")
        start = self._start_key(t, ix, p.get("ExclusiveStartKey"))
        rcc = self._rcc(p)
        if start is not None:
            spk, stup = start
            if key_native(spk) != key_native(pk_val) or not self._in_bounds(stup[0], sk_cond):
                raise _bad("The provided starting key is outside query boundaries based on provided conditions")
        if ix is None or ix.kind == "global":
            # A range read of the partition's run of keys on the ring: the table's, or
            # the index's (whose keys are tuples, see indexes.py).
            g = t.gsis[ix.name] if ix is not None else None
            lo_b, hi_b = self._byte_bounds(sk_cond, tuples=g is not None)
            if start is not None:
                esk = g.suffix(p["ExclusiveStartKey"]) if g is not None else self._sort_bytes(t, p["ExclusiveStartKey"])
                if forward:
                    lo_b = max(lo_b, esk + b"\x00")
                else:
                    hi_b = esk if hi_b is None else min(hi_b, esk)
            chunk = min(limit, 1000) if limit is not None else READ_CHUNK
            if g is not None:
                entries = self._group_entries(g.group(pk_val), None, False, lo_b, hi_b, not forward, chunk)
            else:
                entries = self._entries(t, pk_val, consistent, lo_b, hi_b, not forward, chunk)
            return self._page(t, ix, p, (e.item for e in entries), limit, filt, paths, select, consistent, rcc)  # type: ignore[misc]
        else:
            tuples, firsts, items = self._view(ix, self._partition(t, pk_val, consistent))
            lo, hi = self._bounds(firsts, sk_cond)
        if forward:
            if start is not None:
                lo = max(lo, bisect.bisect_right(tuples, start[1]))
            order: Iterator[int] = iter(range(lo, hi))
        else:
            if start is not None:
                hi = min(hi, bisect.bisect_left(tuples, start[1]))
            order = iter(range(hi - 1, lo - 1, -1))
        return self._page(t, ix, p, (items[i] for i in order), limit, filt, paths, select, consistent, rcc)

    def _page(self, t: Table, ix: IndexDef | None, p: dict[str, Any], source: Iterator[Item], limit: int | None,
              filt: Any, paths: list[Path] | None, select: str, consistent: bool, rcc: str) -> dict[str, Any]:
        """The shared pipeline (spec §2): read up to Limit items or 1 MB, then filter,
        then project; LastEvaluatedKey is the last item *evaluated*."""
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
            if limit is not None and len(evaluated) >= limit:
                stopped = True
                break
        units = read_units(size, consistent)
        if fetch:
            units += sum(read_units(item_size(it), consistent) for it in evaluated) - read_units(0, consistent)
        if ix is not None and ix.kind == "global":
            g = t.gsis[ix.name]
            self._check_read_capacity(t, units, g.read_bucket, ix.name)
            g_units = {ix.name: units}
            cc = self._consumed(t, rcc, 0.0, {}, g_units)
        else:
            self._check_read_capacity(t, units, t.read_bucket)
            cc = self._consumed(t, rcc, units, {ix.name: 0.0} if ix is not None and rcc == "INDEXES" else {}, {})
            if cc and ix is not None and rcc == "INDEXES":
                cc["Table"] = {"CapacityUnits": 0.0}
                cc["LocalSecondaryIndexes"] = {ix.name: {"CapacityUnits": units}}
        if filt is not None:
            matched = [it for it in evaluated if evaluate(filt, it)]
        else:
            matched = evaluated
        out: dict[str, Any] = {}
        if select != "COUNT":
            if paths is not None:
                shown = [project(it if fetch or ix is None or ix.kind == "global" else ix.project(it), paths) for it in matched]
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

    def scan(self, p: dict[str, Any]) -> dict[str, Any]:
        t = self._table(p.get("TableName"))
        self._legacy(p, "ScanFilter", "AttributesToGet", "ConditionalOperator")
        consistent = self._consistent(p)
        ix = self._index(t, p, consistent)
        ph = Placeholders(p.get("ExpressionAttributeNames"), p.get("ExpressionAttributeValues"))
        filt, paths = self._read_filters(p, ph)
        if p.get("ExpressionAttributeValues") is not None and filt is None:
            raise _bad("ExpressionAttributeValues can only be specified when using expressions")
        ph.check_unused()
        limit = self._limit(p)
        select = self._select(p, ix, paths)
        rcc = self._rcc(p)
        seg, total = p.get("Segment"), p.get("TotalSegments")
        if seg is not None and total is None:
            raise _bad("The TotalSegments parameter is required but was not present in the request when Segment "
                       "parameter is present")
        if total is not None and seg is None:
            raise _bad("The Segment parameter is required but was not present in the request when parameter "
                       "TotalSegments is present")
        if total is not None:
            if not isinstance(total, int) or not 1 <= total <= 1_000_000:
                raise _bad(f"1 validation error detected: Value '{total}' at 'totalSegments' failed to satisfy "
                           "constraint: Member must have value less than or equal to 1000000")
            if not isinstance(seg, int) or seg < 0:
                raise _bad(f"1 validation error detected: Value '{seg}' at 'segment' failed to satisfy constraint: "
                           "Member must have value greater than or equal to 0")
            if seg >= total:
                raise _bad(f"The Segment parameter is zero-based and must be less than parameter TotalSegments: "
                           f"Segment: {seg} is not less than TotalSegments: {total}")
            ring = 1 << 128
            lo_tok, hi_tok = ring * seg // total, ring * (seg + 1) // total
        else:
            lo_tok, hi_tok = 0, 1 << 128
        start = self._start_key(t, ix, p.get("ExclusiveStartKey"))
        glob = t.gsis[ix.name] if ix is not None and ix.kind == "global" else None
        if glob is not None:
            order = glob.order
            start_tok = glob.token(start[0]) if start is not None else None
        else:
            order = t.partitions  # type: ignore[assignment]
            start_tok = token_of(t.group(start[0])) if start is not None else None
        if start_tok is not None and not lo_tok <= start_tok < hi_tok:
            raise _bad("Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. "
                       f"TotalSegments: {total} Segment: {seg}")

        def source() -> Iterator[Item]:
            if start is not None and start_tok is not None:
                pos = bisect.bisect_left(order, (start_tok,))
            else:
                pos = bisect.bisect_left(order, (lo_tok,))
            first = True
            chunk = min(limit, 1000) if limit is not None else READ_CHUNK
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
                    yield from (e.item for e in self._group_entries(ident, None, False, begin, None, False, chunk))  # type: ignore[misc]
                    continue
                if ix is None:
                    begin = self._sort_bytes(t, p["ExclusiveStartKey"]) + b"\x00" if resume else b""
                    yield from (e.item for e in self._entries(t, pk_av, consistent, begin, None, False, chunk))  # type: ignore[misc]
                    continue
                tuples, _, items = self._view(ix, self._partition(t, pk_av, consistent))
                i = bisect.bisect_right(tuples, start[1]) if resume and start is not None else 0
                yield from items[i:]

        return self._page(t, ix, p, source(), limit, filt, paths, select, consistent, rcc)

    # ------------------------------------------------------------------------ streams

    def _stream(self, arn: Any) -> Stream:
        for t in self.tables.values():
            for s in (t.stream, *t.old_streams):
                if s is not None and s.arn == arn:
                    return s
        raise ResourceNotFoundException(f"Requested resource not found: Stream: {arn} not found")

    def list_streams(self, p: dict[str, Any]) -> dict[str, Any]:
        name = p.get("TableName")
        out = []
        for t in self.tables.values():
            if name is not None and t.name != name:
                continue
            for s in (*t.old_streams, *([t.stream] if t.stream else [])):
                out.append({"StreamArn": s.arn, "TableName": t.name, "StreamLabel": s.label})
        return {"Streams": out}

    def describe_stream(self, p: dict[str, Any]) -> dict[str, Any]:
        s = self._stream(p.get("StreamArn"))
        s.trim(self.now)
        return {"StreamDescription": s.describe(p.get("Limit"), p.get("ExclusiveStartShardId"))}

    def get_shard_iterator(self, p: dict[str, Any]) -> dict[str, Any]:
        s = self._stream(p.get("StreamArn"))
        it = s.iterator(p.get("ShardId", ""), p.get("ShardIteratorType", ""), p.get("SequenceNumber"), self.now,
                        self._stream_seq)
        return {"ShardIterator": it}

    def get_records(self, p: dict[str, Any]) -> dict[str, Any]:
        arn, shard_id, pos = decode_iterator(p.get("ShardIterator"), self.now)
        s = self._stream(arn)
        limit = p.get("Limit", 1000)
        if not isinstance(limit, int) or not 1 <= limit <= 1000:
            raise _bad(f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: "
                       "Member must have value less than or equal to 1000")
        records, nxt = s.read(shard_id, pos, limit, self.now)
        out: dict[str, Any] = {"Records": [_copy_record(r) for r in records]}
        if nxt is not None:
            out["NextShardIterator"] = nxt
        return out

    # -------------------------------------------------------------------------- views

    def pending_index_updates(self) -> int:
        return sum(g.pending for t in self.tables.values() for g in t.gsis.values())

    def wait_for_indexes(self, limit: int = 60_000_000) -> bool:
        """Run the simulation until every GSI has applied its pending updates."""
        end = self.now + limit
        sched = self.cluster.scheduler
        while self.pending_index_updates() and self.now < end:
            sched.run_until(min(end, self.now + 10 * _MS))
        return not self.pending_index_updates()

    def snapshot(self, name: str) -> TableSnapshot:
        t = self._table(name, describe=True)
        now = self.now

        def gauge(rb: Bucket | None, wb: Bucket | None, stats: TableStats | None) -> CapacityGauge:
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

        indexes = []
        for ix in t.schema.lsis:
            c = t.lsi_counts[ix.name]
            indexes.append(IndexSnapshot(ix.name, "local", tuple(k for k in (ix.pk.name, ix.sk.name if ix.sk else None) if k),
                                         ix.projection, c[0], c[1], 0, None))
        for ix in t.schema.gsis:
            g = t.gsis[ix.name]
            indexes.append(IndexSnapshot(ix.name, "global", tuple(k for k in (ix.pk.name, ix.sk.name if ix.sk else None) if k),
                                         ix.projection, g.count, g.size, g.pending,
                                         gauge(g.read_bucket, g.write_bucket, None)))
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
            len(t.partitions), gauge(t.read_bucket, t.write_bucket, t.stats), tuple(indexes),
            st.arn if st else None, st.view_type if st else None, records, latest, t.version,
            resolver=t.schema.resolver)

    def placement(self, name: str) -> list[PartitionPlacement]:
        """Each partition key's item collection: its key group, token, replicas, items."""
        t = self._table(name, describe=True)
        ring = self.cluster.ring
        n = self.cluster.config.n
        out = []
        for tok, group in t.partitions:
            out.append(PartitionPlacement(copy_item({"k": t.pk_avs[group]})["k"], group, token_hex(tok),
                                          tuple(ring.preference_list(group, n)), t.collections[group][0]))
        return out


def _copy_record(r: dict[str, Any]) -> dict[str, Any]:
    body = dict(r["dynamodb"])
    for k in ("Keys", "NewImage", "OldImage"):
        if k in body:
            body[k] = copy_item(body[k])
    return {**r, "dynamodb": body}


_ENGINES: weakref.WeakKeyDictionary[Cluster, TableEngine] = weakref.WeakKeyDictionary()


def engine_for(cluster: Cluster, **options: Any) -> TableEngine:
    """The one table engine of ``cluster`` (created on first use)."""
    found = _ENGINES.get(cluster)
    if found is None:
        found = _ENGINES[cluster] = TableEngine(cluster, **options)
    else:
        for k, v in options.items():
            setattr(found, k, v)
    return found
