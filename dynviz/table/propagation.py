"""GSI propagation: a table write reaches its global indexes a moment later (spec §4).

Each table write that touches a GSI is queued on the cluster's scheduler for
``gsi_delay`` virtual µs; then the entry it removes becomes a tombstone and the entry
it adds or changes is put, both as asynchronous puts through the cluster, retried
after another delay until acknowledged. ``GlobalIndex.pending`` counts the table
writes whose last put is not acknowledged yet (the lag the Tables screen shows).

Everything queued is an object with a method, not a closure: a checkpoint of the
cluster (a pickle, session/timeline.py) copies a put in flight with the rest of the
cluster, so the restored copy finishes it on its own index.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from dynviz.table.collection import Entry, encode_entry
from dynviz.table.indexes import GlobalIndex
from dynviz.table.state import Table, TableOptions
from dynviz.table.values import Item, item_size, items_equal

if TYPE_CHECKING:
    from dynviz.client import PutResult
    from dynviz.cluster import Cluster, Pending


SETTLE_STEP = 1_000
"""The least virtual time (µs) ``settle`` runs the cluster for between two looks."""


@dataclass(slots=True, eq=False)
class IndexPropagation:
    """Applies one cluster's table writes to their GSIs, ``options.gsi_delay`` after them,
    as the client ``client``."""

    cluster: Cluster
    client: str
    options: TableOptions

    def schedule(self, t: Table, old: Item | None, new: Item | None, ts: int, seq: int) -> None:
        """Queue the write ``old`` -> ``new`` (made at ``ts`` as write ``seq``) for every
        GSI of ``t`` that holds either image."""
        sched = self.cluster.scheduler
        for g in t.gsis.values():
            if (old is not None and g.ix.has_keys(old)) or (new is not None and g.ix.has_keys(new)):
                g.pending += 1
                sched.after(self.options.gsi_delay, self.propagate, g, old, new, ts, seq)

    def settle(self, t: Table, index: str, limit: int) -> None:
        """Run the cluster until GSI ``index`` of ``t`` has applied every table write
        queued for it, or ``limit`` virtual µs have passed (a quorum lost keeps puts
        retrying: the read then sees the index as it is)."""
        g = t.gsis.get(index)
        if g is None:
            return
        sched = self.cluster.scheduler
        end = self.cluster.now + limit
        while g.pending and g.live and self.cluster.now < end:
            sched.run_until(min(end, self.cluster.now + max(self.options.gsi_delay, SETTLE_STEP)))

    def propagate(self, g: GlobalIndex, old: Item | None, new: Item | None, ts: int, seq: int) -> None:
        """Apply one table write to one GSI: account it, then put its entries."""
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
        if new is not None and new_key is not None:
            projected = ix.project(new)
            if old_key != new_key or old is None or not items_equal(ix.project(old), projected):
                writes.append((new_key, Entry(0, None, ts, seq, projected, item_size(projected))))
        if not writes:
            g.pending -= 1
            return
        batch = WriteBatch(g, len(writes))
        for key, entry in writes:
            IndexPut(self, batch, key, encode_entry(entry)).send()


@dataclass(slots=True, eq=False)
class WriteBatch:
    """The puts one table write makes to one GSI: the write stops being pending when
    the last of them is done."""

    index: GlobalIndex
    left: int

    def done(self) -> None:
        self.left -= 1
        if not self.left:
            self.index.pending -= 1


@dataclass(slots=True, eq=False)
class IndexPut:
    """One GSI entry's put, sent again ``gsi_delay`` later each time it finds no quorum,
    as DynamoDB's propagation retries. A put for a dropped index is dropped."""

    propagation: IndexPropagation
    batch: WriteBatch
    key: bytes
    data: bytes

    def send(self) -> None:
        if not self.batch.index.live:
            self.batch.done()
            return
        pr = self.propagation
        pr.cluster.submit_put(self.key, self.data, client=pr.client).callbacks.append(self.acked)

    def acked(self, pending: Pending[PutResult]) -> None:
        assert pending.result is not None  # a request's callbacks run once it has its result
        if not pending.result.ok:  # no quorum now: try again later
            self.propagation.cluster.scheduler.after(self.propagation.options.gsi_delay, self.send)
            return
        self.batch.done()
