"""Between DynamoDB's JSON and the table client's shapes (dynviz/wire/shapes.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from dynviz.wire.protocol import WireError
from dynviz.wire.shapes import request_in, response_out

B = "AAH/"  # base64 of b"\x00\x01\xff"


def test_binary_values_are_decoded_wherever_the_api_puts_attribute_values():
    params = {
        "Item": {"b": {"B": B}, "bs": {"BS": [B]}, "l": {"L": [{"B": B}]}, "m": {"M": {"x": {"B": B}}}},
        "Key": {"k": {"B": B}},
        "ExclusiveStartKey": {"k": {"B": B}},
        "ExpressionAttributeValues": {":v": {"B": B}},
        "Expected": {"a": {"Value": {"B": B}}, "c": {"AttributeValueList": [{"B": B}]}},
        "KeyConditions": {"k": {"AttributeValueList": [{"B": B}], "ComparisonOperator": "EQ"}},
        "QueryFilter": {"q": {"AttributeValueList": [{"B": B}]}},
        "ScanFilter": {"s": {"AttributeValueList": [{"B": B}]}},
        "AttributeUpdates": {"u": {"Value": {"B": B}, "Action": "PUT"}},
    }
    out = request_in(params)
    raw = b"\x00\x01\xff"
    assert out["Item"] == {"b": {"B": raw}, "bs": {"BS": [raw]}, "l": {"L": [{"B": raw}]},
                           "m": {"M": {"x": {"B": raw}}}}
    assert out["Key"] == out["ExclusiveStartKey"] == {"k": {"B": raw}}
    assert out["ExpressionAttributeValues"] == {":v": {"B": raw}}
    assert out["Expected"] == {"a": {"Value": {"B": raw}}, "c": {"AttributeValueList": [{"B": raw}]}}
    assert out["KeyConditions"]["k"] == {"AttributeValueList": [{"B": raw}], "ComparisonOperator": "EQ"}
    assert out["QueryFilter"]["q"]["AttributeValueList"] == [{"B": raw}]
    assert out["ScanFilter"]["s"]["AttributeValueList"] == [{"B": raw}]
    assert out["AttributeUpdates"]["u"] == {"Value": {"B": raw}, "Action": "PUT"}
    assert params["Item"]["b"] == {"B": B}  # the request itself is left as it was


def test_batches_decode_their_keys_and_items():
    get = request_in({"RequestItems": {"t": {"Keys": [{"k": {"B": B}}], "ConsistentRead": True}}})
    assert get["RequestItems"]["t"] == {"Keys": [{"k": {"B": b"\x00\x01\xff"}}], "ConsistentRead": True}
    write = request_in({"RequestItems": {"t": [{"PutRequest": {"Item": {"k": {"B": B}}}},
                                               {"DeleteRequest": {"Key": {"k": {"B": B}}}}]}})
    assert write["RequestItems"]["t"] == [{"PutRequest": {"Item": {"k": {"B": b"\x00\x01\xff"}}}},
                                          {"DeleteRequest": {"Key": {"k": {"B": b"\x00\x01\xff"}}}}]


def test_an_attribute_named_b_or_a_table_named_b_is_not_a_binary_value():
    out = request_in({"TableName": "B", "Item": {"B": {"S": "x"}}, "ProjectionExpression": "B",
                      "RequestItems": {"B": {"Keys": [{"B": {"S": "y"}}]}}})
    assert out["Item"] == {"B": {"S": "x"}}
    assert out["RequestItems"] == {"B": {"Keys": [{"B": {"S": "y"}}]}}


def test_shapes_that_are_wrong_are_left_for_the_table_layer_to_reject():
    assert request_in({"Item": "nope", "Key": {"k": {"S": "a", "N": "1"}}}) == {
        "Item": "nope", "Key": {"k": {"S": "a", "N": "1"}}}


@pytest.mark.parametrize("bad", ["not base64!", 12, "AAH"])
def test_a_binary_value_that_is_not_base64_text_is_a_serialization_exception(bad):
    with pytest.raises(WireError) as info:
        request_in({"Item": {"b": {"B": bad}}})
    assert info.value.code == "SerializationException"
    assert "Item.b" in (info.value.message or "")


def test_responses_become_json_bytes_as_base64_times_as_epoch_seconds_without_response_metadata():
    when = datetime(2024, 1, 1, 0, 0, 1, 500000, tzinfo=UTC)
    out = response_out({"Item": {"b": {"B": b"\x00\x01\xff"}, "bs": {"BS": [b"\x00"]},
                                 "ResponseMetadata": {"S": "an attribute of that name stays"}},
                        "Table": {"CreationDateTime": when}, "ResponseMetadata": {"HTTPStatusCode": 200}})
    assert out == {"Item": {"b": {"B": B}, "bs": {"BS": ["AA=="]},
                            "ResponseMetadata": {"S": "an attribute of that name stays"}},
                   "Table": {"CreationDateTime": when.timestamp()}}
    json.dumps(out)
