"""Global secondary indexes added and removed by UpdateTable, and the backfill of a new one.

``GlobalSecondaryIndexUpdates`` takes one ``Create`` or ``Delete`` a call (DynamoDB:
one online index change at a time per table), beside any number of ``Update`` of
throughput (control.py).

**Create** adds the index to the table at once: from then on every table write is
propagated to it like to any GSI (propagation.py). Then the *backfill* reads every item
the table holds, through the cluster as a Scan would, and queues each for the new
index as a write from nothing to the item, on the same propagation queue and with the
same delay. Items written after the backfill read them are queued after it, so their
newer entries (later time and sequence) win. The index is ``CREATING`` with
``Backfilling`` true until every queued put is acknowledged, then ``ACTIVE``; until
then a Query or Scan on it is refused, as DynamoDB refuses reads of a backfilling index.

**Delete** takes the index off the table at once (``live`` false, so puts in flight for
it are dropped) and deletes its entries from the ring; attribute definitions that no
key uses any longer go with it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from dynviz.table.errors import LimitExceededException, ResourceNotFoundException
from dynviz.table.indexes import GlobalIndex
from dynviz.table.params import a_map, a_str, required
from dynviz.table.propagation import IndexPropagation
from dynviz.table.schema import parse_index_create, used_definitions
from dynviz.table.state import Catalog, Table
from dynviz.table.store import ItemStore

if TYPE_CHECKING:
    from dynviz.cluster import Cluster


@dataclass(slots=True, eq=False)
class IndexChanges:
    """GSIs created (with their backfill) and deleted on one cluster's tables."""

    catalog: Catalog
    store: ItemStore
    propagation: IndexPropagation
    cluster: Cluster

    def apply(self, t: Table, p: dict[str, Any], changes: list[tuple[str, dict[str, Any]]]) -> None:
        """Carry out the ``Create`` and ``Delete`` entries of GlobalSecondaryIndexUpdates."""
        if len(changes) > 1:
            raise LimitExceededException("Subscriber limit exceeded: Only 1 online index can be created or deleted "
                                         "simultaneously per table")
        for kind, spec in changes:
            if kind == "Create":
                self.create(t, spec, p.get("AttributeDefinitions"))
            else:
                self.delete(t, a_str(required(spec, "IndexName", "Delete"), "IndexName"))

    def create(self, t: Table, spec: dict[str, Any], ads: Any) -> None:
        for g in t.gsis.values():
            if g.backfilling and g.pending:
                raise LimitExceededException("Subscriber limit exceeded: Only 1 online index can be created or "
                                             "deleted simultaneously per table")
        ix, defs = parse_index_create(t.schema, a_map(spec, "Create"), ads)
        now = self.cluster.now
        t.schema = replace(t.schema, gsis=(*t.schema.gsis, ix), attribute_definitions=defs)
        g = GlobalIndex(t.name, ix, now, t.read_bucket is not None, t.id[:8])
        g.backfilling = True
        t.gsis[ix.name] = g
        t.version += 1
        sk_name = t.schema.sk.name if t.schema.sk else None
        sched = self.cluster.scheduler
        delay = self.propagation.options.gsi_delay
        for _, group in list(t.partitions):
            for entry in self.store.group_entries(group, sk_name, consistent=True, resolver=t.schema.resolver):
                if entry.item is not None and ix.has_keys(entry.item):
                    g.pending += 1
                    sched.after(delay, self.propagation.propagate, g, None, entry.item, entry.ts, entry.seq)

    def delete(self, t: Table, name: str) -> None:
        g = t.gsis.get(name)
        if g is None:
            raise ResourceNotFoundException(f"Requested resource not found: Index: {name} not found")
        g.live = False
        del t.gsis[name]
        schema = replace(t.schema, gsis=tuple(ix for ix in t.schema.gsis if ix.name != name))
        t.schema = replace(schema, attribute_definitions=used_definitions(schema))
        t.version += 1
        for _, group in list(g.order):
            self.store.delete_group(group, index=True)


def index_status(g: GlobalIndex) -> dict[str, Any]:
    """A GSI's IndexStatus (and Backfilling while it is backfilled) for DescribeTable."""
    if g.backfilling and g.pending:
        return {"IndexStatus": "CREATING", "Backfilling": True}
    g.backfilling = False
    return {"IndexStatus": "ACTIVE"}
