"""The legacy parameters (legacy.py): each behaves as DynamoDB's Developer Guide
describes it ("Legacy conditional parameters"), and is refused with DynamoDB's message
where the guide or the API reference says it is invalid."""

from __future__ import annotations

from typing import Any

import pytest
from table_helpers import code_of, keys_table

from dynviz.table.errors import ValidationException
from dynviz.table.legacy import (
    translate_get,
    translate_query,
    translate_scan,
    translate_update,
    translate_write,
)
from dynviz.table.schema import parse_create_table

S, N = "S", "N"


def message_of(exc: BaseException) -> str:
    return exc.response["Error"]["Message"]  # type: ignore[attr-defined,no-any-return]


@pytest.fixture
def shelf(ddb: Any) -> Any:
    """A table of books by shelf (partition) and position (sort)."""
    ddb.create_table(**keys_table("shelf", ("shelf", S), ("pos", N)))
    books = [("1", "Dune", "scifi", ["sand", "spice"]), ("2", "Emma", "novel", ["ball"]),
             ("3", "Kim", "novel", None), ("4", "Ubik", "scifi", ["time"]), ("10", "Zama", "novel", ["wait"])]
    for pos, title, genre, tags in books:
        item = {"shelf": {"S": "A"}, "pos": {"N": pos}, "title": {"S": title}, "genre": {"S": genre}}
        if tags:
            item["tags"] = {"SS": tags}
        ddb.put_item(TableName="shelf", Item=item)
    ddb.put_item(TableName="shelf", Item={"shelf": {"S": "B"}, "pos": {"N": "1"}, "title": {"S": "Ulysses"}})
    return ddb


@pytest.fixture
def counter(ddb: Any) -> Any:
    ddb.create_table(**keys_table("counter", ("id", S)))
    ddb.put_item(TableName="counter", Item={"id": {"S": "c"}, "n": {"N": "5"}, "s": {"S": "hello"},
                                            "set": {"NS": ["1", "2"]}, "list": {"L": [{"N": "1"}]}})
    return ddb


def titles(out: dict[str, Any]) -> list[str]:
    return [i["title"]["S"] for i in out["Items"]]


def item_of(ddb: Any, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
    got: dict[str, Any] | None = ddb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
    return got


def refused(call: Any, **params: Any) -> str:
    with pytest.raises(ValidationException) as e:
        call(**params)
    return message_of(e.value)


# -- the translation itself


def test_a_request_without_legacy_parameters_is_the_same_object() -> None:
    p = {"TableName": "t", "Key": {"k": {"S": "x"}}, "ProjectionExpression": "a"}
    assert translate_get(p) is p
    assert translate_write(p) is p


def test_translation_leaves_the_callers_request_unchanged() -> None:
    p = {"TableName": "t", "Key": {"k": {"S": "x"}}, "AttributesToGet": ["a", "b.c"]}
    out = translate_get(p)
    assert p == {"TableName": "t", "Key": {"k": {"S": "x"}}, "AttributesToGet": ["a", "b.c"]}
    assert "AttributesToGet" not in out
    names = out["ExpressionAttributeNames"]
    # a name is one top-level attribute, dots and all: never a document path
    assert sorted(names.values()) == ["a", "b.c"]
    assert out["ProjectionExpression"] == ",".join(names)


def test_generated_placeholders_step_around_the_callers_own() -> None:
    schema = parse_create_table(keys_table("things", ("k", S)))
    p = {"TableName": "t", "KeyConditions": {"k": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "x"}]}},
         "FilterExpression": "#0 = :0", "ExpressionAttributeNames": {"#0": "colour"},
         "ExpressionAttributeValues": {":0": {"S": "red"}}}
    out = translate_query(p, schema)
    assert out["ExpressionAttributeNames"]["#0"] == "colour"
    assert out["ExpressionAttributeValues"][":0"] == {"S": "red"}
    assert len(out["ExpressionAttributeNames"]) == 2 and len(out["ExpressionAttributeValues"]) == 2
    assert "#0" not in out["KeyConditionExpression"] and ":0" not in out["KeyConditionExpression"]


