"""Item operations and expressions as DynamoDB's Developer Guide and API Reference
describe them: comparisons with missing attributes, document paths that overlap or
conflict, REMOVE through the wrong type, list elements set past the end, what
ReturnValues returns of nested updates, the text of numbers, table names.

Every scenario is written from the documented behaviour, with this file's own data (a
record shop's catalogue), against the table client on a default cluster."""

from __future__ import annotations

from typing import Any

import pytest
from table_helpers import code_of, keys_table

import dynviz.table as dt
from dynviz.table.errors import TableError


@pytest.fixture
def shop(ddb: Any) -> Any:
    """A table ``records`` keyed by ``sku`` (S) holding one record, ``LP-1``."""
    ddb.create_table(**keys_table("records", ("sku", "S")))
    ddb.put_item(TableName="records", Item={
        "sku": {"S": "LP-1"}, "title": {"S": "Blue Train"}, "price": {"N": "24"},
        "tracks": {"L": [{"S": "Blue Train"}, {"S": "Moment's Notice"}, {"S": "Locomotion"}]},
        "label": {"M": {"artist": {"S": "Blue Note"}, "released": {"N": "1957"}}},
        "medium": {"S": "vinyl"}})
    return ddb


def get(ddb: Any, sku: str = "LP-1") -> dict[str, Any] | None:
    out: dict[str, Any] | None = ddb.get_item(TableName="records", Key={"sku": {"S": sku}},
                                              ConsistentRead=True).get("Item")
    return out


def update(ddb: Any, expr: str, values: dict[str, Any] | None = None, sku: str = "LP-1", **kw: Any) -> Any:
    params: dict[str, Any] = {"TableName": "records", "Key": {"sku": {"S": sku}}, "UpdateExpression": expr, **kw}
    if values:
        params["ExpressionAttributeValues"] = values
    return ddb.update_item(**params)


def error(call: Any) -> TableError:
    with pytest.raises(TableError) as info:
        call()
    return info.value


# -- comparisons with attributes that are not there


def test_not_equal_is_true_when_either_side_is_missing_and_equal_is_false(shop: Any) -> None:
    # A missing attribute equals nothing, so "<>" holds: the usual guard "create the
    # record unless one with this key exists" is written with it.
    update(shop, "SET stock = :n", {":n": {"N": "3"}, ":z": {"N": "0"}}, ConditionExpression="discount <> :z")
    update(shop, "SET stock = :n", {":n": {"N": "4"}}, ConditionExpression="discount <> rating")
    assert get(shop)["stock"] == {"N": "4"}  # type: ignore[index]
    e = error(lambda: update(shop, "SET stock = :n", {":n": {"N": "5"}}, ConditionExpression="discount = rating"))
    assert code_of(e) == "ConditionalCheckFailedException"
    update(shop, "SET title = :t", {":t": {"S": "Giant Steps"}, ":k": {"S": "LP-2"}}, sku="LP-2",
           ConditionExpression="sku <> :k")
    assert get(shop, "LP-2") == {"sku": {"S": "LP-2"}, "title": {"S": "Giant Steps"}}


def test_an_order_comparison_with_a_request_value_of_an_unordered_type_is_invalid(shop: Any) -> None:
    # Only numbers, strings and binaries have an order: a list given in the request is
    # the request's mistake, an item's list only makes the comparison false.
    for cond in ("price < :v", ":v >= price", "price BETWEEN :v AND :v"):
        e = error(lambda c=cond: update(shop, "SET seen = :one", {":one": {"N": "1"}, ":v": {"L": [{"N": "1"}]}},
                                        ConditionExpression=c))
        assert code_of(e) == "ValidationException"
        assert "Incorrect operand type" in str(e)
    e = error(lambda: update(shop, "SET seen = :one", {":one": {"N": "1"}}, ConditionExpression="tracks > price"))
    assert code_of(e) == "ConditionalCheckFailedException"


def test_attribute_type_takes_a_value_as_its_first_operand(shop: Any) -> None:
    update(shop, "SET seen = :one", {":one": {"N": "1"}, ":t": {"S": "N"}},
           ConditionExpression="attribute_type(:one, :t)")
    assert get(shop)["seen"] == {"N": "1"}  # type: ignore[index]


def test_contains_takes_two_attributes_but_not_one_attribute_twice(shop: Any) -> None:
    update(shop, "SET seen = :one", {":one": {"N": "1"}}, ConditionExpression="contains(tracks, title)")
    e = error(lambda: update(shop, "SET seen = :one", {":one": {"N": "1"}}, ConditionExpression="contains(title, title)"))
    assert "The first operand must be distinct from the remaining operands" in str(e)


# -- paths in update and projection expressions


@pytest.mark.parametrize("expr", ["SET label.artist = :a, label[0] = :b", "SET tracks[1] = :a, tracks.opener = :b"])
def test_two_paths_reading_one_step_as_a_key_and_as_an_index_conflict(shop: Any, expr: str) -> None:
    e = error(lambda: update(shop, expr, {":a": {"S": "x"}, ":b": {"S": "y"}}))
    assert code_of(e) == "ValidationException"
    assert "Two document paths conflict with each other" in str(e)


