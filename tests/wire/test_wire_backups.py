"""Backups over the wire: boto3 and the AWS CLI's calls, as a user's backup script makes
them, with DynamoDB's shapes (timestamps as datetimes) and error codes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from botocore.exceptions import ClientError
from wire_helpers import create_keyed


def test_backup_restore_and_recovery_through_boto3(ddb: Any, table_name: str) -> None:
    create_keyed(ddb, table_name)
    for i in range(3):
        ddb.put_item(TableName=table_name, Item={"pk": {"S": "a"}, "sk": {"N": str(i)}})
    backup = ddb.create_backup(TableName=table_name, BackupName="nightly")["BackupDetails"]
    assert isinstance(backup["BackupCreationDateTime"], dt.datetime)
    ddb.delete_item(TableName=table_name, Key={"pk": {"S": "a"}, "sk": {"N": "0"}})

    out = ddb.restore_table_from_backup(TargetTableName=f"{table_name}_copy", BackupArn=backup["BackupArn"])
    assert out["TableDescription"]["TableStatus"] == "ACTIVE"
    assert ddb.scan(TableName=f"{table_name}_copy", ConsistentRead=True)["Count"] == 3
    summaries = ddb.list_backups(TableName=table_name)["BackupSummaries"]
    assert [(s["BackupName"], s["BackupStatus"]) for s in summaries] == [("nightly", "AVAILABLE")]

    pitr = ddb.update_continuous_backups(TableName=table_name, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 7})["ContinuousBackupsDescription"]
    description = pitr["PointInTimeRecoveryDescription"]
    assert (description["PointInTimeRecoveryStatus"], description["RecoveryPeriodInDays"]) == ("ENABLED", 7)
    assert isinstance(description["EarliestRestorableDateTime"], dt.datetime)
    ddb.restore_table_to_point_in_time(SourceTableName=table_name, TargetTableName=f"{table_name}_now",
                                       UseLatestRestorableTime=True)
    assert ddb.scan(TableName=f"{table_name}_now", ConsistentRead=True)["Count"] == 2


@pytest.mark.parametrize(("call", "params", "code"), [
    ("describe_backup", {"BackupArn": "arn:aws:dynamodb:us-east-1:123456789012:table/x/backup/1-2"},
     "BackupNotFoundException"),
    ("describe_continuous_backups", {"TableName": "no_such_table"}, "TableNotFoundException"),
    ("restore_table_to_point_in_time", {"SourceTableName": "no_such_table", "TargetTableName": "target",
                                        "UseLatestRestorableTime": True}, "TableNotFoundException"),
])
def test_backup_errors_have_dynamodbs_codes(ddb: Any, call: str, params: dict[str, Any], code: str) -> None:
    with pytest.raises(ClientError) as caught:
        getattr(ddb, call)(**params)
    assert caught.value.response["Error"]["Code"] == code
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
