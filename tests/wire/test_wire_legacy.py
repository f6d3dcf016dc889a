"""The legacy parameters over the wire, as an older program sends them with boto3:
conditions and updates in the pre-expression maps, binary values in them base64 on
the wire, and a resource Table whose query and update take the maps unchanged."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from wire_helpers import create_keyed

ONE_UNIT = {"BillingMode": "PROVISIONED", "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}


def _eq(value):
    return {"ComparisonOperator": "EQ", "AttributeValueList": [value]}


def test_a_legacy_program_writes_reads_and_queries(ddb, table_name):
    create_keyed(ddb, table_name)
    for i, colour in enumerate(["red", "green", "red", "blue"]):
        ddb.update_item(TableName=table_name, Key={"pk": {"S": "p"}, "sk": {"N": str(i)}},
                        AttributeUpdates={"colour": {"Action": "PUT", "Value": {"S": colour}},
                                          "seen": {"Action": "ADD", "Value": {"N": "1"}}})
    out = ddb.query(TableName=table_name, KeyConditions={"pk": _eq({"S": "p"}),
                                                        "sk": {"ComparisonOperator": "GE",
                                                               "AttributeValueList": [{"N": "1"}]}},
                    QueryFilter={"colour": _eq({"S": "red"})}, AttributesToGet=["sk", "seen"])
    assert out["Items"] == [{"sk": {"N": "2"}, "seen": {"N": "1"}}]
    assert out["Count"] == 1 and out["ScannedCount"] == 3
    out = ddb.scan(TableName=table_name, ScanFilter={"colour": {"ComparisonOperator": "IN", "AttributeValueList": [
        {"S": "green"}, {"S": "blue"}]}}, Select="COUNT")
    assert out["Count"] == 2
    got = ddb.get_item(TableName=table_name, Key={"pk": {"S": "p"}, "sk": {"N": "3"}}, AttributesToGet=["colour"],
                       ConsistentRead=True)
    assert got["Item"] == {"colour": {"S": "blue"}}


def test_binary_values_in_conditions(ddb, table_name):
    create_keyed(ddb, table_name, sk=None)
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "k"}, "blob": {"B": b"\x00\xffdata"}})
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=table_name, Item={"pk": {"S": "k"}}, Expected={"blob": {"Value": {"B": b"other"}}})
    assert e.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    ddb.delete_item(TableName=table_name, Key={"pk": {"S": "k"}},
                    Expected={"blob": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"B": b"\x00\xff"}]}})
    assert "Item" not in ddb.get_item(TableName=table_name, Key={"pk": {"S": "k"}}, ConsistentRead=True)


def test_validation_messages_reach_the_client(ddb, table_name):
    create_keyed(ddb, table_name, sk=None)
    with pytest.raises(ClientError) as e:
        ddb.get_item(TableName=table_name, Key={"pk": {"S": "k"}}, AttributesToGet=["a"], ProjectionExpression="a")
    err = e.value.response["Error"]
    assert err["Code"] == "ValidationException"
    assert err["Message"] == ("Can not use both expression and non-expression parameters in the same request: "
                              "Non-expression parameters: {AttributesToGet} Expression parameters: "
                              "{ProjectionExpression}")
    with pytest.raises(ClientError) as e:
        ddb.update_item(TableName=table_name, Key={"pk": {"S": "k"}}, AttributeUpdates={"a": {"Value": {"N": "1"}}},
                        Expected={"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}]}})
    assert e.value.response["Error"]["Message"] == ("One or more parameter values were invalid: Invalid number of "
                                                    "argument(s) for the BETWEEN ComparisonOperator")


def test_a_resource_table_takes_the_maps(served, table_name):
    ddb = served.boto()
    create_keyed(ddb, table_name, sk="S")
    table = served.resource().Table(table_name)
    table.put_item(Item={"pk": "u1", "sk": "2024-01", "total": 10})
    table.update_item(Key={"pk": "u1", "sk": "2024-01"}, AttributeUpdates={"total": {"Action": "ADD", "Value": 5}},
                      Expected={"total": {"Value": 10}})
    out = table.query(KeyConditions={"pk": {"AttributeValueList": ["u1"], "ComparisonOperator": "EQ"},
                                     "sk": {"AttributeValueList": ["2024"], "ComparisonOperator": "BEGINS_WITH"}})
    assert out["Items"] == [{"pk": "u1", "sk": "2024-01", "total": 15}]


def test_unprocessed_keys_keep_attributes_to_get_as_sent(ddb, table_name):
    create_keyed(ddb, table_name, sk=None)
    for i in range(5):
        ddb.put_item(TableName=table_name, Item={"pk": {"S": f"k{i}"}, "v": {"N": str(i)}})
    ddb.update_table(TableName=table_name, **ONE_UNIT)
    keys = [{"pk": {"S": f"k{i}"}} for i in range(5)]
    out = ddb.batch_get_item(RequestItems={table_name: {"Keys": keys, "AttributesToGet": ["v"]}})
    assert all(set(i) == {"v"} for i in out["Responses"][table_name])
    left = out["UnprocessedKeys"][table_name]
    assert 1 <= len(left["Keys"]) < 5
    assert left["AttributesToGet"] == ["v"] and "ProjectionExpression" not in left
