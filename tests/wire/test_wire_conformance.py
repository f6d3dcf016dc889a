"""The endpoint against DynamoDB's documented wire behaviour: the health check, the
framing of odd requests, the members an answer has or leaves out, and the Streams API's
parameter checks. Each test states the documented rule it holds the server to (the
API reference, "Making HTTP requests", and each operation's page)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from wire_helpers import Running, create_keyed

UNCHECKED = Config(parameter_validation=False, retries={"max_attempts": 1, "mode": "standard"})
"""A client that sends what it is given, so the server's own checks are seen."""
AUTH = "AWS4-HMAC-SHA256 Credential=k/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0"


def post(url: str, body: bytes, target: str) -> tuple[int, bytes]:
    req = urllib.request.Request(url + "/", data=body, method="POST", headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target, "Authorization": AUTH})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = exc.value.response["Error"]
    return str(err["Code"]), str(err["Message"])


# -- framing ---------------------------------------------------------------------------


def test_tagging_answers_an_empty_body(served: Running, ddb: Any, table_name: str):
    # TagResource and UntagResource have no response members: the service sends nothing.
    create_keyed(ddb, table_name, sk=None)
    arn = ddb.describe_table(TableName=table_name)["Table"]["TableArn"]
    status, body = post(served.url, json.dumps({"ResourceArn": arn, "Tags": [{"Key": "team", "Value": "blue"}]})
                        .encode(), "DynamoDB_20120810.TagResource")
    assert (status, body) == (200, b"")
    status, body = post(served.url, json.dumps({"ResourceArn": arn, "TagKeys": ["team"]}).encode(),
                        "DynamoDB_20120810.UntagResource")
    assert (status, body) == (200, b"")


def test_a_document_too_deep_for_the_parser_is_a_serialization_error(served: Running):
    deep = b'{"TableName": "t", "Item": {"a": ' + b'{"M": {"x": ' * 5000 + b'{"S": "y"}' + b'}}' * 5000 + b'}}'
    status, body = post(served.url, b"[" * 100_000 + b"]" * 100_000, "DynamoDB_20120810.PutItem")
    assert status == 400 and json.loads(body)["__type"].endswith("#SerializationException")
    status, body = post(served.url, deep, "DynamoDB_20120810.PutItem")
    assert status == 400 and json.loads(body)["__type"].split("#")[1] in ("SerializationException",
                                                                          "ValidationException")


def test_values_nest_32_levels_deep_counting_the_item(ddb: Any, table_name: str):
    # "Nested attribute depth: 32 levels" (the item itself is the first level).
    create_keyed(ddb, table_name, sk=None)

    def chain(maps: int) -> dict[str, Any]:
        value: dict[str, Any] = {"S": "leaf"}
        for _ in range(maps):
            value = {"M": {"down": value}}
        return value

    ddb.put_item(TableName=table_name, Item={"pk": {"S": "ok"}, "doc": chain(31)})
    with pytest.raises(ClientError) as exc:
        ddb.put_item(TableName=table_name, Item={"pk": {"S": "deep"}, "doc": chain(32)})
    code, message = error_of(exc)
    assert code == "ValidationException" and "nest" in message.lower()
    assert "Item" not in ddb.get_item(TableName=table_name, Key={"pk": {"S": "deep"}})


# -- DynamoDB Streams ------------------------------------------------------------------


