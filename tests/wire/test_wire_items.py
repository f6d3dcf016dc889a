"""Item operations through the wire as DynamoDB's API Reference describes them: a
number is JSON text (a JSON number is a SerializationException), a failed condition can
return the item as it was, an impossible table name is invalid, not missing."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from wire_helpers import ONE_TRY, Running, create_keyed


@pytest.fixture
def raw(served: Running) -> Any:
    """A client that sends parameters as given: no botocore validation of their types."""
    return served.boto(config=ONE_TRY.merge(Config(parameter_validation=False)))


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_a_json_number_where_a_number_attribute_takes_text_is_a_serialization_exception(raw: Any,
                                                                                           table_name: str) -> None:
    create_keyed(raw, table_name, sk=None)
    key = {"pk": {"S": "dial-1"}}
    with pytest.raises(ClientError) as exc:
        raw.put_item(TableName=table_name, Item={**key, "volume": {"N": 11}})
    assert code(exc) == "SerializationException"
    with pytest.raises(ClientError) as exc:
        raw.update_item(TableName=table_name, Key=key, UpdateExpression="SET volume = :v",
                        ConditionExpression="volume < :max", ExpressionAttributeValues={":v": {"N": "3"}, ":max": {"N": 10}})
    assert code(exc) == "SerializationException"
    raw.update_item(TableName=table_name, Key=key, UpdateExpression="SET volume = :v",
                    ExpressionAttributeValues={":v": {"N": "11"}})
    assert raw.get_item(TableName=table_name, Key=key)["Item"]["volume"] == {"N": "11"}


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
