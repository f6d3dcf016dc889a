"""Backups and point-in-time recovery (dynviz/table/backups.py), through the in-process
client with DynamoDB's shapes: a backup keeps the table as it was, a restore makes a new
table of it; recovery restores the table as of any moment since it was enabled."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

import dynviz.table as dt
from dynviz.core.units import SECOND


@pytest.fixture
def ddb() -> Any:
    client = dt.client(dt.default_cluster(seed=11))
    client.create_table(
        TableName="orders", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "customer", "KeyType": "HASH"}, {"AttributeName": "n", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "customer", "AttributeType": "S"},
                              {"AttributeName": "n", "AttributeType": "N"},
                              {"AttributeName": "status", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "by_status", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}]}])
    return client


def put(ddb: Any, customer: str, n: int, status: str) -> None:
    ddb.put_item(TableName="orders", Item={"customer": {"S": customer}, "n": {"N": str(n)}, "status": {"S": status}})


def keys(ddb: Any, table: str) -> list[tuple[str, str]]:
    items = ddb.scan(TableName=table, ConsistentRead=True)["Items"]
    return sorted((i["customer"]["S"], i["n"]["N"]) for i in items)


def test_a_backup_restores_the_table_as_it_was(ddb: Any) -> None:
    for i in range(5):
        put(ddb, f"c{i % 2}", i, "open")
    details = ddb.create_backup(TableName="orders", BackupName="before-cleanup")["BackupDetails"]
    assert details["BackupStatus"] == "AVAILABLE" and details["BackupType"] == "USER"
    assert details["BackupArn"].startswith(ddb.describe_table(TableName="orders")["Table"]["TableArn"] + "/backup/")
    ddb.delete_item(TableName="orders", Key={"customer": {"S": "c0"}, "n": {"N": "0"}})
    put(ddb, "c9", 9, "shut")

    described = ddb.describe_backup(BackupArn=details["BackupArn"])["BackupDescription"]
    assert described["SourceTableDetails"]["ItemCount"] == 5
    assert [g["IndexName"] for g in described["SourceTableFeatureDetails"]["GlobalSecondaryIndexes"]] == ["by_status"]
    assert [b["BackupName"] for b in ddb.list_backups(TableName="orders")["BackupSummaries"]] == ["before-cleanup"]

    restored = ddb.restore_table_from_backup(TargetTableName="orders_restored", BackupArn=details["BackupArn"])
    assert restored["TableDescription"]["RestoreSummary"]["SourceBackupArn"] == details["BackupArn"]
    assert keys(ddb, "orders_restored") == [("c0", "0"), ("c0", "2"), ("c0", "4"), ("c1", "1"), ("c1", "3")]
    assert len(keys(ddb, "orders")) == 5  # the source went on: 4 of the old and c9
    ddb.cluster.run(SECOND)  # the restored table's index is filled a moment later, as any GSI
    by_status = ddb.query(TableName="orders_restored", IndexName="by_status", KeyConditionExpression="#s = :s",
                          ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":s": {"S": "open"}})
    assert by_status["Count"] == 5

    with pytest.raises(ddb.exceptions.ClientError) as taken:
        ddb.restore_table_from_backup(TargetTableName="orders", BackupArn=details["BackupArn"])
    assert taken.value.response["Error"]["Code"] == "TableAlreadyExistsException"
    ddb.delete_backup(BackupArn=details["BackupArn"])
    with pytest.raises(ddb.exceptions.ClientError) as gone:
        ddb.describe_backup(BackupArn=details["BackupArn"])
    assert gone.value.response["Error"]["Code"] == "BackupNotFoundException"


def test_backups_survive_their_table_and_are_paged(ddb: Any) -> None:
    arns = [ddb.create_backup(TableName="orders", BackupName=f"b{i}x")["BackupDetails"]["BackupArn"] for i in range(3)]
    first = ddb.list_backups(Limit=2)
    assert [b["BackupArn"] for b in first["BackupSummaries"]] == arns[:2]
    rest = ddb.list_backups(Limit=2, ExclusiveStartBackupArn=first["LastEvaluatedBackupArn"])
    assert [b["BackupArn"] for b in rest["BackupSummaries"]] == arns[2:] and "LastEvaluatedBackupArn" not in rest
    ddb.delete_table(TableName="orders")
    assert len(ddb.list_backups()["BackupSummaries"]) == 3
    with pytest.raises(ddb.exceptions.ClientError) as bad:
        ddb.create_backup(TableName="orders", BackupName="x")
    assert bad.value.response["Error"]["Code"] == "TableNotFoundException"


def test_point_in_time_recovery_restores_any_moment_since_it_was_enabled(ddb: Any) -> None:
    off = ddb.describe_continuous_backups(TableName="orders")["ContinuousBackupsDescription"]
    assert off == {"ContinuousBackupsStatus": "DISABLED",
                   "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"}}
    with pytest.raises(ddb.exceptions.ClientError) as unavailable:
        ddb.restore_table_to_point_in_time(SourceTableName="orders", TargetTableName="x1", UseLatestRestorableTime=True)
    assert unavailable.value.response["Error"]["Code"] == "PointInTimeRecoveryUnavailableException"

    put(ddb, "ada", 1, "open")  # before recovery was on: in its starting items
    on = ddb.update_continuous_backups(TableName="orders", PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True})["ContinuousBackupsDescription"]
    assert on["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    ddb.cluster.run(2 * SECOND)
    put(ddb, "bob", 1, "open")
    ddb.cluster.run(2 * SECOND)
    moment = ddb.describe_continuous_backups(TableName="orders")["ContinuousBackupsDescription"][
        "PointInTimeRecoveryDescription"]["LatestRestorableDateTime"]
    ddb.cluster.run(2 * SECOND)
    ddb.delete_item(TableName="orders", Key={"customer": {"S": "ada"}, "n": {"N": "1"}})  # the mistake
    put(ddb, "cy", 1, "open")

    ddb.restore_table_to_point_in_time(SourceTableName="orders", TargetTableName="before_mistake",
                                       RestoreDateTime=moment)
    assert keys(ddb, "before_mistake") == [("ada", "1"), ("bob", "1")]
    ddb.restore_table_to_point_in_time(SourceTableName="orders", TargetTableName="latest",
                                       UseLatestRestorableTime=True)
    assert keys(ddb, "latest") == [("bob", "1"), ("cy", "1")]
    with pytest.raises(ddb.exceptions.ClientError) as early:
        ddb.restore_table_to_point_in_time(SourceTableName="orders", TargetTableName="x2",
                                           RestoreDateTime=moment - timedelta(days=1))
    assert early.value.response["Error"]["Code"] == "InvalidRestoreTimeException"


def test_an_arn_names_the_table_and_bad_parameters_are_refused(ddb: Any) -> None:
    arn = ddb.describe_table(TableName="orders")["Table"]["TableArn"]
    assert ddb.describe_continuous_backups(TableName=arn)["ContinuousBackupsDescription"][
        "ContinuousBackupsStatus"] == "DISABLED"
    for call, params in ((ddb.create_backup, {"TableName": "orders", "BackupName": "a b"}),
                         (ddb.describe_continuous_backups, {}),
                         (ddb.list_backups, {"BackupType": "WEEKLY"})):
        with pytest.raises(ddb.exceptions.ClientError) as bad:
            call(**params)
        assert bad.value.response["Error"]["Code"] == "ValidationException"
