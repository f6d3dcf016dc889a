"""Malformed requests are DynamoDB errors, raised where the request is checked; a bug of
dynviz's is not disguised as one (the client used to turn every KeyError, TypeError
and AttributeError into a ValidationException, engine bugs included)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from table_helpers import code_of

import dynviz.table as dt
from dynviz.table.reads import ItemReads

BAD_VALUES: list[Any] = [None, 1, "x", [], {}, True, {"S": 1}, [1], {"x": 1}, 1.5]
KEY = {"pk": {"S": "a"}, "sk": {"N": "1"}}
TABLE = dict(
    TableName="shapes",
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"},
                          {"AttributeName": "g", "AttributeType": "S"}, {"AttributeName": "l", "AttributeType": "N"}],
    LocalSecondaryIndexes=[{"IndexName": "byl", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                              {"AttributeName": "l", "KeyType": "RANGE"}],
                            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["v"]}}],
    GlobalSecondaryIndexes=[{"IndexName": "byg", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                             "Projection": {"ProjectionType": "ALL"},
                             "ProvisionedThroughput": {"ReadCapacityUnits": 50, "WriteCapacityUnits": 50}}],
    BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 50, "WriteCapacityUnits": 50},
    StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})

REQUESTS: dict[str, dict[str, Any]] = {
    "create_table": {**TABLE, "TableName": "other"},
    "update_table": dict(TableName="shapes", ProvisionedThroughput={"ReadCapacityUnits": 6, "WriteCapacityUnits": 6},
                         GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "byg", "ProvisionedThroughput": {
                             "ReadCapacityUnits": 6, "WriteCapacityUnits": 6}}}],
                         StreamSpecification={"StreamEnabled": False}),
    "list_tables": dict(Limit=5, ExclusiveStartTableName="a"),
    "put_item": dict(TableName="shapes", Item={"pk": {"S": "b"}, "sk": {"N": "2"}, "v": {"L": [{"S": "q"}]}},
                     ConditionExpression="attribute_not_exists(#v)", ExpressionAttributeNames={"#v": "v"},
                     ReturnValues="ALL_OLD"),
    "update_item": dict(TableName="shapes", Key=KEY, UpdateExpression="SET #v = :z", ExpressionAttributeNames={"#v": "v"},
                        ExpressionAttributeValues={":z": {"N": "1"}}, ReturnValues="UPDATED_NEW"),
    "get_item": dict(TableName="shapes", Key=KEY, ProjectionExpression="#v", ExpressionAttributeNames={"#v": "v"}),
    "batch_get_item": dict(RequestItems={"shapes": {"Keys": [KEY], "ProjectionExpression": "pk"}}),
    "batch_write_item": dict(RequestItems={"shapes": [{"PutRequest": {"Item": {"pk": {"S": "c"}, "sk": {"N": "1"}}}},
                                                      {"DeleteRequest": {"Key": KEY}}]}),
    "query": dict(TableName="shapes", KeyConditionExpression="pk = :p AND sk > :a", ExpressionAttributeValues={
        ":p": {"S": "a"}, ":a": {"N": "0"}}, Limit=5, ExclusiveStartKey={"pk": {"S": "a"}, "sk": {"N": "5"}}),
    "scan": dict(TableName="shapes", IndexName="byg", Segment=0, TotalSegments=2, Limit=5),
    "describe_stream": dict(StreamArn="<arn>", Limit=5),
    "get_shard_iterator": dict(StreamArn="<arn>", ShardId="<shard>", ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                               SequenceNumber="100000000000000000001"),
}


def _client(accelerator: bool) -> Any:
    c = dt.client(dt.default_cluster(seed=3), accelerator=accelerator)
    c.create_table(**TABLE)
    c.put_item(TableName="shapes", Item={**KEY, "g": {"S": "x"}, "l": {"N": "2"}})
    return c


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if prefix:
        yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, (*prefix, i))


def _mutations(request: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every request made by one change: a value replaced by a wrong one, or removed."""
    for path in _paths(request):
        for value in [*BAD_VALUES, "<removed>"]:
            req = copy.deepcopy(request)
            holder = req
            for step in path[:-1]:
                holder = holder[step]
            if value == "<removed>":
                del holder[path[-1]]
            else:
                holder[path[-1]] = value
            yield f"{'.'.join(map(str, path))}={value!r}", req


