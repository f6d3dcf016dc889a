"""Tags on tables, DescribeLimits, and ReturnValuesOnConditionCheckFailure in-process
(dynviz/table/tagging.py, writes.py)."""

from __future__ import annotations

import pytest
from table_helpers import code_of, keys_table


def _arn(ddb, name: str = "tagged") -> str:
    return ddb.describe_table(TableName=name)["Table"]["TableArn"]


def test_tags_are_set_replaced_listed_and_removed(ddb):
    ddb.create_table(**keys_table("tagged", ("pk", "S"), Tags=[{"Key": "env", "Value": "test"}]))
    arn = _arn(ddb)
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "test"}]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "prod"}] +
                     [{"Key": f"k{i:02d}", "Value": ""} for i in range(12)])
    every = ddb.list_tags_of_resource(ResourceArn=arn)  # one page holds a table's every tag
    assert len(every["Tags"]) == 13 and every["Tags"][0] == {"Key": "env", "Value": "prod"}
    assert "NextToken" not in every
    ddb.untag_resource(ResourceArn=arn, TagKeys=[f"k{i:02d}" for i in range(12)] + ["never-there"])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "prod"}]


def test_tag_rules_are_dynamodbs(ddb):
    ddb.create_table(**keys_table("tagged", ("pk", "S")))
    arn = _arn(ddb)
    with pytest.raises(ddb.exceptions.ValidationException, match="reserved"):
        ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "aws:owner", "Value": "x"}])
    with pytest.raises(ddb.exceptions.ValidationException, match="length between 1 and 128"):
        ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "k" * 129, "Value": "x"}])
    with pytest.raises(ddb.exceptions.ValidationException, match="50"):
        ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == []
    with pytest.raises(ddb.exceptions.ResourceNotFoundException, match="ResourcArn: .*table/gone not found"):
        ddb.list_tags_of_resource(ResourceArn=arn.replace("tagged", "gone"))
    with pytest.raises(ddb.exceptions.ValidationException, match="Invalid TableArn"):
        ddb.tag_resource(ResourceArn="tagged", Tags=[])


def test_describe_limits_answers_dynamodbs_default_quotas(ddb):
    out = ddb.describe_limits()
    assert {k: v for k, v in out.items() if k != "ResponseMetadata"} == {
        "AccountMaxReadCapacityUnits": 80000, "AccountMaxWriteCapacityUnits": 80000,
        "TableMaxReadCapacityUnits": 40000, "TableMaxWriteCapacityUnits": 40000}


@pytest.mark.parametrize("op", ["put_item", "update_item", "delete_item"])
def test_return_values_on_condition_check_failure(ddb, op):
    ddb.create_table(**keys_table("rvcf", ("pk", "S")))
    ddb.put_item(TableName="rvcf", Item={"pk": {"S": "a"}, "n": {"N": "1"}})
    args = {"TableName": "rvcf", "ConditionExpression": "attribute_not_exists(pk)"}
    if op == "put_item":
        args["Item"] = {"pk": {"S": "a"}}
    else:
        args["Key"] = {"pk": {"S": "a"}}
    if op == "update_item":
        args["UpdateExpression"] = "REMOVE n"
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException) as err:
        getattr(ddb, op)(**args, ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert err.value.response["Item"] == {"pk": {"S": "a"}, "n": {"N": "1"}}
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException) as err:
        getattr(ddb, op)(**args)
    assert "Item" not in err.value.response
    with pytest.raises(ddb.exceptions.ValidationException) as bad:
        getattr(ddb, op)(**args, ReturnValuesOnConditionCheckFailure="ALL_NEW")
    assert code_of(bad.value) == "ValidationException" and "[ALL_OLD, NONE]" in str(bad.value)