def test_overlap_and_conflict_are_told_apart_in_a_projection(shop: Any) -> None:
    def project(expr: str) -> Any:
        return shop.get_item(TableName="records", Key={"sku": {"S": "LP-1"}}, ProjectionExpression=expr)

    assert "conflict" in str(error(lambda: project("label.artist, label[2]")))
    assert "[label, artist], path two: [label]" in str(error(lambda: project("label.artist, label")))
    assert "[tracks, [1]], path two: [tracks]" in str(error(lambda: project("tracks[1], tracks")))
    assert project("label.artist, tracks[2]")["Item"] == {"label": {"M": {"artist": {"S": "Blue Note"}}},
                                                         "tracks": {"L": [{"S": "Locomotion"}]}}


@pytest.mark.parametrize("expr", ["SET _stock = :n", "SET a = _f(:n)", "SET 9lives = :n"])
def test_a_bare_attribute_or_function_name_starts_with_a_letter(shop: Any, expr: str) -> None:
    e = error(lambda: update(shop, expr, {":n": {"N": "1"}}))
    assert "Syntax error" in str(e)


def test_a_placeholder_may_start_with_an_underscore_or_a_digit(shop: Any) -> None:
    update(shop, "SET #_s = :_1", {":_1": {"N": "7"}}, ExpressionAttributeNames={"#_s": "_stock"})
    assert get(shop)["_stock"] == {"N": "7"}  # type: ignore[index]


@pytest.mark.parametrize("names, values", [({"#": "stock"}, {":n": {"N": "1"}}), ({"#st-ock": "stock"}, {":n": {"N": "1"}}),
                                           ({"#s": "stock"}, {":n!": {"N": "1"}})])
def test_a_placeholder_key_must_be_one_token(shop: Any, names: dict[str, str], values: dict[str, Any]) -> None:
    e = error(lambda: update(shop, "SET #s = :n", values, ExpressionAttributeNames=names))
    assert "contains invalid key: Syntax error; key:" in str(e)


def test_function_arguments_in_set_take_no_arithmetic(shop: Any) -> None:
    vals = {":a": {"N": "1"}, ":b": {"N": "2"}}
    assert "Syntax error" in str(error(lambda: update(shop, "SET stock = if_not_exists(stock, :a + :b)", vals)))
    update(shop, "SET stock = if_not_exists(stock, :a) + :b", vals)
    assert get(shop)["stock"] == {"N": "3"}  # type: ignore[index]


def test_list_append_takes_if_not_exists_but_not_another_list_append(shop: Any) -> None:
    vals = {":none": {"L": []}, ":more": {"L": [{"S": "Lazy Bird"}]}}
    update(shop, "SET bonus = list_append(if_not_exists(bonus, :none), :more)", vals)
    assert get(shop)["bonus"] == {"L": [{"S": "Lazy Bird"}]}  # type: ignore[index]
    e = error(lambda: update(shop, "SET bonus = list_append(list_append(bonus, :more), :none)", vals))
    assert "The function is not allowed to be used this way in an expression; function: list_append" in str(e)


# -- REMOVE and SET on nested paths


def test_remove_through_a_scalar_or_a_missing_map_is_invalid_on_an_existing_item(shop: Any) -> None:
    for expr in ("REMOVE title.opener", "REMOVE medium[0]", "REMOVE notes.opener"):
        e = error(lambda x=expr: update(shop, x))
        assert "document path provided in the update expression is invalid" in str(e)
    update(shop, "REMOVE label.country, tracks[9], notes")  # leaves that are not there: nothing to do
    assert get(shop)["label"] == {"M": {"artist": {"S": "Blue Note"}, "released": {"N": "1957"}}}  # type: ignore[index]


def test_an_update_that_only_removes_creates_no_item(shop: Any) -> None:
    out = update(shop, "REMOVE notes, label.country", sku="LP-404", ReturnValues="ALL_NEW")
    assert "Attributes" not in out
    assert get(shop, "LP-404") is None
    update(shop, "DELETE moods :m", {":m": {"SS": ["calm"]}}, sku="LP-404")
    assert get(shop, "LP-404") is None
    update(shop, "SET moods = :m", {":m": {"SS": ["calm"]}}, sku="LP-404")
    assert get(shop, "LP-404") == {"sku": {"S": "LP-404"}, "moods": {"SS": ["calm"]}}


def test_elements_set_past_the_end_of_a_list_are_appended_in_element_number_order(shop: Any) -> None:
    update(shop, "SET tracks[30] = :c, tracks[10] = :a, tracks[20] = :b",
           {":a": {"S": "I'm Old Fashioned"}, ":b": {"S": "Lazy Bird"}, ":c": {"S": "bonus"}})
    names = [t["S"] for t in get(shop)["tracks"]["L"]]  # type: ignore[index]
    assert names[3:] == ["I'm Old Fashioned", "Lazy Bird", "bonus"]


