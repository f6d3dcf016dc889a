"""DynamoDB's documented limits as the table layer enforces them (schema.py,
values.py, expressions/parser.py, control.py): key attribute names of 1 to 255
characters (the API reference's KeySchemaAttributeName and NonKeyAttributeName),
attribute names under 64 KB (Developer Guide, "Attributes"), at most 300 operators in
an expression (Developer Guide, the expression operator limit) with bounded nesting,
and WarmThroughput kept, reported and never decreased (API reference, CreateTable,
UpdateTable, TableWarmThroughputDescription)."""

from __future__ import annotations

from typing import Any

import pytest
from table_helpers import code_of, keys_table

from dynviz.table.expressions.parser import MAX_NESTING, MAX_OPERATORS


def _refused(call: Any, *fragments: str) -> str:
    """Run ``call``; it must fail with a ValidationException whose message holds every
    fragment. Returns the message."""
    with pytest.raises(Exception) as exc:
        call()
    assert code_of(exc.value) == "ValidationException"
    message = str(exc.value.response["Error"]["Message"])  # type: ignore[attr-defined]
    for fragment in fragments:
        assert fragment in message, message
    return message


# -- key attribute names: 1 to 255 characters


def test_a_key_name_of_255_characters_is_usable(ddb):
    hash_name, range_name = "h" * 255, "r" * 255
    ddb.create_table(**keys_table("wide_keys", (hash_name, "S"), (range_name, "N")))
    ddb.put_item(TableName="wide_keys", Item={hash_name: {"S": "lamp"}, range_name: {"N": "3"}})
    got = ddb.get_item(TableName="wide_keys", Key={hash_name: {"S": "lamp"}, range_name: {"N": "3"}})
    assert got["Item"][hash_name] == {"S": "lamp"}


@pytest.mark.parametrize("where", ["hash", "range"])
def test_a_key_name_of_256_characters_is_refused(ddb, where):
    long = "k" * 256
    pk = (long, "S") if where == "hash" else ("owner", "S")
    sk = (long, "S") if where == "range" else None
    _refused(lambda: ddb.create_table(**keys_table("too_wide", pk, sk)), "255")


def test_the_name_length_is_checked_before_the_definitions_are_matched(ddb):
    # The KeySchema names a long attribute the definitions do not define: the length
    # is what the request is refused for.
    params = keys_table("mismatched", ("short", "S"))
    params["KeySchema"] = [{"AttributeName": "z" * 300, "KeyType": "HASH"}]
    _refused(lambda: ddb.create_table(**params), "255")
    params = keys_table("mismatched", ("short", "S"))
    params["AttributeDefinitions"].append({"AttributeName": "z" * 300, "AttributeType": "S"})
    _refused(lambda: ddb.create_table(**params), "255")