def test_scan_and_update_translate_to_their_expressions() -> None:
    scan = translate_scan({"TableName": "t", "ScanFilter": {"a": {"ComparisonOperator": "NULL"}}})
    assert scan["FilterExpression"].startswith("(attribute_not_exists(")
    schema = parse_create_table(keys_table("things", ("k", S)))
    upd = translate_update({"TableName": "t", "Key": {"k": {"S": "x"}},
                            "AttributeUpdates": {"a": {"Action": "DELETE"}, "b": {"Value": {"N": "1"}}}}, schema)
    assert upd["UpdateExpression"].startswith("SET ") and " REMOVE " in upd["UpdateExpression"]


# -- reads


def test_get_item_returns_only_the_attributes_asked_for(shelf: Any) -> None:
    got = shelf.get_item(TableName="shelf", Key={"shelf": {"S": "A"}, "pos": {"N": "1"}},
                         AttributesToGet=["title", "missing"])
    assert got["Item"] == {"title": {"S": "Dune"}}


@pytest.mark.parametrize("names, fragment", [([], "attributesToGet"), (["title", "title"], "Duplicate value")])
def test_attributes_to_get_must_name_distinct_attributes(shelf: Any, names: list[str], fragment: str) -> None:
    assert fragment in refused(shelf.get_item, TableName="shelf", Key={"shelf": {"S": "A"}, "pos": {"N": "1"}},
                               AttributesToGet=names)


def test_batch_get_item_takes_attributes_to_get_per_table(shelf: Any) -> None:
    keys = [{"shelf": {"S": "A"}, "pos": {"N": "2"}}, {"shelf": {"S": "B"}, "pos": {"N": "1"}}]
    out = shelf.batch_get_item(RequestItems={"shelf": {"Keys": keys, "AttributesToGet": ["title"]}})
    assert sorted(i["title"]["S"] for i in out["Responses"]["shelf"]) == ["Emma", "Ulysses"]
    assert all(set(i) == {"title"} for i in out["Responses"]["shelf"])


def test_key_conditions_select_a_range_of_the_partition(shelf: Any) -> None:
    out = shelf.query(TableName="shelf", KeyConditions={
        "shelf": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "A"}]},
        "pos": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "2"}, {"N": "4"}]}})
    assert titles(out) == ["Emma", "Kim", "Ubik"]
    out = shelf.query(TableName="shelf", KeyConditions={
        "shelf": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "A"}]},
        "pos": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "3"}]}}, ScanIndexForward=False)
    assert titles(out) == ["Zama", "Ubik"]


def test_query_filter_and_conditional_operator(shelf: Any) -> None:
    key = {"shelf": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "A"}]}}
    both = {"genre": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "novel"}]},
            "tags": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [{"S": "wait"}]}}
    assert titles(shelf.query(TableName="shelf", KeyConditions=key, QueryFilter=both)) == ["Zama"]
    out = shelf.query(TableName="shelf", KeyConditions=key, QueryFilter=both, ConditionalOperator="OR")
    assert titles(out) == ["Emma", "Kim", "Zama"]
    assert out["ScannedCount"] == 5


def test_key_conditions_go_with_a_projection_expression(shelf: Any) -> None:
    out = shelf.query(TableName="shelf", ProjectionExpression="title", KeyConditions={
        "shelf": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "B"}]}})
    assert out["Items"] == [{"title": {"S": "Ulysses"}}]


def test_query_attributes_to_get_and_select(shelf: Any) -> None:
    key = {"shelf": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "B"}]}}
    out = shelf.query(TableName="shelf", KeyConditions=key, AttributesToGet=["pos"], Select="SPECIFIC_ATTRIBUTES")
    assert out["Items"] == [{"pos": {"N": "1"}}]
    msg = refused(shelf.query, TableName="shelf", KeyConditions=key, AttributesToGet=["pos"], Select="COUNT")
    assert msg.endswith("Cannot specify the AttributesToGet when choosing to get only the Count")


