"""Item operations through the wire as DynamoDB's API Reference describes them: number
text that is not a number is refused, a failed condition can return the item as it was,
an impossible table name is invalid, not missing."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from wire_helpers import create_keyed


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_number_text_that_is_not_a_number_is_a_validation_exception(ddb: Any, table_name: str) -> None:
    create_keyed(ddb, table_name, sk=None)
    with pytest.raises(ClientError) as exc:
        ddb.put_item(TableName=table_name, Item={"pk": {"S": "dial-2"}, "volume": {"N": "Infinity"}})
    assert code(exc) == "ValidationException"
    assert "numeric value: Infinity" in str(exc.value)


def test_a_failed_condition_can_return_the_item_as_it_was(ddb: Any, table_name: str) -> None:
    create_keyed(ddb, table_name, sk=None)
    item = {"pk": {"S": "dial-3"}, "volume": {"N": "7"}}
    ddb.put_item(TableName=table_name, Item=item)
    with pytest.raises(ClientError) as exc:
        ddb.update_item(TableName=table_name, Key={"pk": {"S": "dial-3"}}, UpdateExpression="SET volume = :v",
                        ConditionExpression="volume > :v", ExpressionAttributeValues={":v": {"N": "9"}},
                        ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert code(exc) == "ConditionalCheckFailedException"
    assert exc.value.response["Item"] == item


def test_an_impossible_table_name_is_invalid_and_a_missing_one_not_found(ddb: Any) -> None:
    for name, expected in (("dials & knobs", "ValidationException"), ("ab", "ValidationException"),
                           ("never_created", "ResourceNotFoundException")):
        with pytest.raises(ClientError) as exc:
            ddb.put_item(TableName=name, Item={"pk": {"S": "x"}})
        assert code(exc) == expected