def streamed(ddb: Any, name: str, view: str = "KEYS_ONLY") -> str:
    create_keyed(ddb, name, StreamSpecification={"StreamEnabled": True, "StreamViewType": view})
    return str(ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"])


def test_list_streams_pages_by_limit_and_resumes_after_the_last_arn(served: Running, ddb: Any, table_name: str):
    # ListStreams: "Limit: the maximum number of streams to return. The upper limit is
    # 100"; LastEvaluatedStreamArn is where the next page starts (ExclusiveStartStreamArn).
    arns = {streamed(ddb, f"{table_name}_{i}") for i in range(3)}
    streams = served.boto("dynamodbstreams", UNCHECKED)
    seen: list[str] = []
    page = streams.list_streams(Limit=1)
    while True:
        assert len(page["Streams"]) <= 1
        seen += [s["StreamArn"] for s in page["Streams"]]
        if "LastEvaluatedStreamArn" not in page:
            break
        page = streams.list_streams(Limit=1, ExclusiveStartStreamArn=page["LastEvaluatedStreamArn"])
    assert arns <= set(seen) and len(seen) == len(set(seen))
    for limit in (0, 101):
        with pytest.raises(ClientError) as exc:
            streams.list_streams(Limit=limit)
        assert error_of(exc)[0] == "ValidationException"


def test_a_malformed_stream_arn_is_invalid_and_an_unknown_one_is_not_found(served: Running, ddb: Any,
                                                                           table_name: str):
    arn = streamed(ddb, table_name)
    streams = served.boto("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    for call in (lambda a: streams.describe_stream(StreamArn=a),
                 lambda a: streams.get_shard_iterator(StreamArn=a, ShardId=shard, ShardIteratorType="LATEST"),
                 lambda a: streams.list_streams(ExclusiveStartStreamArn=a)):
        with pytest.raises(ClientError) as exc:
            call("this-is-not-the-arn-of-any-stream-at-all-0123456789")
        assert error_of(exc)[0] == "ValidationException"
    unknown = arn.replace(table_name, table_name + "_gone")
    with pytest.raises(ClientError) as exc:
        streams.describe_stream(StreamArn=unknown)
    assert error_of(exc)[0] == "ResourceNotFoundException"


def test_describe_stream_after_the_last_shard_lists_none(served: Running, ddb: Any, table_name: str):
    streams = served.boto("dynamodbstreams")
    arn = streamed(ddb, table_name)
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    after = streams.describe_stream(StreamArn=arn, ExclusiveStartShardId=shards[-1]["ShardId"])
    assert after["StreamDescription"]["Shards"] == []
    beyond = streams.describe_stream(StreamArn=arn, ExclusiveStartShardId="shardId-99999999-ffffffffffffffff")
    assert beyond["StreamDescription"]["Shards"] == []


def test_shard_iterator_types_and_sequence_numbers_go_together(served: Running, ddb: Any, table_name: str):
    # GetShardIterator: SequenceNumber is for AT_SEQUENCE_NUMBER and AFTER_SEQUENCE_NUMBER
    # only, and those two need it.
    streams = served.boto("dynamodbstreams")
    arn = streamed(ddb, table_name)
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    first = shard["SequenceNumberRange"]["StartingSequenceNumber"]
    assert first.isdecimal()

    def iterator(kind: str, **seq: str) -> Any:
        return streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType=kind, **seq)

    for kind in ("TRIM_HORIZON", "LATEST"):
        assert iterator(kind)["ShardIterator"]
        with pytest.raises(ClientError) as exc:
            iterator(kind, SequenceNumber=first)
        assert error_of(exc)[0] == "ValidationException"
    for kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
        assert iterator(kind, SequenceNumber=first)["ShardIterator"]
        with pytest.raises(ClientError) as exc:
            iterator(kind)
        assert error_of(exc)[0] == "ValidationException"
    with pytest.raises(ClientError) as exc:
        iterator("SOMEWHERE", SequenceNumber=first)
    assert error_of(exc)[0] == "ValidationException"


def test_stream_specification_changes_that_change_nothing_are_invalid(ddb: Any, table_name: str):
    # UpdateTable: enabling a stream on a table that has one, or disabling one on a table
    # that has none, is a ValidationException.
    streamed(ddb, table_name)
    with pytest.raises(ClientError) as exc:
        ddb.update_table(TableName=table_name, StreamSpecification={"StreamEnabled": True,
                                                                    "StreamViewType": "NEW_IMAGE"})
    code, message = error_of(exc)
    assert code == "ValidationException" and "already" in message
    ddb.update_table(TableName=table_name, StreamSpecification={"StreamEnabled": False})
    with pytest.raises(ClientError) as exc:
        ddb.update_table(TableName=table_name, StreamSpecification={"StreamEnabled": False})
    code, message = error_of(exc)
    assert code == "ValidationException" and "disable" in message


# -- JSON types ------------------------------------------------------------------------


