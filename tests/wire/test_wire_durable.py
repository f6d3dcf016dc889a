"""``dynviz dynamodb --data DIR`` across restarts: the table definitions are journaled in
DIR/tables.sqlite and replayed, and each table's items are found again on the nodes'
disks (dynviz/wire/journal.py, dynviz/table/recovery.py)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from wire_helpers import CREDENTIALS, ONE_TRY

from dynviz.table.connect import make_client
from dynviz.wire.cli import _reopen, cluster_for
from dynviz.wire.operations import Endpoint
from dynviz.wire.server import ServerThread, WireServer

boto3 = pytest.importorskip("boto3")


@contextmanager
def durable(data: Path) -> Iterator[tuple[Any, dict[str, int]]]:
    """A server on three durable nodes in ``data``, as ``dynviz dynamodb --data`` starts
    one: its boto3 client and the tables it found again."""
    cluster = cluster_for(3, 0, str(data))
    client = make_client(cluster)
    journal, found = _reopen(str(data), client)
    thread = ServerThread(WireServer(Endpoint(client, journal), clock="requests"))
    thread.start(timeout=10.0)
    try:
        yield boto3.client("dynamodb", endpoint_url=thread.url, config=ONE_TRY, **CREDENTIALS), found
    finally:
        thread.stop()
        journal.close()
        cluster.close()


def S(text: str) -> dict[str, str]:
    return {"S": text}


def first_life(ddb: Any) -> None:
    ddb.create_table(
        TableName="orders", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "customer", "KeyType": "HASH"}, {"AttributeName": "n", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "customer", "AttributeType": "S"},
                              {"AttributeName": "n", "AttributeType": "N"},
                              {"AttributeName": "status", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "by_status", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}]}])
    for i in range(12):
        ddb.put_item(TableName="orders", Item={"customer": S(f"c{i % 4}"), "n": {"N": str(i)},
                                               "status": S("open" if i % 3 == 0 else "paid")})
    ddb.delete_item(TableName="orders", Key={"customer": S("c0"), "n": {"N": "0"}})  # an open one
    arn = ddb.describe_table(TableName="orders")["Table"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "ops"}])
    ddb.update_time_to_live(TableName="orders", TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"})
    ddb.create_table(TableName="scratch", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}])
    ddb.put_item(TableName="scratch", Item={"k": S("x")})
    ddb.delete_table(TableName="scratch")
    # a request that failed changes nothing and is not journaled
    with pytest.raises(ddb.exceptions.ResourceInUseException):
        ddb.create_table(TableName="orders", BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}])


def open_orders(ddb: Any) -> int:
    """Open orders by the GSI, once its entries have propagated (10 s at most)."""
    deadline = time.monotonic() + 10
    while True:
        count = int(ddb.query(TableName="orders", IndexName="by_status", KeyConditionExpression="#s = :s",
                              ExpressionAttributeNames={"#s": "status"},
                              ExpressionAttributeValues={":s": S("open")})["Count"])
        if count == 3 or time.monotonic() > deadline:
            return count


def test_tables_and_items_survive_restarts(tmp_path: Path) -> None:
    with durable(tmp_path) as (ddb, found):
        assert found == {}
        first_life(ddb)
    for _ in range(2):  # and a second restart finds the same, not twice as much
        with durable(tmp_path) as (ddb, found):
            assert found == {"orders": 11}
            assert ddb.list_tables()["TableNames"] == ["orders"]
            table = ddb.describe_table(TableName="orders")["Table"]
            assert table["ItemCount"] == 11
            assert [g["IndexName"] for g in table["GlobalSecondaryIndexes"]] == ["by_status"]
            assert ddb.scan(TableName="orders", ConsistentRead=True)["Count"] == 11
            assert ddb.query(TableName="orders", KeyConditionExpression="customer = :c",
                             ExpressionAttributeValues={":c": S("c1")})["Count"] == 3
            assert open_orders(ddb) == 3
            assert ddb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"] == [
                {"Key": "team", "Value": "ops"}]
            ttl = ddb.describe_time_to_live(TableName="orders")["TimeToLiveDescription"]
            assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "ttl"}
            assert "Item" not in ddb.get_item(TableName="orders", Key={"customer": S("c0"), "n": {"N": "0"}},
                                              ConsistentRead=True)


def test_a_journal_that_does_not_replay_is_a_clear_error(tmp_path: Path) -> None:
    with durable(tmp_path) as (ddb, _):
        ddb.create_table(TableName="things", BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}])
    with sqlite3.connect(tmp_path / "tables.sqlite") as conn:  # as if hand-edited
        conn.execute("INSERT INTO journal (operation, params) VALUES ('DeleteTable', '{\"TableName\": \"nope\"}')")
    cluster = cluster_for(3, 0, str(tmp_path))
    try:
        with pytest.raises(ValueError, match=r"tables.sqlite: request 2 \(DeleteTable\) does not replay"):
            _reopen(str(tmp_path), make_client(cluster))
    finally:
        cluster.close()


def test_a_restored_table_survives_a_restart_though_its_backup_does_not(tmp_path: Path) -> None:
    with durable(tmp_path) as (ddb, _):
        first_life(ddb)
        arn = ddb.create_backup(TableName="orders", BackupName="weekly")["BackupDetails"]["BackupArn"]
        ddb.restore_table_from_backup(TargetTableName="orders_copy", BackupArn=arn)
    with durable(tmp_path) as (ddb, found):
        assert found == {"orders": 11, "orders_copy": 11}
        assert ddb.list_backups()["BackupSummaries"] == []
        assert [g["IndexName"] for g in ddb.describe_table(TableName="orders_copy")["Table"][
            "GlobalSecondaryIndexes"]] == ["by_status"]
