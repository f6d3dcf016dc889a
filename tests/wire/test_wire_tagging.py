"""Tags, DescribeLimits and ReturnValuesOnConditionCheckFailure over the wire, through
boto3 (tags also through the client's paginator)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from wire_helpers import create_keyed


def test_tags_over_the_wire(ddb, table_name):
    create_keyed(ddb, table_name, sk=None, Tags=[{"Key": "team", "Value": "dynamo"}])
    arn = ddb.describe_table(TableName=table_name)["Table"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": f"t{i:02d}", "Value": str(i)} for i in range(14)])
    pages = list(ddb.get_paginator("list_tags_of_resource").paginate(ResourceArn=arn))
    assert [len(p["Tags"]) for p in pages] == [15]  # DynamoDB lists a table's every tag in one page
    ddb.untag_resource(ResourceArn=arn, TagKeys=[f"t{i:02d}" for i in range(14)])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "dynamo"}]
    with pytest.raises(ClientError) as err:
        ddb.list_tags_of_resource(ResourceArn=arn + "x")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_describe_limits_over_the_wire(ddb):
    out = ddb.describe_limits()
    assert out["TableMaxWriteCapacityUnits"] == 40000 and out["AccountMaxReadCapacityUnits"] == 80000


def test_return_values_on_condition_check_failure_over_the_wire(ddb, table_name):
    create_keyed(ddb, table_name, sk=None)
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "a"}, "b": {"B": b"\x02"}})
    with pytest.raises(ClientError) as err:
        ddb.delete_item(TableName=table_name, Key={"pk": {"S": "a"}}, ConditionExpression="attribute_not_exists(b)",
                        ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert err.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert err.value.response["Item"] == {"pk": {"S": "a"}, "b": {"B": b"\x02"}}
