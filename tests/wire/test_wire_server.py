"""The running endpoint (dynviz/wire/server.py) driven by boto3's client and resource
APIs over HTTP, and by raw HTTP where a real client would never go wrong."""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.error
import urllib.request
import zlib
from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError
from wire_helpers import ONE_TRY, Running, create_keyed

import dynviz.table as dt
from dynviz.core.units import SECOND
from dynviz.wire.operations import Endpoint
from dynviz.wire.server import ServerThread, WireServer

AUTH = "AWS4-HMAC-SHA256 Credential=k/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0"


def post(url: str, body: bytes, target: str | None = "DynamoDB_20120810.ListTables",
         content_type: str = "application/x-amz-json-1.0", auth: str | None = AUTH,
         method: str = "POST") -> tuple[int, dict[str, str], bytes]:
    headers = {"Content-Type": content_type}
    if target is not None:
        headers["X-Amz-Target"] = target
    if auth is not None:
        headers["Authorization"] = auth
    req = urllib.request.Request(url + "/", data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def code_of(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


# -- boto3's client --------------------------------------------------------------------


def test_create_describe_list_and_delete_a_table(ddb: Any, table_name: str):
    create_keyed(ddb, table_name)
    table = ddb.describe_table(TableName=table_name)["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                                  {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert table["CreationDateTime"].year >= 2024  # a timestamp on the wire, a datetime for boto3
    assert table_name in ddb.list_tables()["TableNames"]
    ddb.delete_table(TableName=table_name)
    assert table_name not in ddb.list_tables()["TableNames"]


def test_put_get_update_delete_an_item_with_every_type(ddb: Any, table_name: str):
    create_keyed(ddb, table_name)
    item = {"pk": {"S": "ada"}, "sk": {"N": "1"}, "bin": {"B": b"\x00\x01\xff"}, "bs": {"BS": [b"\x00", b"\x01"]},
            "n": {"N": "3.25"}, "ok": {"BOOL": True}, "nothing": {"NULL": True}, "ss": {"SS": ["a", "b"]},
            "ns": {"NS": ["1", "2"]}, "l": {"L": [{"S": "x"}, {"N": "2"}]}, "m": {"M": {"deep": {"B": b"\x02"}}}}
    ddb.put_item(TableName=table_name, Item=item)
    key = {"pk": {"S": "ada"}, "sk": {"N": "1"}}
    got = ddb.get_item(TableName=table_name, Key=key, ConsistentRead=True)["Item"]
    assert got == item
    out = ddb.update_item(TableName=table_name, Key=key, UpdateExpression="SET n = n + :d, tag = :t",
                          ExpressionAttributeValues={":d": {"N": "1"}, ":t": {"S": "new"}}, ReturnValues="UPDATED_NEW")
    assert out["Attributes"] == {"n": {"N": "4.25"}, "tag": {"S": "new"}}
    old = ddb.delete_item(TableName=table_name, Key=key, ReturnValues="ALL_OLD")["Attributes"]
    assert old["tag"] == {"S": "new"}
    assert "Item" not in ddb.get_item(TableName=table_name, Key=key, ConsistentRead=True)


def test_query_and_scan_with_pagination_filters_and_binary_keys(ddb: Any, table_name: str):
    create_keyed(ddb, table_name, sk="B")
    for i in range(7):
        ddb.put_item(TableName=table_name, Item={"pk": {"S": "p"}, "sk": {"B": bytes([i, 255])}, "i": {"N": str(i)}})
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "q"}, "sk": {"B": b"\x00"}, "i": {"N": "100"}})
    pages = list(ddb.get_paginator("query").paginate(
        TableName=table_name, KeyConditionExpression="pk = :p AND sk >= :lo",
        ExpressionAttributeValues={":p": {"S": "p"}, ":lo": {"B": bytes([2])}}, Limit=2, ConsistentRead=True))
    assert [it["i"]["N"] for page in pages for it in page["Items"]] == ["2", "3", "4", "5", "6"]
    assert pages[0]["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"B": bytes([3, 255])}}
    back = ddb.query(TableName=table_name, KeyConditionExpression="pk = :p", ScanIndexForward=False, Limit=1,
                     ExpressionAttributeValues={":p": {"S": "p"}}, ConsistentRead=True)
    assert back["Items"][0]["sk"] == {"B": bytes([6, 255])}
    scanned = ddb.scan(TableName=table_name, FilterExpression="i >= :n", ExpressionAttributeValues={":n": {"N": "5"}},
                       ConsistentRead=True)
    assert sorted(int(it["i"]["N"]) for it in scanned["Items"]) == [5, 6, 100]
    assert scanned["ScannedCount"] == 8 and scanned["Count"] == 3


def test_batch_write_and_batch_get(ddb: Any, table_name: str):
    create_keyed(ddb, table_name, sk=None)
    puts = [{"PutRequest": {"Item": {"pk": {"S": f"k{i}"}, "v": {"B": bytes([i])}}}} for i in range(10)]
    out = ddb.batch_write_item(RequestItems={table_name: puts})
    assert out["UnprocessedItems"] == {}
    ddb.batch_write_item(RequestItems={table_name: [{"DeleteRequest": {"Key": {"pk": {"S": "k0"}}}}]})
    got = ddb.batch_get_item(RequestItems={table_name: {"Keys": [{"pk": {"S": f"k{i}"}} for i in range(3)],
                                                        "ConsistentRead": True}})
    items = sorted(got["Responses"][table_name], key=lambda it: it["pk"]["S"])
    assert items == [{"pk": {"S": "k1"}, "v": {"B": b"\x01"}}, {"pk": {"S": "k2"}, "v": {"B": b"\x02"}}]


def test_a_failed_condition_is_conditional_check_failed_with_the_old_item(ddb: Any, table_name: str):
    create_keyed(ddb, table_name, sk=None)
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "a"}, "b": {"B": b"\x07"}})
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException) as exc:
        ddb.put_item(TableName=table_name, Item={"pk": {"S": "a"}}, ConditionExpression="attribute_not_exists(pk)",
                     ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert exc.value.response["Item"] == {"pk": {"S": "a"}, "b": {"B": b"\x07"}}


def test_a_missing_table_is_resource_not_found(ddb: Any):
    with pytest.raises(ddb.exceptions.ResourceNotFoundException):
        ddb.get_item(TableName="no_such_table", Key={"pk": {"S": "a"}})
    with pytest.raises(ddb.exceptions.ResourceNotFoundException):
        ddb.describe_table(TableName="no_such_table")


def test_a_table_created_twice_is_resource_in_use(ddb: Any, table_name: str):
    create_keyed(ddb, table_name, sk=None)
    with pytest.raises(ddb.exceptions.ResourceInUseException):
        create_keyed(ddb, table_name, sk=None)


def test_validation_errors_come_back_as_validation_exception(ddb: Any, table_name: str):
    create_keyed(ddb, table_name)
    with pytest.raises(ClientError) as exc:  # the sort key is missing
        ddb.put_item(TableName=table_name, Item={"pk": {"S": "a"}})
    assert code_of(exc) == "ValidationException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as exc:  # a key of the wrong type
        ddb.get_item(TableName=table_name, Key={"pk": {"S": "a"}, "sk": {"S": "one"}})
    assert code_of(exc) == "ValidationException"
    with pytest.raises(ClientError) as exc:  # the key condition names no partition key
        ddb.query(TableName=table_name, KeyConditionExpression="sk = :s", ExpressionAttributeValues={":s": {"N": "1"}})
    assert code_of(exc) == "ValidationException"


def test_an_operation_not_served_yet_is_unknown_operation_saying_so(ddb: Any):
    with pytest.raises(ClientError) as exc:
        ddb.list_exports()
    assert code_of(exc) == "UnknownOperationException"
    assert "dynviz does not serve ListExports yet" in exc.value.response["Error"]["Message"]


def test_describe_endpoints_names_this_server(served: Running, ddb: Any):
    endpoints = ddb.describe_endpoints()["Endpoints"]
    assert endpoints == [{"Address": served.url.removeprefix("http://"), "CachePeriodInMinutes": 1440}]


def test_update_table_changes_throughput(ddb: Any, table_name: str):
    ddb.create_table(TableName=table_name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    ddb.update_table(TableName=table_name, ProvisionedThroughput={"ReadCapacityUnits": 7, "WriteCapacityUnits": 9})
    pt = ddb.describe_table(TableName=table_name)["Table"]["ProvisionedThroughput"]
    assert (pt["ReadCapacityUnits"], pt["WriteCapacityUnits"]) == (7, 9)


def test_streams_over_the_wire(served: Running, ddb: Any, table_name: str):
    create_keyed(ddb, table_name, sk=None,
                 StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "a"}, "b": {"B": b"\x01"}})
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "a"}, "b": {"B": b"\x02"}})
    streams = served.boto("dynamodbstreams")
    arn = streams.list_streams(TableName=table_name)["Streams"][0]["StreamArn"]
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shards[0]["ShardId"],
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = streams.get_records(ShardIterator=it)["Records"]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY"]
    assert records[1]["dynamodb"]["OldImage"]["b"] == {"B": b"\x01"}
    assert records[1]["dynamodb"]["NewImage"]["b"] == {"B": b"\x02"}
    assert records[0]["dynamodb"]["ApproximateCreationDateTime"].year >= 2024