def test_a_number_where_the_model_has_a_string_is_a_serialization_error(served: Running, ddb: Any,
                                                                        table_name: str):
    # DynamoDB's deserializer refuses a JSON value of the wrong type before validating
    # anything: SerializationException, not ValidationException.
    create_keyed(ddb, table_name, sk=None)
    raw = served.boto(config=UNCHECKED)
    for call in (
        lambda: raw.get_item(TableName=table_name, Key={"pk": {"S": "a"}}, ProjectionExpression="#n",
                             ExpressionAttributeNames={"#n": 7}),
        lambda: raw.put_item(TableName=table_name, Item={"pk": {"S": "a"}, "n": {"N": 7}}),
        lambda: raw.transact_write_items(TransactItems=[{"Put": {
            "TableName": table_name, "Item": {"pk": {"S": "a"}}, "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeNames": {"#unused": 7}}}]),
        lambda: raw.batch_get_item(RequestItems={table_name: {"Keys": [{"pk": {"S": "a"}}],
                                                              "ProjectionExpression": 5}}),
        lambda: raw.scan(TableName=table_name, Limit="10"),
        lambda: raw.query(TableName=table_name, KeyConditionExpression="pk = :p",
                          ExpressionAttributeValues={":p": {"S": "a"}}, ScanIndexForward="no"),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc)[0] == "SerializationException"


# -- transactions ----------------------------------------------------------------------


def test_a_key_of_the_wrong_type_cancels_the_transaction_with_one_validation_error(ddb: Any, table_name: str):
    # An action whose key the table cannot hold cancels the transaction; its reason is
    # ValidationError, and the validation stops there (the other actions say None).
    create_keyed(ddb, table_name, sk=None)
    with pytest.raises(ClientError) as exc:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table_name, "Item": {"pk": {"S": "fine"}}}},
            {"Put": {"TableName": table_name, "Item": {"pk": {"N": "1"}}}},
            {"Delete": {"TableName": table_name, "Key": {"pk": {"B": b"x"}}}},
        ])
    assert error_of(exc)[0] == "TransactionCanceledException"
    reasons = exc.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "ValidationError", "None"]
    assert "Message" in reasons[1] and "Message" not in reasons[0]
    assert "Item" not in ddb.get_item(TableName=table_name, Key={"pk": {"S": "fine"}})


def test_a_transaction_carries_at_most_4_mb(ddb: Any, table_name: str):
    # "The aggregate size of the items in the transaction cannot exceed 4 MB": what the
    # request carries counts, so deleting large items with a small request is fine.
    create_keyed(ddb, table_name, sk=None)
    big = "z" * 200_000
    puts = [{"Put": {"TableName": table_name, "Item": {"pk": {"S": f"k{i}"}, "v": {"S": big}}}} for i in range(22)]
    with pytest.raises(ClientError) as exc:
        ddb.transact_write_items(TransactItems=puts)
    code, message = error_of(exc)
    assert code == "ValidationException" and "4 MB" in message
    ddb.transact_write_items(TransactItems=puts[:15])
    ddb.transact_write_items(TransactItems=[{"Delete": {"TableName": table_name, "Key": {"pk": {"S": f"k{i}"}}}}
                                            for i in range(15)])
    assert ddb.scan(TableName=table_name)["Count"] == 0


# -- the command's description ---------------------------------------------------------


def test_the_help_names_every_served_operation():
    import argparse

    from dynviz.wire.cli import add_dynamodb_arguments
    from dynviz.wire.served import OWN, SERVED

    parser = argparse.ArgumentParser(prog="dynviz dynamodb")
    add_dynamodb_arguments(parser)
    text = " ".join(parser.format_help().split())
    for operation in (*SERVED["dynamodb"], *SERVED["streams"], *OWN):
        assert operation in text


def test_a_client_request_token_is_1_to_36_characters(served: Running, ddb: Any, table_name: str):
    create_keyed(ddb, table_name, sk=None)
    raw = served.boto(config=UNCHECKED)
    put = [{"Put": {"TableName": table_name, "Item": {"pk": {"S": "t"}}}}]
    for token, bound in (("", "greater than or equal to 1"), ("x" * 37, "less than or equal to 36")):
        with pytest.raises(ClientError) as exc:
            raw.transact_write_items(TransactItems=put, ClientRequestToken=token)
        code, message = error_of(exc)
        assert code == "ValidationException" and bound in message
    raw.transact_write_items(TransactItems=put, ClientRequestToken="x" * 36)
