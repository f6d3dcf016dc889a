"""The boto3-shaped client: ``dynviz.table.client(cluster)``.

Methods take keyword arguments and return dicts exactly as boto3's low-level DynamoDB
client does (``client.put_item(TableName=..., Item={"pk": {"S": "a"}})``), including
``ResponseMetadata``; errors are ``TableError`` subclasses shaped like botocore's
``ClientError`` (``exc.response["Error"]["Code"]``), also reachable as
``client.exceptions.ConditionalCheckFailedException`` and so on. The stream operations
(which boto3 puts on a separate ``dynamodbstreams`` client) are here too.

A request a caller got wrong is a ``ValidationException`` (or another DynamoDB error)
raised where the engine checks it; any other exception is a bug of dynviz's and
propagates as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from dynviz.table.errors import Exceptions, TableError
from dynviz.table.values import Item

if TYPE_CHECKING:
    from dynviz.cluster import Cluster
    from dynviz.table.engine import TableEngine
    from dynviz.table.views import PartitionPlacement, TableSnapshot

Out = TypeVar("Out")


class TableClient:
    """A DynamoDB low-level client over one cluster's table engine."""

    exceptions = Exceptions
    _write_through = False  # the accelerator sets it to see every write

    def __init__(self, cluster: Cluster, engine: TableEngine) -> None:
        self.cluster = cluster
        self.engine = engine
        self._requests = 0

    # -- plumbing

    @staticmethod
    def _call(op: str, fn: Callable[[dict[str, Any]], Out], params: dict[str, Any]) -> Out:
        """``fn(params)``, its DynamoDB errors naming the operation ``op``."""
        try:
            return fn(params)
        except TableError as exc:
            raise exc.with_operation(op) from None

    def _meta(self, out: dict[str, Any]) -> dict[str, Any]:
        self._requests += 1
        out["ResponseMetadata"] = {
            "RequestId": f"{self._requests:08d}-dynviz",
            "HTTPStatusCode": 200,
            "HTTPHeaders": {"server": "dynviz", "content-type": "application/x-amz-json-1.0"},
            "RetryAttempts": 0,
        }
        return out

    def _after_write(self, table: str, key: Item, item: Item | None) -> None:
        """Hook for a write-through cache (the accelerator)."""

    # -- control plane

    def create_table(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("CreateTable", self.engine.create_table, params))

    def describe_table(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("DescribeTable", self.engine.describe_table, params))

    def list_tables(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("ListTables", self.engine.list_tables, params))

    def delete_table(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("DeleteTable", self.engine.delete_table, params))

    def update_table(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("UpdateTable", self.engine.update_table, params))

    def update_time_to_live(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("UpdateTimeToLive", self.engine.update_time_to_live, params))

    def describe_time_to_live(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("DescribeTimeToLive", self.engine.describe_time_to_live, params))

    def tag_resource(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("TagResource", self.engine.tag_resource, params))

    def untag_resource(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("UntagResource", self.engine.untag_resource, params))

    def list_tags_of_resource(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("ListTagsOfResource", self.engine.list_tags_of_resource, params))

    def describe_limits(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("DescribeLimits", self.engine.describe_limits, params))

    # -- PartiQL

    def execute_statement(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("ExecuteStatement", self.engine.execute_statement, params))

    def batch_execute_statement(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("BatchExecuteStatement", self.engine.batch_execute_statement, params))

    def execute_transaction(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("ExecuteTransaction", self.engine.execute_transaction, params))

    # -- backups

    def create_backup(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("CreateBackup", self.engine.create_backup, params))

    def describe_backup(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("DescribeBackup", self.engine.describe_backup, params))

    def list_backups(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("ListBackups", self.engine.list_backups, params))

    def delete_backup(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("DeleteBackup", self.engine.delete_backup, params))

    def restore_table_from_backup(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("RestoreTableFromBackup", self.engine.restore_table_from_backup, params))

    def describe_continuous_backups(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("DescribeContinuousBackups", self.engine.describe_continuous_backups, params))

    def update_continuous_backups(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("UpdateContinuousBackups", self.engine.update_continuous_backups, params))

    def create_global_table(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("CreateGlobalTable", self.engine.create_global_table, params))

    def describe_global_table(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("DescribeGlobalTable", self.engine.describe_global_table, params))

    def update_global_table(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("UpdateGlobalTable", self.engine.update_global_table, params))

    def describe_global_table_settings(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("DescribeGlobalTableSettings", self.engine.describe_global_table_settings,
                                     params))

    def update_global_table_settings(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("UpdateGlobalTableSettings", self.engine.update_global_table_settings,
                                     params))

    def list_global_tables(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("ListGlobalTables", self.engine.list_global_tables, params))

    def restore_table_to_point_in_time(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("RestoreTableToPointInTime", self.engine.restore_table_to_point_in_time,
                                     params))

    # -- items

    def put_item(self, **params: Any) -> dict[str, Any]:
        out, item = self._call("PutItem", self.engine.put_item, params)
        if self._write_through:
            self._after_write(params["TableName"], self.engine.table(params["TableName"]).schema.key_of(item), item)
        return self._meta(out)

    def update_item(self, **params: Any) -> dict[str, Any]:
        out, item = self._call("UpdateItem", self.engine.update_item, params)
        if self._write_through:  # item None: the update left no item (it only removed, from none)
            schema = self.engine.table(params["TableName"]).schema
            key = schema.key_of(item) if item is not None else schema.check_key(params["Key"])
            self._after_write(params["TableName"], key, item)
        return self._meta(out)

    def delete_item(self, **params: Any) -> dict[str, Any]:
        out, key = self._call("DeleteItem", self.engine.delete_item, params)
        self._after_write(params["TableName"], key, None)
        return self._meta(out)

    def get_item(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("GetItem", self.engine.get_item, params))

    def batch_get_item(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("BatchGetItem", self.engine.batch_get_item, params))

    def batch_write_item(self, **params: Any) -> dict[str, Any]:
        out, written = self._call("BatchWriteItem", self.engine.batch_write_item, params)
        for table, key, item in written:
            self._after_write(table, key, item)
        return self._meta(out)

    def transact_write_items(self, **params: Any) -> dict[str, Any]:
        out, written = self._call("TransactWriteItems", self.engine.transact_write_items, params)
        for table, key, item in written:
            self._after_write(table, key, item)
        return self._meta(out)

    def transact_get_items(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("TransactGetItems", self.engine.transact_get_items, params))

    def query(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("Query", self.engine.query, params))

    def scan(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("Scan", self.engine.scan, params))

    # -- streams (boto3's dynamodbstreams client)

    def list_streams(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("ListStreams", self.engine.list_streams, params))

    def describe_stream(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("DescribeStream", self.engine.describe_stream, params))

    def get_shard_iterator(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("GetShardIterator", self.engine.get_shard_iterator, params))

    def get_records(self, **params: Any) -> dict[str, Any]:
        return self._meta(self._call("GetRecords", self.engine.get_records, params))

    # -- for views and tests (not boto3)

    def snapshot(self, table: str) -> TableSnapshot:
        """Counts, capacity gauges, throttle counters, index lag, stream position."""
        return self.engine.snapshot(table)

    def placement(self, table: str) -> list[PartitionPlacement]:
        """Where each of the table's item collections lives on the ring."""
        return self.engine.placement(table)

    def wait_for_indexes(self, limit: int = 60_000_000) -> bool:
        """Advance virtual time until every GSI caught up with the table."""
        return self.engine.wait_for_indexes(limit)

    def get_paginator(self, operation: str) -> Paginator:
        if operation not in ("query", "scan", "list_tables"):
            raise ValueError(f"no paginator for {operation}")
        return Paginator(self, operation)


class Paginator:
    """boto3's ``get_paginator("query").paginate(...)`` for query, scan, list_tables."""

    def __init__(self, client: TableClient, operation: str) -> None:
        self.client = client
        self.operation = operation

    def paginate(self, **params: Any) -> Iterator[dict[str, Any]]:
        fn = getattr(self.client, self.operation)
        token_in, token_out = (("ExclusiveStartTableName", "LastEvaluatedTableName") if self.operation == "list_tables"
                               else ("ExclusiveStartKey", "LastEvaluatedKey"))
        while True:
            page = fn(**params)
            yield page
            nxt = page.get(token_out)
            if not nxt:
                return
            params = {**params, token_in: nxt}