def test_a_cluster_without_a_quorum_is_service_unavailable(ddb: Any, table_name: str):
    running = Running()
    try:
        client = running.boto(config=ONE_TRY)
        create_keyed(client, table_name, sk=None)
        for node in running.cluster.node_names()[1:]:  # no request is in flight: the server is idle
            running.cluster.kill(node)
        with pytest.raises(ClientError) as exc:
            client.put_item(TableName=table_name, Item={"pk": {"S": "a"}})
        assert code_of(exc) == "ServiceUnavailable"
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    finally:
        running.stop()


# -- boto3's resource ------------------------------------------------------------------


def test_the_resource_api_round_trips_python_values(served: Running, table_name: str):
    dynamodb = served.resource()
    table = dynamodb.create_table(TableName=table_name, BillingMode="PAY_PER_REQUEST",
                                  KeySchema=[{"AttributeName": "user", "KeyType": "HASH"},
                                             {"AttributeName": "at", "KeyType": "RANGE"}],
                                  AttributeDefinitions=[{"AttributeName": "user", "AttributeType": "S"},
                                                        {"AttributeName": "at", "AttributeType": "N"}])
    table.wait_until_exists()
    with table.batch_writer() as batch:
        for at in range(5):
            batch.put_item(Item={"user": "ada", "at": at, "tags": {"x", "y"}, "score": Decimal("1.5") * at})
    table.put_item(Item={"user": "bob", "at": 1, "raw": b"\x00\x01"})
    assert table.get_item(Key={"user": "bob", "at": 1}, ConsistentRead=True)["Item"]["raw"].value == b"\x00\x01"
    got = table.query(KeyConditionExpression=Key("user").eq("ada") & Key("at").between(1, 3),
                      FilterExpression=Attr("score").gt(2), ConsistentRead=True)
    assert [it["at"] for it in got["Items"]] == [2, 3]
    assert got["Items"][0]["tags"] == {"x", "y"}
    table.update_item(Key={"user": "ada", "at": 0}, UpdateExpression="ADD hits :one",
                      ExpressionAttributeValues={":one": 1})
    assert table.get_item(Key={"user": "ada", "at": 0}, ConsistentRead=True)["Item"]["hits"] == 1
    table.delete_item(Key={"user": "bob", "at": 1})
    assert table.scan(ConsistentRead=True)["Count"] == 5
    assert table_name in [t.name for t in dynamodb.tables.all()]
    table.delete()


