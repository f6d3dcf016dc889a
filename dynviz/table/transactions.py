"""TransactWriteItems and TransactGetItems: all or nothing on the Dynamo cluster.

DynamoDB runs a transaction through a coordinator in two phases; dynviz does the same
with what a Dynamo cluster offers (quorum gets and puts of single objects), in the
manner of Percolator, with the transaction's state in one object of its own:

1. **Record.** The coordinator (the engine, for the request) writes the transaction's
   record ``#txn/<id>`` = ``PENDING`` with the cluster's W.
2. **Prepare.** For each action, in the request's order, it reads the item with the
   cluster's R. An item another transaction holds is a ``TransactionConflict`` (or,
   once that transaction's lease has run out, is first settled for it, see below).
   It checks the action's condition, the new item (size, keys) and the capacity; if
   they pass, it writes a *marker* into the item's object (collection.py ``Marker``:
   the transaction's id, when, and the image it will write), keeping the committed
   image in place, so every other reader still sees committed data. Every action is
   checked, so the cancellation reasons name each failing one.
3. **Decide.** If any action failed, the record becomes ``ABORTED``, the markers are
   removed (each item written back as it was) and the request fails with
   TransactionCanceledException, one reason per action in order (``None`` for the
   actions that would have gone through). Otherwise the record becomes ``COMMITTED``:
   that single write is the commit point.
4. **Commit.** Each item gets its new image (or tombstone) without the marker, with its
   stream record and GSI update as any write; then the record is deleted.

While a marker is on an item, a PutItem, UpdateItem, DeleteItem or BatchWriteItem on
it meets TransactionConflictException (BatchWriteItem returns it unprocessed) and a
read returns the committed image, or, once the record says COMMITTED, what the
transaction wrote. The engine serves one request at a time, so markers outlive their
request only when the coordinator failed (no quorum for a write mid-way: the request
answers 503). A marker older than the lease (``TableOptions.txn_lease``, one virtual
second) is then settled by whichever request meets it: forward if the record says
COMMITTED, back otherwise, the record first made ABORTED so the outcome is fixed.
The record of such a transaction stays on the ring (a few bytes): no one request knows
whether the other items still carry its markers.

ClientRequestToken makes TransactWriteItems idempotent for ten virtual minutes: the same
token with the same request answers as the first call did without writing again; with a
different request it is IdempotentParameterMismatchException. Transactional reads and
writes cost twice the units of plain ones (spec §7).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dynviz.core.units import SECOND
from dynviz.table.accounting import check_write, consumed, return_consumed, spend_write, write_costs
from dynviz.table.capacity import read_units
from dynviz.table.collection import Entry, Marker
from dynviz.table.errors import (
    IdempotentParameterMismatchException,
    InternalServerError,
    ProvisionedThroughputExceededException,
    TransactionCanceledException,
    TransactionConflictException,
    ValidationException,
)
from dynviz.table.expressions import Path, apply_update, evaluate
from dynviz.table.params import a_list, a_map, a_str, projection, required
from dynviz.table.reads import shown
from dynviz.table.state import Catalog, Table
from dynviz.table.store import ItemStore
from dynviz.table.values import MAX_ITEM_BYTES, Item, check_item, copy_item, item_size, key_native
from dynviz.table.writes import ItemWrites, Written, update_parts

if TYPE_CHECKING:
    from dynviz.cluster import Cluster

MAX_ACTIONS = 100
MAX_PAYLOAD = 4 * 1024 * 1024
"""A TransactWriteItems may carry at most 4 MB of items and values (the items it
names may be larger: a Delete of a big item carries only its key)."""
TOKEN_WINDOW = 600 * SECOND
"""ClientRequestToken is remembered for ten minutes (of virtual time)."""
WRITE_KINDS = ("ConditionCheck", "Put", "Delete", "Update")


def _length(n: int, where: str) -> ValidationException:
    bound = "greater than or equal to 1" if n < 1 else f"less than or equal to {MAX_ACTIONS}"
    return ValidationException(f"1 validation error detected: Value at '{where}' failed to satisfy constraint: "
                               f"Member must have length {bound}")


def _reason(code: str, message: str | None = None, item: Item | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"Code": code}
    if message is not None:
        out["Message"] = message
    if item is not None:
        out["Item"] = copy_item(item)
    return out


@dataclass(slots=True, eq=False)
class Action:
    """One action of a transaction, validated: which item, and what to do with it."""

    kind: str  # ConditionCheck, Put, Delete, Update (or Get)
    table: Table
    key: Item
    spec: dict[str, Any]
    cond: Any = None
    updates: list[Any] = field(default_factory=list)
    paths: list[Path] | None = None
    old: Item | None = None
    new: Item | None = None
    entry: Entry | None = None
    marked: bool = False
    invalid: str | None = None
    """Why the action's key or item is not one the table can hold: the transaction is
    canceled with a ValidationError reason for it (a malformed *request*, a bad
    expression, is a ValidationException of the whole request instead)."""


@dataclass(slots=True, eq=False)
class Transactions:
    """The transactions of one cluster's tables, coordinated by the engine."""

    catalog: Catalog
    store: ItemStore
    writes: ItemWrites
    cluster: Cluster
    tokens: dict[str, tuple[str, int, dict[str, Any], list[Written]]] = field(default_factory=dict)
    count: int = 0

    # -- validation

    def _actions(self, p: dict[str, Any], kinds: tuple[str, ...]) -> list[Action]:
        items = a_list(required(p, "TransactItems"), "TransactItems")
        if not 1 <= len(items) <= MAX_ACTIONS:
            raise _length(len(items), "transactItems")
        actions: list[Action] = []
        seen: set[tuple[str, tuple[Any, ...]]] = set()
        for i, raw in enumerate(items):
            where = f"TransactItems[{i}]"
            raw = a_map(raw, where)
            given = [k for k in kinds if raw.get(k) is not None]
            if len(given) != 1:
                raise ValidationException(f"TransactItems can only contain one of {', '.join(kinds)}"
                                          if given else f"Invalid Request: {where} has none of {', '.join(kinds)}")
            kind = given[0]
            spec = a_map(raw[kind], f"{where}.{kind}")
            actions.append(a := self._action(kind, spec))
            if a.invalid is not None:
                continue
            ident = (a.table.name, tuple(key_native(a.key[n]) for n in a.table.schema.key_names))
            if ident in seen:
                raise ValidationException("Transaction request cannot include multiple operations on one item")
            seen.add(ident)
        return actions

    def _action(self, kind: str, spec: dict[str, Any]) -> Action:
        t = self.catalog.table(spec.get("TableName"))
        s = t.schema
        if kind == "Get":
            paths, ph = projection(spec)
            ph.check_unused()
            return Action(kind, t, s.check_key(required(spec, "Key", "Get")), spec, paths=paths)
        rv = spec.get("ReturnValuesOnConditionCheckFailure", "NONE")
        if rv not in ("NONE", "ALL_OLD"):
            raise ValidationException(f"1 validation error detected: Value '{rv}' at 'returnValuesOnConditionCheckFailure'"
                                      " failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]")
        given = required(spec, "Item", "Put") if kind == "Put" else required(spec, "Key", kind)
        key: Item = {}
        new_item: Item | None = None
        invalid: str | None = None
        try:
            if kind == "Put":
                new_item = check_item(given)
                s.check_item_keys(new_item)
                if item_size(new_item) > MAX_ITEM_BYTES:
                    raise ValidationException("Item size has exceeded the maximum allowed size")
                key = s.key_of(new_item)
            else:
                key = s.check_key(given)
        except ValidationException as exc:
            invalid, new_item = exc.message, None
        cond_text = spec.get("ConditionExpression")
        upd_text = spec.get("UpdateExpression") if kind == "Update" else None
        if kind == "ConditionCheck" and cond_text is None:
            raise ValidationException("The ConditionExpression parameter is required for a ConditionCheck")
        if kind == "Update" and upd_text is None:
            required(spec, "UpdateExpression", "Update")
        updates, cond = update_parts(spec, upd_text, s)
        return Action(kind, t, key, spec, cond=cond, updates=updates, new=new_item, invalid=invalid)

    # -- TransactWriteItems

    def transact_write_items(self, p: dict[str, Any]) -> tuple[dict[str, Any], list[Written]]:
        """Returns the response and what a write-through cache must see."""
        actions = self._actions(p, WRITE_KINDS)
        payload = sum(item_size(a.new if a.new is not None else a.key)
                      + item_size(a.spec.get("ExpressionAttributeValues") or {}) for a in actions)
        if payload > MAX_PAYLOAD:
            raise ValidationException(f"Transaction payload size cannot exceed 4 MB: this transaction's items and "
                                      f"values are {payload} bytes")
        invalid = next((i for i, a in enumerate(actions) if a.invalid is not None), None)
        if invalid is not None:  # only the first is reported: validation stops there
            raise TransactionCanceledException([_reason("ValidationError", actions[i].invalid) if i == invalid
                                                else _reason("None") for i in range(len(actions))])
        rcc = return_consumed(p)
        token = p.get("ClientRequestToken")
        now = self.cluster.now
        digest = ""
        if token is not None:
            token = a_str(token, "ClientRequestToken")
            if not 1 <= len(token) <= 36:
                bound = "greater than or equal to 1" if not token else "less than or equal to 36"
                raise ValidationException("1 validation error detected: Value at 'clientRequestToken' failed to satisfy "
                                          f"constraint: Member must have length {bound}")
            digest = hashlib.sha256(json.dumps({k: v for k, v in p.items() if k != "ReturnConsumedCapacity"},
                                               sort_keys=True, default=repr).encode()).hexdigest()
            for tok, (_, at, _, _) in list(self.tokens.items()):
                if now - at >= TOKEN_WINDOW:
                    del self.tokens[tok]
            seen = self.tokens.get(token)
            if seen is not None:
                if seen[0] != digest:
                    raise IdempotentParameterMismatchException(
                        "Request parameters do not match the parameters of the earlier request with the same "
                        "ClientRequestToken")
                return dict(seen[2]), []
        self.count += 1
        txid = hashlib.sha256(f"{self.count}/{now}".encode()).hexdigest()[:16]
        self.store.write_txn(txid, "PENDING")
        try:
            reasons = [self._prepare(txid, a) for a in actions]
        except InternalServerError:
            self._abort(txid, actions)
            raise
        if any(r["Code"] != "None" for r in reasons):
            self._abort(txid, actions)
            raise TransactionCanceledException(reasons)
        self.store.write_txn(txid, "COMMITTED")  # the commit point
        written: list[Written] = []
        spent: dict[str, tuple[list[float], dict[str, float]]] = {}
        for a in actions:
            t = a.table
            pk_av, sk, sk_av = t.key_parts(a.key)
            base, lsi, gsi = write_costs(t, a.old, a.new)
            if self.writes._apply(t, pk_av, sk, sk_av, a.old, a.new) and a.kind != "ConditionCheck":
                written.append((t.name, a.key, a.new))
            units = 2 * (base + sum(lsi.values()))
            gsi2 = {k: 2 * v for k, v in gsi.items()}
            spend_write(t, units, gsi2, self.cluster.now)
            table_units, index_units = spent.setdefault(t.name, ([0.0], {}))
            table_units[0] += units
            for k, v in gsi2.items():
                index_units[k] = index_units.get(k, 0.0) + v
        self.store.write_txn(txid, None)
        out: dict[str, Any] = {}
        if rcc != "NONE":
            out["ConsumedCapacity"] = [consumed(self.catalog.tables[n], rcc, u[0], {}, g) for n, (u, g) in
                                       spent.items()]
        if token is not None:
            self.tokens[token] = (digest, now, dict(out), written)
        return out, written

    def _prepare(self, txid: str, a: Action) -> dict[str, Any]:
        """Phase one for one action: read, check, mark. Returns its cancellation reason."""
        t = a.table
        pk_av, sk, sk_av = t.key_parts(a.key)
        try:
            entry = self.writes.read(t, pk_av, sk_av)
        except TransactionConflictException:
            return _reason("TransactionConflict", "Transaction is ongoing for the item")
        old = a.old = entry.item if entry is not None else None
        if a.cond is not None and not evaluate(a.cond, old or {}):
            failed = old if a.spec.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" else None
            t.stats.conditional_failures += 1
            return _reason("ConditionalCheckFailed", "The conditional request failed", failed)
        try:
            if a.kind == "Update":
                a.new = apply_update(a.updates, old if old is not None else a.key, item_exists=old is not None)
                if old is None and a.updates and all(u.verb in ("REMOVE", "DELETE") for u in a.updates):
                    a.new = None  # as UpdateItem: taking attributes from no item creates none
                elif item_size(a.new) > MAX_ITEM_BYTES:
                    raise ValidationException("Item size to update has exceeded the maximum allowed size")
                else:
                    t.schema.check_item_keys(a.new)
            elif a.kind == "ConditionCheck":
                a.new = old
        except ValidationException as exc:
            return _reason("ValidationError", exc.message)
        base, lsi, gsi = write_costs(t, old, a.new)
        try:
            check_write(t, 2 * (base + sum(lsi.values())), {k: 2 * v for k, v in gsi.items()}, self.cluster.now)
        except ProvisionedThroughputExceededException as exc:
            return _reason("ProvisionedThroughputExceeded", exc.message)
        action = {"Put": "put", "Update": "put", "Delete": "delete", "ConditionCheck": "check"}[a.kind]
        if a.kind == "Update" and a.new is None:
            action = "check"  # an update that leaves no item (REMOVE-only on a missing one) writes nothing
        marker = Marker(txid, self.cluster.now, action, a.new if action == "put" else None)
        self.writes._apply(t, pk_av, sk, sk_av, old, old, marker)
        a.marked = True
        return _reason("None")

    def _abort(self, txid: str, actions: list[Action]) -> None:
        """Decide ABORTED, then take the markers off (each item written back as it was).
        If the cluster fails here too, the markers stay until their lease runs out and
        the next request to meet one settles it from the ABORTED (or PENDING) record."""
        self.store.write_txn(txid, "ABORTED")
        for a in actions:
            if a.marked:
                pk_av, sk, sk_av = a.table.key_parts(a.key)
                self.writes._apply(a.table, pk_av, sk, sk_av, a.old, a.old)
        self.store.write_txn(txid, None)

    # -- TransactGetItems

    def transact_get_items(self, p: dict[str, Any]) -> dict[str, Any]:
        """Each item read with the cluster's R; an item a transaction holds cancels the
        read (TransactionConflict), so the items returned are one committed state."""
        actions = self._actions(p, ("Get",))
        rcc = return_consumed(p)
        reasons: list[dict[str, Any]] = []
        items: list[Item | None] = []
        charges: list[tuple[Table, float]] = []
        for a in actions:
            t = a.table
            pk_av, _, sk_av = t.key_parts(a.key)
            try:
                entry = self.writes.read(t, pk_av, sk_av)
            except TransactionConflictException:
                reasons.append(_reason("TransactionConflict", "Transaction is ongoing for the item"))
                items.append(None)
                continue
            item = entry.item if entry is not None else None
            units = 2 * read_units(item_size(item) if item else 0, True)
            if t.read_bucket is not None and not t.read_bucket.allows(units, self.cluster.now):
                t.stats.throttled_reads += 1
                reasons.append(_reason("ProvisionedThroughputExceeded", "Throughput exceeds the current capacity of "
                                       "your table or index."))
            else:
                reasons.append(_reason("None"))
            charges.append((t, units))
            items.append(item)
        if any(r["Code"] != "None" for r in reasons):
            raise TransactionCanceledException(reasons)
        spent: dict[str, float] = {}
        for t, units in charges:
            if t.read_bucket is not None:
                t.read_bucket.spend(units, self.cluster.now)
            t.stats.consumed_read += units
            t.stats.reads += 1
            spent[t.name] = spent.get(t.name, 0.0) + units
        out: dict[str, Any] = {"Responses": [{"Item": shown(item, a.paths)} if item is not None else {}
                                             for a, item in zip(actions, items, strict=True)]}
        if rcc != "NONE":
            out["ConsumedCapacity"] = [consumed(self.catalog.tables[n], rcc, u, {}, {}) for n, u in spent.items()]
        return out
