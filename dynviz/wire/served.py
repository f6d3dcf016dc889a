"""Which DynamoDB operations ``dynviz dynamodb`` serves: the one list the endpoint
dispatches on (operations.py) and ``dynviz dynamodb --help`` describes, so the two
cannot disagree. Plain data, importing nothing: the CLI builds its parser on every
``dynviz`` run.
"""

from __future__ import annotations

SERVED: dict[str, dict[str, str]] = {
    "dynamodb": {
        "CreateTable": "create_table",
        "DescribeTable": "describe_table",
        "ListTables": "list_tables",
        "UpdateTable": "update_table",
        "DeleteTable": "delete_table",
        "UpdateTimeToLive": "update_time_to_live",
        "DescribeTimeToLive": "describe_time_to_live",
        "TagResource": "tag_resource",
        "UntagResource": "untag_resource",
        "ListTagsOfResource": "list_tags_of_resource",
        "DescribeLimits": "describe_limits",
        "ExecuteStatement": "execute_statement",
        "BatchExecuteStatement": "batch_execute_statement",
        "ExecuteTransaction": "execute_transaction",
        "CreateBackup": "create_backup",
        "DescribeBackup": "describe_backup",
        "ListBackups": "list_backups",
        "DeleteBackup": "delete_backup",
        "RestoreTableFromBackup": "restore_table_from_backup",
        "DescribeContinuousBackups": "describe_continuous_backups",
        "UpdateContinuousBackups": "update_continuous_backups",
        "RestoreTableToPointInTime": "restore_table_to_point_in_time",
        "CreateGlobalTable": "create_global_table",
        "DescribeGlobalTable": "describe_global_table",
        "UpdateGlobalTable": "update_global_table",
        "DescribeGlobalTableSettings": "describe_global_table_settings",
        "UpdateGlobalTableSettings": "update_global_table_settings",
        "ListGlobalTables": "list_global_tables",
        "PutItem": "put_item",
        "GetItem": "get_item",
        "UpdateItem": "update_item",
        "DeleteItem": "delete_item",
        "BatchGetItem": "batch_get_item",
        "BatchWriteItem": "batch_write_item",
        "TransactWriteItems": "transact_write_items",
        "TransactGetItems": "transact_get_items",
        "Query": "query",
        "Scan": "scan",
    },
    "streams": {
        "ListStreams": "list_streams",
        "DescribeStream": "describe_stream",
        "GetShardIterator": "get_shard_iterator",
        "GetRecords": "get_records",
    },
}
"""Service -> operation -> the table client's method."""

NOT_YET = frozenset({
    "CancelBulkOperation", "DeleteResourcePolicy",
    "DescribeBulkOperation", "DescribeContributorInsights",
    "DescribeExport", "DescribeImport",
    "DescribeKinesisStreamingDestination", "DescribeTableReplicaAutoScaling",
    "DisableKinesisStreamingDestination", "EnableKinesisStreamingDestination",
    "ExportTableToPointInTime", "GetResourcePolicy", "ImportTable",
    "ListBulkOperations", "ListContributorInsights", "ListExports", "ListImports",
    "PutResourcePolicy",
    "SearchVectors", "StartBulkPutItems",
    "UpdateContributorInsights",
    "UpdateKinesisStreamingDestination", "UpdateTableReplicaAutoScaling",
})
"""DynamoDB's other operations (API version 2012-08-10): known, not served yet."""

NO_OUTPUT = frozenset({"TagResource", "UntagResource"})
"""Operations whose answer has no members: DynamoDB sends them an empty body, not
``{}`` (botocore reads either)."""

OWN = frozenset({"DescribeEndpoints"})
"""Operations about the endpoint itself, answered here, not by the table layer."""

KNOWN: dict[str, frozenset[str]] = {
    "dynamodb": frozenset(SERVED["dynamodb"]) | OWN | NOT_YET,
    "streams": frozenset(SERVED["streams"]),
}


def served_summary() -> str:
    """The served operations in words, for ``dynviz dynamodb --help``."""
    own = ", ".join(sorted(OWN))
    return (f"Served: {', '.join(SERVED['dynamodb'])}, {own}; and Streams' {', '.join(SERVED['streams'])} "
            "(target prefix DynamoDBStreams_20120810, on the same port). DynamoDB's other operations "
            f"({len(NOT_YET)}, such as {', '.join(sorted(NOT_YET)[:3])}) answer UnknownOperationException.")