@pytest.mark.parametrize("conditions, fragment", [
    ({"shelf": {"ComparisonOperator": "LT", "AttributeValueList": [{"S": "A"}]}}, "Query key condition not supported"),
    ({"shelf": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "A"}]},
      "pos": {"ComparisonOperator": "IN", "AttributeValueList": [{"N": "1"}]}}, "not an indexable operation"),
    ({"pos": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}]}}, "missed key schema element: shelf"),
    ({"shelf": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}]}}, "does not match schema type"),
    ({"shelf": {"ComparisonOperator": "EQ", "AttributeValueList": []}},
     "Invalid number of argument(s) for the EQ ComparisonOperator"),
    ({"shelf": {"ComparisonOperator": "eq", "AttributeValueList": [{"S": "A"}]}},
     "at 'keyConditions.shelf.member.comparisonOperator'"),
    ({"shelf": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "A"}]},
      "pos": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}]},
      "title": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "x"}]}}, "of length 1 or 2 only"),
])
def test_key_conditions_refused(shelf: Any, conditions: dict[str, Any], fragment: str) -> None:
    assert fragment in refused(shelf.query, TableName="shelf", KeyConditions=conditions)


def test_query_filter_may_not_name_a_key(shelf: Any) -> None:
    msg = refused(shelf.query, TableName="shelf",
                  KeyConditions={"shelf": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "A"}]}},
                  QueryFilter={"pos": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "1"}]}})
    assert msg == "QueryFilter can only contain non-primary key attributes: Primary key attribute: pos"


def test_scan_filter_on_missing_attributes(shelf: Any) -> None:
    def scan(op: str, *values: dict[str, Any]) -> list[str]:
        cond = {"tags": {"ComparisonOperator": op, "AttributeValueList": list(values)}}
        return sorted(titles(shelf.scan(TableName="shelf", ScanFilter=cond)))
    # Kim and Ulysses have no tags: NE and NULL hold for them, NOT_CONTAINS and CONTAINS do not
    assert scan("NULL") == ["Kim", "Ulysses"]
    assert scan("NE", {"SS": ["ball"]}) == ["Dune", "Kim", "Ubik", "Ulysses", "Zama"]
    assert scan("NOT_CONTAINS", {"S": "time"}) == ["Dune", "Emma", "Zama"]
    assert scan("CONTAINS", {"S": "time"}) == ["Ubik"]


def test_scan_filter_operators(shelf: Any) -> None:
    def scan(attr: str, op: str, *values: dict[str, Any]) -> list[str]:
        cond = {attr: {"ComparisonOperator": op, "AttributeValueList": list(values)}}
        return sorted(titles(shelf.scan(TableName="shelf", ScanFilter=cond)))
    assert scan("title", "BEGINS_WITH", {"S": "U"}) == ["Ubik", "Ulysses"]
    assert scan("title", "IN", {"S": "Kim"}, {"S": "Emma"}, {"S": "Nope"}) == ["Emma", "Kim"]
    assert scan("title", "BETWEEN", {"S": "E"}, {"S": "L"}) == ["Emma", "Kim"]
    assert scan("title", "LT", {"N": "3"}) == []  # a value of another type is not less, nor an error
    assert scan("title", "NOT_NULL") == ["Dune", "Emma", "Kim", "Ubik", "Ulysses", "Zama"]


@pytest.mark.parametrize("op, values, fragment", [
    ("LT", [{"SS": ["a"]}], "ComparisonOperator LT is not valid for SS AttributeValue type"),
    ("BEGINS_WITH", [{"N": "1"}], "ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type"),
    ("IN", [{"S": "a"}, {"N": "1"}], "AttributeValues inside AttributeValueList must be of same type"),
    ("IN", [], "Invalid number of argument(s) for the IN ComparisonOperator"),
    ("BETWEEN", [{"N": "5"}, {"N": "1"}], "The BETWEEN operator requires upper bound"),
    ("NULL", [{"S": "a"}], "Invalid number of argument(s) for the NULL ComparisonOperator"),
    ("DOG", [{"S": "a"}], "Member must satisfy enum value set"),
])
def test_scan_filter_refused(shelf: Any, op: str, values: list[Any], fragment: str) -> None:
    msg = refused(shelf.scan, TableName="shelf", ScanFilter={"title": {"ComparisonOperator": op,
                                                                        "AttributeValueList": values}})
    assert fragment in msg


# -- writes


