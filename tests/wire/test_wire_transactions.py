"""TransactWriteItems and TransactGetItems over the wire, through boto3's client and
resource: the items, binary values, and TransactionCanceledException's reasons as
botocore parses them."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from wire_helpers import create_keyed


def test_a_transaction_over_the_wire_writes_every_item(ddb, table_name):
    create_keyed(ddb, table_name, sk=None)
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "old"}})
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": table_name, "Item": {"pk": {"S": "a"}, "blob": {"B": b"\x00\x01"}}}},
        {"Delete": {"TableName": table_name, "Key": {"pk": {"S": "old"}},
                    "ConditionExpression": "attribute_exists(pk)"}},
    ], ClientRequestToken="wire-token-1")
    got = ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": table_name, "Key": {"pk": {"S": "a"}}}},
        {"Get": {"TableName": table_name, "Key": {"pk": {"S": "old"}}}},
    ])["Responses"]
    assert got == [{"Item": {"pk": {"S": "a"}, "blob": {"B": b"\x00\x01"}}}, {}]


def test_a_cancelled_transaction_carries_its_reasons_and_the_old_item(ddb, table_name):
    create_keyed(ddb, table_name, sk=None)
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "b"}, "n": {"N": "5"}})
    with pytest.raises(ClientError) as err:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table_name, "Item": {"pk": {"S": "a"}}}},
            {"ConditionCheck": {"TableName": table_name, "Key": {"pk": {"S": "b"}}, "ConditionExpression": "n > :ten",
                                "ExpressionAttributeValues": {":ten": {"N": "10"}},
                                "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
        ])
    r = err.value.response
    assert r["Error"]["Code"] == "TransactionCanceledException"
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert r["CancellationReasons"] == [
        {"Code": "None"},
        {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed",
         "Item": {"pk": {"S": "b"}, "n": {"N": "5"}}}]
    assert "Item" not in ddb.get_item(TableName=table_name, Key={"pk": {"S": "a"}})


def test_duplicate_items_in_a_transaction_are_a_validation_error(ddb, table_name):
    create_keyed(ddb, table_name, sk=None)
    with pytest.raises(ClientError) as err:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table_name, "Item": {"pk": {"S": "a"}}}},
            {"Delete": {"TableName": table_name, "Key": {"pk": {"S": "a"}}}},
        ])
    assert err.value.response["Error"] == {
        "Code": "ValidationException", "Message": "Transaction request cannot include multiple operations on one item"}


def test_boto3_resource_transactions_through_the_client(served, table_name):
    resource = served.resource()
    client = resource.meta.client
    create_keyed(client, table_name, sk=None)
    client.transact_write_items(TransactItems=[
        {"Put": {"TableName": table_name, "Item": {"pk": "r", "qty": 3}}},
        {"Update": {"TableName": table_name, "Key": {"pk": "s"}, "UpdateExpression": "SET qty = :q",
                    "ExpressionAttributeValues": {":q": 4}}},
    ])
    got = client.transact_get_items(TransactItems=[{"Get": {"TableName": table_name, "Key": {"pk": k}}}
                                                   for k in ("r", "s")])["Responses"]
    assert [g["Item"]["qty"] for g in got] == [3, 4]
