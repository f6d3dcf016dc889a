"""Item writes: PutItem, UpdateItem, DeleteItem and BatchWriteItem.

Every write is a read-modify-write of the item's own object (store.py): read it with
the cluster's R, check the condition and the capacity against what was read, put the
new entry back over that context with the cluster's W. Only once the cluster has
acknowledged it is the write recorded: the table's counts and partition directory,
its stream, its GSI queue (propagation.py). A write that fails changes none of these.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dynviz.core.hashing import token_of
from dynviz.table.accounting import (
    check_write,
    consumed,
    return_consumed,
    spend_write,
    throttled,
    write_costs,
)
from dynviz.table.capacity import write_units
from dynviz.table.collection import Entry, Marker
from dynviz.table.errors import (
    ConditionalCheckFailedException,
    InternalServerError,
    ItemCollectionSizeLimitExceededException,
    ProvisionedThroughputExceededException,
    TransactionConflictException,
    ValidationException,
)
from dynviz.table.expressions import apply_update, evaluate, parse_condition, parse_update, project
from dynviz.table.expressions.update import BAD_OPERAND
from dynviz.table.indexes import entry_size
from dynviz.table.legacy import translate_update, translate_write
from dynviz.table.params import a_map, a_str, placeholders, required
from dynviz.table.propagation import IndexPropagation
from dynviz.table.schema import check_table_name
from dynviz.table.state import Catalog, Table, TableOptions
from dynviz.table.store import ItemStore
from dynviz.table.values import (
    MAX_ITEM_BYTES,
    TOO_DEEP,
    Item,
    check_item,
    copy_item,
    item_size,
    items_equal,
    key_native,
    too_deep,
)

if TYPE_CHECKING:
    from dynviz.cluster import Cluster
    from dynviz.table.backups import Backups
    from dynviz.table.expiry import Expiry
    from dynviz.table.expressions.nodes import Action
    from dynviz.table.schema import TableSchema

MAX_BATCH_WRITE = 25
Written = tuple[str, Item, Item | None]
"""(table, key, item now stored or None): a write a write-through cache must see."""


def _return_values(p: dict[str, Any], allowed: tuple[str, ...]) -> str:
    rv = p.get("ReturnValues", "NONE")
    if rv not in allowed:
        raise ValidationException("Return values set to invalid value")
    return str(rv)


def _on_failure(p: dict[str, Any]) -> str:
    """ReturnValuesOnConditionCheckFailure: NONE (the default) or ALL_OLD."""
    rv = p.get("ReturnValuesOnConditionCheckFailure", "NONE")
    if rv not in ("NONE", "ALL_OLD"):
        raise ValidationException(f"1 validation error detected: Value '{rv}' at 'returnValuesOnConditionCheckFailure' "
                                  "failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]")
    return str(rv)


def check_item_table(catalog: Catalog, name: Any) -> None:
    """The table name an item operation gives: one no table could have is refused as
    invalid (ValidationException, as CreateTable would refuse it), not as missing."""
    if isinstance(name, str) and name not in catalog.tables and not name.startswith("arn:"):
        check_table_name(name)


def update_parts(p: dict[str, Any], upd_text: Any, s: TableSchema) -> tuple[list[Action], Any]:
    """An update's parsed actions and condition (UpdateItem's, a transaction's Update),
    its placeholders all used, and no action on a key attribute."""
    cond_text = p.get("ConditionExpression")
    ph = placeholders(p, upd_text is not None or cond_text is not None)
    actions = parse_update(a_str(upd_text, "UpdateExpression"), ph) if upd_text is not None else []
    cond = parse_condition(cond_text, "ConditionExpression", ph) if cond_text is not None else None
    ph.check_unused()
    for a in actions:
        if a.path.top in s.key_names:
            raise ValidationException(f"One or more parameter values were invalid: Cannot update attribute "
                                      f"{a.path.top}. This attribute is part of the key")
    return actions, cond


def _duplicates() -> ValidationException:
    return ValidationException("Provided list of item keys contains duplicates")


@dataclass(slots=True, eq=False)
class ItemWrites:
    """The item writes of one cluster's tables."""

    catalog: Catalog
    store: ItemStore
    indexes: IndexPropagation
    cluster: Cluster
    options: TableOptions
    expiry: Expiry | None = None
    """Told of every item written while its table has TTL on (set by the engine)."""
    backups: Backups | None = None
    """Told of every item change, for point-in-time recovery (set by the engine)."""

    # -- the operations

    def put_item(self, p: dict[str, Any]) -> tuple[dict[str, Any], Item]:
        """Returns the response and the item now stored (for a write-through cache)."""
        check_item_table(self.catalog, p.get("TableName"))
        t = self.catalog.table(p.get("TableName"))
        p = translate_write(p)
        item = check_item(required(p, "Item"))
        t.schema.check_item_keys(item)
        if item_size(item) > MAX_ITEM_BYTES:
            raise ValidationException("Item size has exceeded the maximum allowed size")
        failed_units = write_units(item_size(item))
        out, pk_av = self._write_one(t, p, item, item, lambda old, base: failed_units if old else 1.0)
        self._item_metrics(t, p, out, pk_av)
        return out, item

    def delete_item(self, p: dict[str, Any]) -> tuple[dict[str, Any], Item]:
        """Returns the response and the key deleted (for a write-through cache)."""
        check_item_table(self.catalog, p.get("TableName"))
        t = self.catalog.table(p.get("TableName"))
        p = translate_write(p)
        key = t.schema.check_key(required(p, "Key"))
        out, _ = self._write_one(t, p, key, None, lambda old, base: base)
        return out, key

    def update_item(self, p: dict[str, Any]) -> tuple[dict[str, Any], Item | None]:
        """Returns the response and the item now stored, None when the update left no
        item (for a write-through cache)."""
        check_item_table(self.catalog, p.get("TableName"))
        t = self.catalog.table(p.get("TableName"))
        legacy = p.get("AttributeUpdates") is not None
        p = translate_update(p, t.schema)
        s = t.schema
        key = s.check_key(required(p, "Key"))
        actions, cond = update_parts(p, p.get("UpdateExpression"), s)
        rv = _return_values(p, ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"))
        _on_failure(p)
        rcc = return_consumed(p)
        pk_av, sk, sk_av = t.key_parts(key)
        found = self.read(t, pk_av, sk_av)
        old = found.item if found is not None else None
        if cond is not None and not evaluate(cond, old or {}):
            base, lsi, gsi = write_costs(t, old, old)
            check_write(t, base + sum(lsi.values()), gsi, self.cluster.now)
            self._fail_condition(t, p, old, base if old else 1.0)
        try:
            new: Item | None = apply_update(actions, old if old is not None else key, item_exists=old is not None)
        except ValidationException as exc:
            if legacy and exc.message == BAD_OPERAND:  # an ADD or DELETE on a value of another type
                raise ValidationException("Type mismatch for attribute to update") from None
            raise
        if old is None and actions and all(a.verb in ("REMOVE", "DELETE") for a in actions):
            new = None  # taking attributes from an item that is not there creates no item
        if new is not None:
            if item_size(new) > MAX_ITEM_BYTES:
                raise ValidationException("Item size to update has exceeded the maximum allowed size")
            if any(too_deep(v) for v in new.values()):  # a value set deep inside a document
                raise ValidationException(TOO_DEEP)
            s.check_item_keys(new)
        base, lsi, gsi = write_costs(t, old, new)
        check_write(t, base + sum(lsi.values()), gsi, self.cluster.now)
        self._apply(t, pk_av, sk, sk_av, old, new)
        spend_write(t, base + sum(lsi.values()), gsi, self.cluster.now)  # the clock moved while the write ran
        out: dict[str, Any] = {}
        if rv == "ALL_OLD" and old is not None:
            out["Attributes"] = copy_item(old)
        elif rv == "ALL_NEW" and new is not None:
            out["Attributes"] = copy_item(new)
        elif rv in ("UPDATED_OLD", "UPDATED_NEW"):
            # only what the actions name, nested paths as nested as they were named:
            # the item before or after, projected on the actions' paths
            attrs = project((old if rv == "UPDATED_OLD" else new) or {}, [a.path for a in actions])
            if attrs:
                out["Attributes"] = attrs
        cc = consumed(t, rcc, base, lsi, gsi)
        if cc:
            out["ConsumedCapacity"] = cc
        self._item_metrics(t, p, out, pk_av)
        return out, new

    def batch_write_item(self, p: dict[str, Any]) -> tuple[dict[str, Any], list[Written]]:
        """Every request is validated before any is applied; then each is one
        read-modify-write of its item. A request that is throttled or cannot reach its
        replicas is returned in UnprocessedItems, untouched; the others are applied."""
        req = p.get("RequestItems")
        if not isinstance(req, dict) or not req:
            raise ValidationException("1 validation error detected: Value at 'requestItems' failed to satisfy "
                                      "constraint: Member must have length greater than or equal to 1")
        rcc = return_consumed(p)
        total = 0
        plan: list[tuple[str, dict[str, Any], Item, Item | None]] = []
        tables: dict[str, Table] = {}
        for name, reqs in req.items():
            t = self.catalog.table(name)
            tables[name] = t
            if not isinstance(reqs, list) or not reqs:
                raise ValidationException(f"1 validation error detected: Value at 'requestItems.{name}.member' failed "
                                          "to satisfy constraint: Member must have length greater than or equal to 1")
            seen = set()
            for i, r in enumerate(reqs):
                total += 1
                if not isinstance(r, dict) or len(r) != 1 or next(iter(r)) not in ("PutRequest", "DeleteRequest"):
                    raise ValidationException(
                        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the "
                        "supported datatypes" if isinstance(r, dict) and len(r) > 1 else
                        "1 validation error detected: each WriteRequest must be a PutRequest or a DeleteRequest")
                where = f"RequestItems.{name}[{i}]"
                if "PutRequest" in r:
                    put = a_map(r["PutRequest"] or {}, f"{where}.PutRequest")
                    item = check_item(put.get("Item"), "Item")
                    t.schema.check_item_keys(item)
                    if item_size(item) > MAX_ITEM_BYTES:
                        raise ValidationException("Item size has exceeded the maximum allowed size")
                    key = t.schema.key_of(item)
                    new: Item | None = item
                else:
                    delete = a_map(r["DeleteRequest"] or {}, f"{where}.DeleteRequest")
                    key = t.schema.check_key(delete.get("Key"))
                    new = None
                ident = tuple(key_native(key[n]) for n in t.schema.key_names)
                if ident in seen:
                    raise _duplicates()
                seen.add(ident)
                plan.append((name, r, key, new))
        if total > MAX_BATCH_WRITE:
            raise ValidationException(
                "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must "
                "satisfy constraint: [Member must have length less than or equal to 25, Member must have length "
                "greater than or equal to 1]")
        unprocessed: dict[str, list[dict[str, Any]]] = {}
        spent: dict[str, list[float]] = {}
        written: list[Written] = []
        processed_any = False
        for name, r, key, new in plan:
            t = tables[name]
            pk_av, sk, sk_av = t.key_parts(key)
            try:
                found = self.read(t, pk_av, sk_av)
                old = found.item if found is not None else None
                base, lsi, gsi = write_costs(t, old, new)
                check_write(t, base + sum(lsi.values()), gsi, self.cluster.now)
                changed = self._apply(t, pk_av, sk, sk_av, old, new)
            except (ProvisionedThroughputExceededException, InternalServerError, ItemCollectionSizeLimitExceededException,
                    TransactionConflictException):
                unprocessed.setdefault(name, []).append(r)
                continue
            processed_any = True
            if changed:
                written.append((name, key, new))
            spend_write(t, base + sum(lsi.values()), gsi, self.cluster.now)
            c = spent.setdefault(name, [0.0, 0.0])
            c[0] += base
            c[1] += sum(lsi.values()) + sum(gsi.values())
        if unprocessed and not processed_any:
            raise throttled()
        out: dict[str, Any] = {"UnprocessedItems": unprocessed}
        if rcc != "NONE":
            out["ConsumedCapacity"] = [{"TableName": n, "CapacityUnits": a + b,
                                        **({"Table": {"CapacityUnits": a}} if rcc == "INDEXES" else {})}
                                       for n, (a, b) in spent.items()]
        return out, written

    # -- what they share

    def read(self, t: Table, pk_av: dict[str, Any], sk_av: dict[str, Any] | None) -> Entry | None:
        """The read of a read-modify-write, with any transaction's hold on the item settled."""
        found = self.store.read_for_write(t, pk_av, sk_av)
        if found is not None and found.marker is not None:
            found = self.settle(t, pk_av, sk_av, found)
        return found

    def settle(self, t: Table, pk_av: dict[str, Any], sk_av: dict[str, Any] | None, entry: Entry) -> Entry | None:
        """An item a transaction holds (transactions.py). While the transaction may still
        be running (``options.txn_lease`` after it took the item) the request meets
        TransactionConflictException. After that its coordinator is taken to have failed
        and this request finishes its part: forward, to what it wrote, if its record
        says COMMITTED; else back, with the record first made ABORTED so that the
        decision is durable. Returns the item's entry as it is then."""
        m = entry.marker
        assert m is not None
        if self.cluster.now - m.at < self.options.txn_lease:
            raise TransactionConflictException("Transaction is ongoing for the item")
        state = self.store.txn_state(m.txid)
        if state == "PENDING":
            self.store.write_txn(m.txid, "ABORTED")
            state = "ABORTED"
        new = entry.item
        if state == "COMMITTED" and m.action != "check":
            new = m.image if m.action == "put" else None
        self._apply(t, pk_av, entry.sk, sk_av, entry.item, new)
        return self.store.read_for_write(t, pk_av, sk_av)

    def _write_one(self, t: Table, p: dict[str, Any], key: Item, new: Item | None,
                   failed_units: Callable[[Item | None, float], float]) -> tuple[dict[str, Any], dict[str, Any]]:
        """What put_item and delete_item share: the condition, the capacity check, the
        read-modify-write of the item's object, ReturnValues and consumed capacity.
        ``new`` None deletes. Returns the response and the partition key."""
        cond_text = p.get("ConditionExpression")
        ph = placeholders(p, cond_text is not None)
        cond = parse_condition(cond_text, "ConditionExpression", ph) if cond_text is not None else None
        ph.check_unused()
        rv = _return_values(p, ("NONE", "ALL_OLD"))
        _on_failure(p)
        rcc = return_consumed(p)
        pk_av, sk, sk_av = t.key_parts(key)
        found = self.read(t, pk_av, sk_av)
        old = found.item if found is not None else None
        base, lsi, gsi = write_costs(t, old, new)
        check_write(t, base + sum(lsi.values()), gsi, self.cluster.now)
        if cond is not None and not evaluate(cond, old or {}):
            self._fail_condition(t, p, old, failed_units(old, base))
        self._apply(t, pk_av, sk, sk_av, old, new)
        spend_write(t, base + sum(lsi.values()), gsi, self.cluster.now)  # the clock moved while the write ran
        out: dict[str, Any] = {}
        if rv == "ALL_OLD" and old is not None:
            out["Attributes"] = copy_item(old)
        cc = consumed(t, rcc, base, lsi, gsi)
        if cc:
            out["ConsumedCapacity"] = cc
        return out, pk_av

    def _fail_condition(self, t: Table, p: dict[str, Any], old: Item | None, units: float) -> None:
        spend_write(t, units, {}, self.cluster.now)
        t.stats.conditional_failures += 1
        item = copy_item(old) if old is not None and _on_failure(p) == "ALL_OLD" else None
        raise ConditionalCheckFailedException("The conditional request failed", item=item)

    def _item_metrics(self, t: Table, p: dict[str, Any], out: dict[str, Any], pk_av: dict[str, Any]) -> None:
        if p.get("ReturnItemCollectionMetrics") == "SIZE" and t.lsis:
            c = t.collections.get(t.group(pk_av))
            gb = (c[1] if c else 0) / 1024**3
            out["ItemCollectionMetrics"] = {"ItemCollectionKey": {t.schema.pk.name: dict(pk_av)},
                                            "SizeEstimateRangeGB": [0.0, max(1.0, gb)]}

    def _apply(self, t: Table, pk_av: dict[str, Any], sk: Any, sk_av: Any, old: Item | None,
               new: Item | None, marker: Marker | None = None, by_service: bool = False) -> bool:
        """Write one item's change (``new`` None deletes) and, once acknowledged, record
        it: counts, the partition directory, the stream and the GSI queues. Returns
        whether the item changed.

        A write that changes nothing (by what its read saw) is still written, with a
        new time stamp: its read may have been stale (a sloppy quorum, a partition),
        and an older concurrent write it did not see must not win over it under LWW.
        Only the record is skipped: no stream record, no index update, as DynamoDB.

        With a ``marker`` the entry written keeps ``old`` and holds the item for a
        transaction (``new`` is then ``old``: nothing is recorded). ``by_service`` marks
        the stream record of a deletion the table made itself (TTL, expiry.py)."""
        changed = not items_equal(old, new)
        if changed and t.lsis:
            c = t.collections.get(t.group(pk_av))
            size = (c[1] if c else 0) - t.collection_bytes(old) + t.collection_bytes(new)
            if size > self.options.item_collection_limit:
                raise ItemCollectionSizeLimitExceededException("Collection size exceeded.")
        seq = self.catalog.write_seq = self.catalog.write_seq + 1
        entry = Entry(sk, sk_av, self.cluster.now, seq, new, item_size(new) if new is not None else 0, marker)
        self.store.write_entry(t, pk_av, entry)
        if changed:
            self._record(t, pk_av, old, new, by_service)
        return changed

    def load(self, t: Table, item: Item) -> None:
        """Write ``item`` into a table being restored from a backup (backups.py): a
        write on the ring like any other, but with no capacity spent and no condition."""
        pk_av, sk, sk_av = t.key_parts(item)
        self._apply(t, pk_av, sk, sk_av, None, item)

    def restore(self, t: Table, pk_av: dict[str, Any], item: Item) -> None:
        """Record ``item``, already stored, as a write of it would (recovery.py), but
        with no stream record: it was written before the table layer restarted."""
        stream, t.stream = t.stream, None
        try:
            self._record(t, pk_av, None, item)
        finally:
            t.stream = stream
        t.stats.writes -= 1  # counted by _record, but no client wrote it

    def _record(self, t: Table, pk_av: dict[str, Any], old: Item | None, new: Item | None,
                by_service: bool = False) -> None:
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
        counts[1] += t.collection_bytes(new) - t.collection_bytes(old)
        if counts[0] <= 0:
            del t.collections[group]
            i = bisect.bisect_left(t.partitions, (token_of(group), group))
            if i < len(t.partitions) and t.partitions[i][1] == group:
                del t.partitions[i]
            t.pk_avs.pop(group, None)
        image = new if new is not None else old
        assert image is not None
        keys = {k: image[k] for k in t.schema.key_names}
        now = self.cluster.now
        if t.stream is not None:
            event = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
            t.stream.append(now, self.catalog.stream_seq, event, keys, old, new, by_service, self.catalog.unix(now))
            self.catalog.stream_seq += 1
        if t.gsis:
            self.indexes.schedule(t, old, new, now, self.catalog.write_seq)
        if new is not None and t.ttl_attribute is not None and self.expiry is not None:
            self.expiry.watch(t, new)
        if self.backups is not None:
            self.backups.record(t, old, new)
