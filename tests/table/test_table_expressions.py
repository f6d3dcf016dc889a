"""The expression parser: grammar, placeholders, and DynamoDB's error messages."""

from __future__ import annotations

from typing import Any

import pytest

from dynviz.table.errors import ValidationException
from dynviz.table.expressions import (
    And,
    Between,
    Compare,
    ConditionTree,
    Func,
    Path,
    Placeholders,
    Value,
    apply_update,
    evaluate,
    parse_condition,
    parse_projection,
    parse_update,
    project,
)

ITEM = {"a": {"N": "5"}, "s": {"S": "hello"}, "tags": {"SS": ["x", "y"]}, "m": {"M": {"l": {"L": [{"N": "1"}, {"S": "two"}]}}}}
VALUES = {":five": {"N": "5"}, ":one": {"N": "1"}, ":ten": {"N": "10"}, ":he": {"S": "he"}, ":x": {"S": "x"},
          ":two": {"S": "two"}, ":S": {"S": "S"}, ":xs": {"SS": ["z"]}}


def cond(text: str) -> bool:
    ph = Placeholders({"#a": "a"}, VALUES)
    return evaluate(parse_condition(text, "ConditionExpression", ph), ITEM)


@pytest.mark.parametrize("text, expected", [
    ("a = :five", True), ("#a <> :five", False), ("a BETWEEN :one AND :ten", True), ("a IN (:one, :ten)", False),
    ("begins_with(s, :he)", True), ("contains(tags, :x)", True), ("contains(m.l, :two)", True),
    ("size(s) = :five", True), ("attribute_type(s, :S)", True), ("attribute_exists(m.l[1])", True),
    ("attribute_not_exists(m.l[2])", True), ("NOT a = :one AND (a > :one OR a < :one)", True),
    ("a < :he", False),  # different types never compare
    ("not a = :five or a = :five", True),  # keywords are case-insensitive
])
def test_conditions(text: str, expected: bool) -> None:
    assert cond(text) is expected


@pytest.mark.parametrize("text, message", [
    ("a = ", 'Syntax error; token: "<EOF>", near: "= "'),
    ("a == :five", 'Syntax error; token: "=", near: "=="'),
    ("a = :five $", 'Syntax error; token: "$", near: ":five $"'),
    ("a = :nope", "An expression attribute value used in expression is not defined; attribute value: :nope"),
    ("#b = :five", "An expression attribute name used in the document path is not defined; attribute name: #b"),
    ("status = :five", "Attribute name is a reserved keyword; reserved keyword: status"),
    ("Begins_With(s, :he)", "Invalid function name; function: Begins_With"),
    ("size(s)", "The function is not allowed to be used this way in an expression; function: size"),
    ("a BETWEEN :ten AND :one", "The BETWEEN operator requires upper bound to be greater than or equal to lower bound"),
    ("attribute_exists(s, :he)", "Incorrect number of operands for operator or function; operator or function: attribute_exists"),
    ("", "The expression can not be empty;"),
])
def test_condition_errors(text: str, message: str) -> None:
    with pytest.raises(ValidationException) as e:
        cond(text)
    assert message in str(e.value)
    assert "Invalid ConditionExpression" in str(e.value) or "empty" in str(e.value)


def test_unused_placeholders() -> None:
    ph = Placeholders({"#a": "a", "#z": "z"}, {":v": {"N": "1"}})
    parse_condition("#a = :v", "ConditionExpression", ph)
    with pytest.raises(ValidationException, match=r"ExpressionAttributeNames unused in expressions: keys: \{#z\}"):
        ph.check_unused()


def test_update_grammar_and_overlaps() -> None:
    ph = Placeholders(None, VALUES)
    actions = parse_update("SET a = a + :one, s = if_not_exists(q, :he) REMOVE m.l[0] ADD tags :xs", ph)
    new = apply_update(actions, ITEM)
    assert new["a"] == {"N": "6"} and new["s"] == {"S": "he"} and new["m"]["M"]["l"]["L"] == [{"S": "two"}]
    assert ITEM["a"] == {"N": "5"}  # the original is untouched
    with pytest.raises(ValidationException, match="Two document paths overlap"):
        parse_update("SET m.l = :one REMOVE m", Placeholders(None, VALUES))
    with pytest.raises(ValidationException, match='The "SET" section can only be used once'):
        parse_update("SET a = :one SET s = :he", Placeholders(None, VALUES))
    with pytest.raises(ValidationException, match="operator: ADD, operand type: STRING"):
        parse_update("ADD a :he", Placeholders(None, VALUES))