def test_updated_old_and_updated_new_return_only_the_nested_paths_named(shop: Any) -> None:
    out = update(shop, "SET label.released = :y, tracks[0] = :t",
                 {":y": {"N": "1958"}, ":t": {"S": "Blue Train (take 9)"}}, ReturnValues="UPDATED_OLD")
    assert out["Attributes"] == {"label": {"M": {"released": {"N": "1957"}}}, "tracks": {"L": [{"S": "Blue Train"}]}}
    out = update(shop, "SET label.country = :c", {":c": {"S": "US"}}, ReturnValues="UPDATED_NEW")
    assert out["Attributes"] == {"label": {"M": {"country": {"S": "US"}}}}
    out = update(shop, "SET label.city = :c", {":c": {"S": "NYC"}}, ReturnValues="UPDATED_OLD")
    assert "Attributes" not in out  # nothing was there before


# -- numbers and names


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "twelve", " 12", "12 ", "1e", "."])
def test_number_text_that_is_not_a_number_is_refused(shop: Any, text: str) -> None:
    e = error(lambda: update(shop, "SET price = :p", {":p": {"N": text}}))
    assert code_of(e) == "ValidationException"
    assert f"cannot be converted to a numeric value: {text}" in str(e)


@pytest.mark.parametrize("text, stored", [("+12", "12"), (".5", "0.5"), ("5.", "5"), ("0012.50", "12.5"),
                                          ("1.5E+2", "150"), ("-0e9", "0")])
def test_number_text_is_stored_normalised(shop: Any, text: str, stored: str) -> None:
    update(shop, "SET price = :p", {":p": {"N": text}})
    assert get(shop)["price"] == {"N": stored}  # type: ignore[index]


def test_arithmetic_is_exact_to_38_digits_and_refuses_what_they_cannot_hold(shop: Any) -> None:
    big = {"N": "1" + "0" * 33}  # 34 digits: past what a binary float or a 28-digit decimal keeps
    update(shop, "SET serial = :big + :one", {":big": big, ":one": {"N": "1"}})
    assert get(shop)["serial"] == {"N": "1" + "0" * 32 + "1"}  # type: ignore[index]
    update(shop, "ADD serial :one", {":one": {"N": "1"}})
    assert get(shop)["serial"] == {"N": "1" + "0" * 32 + "2"}  # type: ignore[index]
    e = error(lambda: update(shop, "SET serial = :huge - :one", {":huge": {"N": "1e60"}, ":one": {"N": "1"}}))
    assert "Number overflow" in str(e)
    e = error(lambda: update(shop, "SET serial = :m + :m", {":m": {"N": "9e125"}}))
    assert "Number overflow" in str(e)


def test_an_item_operation_on_an_impossible_table_name_is_invalid_not_missing(ddb: Any) -> None:
    item = {"sku": {"S": "x"}}
    assert code_of(error(lambda: ddb.put_item(TableName="no such table!", Item=item))) == "ValidationException"
    assert code_of(error(lambda: ddb.get_item(TableName="ab", Key=item))) == "ValidationException"
    assert code_of(error(lambda: ddb.delete_item(TableName="not_created", Key=item))) == "ResourceNotFoundException"


# -- limits


def nested(levels: int) -> dict[str, Any]:
    """A document of ``levels`` maps, one inside the other, around a string."""
    v: dict[str, Any] = {"S": "liner notes"}
    for _ in range(levels):
        v = {"M": {"inner": v}}
    return v


def test_documents_nest_at_most_32_levels_deep(shop: Any) -> None:
    # the attribute itself is level 1: 31 maps hold a string at level 32
    shop.put_item(TableName="records", Item={"sku": {"S": "LP-9"}, "sleeve": nested(31)})
    e = error(lambda: shop.put_item(TableName="records", Item={"sku": {"S": "LP-9"}, "sleeve": nested(32)}))
    assert "Nesting Levels have exceeded supported limits" in str(e)
    # a value set inside a document counts from where it lands
    update(shop, "SET label.extra = :v", {":v": nested(30)})
    e = error(lambda: update(shop, "SET label.extra = :v", {":v": nested(31)}))
    assert "Nesting Levels have exceeded supported limits" in str(e)


def test_an_expression_is_at_most_4_kb(shop: Any) -> None:
    pad = " " * (4096 - len("SET stock = :n"))
    update(shop, "SET stock = :n" + pad, {":n": {"N": "1"}})
    e = error(lambda: update(shop, "SET stock = :n " + pad, {":n": {"N": "1"}}))
    assert "Expression size has exceeded the maximum allowed size; expression size: 4097" in str(e)


def test_a_write_through_cache_sees_no_item_after_an_update_that_created_none() -> None:
    cached = dt.client(dt.default_cluster(seed=5), accelerator=True)
    cached.create_table(**keys_table("records", ("sku", "S")))
    update(cached, "REMOVE notes", sku="LP-0")
    assert "Item" not in cached.get_item(TableName="records", Key={"sku": {"S": "LP-0"}})
    update(cached, "SET notes = :n", {":n": {"S": "mono"}}, sku="LP-0")
    assert cached.get_item(TableName="records", Key={"sku": {"S": "LP-0"}})["Item"]["notes"] == {"S": "mono"}