@pytest.mark.parametrize("accelerator", [False, True])
@pytest.mark.parametrize("operation", sorted(REQUESTS))
def test_every_malformed_request_is_a_dynamodb_error(operation: str, accelerator: bool) -> None:
    c = _client(accelerator)
    arn = c.describe_table(TableName="shapes")["Table"]["LatestStreamArn"]
    shard = c.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    request = copy.deepcopy(REQUESTS[operation])
    request.update({k: {"<arn>": arn, "<shard>": shard}.get(v, v) for k, v in request.items() if isinstance(v, str)})
    getattr(c, operation)(**copy.deepcopy(request))  # the request itself is fine
    for change, req in _mutations(request):
        if operation in ("create_table", "update_table", "batch_write_item"):
            c = _client(accelerator)
        try:
            getattr(c, operation)(**req)
        except dt.TableError:
            pass
        except Exception as exc:  # noqa: BLE001  # what this test is here to find
            pytest.fail(f"{operation} with {change}: {type(exc).__name__}: {exc}")


@pytest.mark.parametrize(("operation", "params", "message"), [
    ("create_table", {**TABLE, "AttributeDefinitions": [{"AttributeType": "S"}]},
     'Missing required parameter in AttributeDefinitions[0]: "AttributeName"'),
    ("create_table", {**TABLE, "AttributeDefinitions": "pk"},
     "Invalid type for parameter AttributeDefinitions, value: 'pk', type: <class 'str'>, "
     "valid types: <class 'list'>, <class 'tuple'>"),
    ("create_table", {**TABLE, "GlobalSecondaryIndexes": [None]},
     "Invalid type for parameter GlobalSecondaryIndexes[0], value: None"),
    ("create_table", {**TABLE, "KeySchema": [{"AttributeName": 7, "KeyType": "HASH"}]},
     "Invalid type for parameter KeySchema[0].AttributeName, value: 7"),
    ("update_table", {"TableName": "shapes", "StreamSpecification": "on"},
     "Invalid type for parameter StreamSpecification, value: 'on'"),
    ("update_table", {"TableName": "shapes", "GlobalSecondaryIndexUpdates": [
        {"Update": {"IndexName": "byg", "ProvisionedThroughput": {"ReadCapacityUnits": "x"}}}]},
     "Invalid type for parameter GlobalSecondaryIndexUpdates[0].Update.ProvisionedThroughput.ReadCapacityUnits"),
    ("list_tables", {"ExclusiveStartTableName": 3}, "Invalid type for parameter ExclusiveStartTableName, value: 3"),
    ("put_item", {"TableName": "shapes", "Item": KEY, "ConditionExpression": "attribute_exists(#a)",
                  "ExpressionAttributeNames": {"#a": 1}},
     "Invalid type for parameter ExpressionAttributeNames.#a, value: 1"),
    ("batch_write_item", {"RequestItems": {"shapes": [{"PutRequest": "x"}]}},
     "Invalid type for parameter RequestItems.shapes[0].PutRequest, value: 'x'"),
    ("batch_get_item", {"RequestItems": {"shapes": None}}, "Invalid type for parameter RequestItems.shapes, value: None"),
])
def test_a_malformed_request_is_refused_in_botocores_words(operation: str, params: dict[str, Any], message: str) -> None:
    c = _client(False)
    with pytest.raises(dt.ValidationException) as info:
        getattr(c, operation)(**params)
    assert message in info.value.message
    assert "Invalid request" not in info.value.message


def test_an_accelerated_batch_get_is_checked_as_the_table_checks_it() -> None:
    c = _client(True)
    with pytest.raises(dt.ValidationException) as info:
        c.batch_get_item(RequestItems={"shapes": {"Keys": [KEY, KEY]}})
    assert "duplicates" in info.value.message and info.value.operation_name == "BatchGetItem"


def test_a_query_with_a_set_value_goes_uncached_through_the_accelerator() -> None:
    """A set has no canonical JSON: the query skips the cache instead of failing."""
    c = _client(True)
    out = c.query(TableName="shapes", KeyConditionExpression="pk = :p", FilterExpression="contains(:s, g)",
                  ExpressionAttributeValues={":p": {"S": "a"}, ":s": {"SS": {"x", "y"}}})
    assert out["Count"] == 1 and c.cache_stats().queries.entries == 0


def test_a_bug_in_the_engine_is_not_disguised_as_a_validation_error(monkeypatch: pytest.MonkeyPatch) -> None:
    c = _client(False)

    def broken(self: ItemReads, p: dict[str, Any]) -> dict[str, Any]:
        return {}["oops"]  # type: ignore[no-any-return]

    monkeypatch.setattr(ItemReads, "get_item", broken)
    with pytest.raises(KeyError):
        c.get_item(TableName="shapes", Key=KEY)


def test_a_dynamodb_error_names_its_operation() -> None:
    c = _client(False)
    with pytest.raises(dt.ResourceNotFoundException) as info:
        c.get_item(TableName="nope", Key=KEY)
    assert code_of(info.value) == "ResourceNotFoundException" and info.value.operation_name == "GetItem"
