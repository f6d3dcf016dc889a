"""Items on the ring: how the table layer reads and writes its Dynamo objects.

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

A request the cluster cannot complete is DynamoDB's ``InternalServerError``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from dynviz.core.hashing import group_prefix, grouped_key
from dynviz.table.collection import (
    Collection,
    Entry,
    Marker,
    decode_entry,
    encode_entry,
    merge_sets,
    newest,
)
from dynviz.table.errors import InternalServerError
from dynviz.table.state import Table

if TYPE_CHECKING:
    from dynviz.cluster import Cluster
    from dynviz.core.versions import Siblings, Version

TXN_GROUP = b"#txn/"
"""The key group of transaction records (``#`` is never in a table name, so no table's
items share it)."""
READ_CHUNK = 100
"""Keys a Query or Scan asks the ring for at a time (more if its Limit is larger)."""


class ItemStore:
    """The table layer's reads and writes of item objects on one cluster, as the
    clients ``dynviz.table`` (items) and ``dynviz.table.index`` (GSI entries, written
    asynchronously), with each stored version decoded once."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.client_name = "dynviz.table"
        self.index_client = "dynviz.table.index"  # the writer of GSI entries (asynchronous)
        self._decoded: dict[bytes, tuple[Version, Entry]] = {}  # item key -> last decoded version

    def entry_of(self, key: bytes, siblings: Siblings | None, sk_name: str | None,
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

    def replicas(self, consistent: bool) -> int:
        """R of a read: every replica for a consistent read, one for an eventual one."""
        return self.cluster.config.n if consistent else 1

    def read_item(self, t: Table, pk_av: dict[str, Any], sk_av: dict[str, Any] | None,
                  consistent: bool) -> Entry | None:
        """One item's entry (None if it never existed), by a get of its object."""
        return self._get_entry(t, pk_av, sk_av, self.replicas(consistent))

    def read_for_write(self, t: Table, pk_av: dict[str, Any], sk_av: dict[str, Any] | None) -> Entry | None:
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
        return self.entry_of(key, res.siblings, t.schema.sk.name if t.schema.sk else None, t.schema.resolver)

    def runs(self, group: bytes, consistent: bool, start: bytes = b"", end: bytes | None = None,
             reverse: bool = False, chunk: int = READ_CHUNK) -> Iterator[tuple[bytes, Siblings]]:
        """Every ``(item key, siblings)`` of one partition in ``[start, end)`` (sort-key
        bytes), in order or reversed, read from the ring ``chunk`` keys at a time, each
        chunk only when the one before is used up."""
        prefix = group_prefix(group)
        r = self.replicas(consistent)
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

    def entries(self, t: Table, pk_av: dict[str, Any], consistent: bool, start: bytes = b"",
                end: bytes | None = None, reverse: bool = False, chunk: int = READ_CHUNK) -> Iterator[Entry]:
        """A partition's live items (as entries) in sort-key order, read as consumed."""
        sk_name = t.schema.sk.name if t.schema.sk else None
        return self.group_entries(t.group(pk_av), sk_name, consistent, start, end, reverse, chunk, t.schema.resolver)

    def group_entries(self, group: bytes, sk_name: str | None, consistent: bool, start: bytes = b"",
                      end: bytes | None = None, reverse: bool = False, chunk: int = READ_CHUNK,
                      resolver: str = "LWW") -> Iterator[Entry]:
        """The live entries of a table's or an index's partition, read as consumed."""
        for key, siblings in self.runs(group, consistent, start, end, reverse, chunk):
            entry = self.entry_of(key, siblings, sk_name, resolver)
            if entry is not None and entry.item is not None:
                yield entry

    def partition(self, t: Table, pk_av: dict[str, Any], consistent: bool) -> Collection:
        """All of a partition's live items, sorted (for LSI views)."""
        return Collection(list(self.entries(t, pk_av, consistent, chunk=1000)))

    def write_entry(self, t: Table, pk_av: dict[str, Any], entry: Entry) -> None:
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

    def delete_group(self, group: bytes, index: bool = False) -> None:
        """Delete every object of one partition (a dropped table's, or with ``index``
        a dropped table's GSI partition, whose deletes are not waited on for success)."""
        for key, _ in list(self.runs(group, consistent=True)):
            # A range read leaves no context with the client, so each key is read on its
            # own first: the delete is then over what the read saw and supersedes it,
            # rather than becoming a sibling of it (a client that never read or wrote
            # the key, as after a restart, would otherwise leave the item resolvable).
            client = self.index_client if index else self.client_name
            self.cluster.get(key, client=client, r=self.cluster.config.n)
            if index:
                self.cluster.delete(key, client=client)
            else:
                res = self.cluster.delete(key, client=client)
                if not res.ok:
                    raise InternalServerError(f"Internal server error (deleting item {key!r}: {res.error})")
            self._decoded.pop(key, None)

    # -- transaction records (transactions.py)

    @staticmethod
    def txn_key(txid: str) -> bytes:
        return grouped_key(TXN_GROUP + txid.encode())

    def txn_state(self, txid: str) -> str | None:
        """The state a transaction's record holds (PENDING, COMMITTED, ABORTED), read
        with the cluster's R; None once the record is gone (a finished transaction)."""
        key = self.txn_key(txid)
        res = self.cluster.get(key, client=self.client_name)
        if not res.ok:
            raise InternalServerError(f"Internal server error (the cluster could not read transaction {txid}: "
                                      f"{res.error})")
        states = [v.value.decode() for v in (res.siblings.versions if res.siblings else ()) if v.value]
        # ABORTED and COMMITTED are final and never both written; a sibling PENDING is older
        for final in ("COMMITTED", "ABORTED"):
            if final in states:
                return final
        return "PENDING" if states else None

    def write_txn(self, txid: str, state: str | None) -> None:
        """Write a transaction's record (None deletes it), acknowledged by W replicas."""
        key = self.txn_key(txid)
        if state is None:
            res = self.cluster.delete(key, client=self.client_name)
        else:
            self.cluster.get(key, client=self.client_name)  # the context the put goes over
            res = self.cluster.put(key, state.encode(), client=self.client_name)
        if not res.ok:
            raise InternalServerError(f"Internal server error (the cluster did not acknowledge transaction {txid}'s "
                                      f"record: {res.error})")

    def visible(self, entry: Entry | None) -> dict[str, Any] | None:
        """The item a read returns from ``entry``: its committed image, or, when a
        transaction that holds it has committed but not yet released it, what that
        transaction wrote there (read committed, never a transaction's pending write)."""
        if entry is None:
            return None
        m: Marker | None = entry.marker
        if m is None or m.action == "check" or self.txn_state(m.txid) != "COMMITTED":
            return entry.item
        return m.image if m.action == "put" else None
