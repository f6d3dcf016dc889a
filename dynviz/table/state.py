"""What the table layer keeps in memory: each table's runtime state, and the catalog of
every table of one cluster with the sequence numbers their writes share.

A table's items are not here: each is its own Dynamo object on the ring (store.py).
What is here is what DynamoDB's control plane would know without reading them: the
schema, the capacity buckets, the index and stream state, the directory of partitions
a Scan walks, and the counts DescribeTable reports, kept up to date by every write.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from dynviz.core.hashing import grouped_key
from dynviz.table.capacity import Bucket
from dynviz.table.errors import ResourceNotFoundException
from dynviz.table.indexes import GlobalIndex, entry_size, key_bytes
from dynviz.table.keys import sort_key_bytes
from dynviz.table.params import invalid_type
from dynviz.table.schema import TableSchema
from dynviz.table.streams import ACCOUNT, EPOCH, FIRST_SEQUENCE, REGION, Stream
from dynviz.table.values import Item, item_size, key_native

GSI_DELAY = 100_000
"""Default GSI propagation delay in virtual µs."""
TXN_LEASE = 1_000_000
"""How long (virtual µs) a transaction's marker holds its item before another request
may finish the transaction for it (transactions.py)."""
ITEM_COLLECTION_LIMIT = 10 * 1024**3
"""The LSI item-collection limit (10 GB, spec §4): table items plus LSI entries."""
EPOCH_US = int(EPOCH.timestamp()) * 1_000_000
"""Unix time (µs) at virtual time 0 unless a host says otherwise (``Catalog.epoch``)."""
TABLE_CLASSES = ("STANDARD", "STANDARD_INFREQUENT_ACCESS")


@dataclass(slots=True)
class TableOptions:
    """How one cluster's tables behave where DynamoDB leaves a choice (shared by the
    engine's parts, so changing one on the engine changes it everywhere)."""

    gsi_delay: int = GSI_DELAY
    item_collection_limit: int = ITEM_COLLECTION_LIMIT
    txn_lease: int = TXN_LEASE
    settle_gsi_reads: bool = False
    """Whether a Query or Scan of a GSI first lets the index's updates in flight land
    (``IndexPropagation.settle``). Off, a read right after a write can see the index
    as it was, the lag a learner watches; a server on the wall clock turns it on, for
    DynamoDB's lag is "a fraction of a second", shorter than a client's requests are
    apart, and clients written against it read an index right after writing."""


@dataclass(slots=True)
class TableStats:
    reads: int = 0
    writes: int = 0
    throttled_reads: int = 0
    throttled_writes: int = 0
    consumed_read: float = 0.0
    consumed_write: float = 0.0
    conditional_failures: int = 0


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
        self.ttl_attribute: str | None = None
        """The attribute TTL reads expiry times from, while TTL is enabled (expiry.py)."""
        self.ttl_due: list[tuple[int, int, Item]] = []
        """(virtual time to delete at, order, key) of items that may expire: a heap."""
        self.ttl_next: int | None = None
        """When the sweep scheduled for this table runs (None: none scheduled)."""
        self.tags: dict[str, str] = {}
        self.table_class: str | None = None
        """The TableClass CreateTable or UpdateTable set; None while never set (DynamoDB
        then reports no TableClassSummary: the class is STANDARD)."""
        self.created_unix = EPOCH_US + now
        """When the table was created, Unix µs (CreateTable sets it from the catalog's
        clock: a date once shown stays the same, whatever the epoch does later)."""
        self.pay_per_request_since: int | None = self.created_unix if schema.billing_mode == "PAY_PER_REQUEST" else None
        """When the table last became PAY_PER_REQUEST (BillingModeSummary), Unix µs."""
        self.deletion_protection = False
        self.kms_key: str | None = None
        """The KMS key ARN SSESpecification chose; None: the service's own key."""
        self.warm: dict[str, int] = {}
        """The WarmThroughput units CreateTable or UpdateTable configured
        (``ReadUnitsPerSecond``, ``WriteUnitsPerSecond``); empty while never set."""

    def group(self, pk_av: dict[str, Any]) -> bytes:
        """``<table>/<partition key bytes>``: the key group of a partition, whose MD5
        places every item of it (a table name never holds ``/``, schema.py)."""
        return self.name.encode() + b"/" + key_bytes(pk_av)

    def item_key(self, pk_av: dict[str, Any], sk_av: dict[str, Any] | None) -> bytes:
        """An item's Dynamo key: its partition's group, then its sort key as bytes."""
        return grouped_key(self.group(pk_av), sort_key_bytes(sk_av) if sk_av is not None else b"")

    def key_parts(self, key: Item) -> tuple[dict[str, Any], Any, Any]:
        """(partition key value, native sort key or 0, sort key value or None) of a key."""
        s = self.schema
        sk_av = key[s.sk.name] if s.sk else None
        return key[s.pk.name], (key_native(sk_av) if sk_av is not None else 0), sk_av

    def sort_bytes(self, key: Item) -> bytes:
        """A key's sort-key value as the suffix of its item's Dynamo key."""
        return sort_key_bytes(key[self.schema.sk.name]) if self.schema.sk else b""

    def collection_bytes(self, item: Item | None) -> int:
        """What one item adds to its item collection: itself and its LSI entries."""
        if item is None:
            return 0
        return item_size(item) + sum(entry_size(ix, item) for ix in self.lsis.values() if ix.has_keys(item))

    def streams(self) -> tuple[Stream, ...]:
        """Every stream the table has had, the oldest first (the current one last)."""
        return (*self.old_streams, *((self.stream,) if self.stream is not None else ()))