def test_expected_value_and_exists(counter: Any) -> None:
    key = {"id": {"S": "c"}}
    counter.put_item(TableName="counter", Item={**key, "n": {"N": "6"}}, Expected={"n": {"Value": {"N": "5"}}})
    with pytest.raises(Exception) as e:
        counter.put_item(TableName="counter", Item={**key, "n": {"N": "7"}}, Expected={"n": {"Value": {"N": "5"}}})
    assert code_of(e.value) == "ConditionalCheckFailedException"
    counter.put_item(TableName="counter", Item={"id": {"S": "new"}}, Expected={"id": {"Exists": False}})
    with pytest.raises(Exception) as e:
        counter.delete_item(TableName="counter", Key=key, Expected={"n": {"Exists": False}})
    assert code_of(e.value) == "ConditionalCheckFailedException"
    counter.delete_item(TableName="counter", Key=key, Expected={"n": {"ComparisonOperator": "GE", "Value": {"N": "6"}}})
    assert item_of(counter, "counter", key) is None


@pytest.mark.parametrize("entry, fragment", [
    ({"Exists": True}, "Value must be provided when Exists is true for Attribute: n"),
    ({}, "Value must be provided when Exists is null for Attribute: n"),
    ({"Exists": False, "Value": {"N": "1"}}, "Value cannot be used when Exists is false for Attribute: n"),
    ({"Exists": True, "ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}]},
     "Exists and ComparisonOperator cannot be used together for Attribute: n"),
    ({"Value": {"N": "1"}, "ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}]},
     "Value and AttributeValueList cannot be used together for Attribute: n"),
    ({"AttributeValueList": [{"N": "1"}]}, "AttributeValueList can only be used with a ComparisonOperator for Attribute: n"),
    ({"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}, {"N": "2"}]},
     "Invalid number of argument(s) for the EQ ComparisonOperator"),
])
def test_expected_entries_refused(counter: Any, entry: dict[str, Any], fragment: str) -> None:
    msg = refused(counter.put_item, TableName="counter", Item={"id": {"S": "c"}}, Expected={"n": entry})
    assert msg == "One or more parameter values were invalid: " + fragment


def test_conditional_operator_or_and_its_limits(counter: Any) -> None:
    key = {"id": {"S": "c"}}
    either = {"n": {"Value": {"N": "99"}}, "s": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "he"}]}}
    counter.update_item(TableName="counter", Key=key, Expected=either, ConditionalOperator="OR",
                        AttributeUpdates={"hit": {"Value": {"BOOL": True}}})
    with pytest.raises(Exception) as e:
        counter.update_item(TableName="counter", Key=key, Expected=either,
                            AttributeUpdates={"miss": {"Value": {"BOOL": True}}})
    assert code_of(e.value) == "ConditionalCheckFailedException"
    for expected in ({}, {"n": {"Value": {"N": "5"}}}):
        msg = refused(counter.update_item, TableName="counter", Key=key, Expected=expected, ConditionalOperator="AND",
                      AttributeUpdates={})
        assert "ConditionalOperator" in msg
    msg = refused(counter.update_item, TableName="counter", Key=key, Expected=either, ConditionalOperator="or")
    assert "Value 'or' at 'conditionalOperator'" in msg


def test_attribute_updates_actions(counter: Any) -> None:
    key = {"id": {"S": "c"}}
    out = counter.update_item(TableName="counter", Key=key, ReturnValues="UPDATED_NEW", AttributeUpdates={
        "n": {"Action": "ADD", "Value": {"N": "-2"}},          # adds to a number
        "fresh": {"Action": "ADD", "Value": {"N": "3"}},       # a missing number starts at 0
        "set": {"Action": "ADD", "Value": {"NS": ["2", "3"]}},  # unions into a set
        "list": {"Action": "ADD", "Value": {"L": [{"S": "x"}]}},  # appends to a list
        "s": {"Action": "DELETE"},                             # no value: the attribute goes
        "note": {"Value": {"S": "hi"}},                        # PUT is the default Action
    })
    assert out["Attributes"] == {"n": {"N": "3"}, "fresh": {"N": "3"}, "set": {"NS": ["1", "2", "3"]},
                                 "list": {"L": [{"N": "1"}, {"S": "x"}]}, "note": {"S": "hi"}}
    counter.update_item(TableName="counter", Key=key, AttributeUpdates={"set": {"Action": "DELETE",
                                                                                "Value": {"NS": ["1", "3", "9"]}}})
    item = item_of(counter, "counter", key)
    assert item is not None and item["set"] == {"NS": ["2"]} and "s" not in item


