"""The table layer of one cluster: every DynamoDB operation, each carried out by the
module of its concern.

There is one ``TableEngine`` per ``Cluster``, kept on it (slot.py: ``engine_for``), so
every client of a cluster sees the same tables, as every client of a region does.
Operations take and return boto3's low-level shapes; the client
(``dynviz.table.client``) adds response metadata and the operation name to errors.

The parts, each its own module:

* state.py: each table's runtime state and the catalog of them all;
* store.py: items as Dynamo objects on the ring (placement, consistency);
* control.py: CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable;
* writes.py: PutItem, UpdateItem, DeleteItem, BatchWriteItem, conditions;
* accounting.py: capacity, throttling and ConsumedCapacity;
* propagation.py: writes reaching the GSIs a moment later;
* backfill.py: GSIs added (and backfilled) and removed by UpdateTable;
* reads.py: GetItem and BatchGetItem;
* query.py and keyconditions.py: Query and Scan, their bounds and pages;
* recovery.py: a durable table's items found again after a restart;
* expiry.py: UpdateTimeToLive, DescribeTimeToLive and the TTL sweep;
* tagging.py: TagResource, UntagResource, ListTagsOfResource, DescribeLimits;
* partiql.py: ExecuteStatement, BatchExecuteStatement, ExecuteTransaction;
* backups.py: on-demand backups and point-in-time recovery, and restoring either;
* transactions.py: TransactWriteItems and TransactGetItems (two phases, markers);
* streamapi.py: the Streams API;
* views.py: the snapshots views read each frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dynviz.core.units import MS, SECOND
from dynviz.table import globaltables
from dynviz.table.backfill import IndexChanges
from dynviz.table.backups import Backups
from dynviz.table.control import ControlPlane
from dynviz.table.expiry import Expiry
from dynviz.table.partiql import PartiQL
from dynviz.table.propagation import IndexPropagation
from dynviz.table.query import Queries
from dynviz.table.reads import GetPlan, ItemReads
from dynviz.table.recovery import recover
from dynviz.table.state import GSI_DELAY, ITEM_COLLECTION_LIMIT, Catalog, Table, TableOptions
from dynviz.table.store import ItemStore
from dynviz.table.streamapi import StreamsApi
from dynviz.table.tagging import Tagging
from dynviz.table.transactions import Transactions
from dynviz.table.values import Item
from dynviz.table.views import (
    CapacityGauge,
    IndexSnapshot,
    PartitionPlacement,
    TableSnapshot,
    placements,
    table_snapshot,
)
from dynviz.table.writes import ItemWrites, Written

if TYPE_CHECKING:
    from dynviz.cluster import Cluster

__all__ = ["CapacityGauge", "IndexSnapshot", "PartitionPlacement", "TableEngine", "TableSnapshot"]


SETTLE_LIMIT = 5 * SECOND
"""The longest (virtual) a GSI read waits for the index's updates in flight to land."""

