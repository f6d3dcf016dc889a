"""Time to Live: UpdateTimeToLive, DescribeTimeToLive, and the sweep that deletes
expired items on virtual time.

While a table has TTL on, an item whose TTL attribute is a Number (epoch seconds) that
has passed is deleted by the table itself, ``SWEEP_DELAY`` (one virtual minute) after
it expired; DynamoDB deletes "within a few days", dynviz sooner so that a learner sees
it happen. The deletion is a write like any other (a tombstone put through the
cluster, a REMOVE stream record, the GSI entries removed), its stream record marked
``userIdentity = {Type: Service, PrincipalId: dynamodb.amazonaws.com}`` as DynamoDB
marks it. Until then reads still return the expired item, as DynamoDB's do. Items whose
TTL value is more than five years in the past, or not a Number, are never deleted.

Which items may expire is known without scanning: every write of an item with a TTL
attribute, while TTL is on, adds (when to delete, key) to the table's heap, and
enabling TTL reads the table once to fill it. One timer per table, at the earliest
entry, runs the sweep; the sweep reads each due item again through the cluster and
deletes it only if its TTL (as it is now) has passed, so an item rewritten with a later
TTL survives. Everything is on the scheduler's virtual time: the same run deletes the
same items at the same moments.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from dynviz.core.units import MINUTE, SECOND
from dynviz.table.errors import (
    InternalServerError,
    TransactionConflictException,
    ValidationException,
)
from dynviz.table.params import a_map, a_str, required
from dynviz.table.state import EPOCH_US, Catalog, Table
from dynviz.table.store import ItemStore
from dynviz.table.values import Item

if TYPE_CHECKING:
    from dynviz.cluster import Cluster
    from dynviz.table.writes import ItemWrites

SWEEP_DELAY = MINUTE
"""How long after its expiry time an item is deleted (virtual time)."""
RETRY = 10 * SECOND
"""When a due item could not be read or deleted (no quorum, a transaction holds it)."""
FIVE_YEARS = 5 * 365 * 24 * 3600
EPOCH_SECONDS = EPOCH_US // SECOND
"""Unix seconds at virtual time 0 by default (a catalog may say otherwise: ``Catalog.epoch``)."""


def epoch_seconds(now: int, epoch: int = EPOCH_US) -> int:
    """Virtual time ``now`` (µs) as Unix epoch seconds, virtual 0 being Unix time
    ``epoch`` (µs; the catalog's, ``Catalog.epoch``)."""
    return (epoch + now) // SECOND


def expiry_of(item: Item, attribute: str) -> int | None:
    """The item's expiry time in epoch seconds, if its TTL attribute is a Number."""
    av = item.get(attribute)
    if not isinstance(av, dict) or "N" not in av:
        return None
    try:
        return int(Decimal(av["N"]))
    except (InvalidOperation, ValueError, OverflowError):
        return None


def expired(item: Item, attribute: str, now: int, epoch: int = EPOCH_US) -> bool:
    """Whether TTL deletes ``item`` at virtual time ``now``."""
    at = expiry_of(item, attribute)
    now_s = epoch_seconds(now, epoch)
    return at is not None and now_s - FIVE_YEARS <= at <= now_s


@dataclass(slots=True, eq=False)
class Expiry:
    """TTL of one cluster's tables."""

    catalog: Catalog
    store: ItemStore
    writes: ItemWrites
    cluster: Cluster
    order: int = 0
    """Ties of the TTL heaps (a plain counter: a checkpoint pickles it)."""

    def _next(self) -> int:
        self.order += 1
        return self.order

    # -- the operations

    def update_time_to_live(self, p: dict[str, Any]) -> dict[str, Any]:
        t = self.catalog.table(p.get("TableName"), describe=True)
        spec = a_map(required(p, "TimeToLiveSpecification"), "TimeToLiveSpecification")
        enabled = required(spec, "Enabled", "TimeToLiveSpecification")
        if not isinstance(enabled, bool):
            raise ValidationException(f"Invalid type for parameter TimeToLiveSpecification.Enabled, value: {enabled!r}, "
                                      f"type: {type(enabled)}, valid types: <class 'bool'>")
        name = a_str(required(spec, "AttributeName", "TimeToLiveSpecification"), "TimeToLiveSpecification.AttributeName")
        if not 1 <= len(name) <= 255:
            bound = "less than or equal to 255" if name else "greater than or equal to 1"
            raise ValidationException(f"1 validation error detected: Value '{name}' at "
                                      "'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member "
                                      f"must have length {bound}")
        if enabled:
            if t.ttl_attribute is not None:
                raise ValidationException("TimeToLive is already enabled")
            t.ttl_attribute = name
            self._watch_table(t)
        else:
            if t.ttl_attribute is None:
                raise ValidationException("TimeToLive is already disabled")
            if t.ttl_attribute != name:
                raise ValidationException(f"TimeToLive is active on a different AttributeName: current AttributeName "
                                          f"is {t.ttl_attribute}, not {name}")
            t.ttl_attribute = None
            t.ttl_due.clear()
        t.version += 1
        return {"TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": name}}

    def describe_time_to_live(self, p: dict[str, Any]) -> dict[str, Any]:
        t = self.catalog.table(p.get("TableName"), describe=True)
        if t.ttl_attribute is None:
            return {"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}
        return {"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED", "AttributeName": t.ttl_attribute}}

    # -- knowing what may expire

    def watch(self, t: Table, item: Item) -> None:
        """Note ``item`` (just written) if its TTL attribute says when it expires."""
        assert t.ttl_attribute is not None
        at = expiry_of(item, t.ttl_attribute)
        if at is None:
            return
        due = max(self.cluster.now, at * SECOND - self.catalog.epoch + SWEEP_DELAY)
        heapq.heappush(t.ttl_due, (due, self._next(), t.schema.key_of(item)))
        self._schedule(t)

    def _watch_table(self, t: Table) -> None:
        """Enabling TTL: read the table once for the items it may delete."""
        sk_name = t.schema.sk.name if t.schema.sk else None
        for _, group in list(t.partitions):
            for entry in self.store.group_entries(group, sk_name, consistent=False, resolver=t.schema.resolver):
                if entry.item is not None:
                    self.watch(t, entry.item)

    def _schedule(self, t: Table) -> None:
        if not t.ttl_due:
            return
        due = t.ttl_due[0][0]
        if t.ttl_next is None or due < t.ttl_next:
            t.ttl_next = due
            self.cluster.scheduler.at(due, self.sweep, t, due)

    # -- the sweep

    def sweep(self, t: Table, at: int) -> None:
        """Delete the table's items that are due and still expired (a timer that an
        earlier one replaced finds ``ttl_next`` moved and does nothing)."""
        if t.ttl_next != at:
            return
        t.ttl_next = None
        if not t.live or t.ttl_attribute is None:
            return
        now = self.cluster.now
        retry: list[Item] = []
        while t.ttl_due and t.ttl_due[0][0] <= now:
            _, _, key = heapq.heappop(t.ttl_due)
            try:
                self._expire(t, key)
            except (InternalServerError, TransactionConflictException):
                retry.append(key)
        for key in retry:
            heapq.heappush(t.ttl_due, (now + RETRY, self._next(), key))
        self._schedule(t)

    def _expire(self, t: Table, key: Item) -> None:
        pk_av, sk, sk_av = t.key_parts(key)
        found = self.writes.read(t, pk_av, sk_av)
        item = found.item if found is not None else None
        assert t.ttl_attribute is not None
        if item is not None and expired(item, t.ttl_attribute, self.cluster.now, self.catalog.epoch):
            self.writes._apply(t, pk_av, sk, sk_av, item, None, by_service=True)
        elif item is not None:
            # Not due yet by the catalog's clock as it is now (a server on the wall clock
            # moves the epoch when virtual time runs ahead): look again when it is.
            at = expiry_of(item, t.ttl_attribute)
            if at is not None and at > self.catalog.epoch_seconds(self.cluster.now):
                self.watch(t, item)