# -- raw HTTP --------------------------------------------------------------------------


def test_every_reply_carries_a_correct_crc32_and_a_request_id(served: Running):
    status, headers, body = post(served.url, b"{}")
    assert status == 200
    assert headers["x-amz-crc32"] == str(zlib.crc32(body))
    assert len(headers["x-amzn-RequestId"]) == 52
    assert "TableNames" in json.loads(body)
    status, headers, body = post(served.url, b'{"TableName": "no_such_table"}',
                                 target="DynamoDB_20120810.DescribeTable")
    assert status == 400 and headers["x-amz-crc32"] == str(zlib.crc32(body))
    assert json.loads(body)["__type"] == "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"


def test_get_slash_answers_health_checks(served: Running):
    with urllib.request.urlopen(served.url + "/", timeout=10) as resp:
        assert resp.status == 200
        assert resp.read().decode().strip() == "healthy: " + served.url.removeprefix("http://")
        assert resp.headers["x-dynviz-nodes-up"] == "8/8"
        assert "Server" not in resp.headers


@pytest.mark.parametrize("path", ["/health", "/index.html", "/-"])
def test_only_the_root_answers_health_checks(served: Running, path: str):
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(served.url + path, timeout=10)
    assert err.value.code == 404


@pytest.mark.parametrize(("kw", "status", "code"), [
    ({"body": b"{not json"}, 400, "SerializationException"),
    ({"body": b"[1]"}, 400, "SerializationException"),
    ({"body": b"{}", "target": "DynamoDB_20120810.FlyToTheMoon"}, 400, "UnknownOperationException"),
    ({"body": b"{}", "target": None}, 400, "UnknownOperationException"),
    ({"body": b"{}", "content_type": "text/html"}, 404, "UnknownOperationException"),
    ({"body": b"{}", "method": "PUT"}, 404, "UnknownOperationException"),
    ({"body": b"{}", "auth": None}, 400, "MissingAuthenticationTokenException"),
    ({"body": b'{"TableName": 5, "Key": "x"}', "target": "DynamoDB_20120810.GetItem"}, 400, "SerializationException"),
    ({"body": b'{"TableName": "tbl", "Item": {"b": {"B": "!!"}}}', "target": "DynamoDB_20120810.PutItem"},
     400, "SerializationException"),
])
def test_malformed_requests_get_dynamodbs_json_errors(served: Running, kw: dict[str, Any], status: int, code: str):
    got, headers, body = post(served.url, **kw)
    assert got == status
    assert headers["Content-Type"].startswith("application/x-amz-json-1.0")
    assert json.loads(body)["__type"].endswith("#" + code)