class TableEngine:
    """Every table of one cluster."""

    def __init__(self, cluster: Cluster, gsi_delay: int = GSI_DELAY,
                 item_collection_limit: int = ITEM_COLLECTION_LIMIT) -> None:
        self.cluster = cluster
        self.options = TableOptions(gsi_delay, item_collection_limit)
        """``gsi_delay`` and ``item_collection_limit``, shared by the parts that use them."""
        self.catalog = Catalog()
        self.store = ItemStore(cluster)
        self.control = ControlPlane(self.catalog, self.store, cluster)
        propagation = IndexPropagation(cluster, self.store.index_client, self.options)
        self.propagation = propagation
        self.writes = ItemWrites(self.catalog, self.store, propagation, cluster, self.options)
        self.control.indexes = IndexChanges(self.catalog, self.store, propagation, cluster)
        self.reads = ItemReads(self.catalog, self.store, cluster)
        self.queries = Queries(self.catalog, self.store, cluster)
        self.streams = StreamsApi(self.catalog, cluster)
        self.tagging = Tagging(self.catalog)
        self.expiry = Expiry(self.catalog, self.store, self.writes, cluster)
        self.writes.expiry = self.expiry
        self.transactions = Transactions(self.catalog, self.store, self.writes, cluster)
        self.backups = Backups(self.catalog, self.store, cluster, self.control, self.writes)
        self.writes.backups = self.backups
        self.partiql = PartiQL(self)

    @property
    def now(self) -> int:
        return self.cluster.now

    @property
    def tables(self) -> dict[str, Table]:
        """Every table by name (read-only for views: change tables through operations)."""
        return self.catalog.tables

    def table(self, name: Any) -> Table:
        """The table called ``name``, or DynamoDB's error when there is none."""
        return self.catalog.table(name)

    def recover(self, name: str) -> int:
        """Find a durable table's items again after a restart (recovery.py); returns
        how many live items it has."""
        return recover(self, name)

    # -- control plane

    def create_table(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.control.create_table(p)

    def describe_table(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.control.describe_table(p)

    def list_tables(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.control.list_tables(p)

    def update_table(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.control.update_table(p)

    def delete_table(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.control.delete_table(p)

    def update_time_to_live(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.expiry.update_time_to_live(p)

    def describe_time_to_live(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.expiry.describe_time_to_live(p)

    def tag_resource(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.tagging.tag_resource(p)

    def untag_resource(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.tagging.untag_resource(p)

    def list_tags_of_resource(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.tagging.list_tags_of_resource(p)

    def describe_limits(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.tagging.describe_limits(p)

    # -- PartiQL (partiql.py: statements translated into the operations above and below)

    def execute_statement(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.partiql.execute_statement(p)

    def batch_execute_statement(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.partiql.batch_execute_statement(p)

    def execute_transaction(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.partiql.execute_transaction(p)

    # -- backups and point-in-time recovery (backups.py)

    def create_backup(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.backups.create_backup(p)

    def describe_backup(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.backups.describe_backup(p)

    def list_backups(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.backups.list_backups(p)

    def delete_backup(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.backups.delete_backup(p)

    def restore_table_from_backup(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.backups.restore_table_from_backup(p)

    def describe_continuous_backups(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.backups.describe_continuous_backups(p)

    def update_continuous_backups(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.backups.update_continuous_backups(p)

    def restore_table_to_point_in_time(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.backups.restore_table_to_point_in_time(p)

    # -- legacy global tables (globaltables.py: none can exist in one region)

    def create_global_table(self, p: dict[str, Any]) -> dict[str, Any]:
        return globaltables.create_global_table(p)

    def describe_global_table(self, p: dict[str, Any]) -> dict[str, Any]:
        return globaltables.describe_global_table(p)

    def update_global_table(self, p: dict[str, Any]) -> dict[str, Any]:
        return globaltables.update_global_table(p)

    def describe_global_table_settings(self, p: dict[str, Any]) -> dict[str, Any]:
        return globaltables.describe_global_table_settings(p)

    def update_global_table_settings(self, p: dict[str, Any]) -> dict[str, Any]:
        return globaltables.update_global_table_settings(p)

    def list_global_tables(self, p: dict[str, Any]) -> dict[str, Any]:
        return globaltables.list_global_tables(p)

    # -- items (a write also returns what a write-through cache must see)

    def put_item(self, p: dict[str, Any]) -> tuple[dict[str, Any], Item]:
        return self.writes.put_item(p)

    def update_item(self, p: dict[str, Any]) -> tuple[dict[str, Any], Item | None]:
        return self.writes.update_item(p)

    def delete_item(self, p: dict[str, Any]) -> tuple[dict[str, Any], Item]:
        return self.writes.delete_item(p)

    def batch_write_item(self, p: dict[str, Any]) -> tuple[dict[str, Any], list[Written]]:
        return self.writes.batch_write_item(p)

    def transact_write_items(self, p: dict[str, Any]) -> tuple[dict[str, Any], list[Written]]:
        return self.transactions.transact_write_items(p)

    def transact_get_items(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.transactions.transact_get_items(p)

    def get_item(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.reads.get_item(p)

    def batch_get_item(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.reads.batch_get_item(p)

    def plan_batch_get(self, p: dict[str, Any]) -> list[GetPlan]:
        """A BatchGetItem request validated, table by table, without reading anything."""
        return self.reads.plan_batch_get(p)

    def query(self, p: dict[str, Any]) -> dict[str, Any]:
        self._settle(p)
        return self.queries.query(p)

    def scan(self, p: dict[str, Any]) -> dict[str, Any]:
        self._settle(p)
        return self.queries.scan(p)

    def _settle(self, p: dict[str, Any]) -> None:
        """With ``options.settle_gsi_reads``, let a GSI's updates in flight land before
        a read of it (state.py)."""
        if not self.options.settle_gsi_reads:
            return
        index = p.get("IndexName")
        if isinstance(index, str):
            t = self.catalog.table(p.get("TableName"))
            self.propagation.settle(t, index, SETTLE_LIMIT)

    # -- streams

    def list_streams(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.streams.list_streams(p)

    def describe_stream(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.streams.describe_stream(p)

    def get_shard_iterator(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.streams.get_shard_iterator(p)

    def get_records(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.streams.get_records(p)

    # -- views

    def pending_index_updates(self) -> int:
        return self.catalog.pending_index_updates()

    def wait_for_indexes(self, limit: int = 60_000_000) -> bool:
        """Run the simulation until every GSI has applied its pending updates."""
        end = self.now + limit
        sched = self.cluster.scheduler
        while self.pending_index_updates() and self.now < end:
            sched.run_until(min(end, self.now + 10 * MS))
        return not self.pending_index_updates()

    def snapshot(self, name: str) -> TableSnapshot:
        return table_snapshot(self.catalog.table(name, describe=True), self.now)

    def placement(self, name: str) -> list[PartitionPlacement]:
        """Each partition key's item collection: its key group, token, replicas, items."""
        return placements(self.catalog.table(name, describe=True), self.cluster.ring, self.cluster.config.n)
