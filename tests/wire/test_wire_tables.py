"""The table control plane over the wire, on a server whose virtual time follows the
wall clock as ``dynviz dynamodb`` runs by default: dates a client can compare with its
own clock, GSI reads that see the writes before them, TTL against the client's
``time.time()``, and DescribeTable's and DeleteTable's fields through boto3."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from wire_helpers import CREDENTIALS, boto3, create_keyed

import dynviz.table as dt
from dynviz.core.units import SECOND
from dynviz.table.expiry import SWEEP_DELAY
from dynviz.wire.operations import Endpoint
from dynviz.wire.server import ServerThread, WireServer


class WallServer:
    """An endpoint on the wall clock (``clock="wall"``), in a background thread."""

    def __init__(self) -> None:
        self.cluster = dt.default_cluster(seed=5)
        self.server = WireServer(Endpoint(dt.client(self.cluster)), clock="wall")
        self.thread = ServerThread(self.server)
        self.thread.start(timeout=10.0)

    def boto(self) -> Any:
        return boto3.client("dynamodb", endpoint_url=self.thread.url, **CREDENTIALS)

    def stop(self) -> None:
        self.thread.stop()
        self.cluster.close()


@pytest.fixture(scope="module")
def wall() -> Iterator[WallServer]:
    running = WallServer()
    yield running
    running.stop()


def test_creation_date_is_the_clients_now(wall):
    ddb = wall.boto()
    before = time.time()
    create_keyed(ddb, "dated", sk=None)
    created = ddb.describe_table(TableName="dated")["Table"]["CreationDateTime"].timestamp()
    assert before - 2 < created < time.time() + 2


def test_a_gsi_query_right_after_an_update_sees_the_update(wall):
    ddb = wall.boto()
    ddb.create_table(TableName="indexed", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "colour", "AttributeType": "S"}],
                     GlobalSecondaryIndexes=[{"IndexName": "by_colour", "Projection": {"ProjectionType": "ALL"},
                                              "KeySchema": [{"AttributeName": "colour", "KeyType": "HASH"}]}])
    ddb.put_item(TableName="indexed", Item={"pk": {"S": "a"}, "colour": {"S": "red"}, "n": {"N": "1"}})
    for n in range(2, 6):
        ddb.update_item(TableName="indexed", Key={"pk": {"S": "a"}}, UpdateExpression="SET n = :n",
                        ExpressionAttributeValues={":n": {"N": str(n)}})
        got = ddb.query(TableName="indexed", IndexName="by_colour", KeyConditionExpression="colour = :c",
                        ExpressionAttributeValues={":c": {"S": "red"}})["Items"]
        assert got == [{"pk": {"S": "a"}, "colour": {"S": "red"}, "n": {"N": str(n)}}]


def test_ttl_deletes_what_expired_by_the_clients_clock(wall):
    ddb = wall.boto()
    create_keyed(ddb, "expiring", sk=None)
    ddb.update_time_to_live(TableName="expiring", TimeToLiveSpecification={"Enabled": True, "AttributeName": "at"})
    now = int(time.time())
    ddb.put_item(TableName="expiring", Item={"pk": {"S": "old"}, "at": {"N": str(now - 60)}})
    ddb.put_item(TableName="expiring", Item={"pk": {"S": "new"}, "at": {"N": str(now + 3600)}})
    wall.thread.call(lambda: wall.cluster.run(SWEEP_DELAY + SECOND))  # the sweep, without waiting a minute
    keys = [i["pk"]["S"] for i in ddb.scan(TableName="expiring", ConsistentRead=True)["Items"]]
    assert keys == ["new"]


def test_describe_and_delete_fields_over_the_wire(wall):
    ddb = wall.boto()
    create_keyed(ddb, "fields", sk=None, TableClass="STANDARD_INFREQUENT_ACCESS")
    desc = ddb.describe_table(TableName="fields")["Table"]
    assert desc["TableClassSummary"] == {"TableClass": "STANDARD_INFREQUENT_ACCESS"}
    assert desc["BillingModeSummary"]["LastUpdateToPayPerRequestDateTime"] == desc["CreationDateTime"]
    gone = ddb.delete_table(TableName="fields")["TableDescription"]
    assert gone["TableStatus"] == "DELETING" and "KeySchema" not in gone and "CreationDateTime" not in gone