def test_an_update_of_hundreds_of_attributes_fits_an_expressions_4_kb(counter: Any) -> None:
    updates = {f"attribute_{i}": {"Value": {"N": str(i)}} for i in range(300)}
    counter.update_item(TableName="counter", Key={"id": {"S": "wide"}}, AttributeUpdates=updates)
    item = item_of(counter, "counter", {"id": {"S": "wide"}})
    assert item is not None and len(item) == 301 and item["attribute_299"] == {"N": "299"}


def test_an_empty_attribute_updates_still_creates_the_item(counter: Any) -> None:
    counter.update_item(TableName="counter", Key={"id": {"S": "bare"}}, AttributeUpdates={})
    assert item_of(counter, "counter", {"id": {"S": "bare"}}) == {"id": {"S": "bare"}}


@pytest.mark.parametrize("updates, fragment", [
    ({"id": {"Value": {"S": "x"}}}, "Cannot update attribute id. This attribute is part of the key"),
    ({"s": {"Action": "ADD", "Value": {"S": "x"}}}, "ADD action is not supported for the type S"),
    ({"s": {"Action": "DELETE", "Value": {"S": "x"}}}, "DELETE action with value is not supported for the type S"),
    ({"s": {"Action": "PUT"}}, "Only DELETE action is allowed when no attribute value is specified"),
    ({"s": {"Action": "REPLACE", "Value": {"S": "x"}}}, "Member must satisfy enum value set: [ADD, PUT, DELETE]"),
])
def test_attribute_updates_refused(counter: Any, updates: dict[str, Any], fragment: str) -> None:
    assert fragment in refused(counter.update_item, TableName="counter", Key={"id": {"S": "c"}},
                               AttributeUpdates=updates)


# -- mixing the two languages


@pytest.mark.parametrize("call, params, message", [
    ("get_item", {"AttributesToGet": ["n"], "ProjectionExpression": "n"},
     "Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}"),
    ("update_item", {"AttributeUpdates": {}, "UpdateExpression": "REMOVE s"},
     "Non-expression parameters: {AttributeUpdates} Expression parameters: {UpdateExpression}"),
    ("delete_item", {"Expected": {"n": {"Exists": False}}, "ConditionExpression": "attribute_exists(n)"},
     "Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}"),
])
def test_legacy_and_expression_parameters_do_not_mix(counter: Any, call: str, params: dict[str, Any],
                                                     message: str) -> None:
    msg = refused(getattr(counter, call), TableName="counter", Key={"id": {"S": "c"}}, **params)
    assert msg == "Can not use both expression and non-expression parameters in the same request: " + message


def test_query_filter_does_not_mix_with_a_key_condition_expression(shelf: Any) -> None:
    msg = refused(shelf.query, TableName="shelf", KeyConditionExpression="shelf = :s",
                  ExpressionAttributeValues={":s": {"S": "A"}},
                  QueryFilter={"genre": {"ComparisonOperator": "NOT_NULL"}})
    assert msg.endswith("Non-expression parameters: {QueryFilter} Expression parameters: {KeyConditionExpression}")


def test_placeholders_without_an_expression_of_the_callers_own(counter: Any) -> None:
    msg = refused(counter.update_item, TableName="counter", Key={"id": {"S": "c"}},
                  AttributeUpdates={"a": {"Value": {"S": "x"}}}, ExpressionAttributeNames={"#a": "a"})
    assert msg == "ExpressionAttributeNames can only be specified when using expressions"


def test_a_legacy_add_on_a_value_of_another_type_is_a_type_mismatch() -> None:
    """DynamoDB words it for AttributeUpdates as it does not for an UpdateExpression."""
    import dynviz.table as dt

    ddb = dt.client(dt.default_cluster(seed=2))
    ddb.create_table(TableName="counts", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}])
    ddb.put_item(TableName="counts", Item={"k": {"S": "a"}, "n": {"S": "not a number"}})
    with pytest.raises(ddb.exceptions.ValidationException, match="Type mismatch for attribute to update"):
        ddb.update_item(TableName="counts", Key={"k": {"S": "a"}},
                        AttributeUpdates={"n": {"Action": "ADD", "Value": {"N": "1"}}})
    with pytest.raises(ddb.exceptions.ValidationException, match="incorrect data type"):
        ddb.update_item(TableName="counts", Key={"k": {"S": "a"}}, UpdateExpression="ADD n :one",
                        ExpressionAttributeValues={":one": {"N": "1"}})