def test_projection_of_nested_paths() -> None:
    paths = parse_projection("m.l[1], s", Placeholders(None, None))
    assert project(ITEM, paths) == {"m": {"M": {"l": {"L": [{"S": "two"}]}}}, "s": {"S": "hello"}}


# -- conditions built as trees (the command language's table terms) --------------------


def tree(node: object) -> object:
    return parse_condition(ConditionTree(node), "KeyConditionExpression", Placeholders(None, VALUES))


def test_a_built_tree_is_taken_as_its_parse_with_placeholders_resolved() -> None:
    built = And(Compare("=", Path(("a",)), Value(":five", {})), Func("begins_with", (Path(("s",)), Value(":he", {}))))
    text = ConditionTree(built)
    assert text == "(a = :five) AND (begins_with(s, :he))"  # for people and cache keys, never parsed
    ph = Placeholders(None, VALUES)
    node = parse_condition(text, "FilterExpression", ph)
    assert node == parse_condition("a = :five AND begins_with(s, :he)", "FilterExpression", Placeholders(None, VALUES))
    assert node.left.right == Value(":five", {"N": "5"}) and evaluate(node, ITEM)
    assert ph.used_values == {":five", ":he"}


@pytest.mark.parametrize("node, message", [
    (Compare("=", Path(("a",)), Value(":nope", {})), "attribute value: :nope"),
    (Between(Path(("a",)), Value(":ten", {}), Value(":one", {})), "upper bound to be greater than or equal"),
    (Between(Path(("a",)), Value(":one", {}), Value(":he", {})), "same data type for lower and upper bounds"),
    (Func("begins_with", (Path(("a",)), Value(":five", {}))), "operator or function: begins_with, operand type: NUMBER"),
])
def test_a_built_tree_is_checked_as_the_parser_checks_text(node: object, message: str) -> None:
    with pytest.raises(ValidationException) as info:
        tree(node)
    assert info.value.message.startswith("Invalid KeyConditionExpression: ") and message in info.value.message


def test_a_query_given_a_tree_answers_as_the_same_query_as_text(ddb: object) -> None:
    client: Any = ddb
    client.create_table(TableName="orders", KeySchema=[{"AttributeName": "c", "KeyType": "HASH"},
                                                      {"AttributeName": "t", "KeyType": "RANGE"}],
                        AttributeDefinitions=[{"AttributeName": "c", "AttributeType": "S"},
                                              {"AttributeName": "t", "AttributeType": "N"}],
                        BillingMode="PAY_PER_REQUEST")
    for t in range(6):
        client.put_item(TableName="orders", Item={"c": {"S": "ada"}, "t": {"N": str(t)}, "n": {"N": str(t % 3)}})
    values = {":c": {"S": "ada"}, ":lo": {"N": "1"}, ":hi": {"N": "4"}, ":z": {"N": "0"}}
    key = And(Compare("=", Path(("c",)), Value(":c", {})), Between(Path(("t",)), Value(":lo", {}), Value(":hi", {})))
    built = client.query(TableName="orders", KeyConditionExpression=ConditionTree(key),
                         FilterExpression=ConditionTree(Compare("<>", Path(("n",)), Value(":z", {}))),
                         ExpressionAttributeValues=values)
    text = client.query(TableName="orders", KeyConditionExpression="c = :c AND t BETWEEN :lo AND :hi",
                        FilterExpression="n <> :z", ExpressionAttributeValues=values)
    assert built["Items"] == text["Items"] and (built["Count"], built["ScannedCount"]) == (3, 4)


def test_a_tree_pickles_as_its_tree() -> None:
    import pickle

    built = ConditionTree(Compare("<", Path(("a",)), Value(":ten", {})))
    copy = pickle.loads(pickle.dumps(built))
    assert copy == built and copy.node == built.node