def test_a_body_over_the_cap_is_refused_before_it_is_read():
    running = Running(max_body=1024)
    try:
        big = json.dumps({"TableName": "tbl", "Item": {"pk": {"S": "x" * 2000}}}).encode()
        status, _, body = post(running.url, big, target="DynamoDB_20120810.PutItem")
        assert status == 413
        assert "larger than 1024 bytes" in json.loads(body)["message"]
        assert post(running.url, b"{}")[0] == 200  # the server goes on serving
    finally:
        running.stop()


def test_binary_values_are_base64_on_the_wire(served: Running, ddb: Any, table_name: str):
    create_keyed(ddb, table_name, sk=None)
    raw = b"\x00\xffbinary"
    item = json.dumps({"TableName": table_name, "Item": {"pk": {"S": "k"}, "b": {"B": base64.b64encode(raw).decode()}}})
    assert post(served.url, item.encode(), target="DynamoDB_20120810.PutItem")[0] == 200
    assert ddb.get_item(TableName=table_name, Key={"pk": {"S": "k"}}, ConsistentRead=True)["Item"]["b"] == {"B": raw}


# -- one at a time, and the clock ------------------------------------------------------


def test_concurrent_clients_are_all_answered_one_request_at_a_time(table_name: str):
    running = Running()
    endpoint = running.server.endpoint
    handle = endpoint.handle
    inside: list[int] = [0]
    most: list[int] = [0]
    lock = threading.Lock()

    def counted(*args: Any) -> Any:
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        try:
            return handle(*args)
        finally:
            with lock:
                inside[0] -= 1

    endpoint.handle = counted  # type: ignore[method-assign]
    try:
        create_keyed(running.boto(), table_name, sk=None)

        def writer(w: int) -> None:
            client = running.boto()
            for i in range(10):
                client.put_item(TableName=table_name, Item={"pk": {"S": f"{w}-{i}"}})

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert running.boto().scan(TableName=table_name, ConsistentRead=True, Select="COUNT")["Count"] == 80
        assert most[0] == 1
    finally:
        running.stop()


def test_virtual_time_follows_the_wall_clock_while_idle():
    cluster = dt.default_cluster(seed=5)
    thread = ServerThread(WireServer(Endpoint(dt.client(cluster)), clock="wall"))
    thread.start()
    try:
        start = cluster.now
        deadline = time.monotonic() + 10
        while cluster.now < start + SECOND and time.monotonic() < deadline:
            time.sleep(0.05)
        assert cluster.now >= start + SECOND
    finally:
        thread.stop()
        cluster.close()


def test_with_the_requests_clock_the_same_requests_give_the_same_answers(table_name: str):
    answers = []
    for _ in range(2):
        running = Running()
        try:
            client = running.boto()
            create_keyed(client, table_name)
            for i in range(5):
                client.put_item(TableName=table_name, Item={"pk": {"S": "p"}, "sk": {"N": str(i)}})
            page = client.query(TableName=table_name, KeyConditionExpression="pk = :p",
                                ExpressionAttributeValues={":p": {"S": "p"}}, Limit=3)
            described = client.describe_table(TableName=table_name)["Table"]
            answers.append((page["Items"], page["LastEvaluatedKey"], described["CreationDateTime"],
                            running.cluster.now))
        finally:
            running.stop()
    assert answers[0] == answers[1]