def test_index_key_and_projected_names_are_limited_too(ddb):
    long = "g" * 256
    gsi = {"IndexName": "by_long", "KeySchema": [{"AttributeName": long, "KeyType": "HASH"}],
           "Projection": {"ProjectionType": "ALL"}}
    _refused(lambda: ddb.create_table(**keys_table("with_gsi", ("id", "S"), more_attributes=[(long, "S")],
                                                   GlobalSecondaryIndexes=[gsi])), "255")
    included = {"IndexName": "by_colour", "KeySchema": [{"AttributeName": "colour", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": [long]}}
    _refused(lambda: ddb.create_table(**keys_table("with_gsi", ("id", "S"), more_attributes=[("colour", "S")],
                                                   GlobalSecondaryIndexes=[included])), "255")


def test_a_gsi_added_later_has_the_same_limit(ddb):
    ddb.create_table(**keys_table("later", ("id", "S")))
    long = "n" * 256
    _refused(lambda: ddb.update_table(
        TableName="later", AttributeDefinitions=[{"AttributeName": long, "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": "ix", "KeySchema": [
            {"AttributeName": long, "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}}]), "255")


# -- other attribute names: under 64 KB


def test_attribute_names_up_to_65535_bytes_are_usable_and_longer_ones_refused(ddb):
    ddb.create_table(**keys_table("names", ("id", "S")))
    longest, too_long = "a" * 65535, "a" * 65536
    ddb.put_item(TableName="names", Item={"id": {"S": "x"}, longest: {"N": "1"}})
    got = ddb.get_item(TableName="names", Key={"id": {"S": "x"}}, ProjectionExpression="#n",
                       ExpressionAttributeNames={"#n": longest})
    assert got["Item"] == {longest: {"N": "1"}}
    _refused(lambda: ddb.put_item(TableName="names", Item={"id": {"S": "y"}, too_long: {"N": "1"}}), "65535")
    _refused(lambda: ddb.get_item(TableName="names", Key={"id": {"S": "x"}}, ProjectionExpression="#n",
                                  ExpressionAttributeNames={"#n": too_long}), "65535")
    _refused(lambda: ddb.update_item(TableName="names", Key={"id": {"S": "x"}}, UpdateExpression="SET #n = :v",
                                     ExpressionAttributeNames={"#n": too_long},
                                     ExpressionAttributeValues={":v": {"N": "2"}}), "65535")


# -- expressions: 300 operators, bounded nesting


def _chain(n: int) -> str:
    """``n`` comparisons joined by OR: 2n - 1 operators."""
    return " OR ".join(["price < cap"] * n)


def test_an_expression_may_hold_300_operators_but_not_301(ddb):
    ddb.create_table(**keys_table("ops", ("id", "S")))
    ddb.put_item(TableName="ops", Item={"id": {"S": "a"}, "price": {"N": "1"}, "cap": {"N": "2"}})
    assert 2 * 150 - 1 <= MAX_OPERATORS
    ddb.update_item(TableName="ops", Key={"id": {"S": "a"}}, UpdateExpression="SET seen = :t",
                    ConditionExpression=_chain(150), ExpressionAttributeValues={":t": {"BOOL": True}})
    message = _refused(lambda: ddb.update_item(
        TableName="ops", Key={"id": {"S": "a"}}, UpdateExpression="SET seen = :t",
        ConditionExpression=_chain(150) + " AND NOT price > cap",
        ExpressionAttributeValues={":t": {"BOOL": True}}), "ConditionExpression", "too many operators")
    assert "301" in message


def test_a_long_chain_of_not_is_refused_cleanly(ddb):
    ddb.create_table(**keys_table("nots", ("id", "S")))
    _refused(lambda: ddb.scan(TableName="nots", FilterExpression="NOT " * 800 + "attribute_exists(id)"),
             "FilterExpression", "too many operators")


@pytest.mark.parametrize("expression", [
    "(" * 2000 + "a < b" + ")" * 2000,
    "(" * 4000,
    "a < " + "size(" * 900 + "b" + ")" * 900,
])
def test_deep_nesting_is_refused_as_invalid_not_as_a_crash(ddb, expression):
    ddb.create_table(**keys_table("deep", ("id", "S")))
    ddb.put_item(TableName="deep", Item={"id": {"S": "a"}, "a": {"N": "1"}, "b": {"N": "2"}})
    _refused(lambda: ddb.update_item(TableName="deep", Key={"id": {"S": "a"}}, UpdateExpression="SET z = :v",
                                     ConditionExpression=expression, ExpressionAttributeValues={":v": {"N": "1"}}),
             "ConditionExpression")


def test_nesting_within_the_bound_still_works(ddb):
    ddb.create_table(**keys_table("nested_ok", ("id", "S")))
    ddb.put_item(TableName="nested_ok", Item={"id": {"S": "a"}, "a": {"N": "1"}, "b": {"N": "2"}})
    depth = min(MAX_NESTING, 140)
    condition = "a < b" + " OR (a < b" * depth + ")" * depth
    ddb.update_item(TableName="nested_ok", Key={"id": {"S": "a"}}, UpdateExpression="SET z = :v",
                    ConditionExpression=condition, ExpressionAttributeValues={":v": {"N": "7"}})
    assert ddb.get_item(TableName="nested_ok", Key={"id": {"S": "a"}})["Item"]["z"] == {"N": "7"}


# -- WarmThroughput


def test_warm_throughput_is_reported_as_configured(ddb):
    warm = {"ReadUnitsPerSecond": 15000, "WriteUnitsPerSecond": 5000}
    created = ddb.create_table(**keys_table("warm", ("id", "S"), WarmThroughput=warm))["TableDescription"]
    assert created["WarmThroughput"] == {**warm, "Status": "ACTIVE"}
    assert ddb.describe_table(TableName="warm")["Table"]["WarmThroughput"] == {**warm, "Status": "ACTIVE"}


def test_a_table_never_warmed_reports_no_warm_throughput(ddb):
    ddb.create_table(**keys_table("cold", ("id", "S")))
    assert "WarmThroughput" not in ddb.describe_table(TableName="cold")["Table"]


def test_update_table_with_only_warm_throughput_raises_it(ddb):
    ddb.create_table(**keys_table("warming", ("id", "S")))
    ddb.update_table(TableName="warming", WarmThroughput={"WriteUnitsPerSecond": 6000})
    assert ddb.describe_table(TableName="warming")["Table"]["WarmThroughput"] == {
        "WriteUnitsPerSecond": 6000, "Status": "ACTIVE"}
    ddb.update_table(TableName="warming", WarmThroughput={"ReadUnitsPerSecond": 20000, "WriteUnitsPerSecond": 6500})
    assert ddb.describe_table(TableName="warming")["Table"]["WarmThroughput"] == {
        "ReadUnitsPerSecond": 20000, "WriteUnitsPerSecond": 6500, "Status": "ACTIVE"}


def test_warm_throughput_cannot_be_decreased_or_be_below_one(ddb):
    ddb.create_table(**keys_table("no_cooling", ("id", "S"),
                                  WarmThroughput={"ReadUnitsPerSecond": 13000, "WriteUnitsPerSecond": 4500}))
    _refused(lambda: ddb.update_table(TableName="no_cooling", WarmThroughput={"ReadUnitsPerSecond": 12500}),
             "ReadUnitsPerSecond", "lower than current WarmThroughput")
    _refused(lambda: ddb.create_table(**keys_table("zero_warm", ("id", "S"),
                                                   WarmThroughput={"WriteUnitsPerSecond": 0})),
             "greater than or equal to 1")


# -- global tables: one region serves none


@pytest.mark.parametrize("operation", ["describe_global_table", "describe_global_table_settings"])
def test_a_legacy_global_table_is_never_found(ddb, operation):
    with pytest.raises(Exception) as exc:
        getattr(ddb, operation)(GlobalTableName="inventory")
    assert code_of(exc.value) == "GlobalTableNotFoundException"
    assert "inventory" in str(exc.value.response["Error"]["Message"])  # type: ignore[attr-defined]


def test_legacy_global_table_updates_find_nothing_and_the_list_is_empty(ddb):
    for call in (lambda: ddb.update_global_table(GlobalTableName="inventory",
                                                 ReplicaUpdates=[{"Create": {"RegionName": "eu-west-1"}}]),
                 lambda: ddb.update_global_table_settings(GlobalTableName="inventory",
                                                          GlobalTableBillingMode="PAY_PER_REQUEST")):
        with pytest.raises(Exception) as exc:
            call()
        assert code_of(exc.value) == "GlobalTableNotFoundException"
    assert ddb.list_global_tables()["GlobalTables"] == []
    _refused(lambda: ddb.create_global_table(GlobalTableName="inventory",
                                             ReplicationGroup=[{"RegionName": "eu-west-1"}]), "2017.11.29")


def test_replica_updates_are_refused_not_ignored(ddb):
    ddb.create_table(**keys_table("regional", ("id", "S")))
    _refused(lambda: ddb.update_table(TableName="regional", ReplicaUpdates=[{"Create": {"RegionName": "us-east-1"}}]),
             "local region")
    _refused(lambda: ddb.update_table(TableName="regional", ReplicaUpdates=[{"Create": {"RegionName": "ap-south-1"}}]),
             "one region")
    assert "Replicas" not in ddb.describe_table(TableName="regional")["Table"]
