"""A table's ARN wherever the API takes a TableName ("You can also provide the Amazon
Resource Name (ARN) of the table in this parameter", DynamoDB's API reference)."""

from __future__ import annotations

import pytest

import dynviz.table as dt


def test_operations_take_the_tables_arn() -> None:
    ddb = dt.client(dt.default_cluster(seed=4))
    ddb.create_table(TableName="orders", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}])
    arn = ddb.describe_table(TableName="orders")["Table"]["TableArn"]
    ddb.put_item(TableName=arn, Item={"k": {"S": "a"}, "n": {"N": "1"}})
    ddb.update_item(TableName=arn, Key={"k": {"S": "a"}}, UpdateExpression="SET n = n + :one",
                    ExpressionAttributeValues={":one": {"N": "1"}})
    assert ddb.get_item(TableName=arn, Key={"k": {"S": "a"}}, ConsistentRead=True)["Item"]["n"] == {"N": "2"}
    assert ddb.query(TableName=arn, KeyConditionExpression="k = :a",
                     ExpressionAttributeValues={":a": {"S": "a"}})["Count"] == 1
    assert ddb.describe_table(TableName=arn)["Table"]["TableName"] == "orders"
    ddb.delete_item(TableName=arn, Key={"k": {"S": "a"}})
    assert ddb.scan(TableName=arn, ConsistentRead=True)["Count"] == 0
    with pytest.raises(ddb.exceptions.ResourceNotFoundException):
        ddb.get_item(TableName=arn.replace("orders", "others"), Key={"k": {"S": "a"}})