def date_of(unix: int) -> datetime:
    """Unix µs as a date."""
    return datetime.fromtimestamp(0, UTC) + timedelta(microseconds=unix)


class Catalog:
    """Every table of one cluster, and the sequence numbers their writes share: one
    catalog per cluster, so every client of it sees the same tables, as every client
    of a region does."""

    def __init__(self) -> None:
        self.tables: dict[str, Table] = {}
        self.created = 0
        """Tables created so far (a new table's number, which its id derives from)."""
        self.write_seq = 0
        """The sequence number of the last item write (ties of equal time, collection.py)."""
        self.stream_seq = FIRST_SEQUENCE
        """The sequence number the next stream record gets, across every stream."""
        self.epoch = EPOCH_US
        """Unix time (µs) at virtual time 0: the dates DescribeTable shows and the clock
        TTL compares expiry times with. A fixed date keeps runs reproducible; a server
        whose virtual time follows the wall clock sets it to the wall clock's, so that a
        client's ``time.time()`` and the table's dates agree (wire/server.py)."""

    def wall(self, now: int) -> datetime:
        """Virtual time ``now`` as a date."""
        return date_of(self.epoch + now)

    def unix(self, now: int) -> int:
        """Virtual time ``now`` as Unix µs."""
        return self.epoch + now

    def epoch_seconds(self, now: int) -> int:
        """Virtual time ``now`` as whole Unix seconds."""
        return (self.epoch + now) // 1_000_000

    def table(self, name: Any, describe: bool = False) -> Table:
        """The table called ``name`` (or whose ARN ``name`` is, as DynamoDB's API allows
        wherever it takes a TableName); DynamoDB's error when there is none (naming the
        table in DescribeTable's wording when ``describe``)."""
        if not isinstance(name, str):
            raise invalid_type("TableName", name, str)
        t = self.tables.get(name)
        if t is None and name.startswith("arn:"):  # "You can also provide the ARN of the table"
            t = next((x for x in self.tables.values() if x.arn == name), None)
        if t is None:
            raise ResourceNotFoundException(
                f"Requested resource not found: Table: {name} not found" if describe else "Requested resource not found")
        return t

    def stream(self, arn: Any) -> Stream:
        """The stream whose ARN is ``arn``, current or an older one of a live table."""
        for t in self.tables.values():
            for s in (t.stream, *t.old_streams):
                if s is not None and s.arn == arn:
                    return s
        raise ResourceNotFoundException(f"Requested resource not found: Stream: {arn} not found")

    def pending_index_updates(self) -> int:
        """Table writes some GSI has not applied yet, over every table."""
        return sum(g.pending for t in self.tables.values() for g in t.gsis.values())
