"""The expression parser: grammar, placeholders, and DynamoDB's error messages."""

from __future__ import annotations

import pytest

from dynviz.table.errors import ValidationException
from dynviz.table.expressions import (
    Placeholders,
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
