"""keyconditions.py: what a KeyConditionExpression may say, and the run of keys it
selects, as plain asserts on the pure functions."""

from __future__ import annotations

from typing import Any

import pytest

from dynviz.table.errors import ValidationException
from dynviz.table.expressions import Placeholders, parse_condition
from dynviz.table.keyconditions import bounds, byte_bounds, in_bounds, key_condition
from dynviz.table.keys import sort_key_bytes
from dynviz.table.schema import KeyDef
from dynviz.table.values import key_native

PK, SK = KeyDef("pk", "S"), KeyDef("sk", "N")
VALUES = {":p": {"S": "a"}, ":x": {"N": "2"}, ":y": {"N": "5"}, ":s": {"S": "b"}}


def split(text: str, sk: KeyDef | None = SK) -> tuple[dict[str, Any], tuple[Any, ...] | None]:
    ph = Placeholders(None, VALUES)
    return key_condition(parse_condition(text, "KeyConditionExpression", ph), PK, sk)


def test_the_partition_key_and_one_sort_key_condition() -> None:
    assert split("pk = :p") == ({"S": "a"}, None)
    assert split("pk = :p AND sk < :x") == ({"S": "a"}, ("<", {"N": "2"}))
    assert split(":x >= sk AND pk = :p") == ({"S": "a"}, ("<=", {"N": "2"}))  # a value on the left is flipped
    assert split("pk = :p AND sk BETWEEN :x AND :y") == ({"S": "a"}, ("BETWEEN", {"N": "2"}, {"N": "5"}))


@pytest.mark.parametrize(("text", "message"), [
    ("pk = :p OR sk = :x", "Invalid operator used in KeyConditionExpression: OR"),
    ("NOT pk = :p", "Invalid operator used in KeyConditionExpression: NOT"),
    ("pk IN (:p)", "Invalid operator used in KeyConditionExpression: IN"),
    ("pk = :p AND sk <> :x", "Invalid operator used in KeyConditionExpression: <>"),
    ("pk = :p AND contains(sk, :x)", "Invalid operator used in KeyConditionExpression: contains"),
    ("pk = :p AND begins_with(sk, :s)", "One or more parameter values were invalid: Condition parameter type"),
    ("pk > :p", "Query key condition not supported"),
    ("pk = :p AND pk = :p", "KeyConditionExpressions must only contain one condition per key"),
    ("sk = :x", "Query condition missed key schema element: pk"),
    ("pk = :p AND colour = :x", "Query key condition not supported"),
    ("pk = :x", "Condition parameter type does not match schema type"),
])
def test_what_a_key_condition_may_not_say(text: str, message: str) -> None:
    with pytest.raises(ValidationException) as info:
        split(text)
    assert message in info.value.message


def test_begins_with_is_refused_on_a_number_sort_key() -> None:
    with pytest.raises(ValidationException) as info:
        split("pk = :p AND begins_with(sk, :x)")
    assert "operator or function: begins_with, operand type: N" in info.value.message


FIRSTS = [key_native({"N": n}) for n in ("1", "2", "2", "3", "5", "8")]


@pytest.mark.parametrize(("cond", "run"), [
    (None, (0, 6)),
    (("=", {"N": "2"}), (1, 3)),
    (("<", {"N": "2"}), (0, 1)),
    (("<=", {"N": "2"}), (0, 3)),
    ((">", {"N": "2"}), (3, 6)),
    ((">=", {"N": "3"}), (3, 6)),
    (("BETWEEN", {"N": "2"}, {"N": "5"}), (1, 5)),
])
def test_bounds_are_the_positions_the_condition_selects(cond: tuple[Any, ...] | None, run: tuple[int, int]) -> None:
    assert bounds(FIRSTS, cond) == run
    lo, hi = run
    assert [in_bounds(f, cond) for f in FIRSTS] == [lo <= i < hi for i in range(len(FIRSTS))]


def test_begins_with_bounds_a_string_prefix() -> None:
    firsts = [key_native({"S": s}) for s in ("a", "ba", "bb", "c")]
    assert bounds(firsts, ("begins_with", {"S": "b"})) == (1, 3)
    assert [in_bounds(f, ("begins_with", {"S": "b"})) for f in firsts] == [False, True, True, False]


def test_byte_bounds_select_the_same_run_of_stored_keys() -> None:
    stored = sorted(sort_key_bytes({"N": n}) for n in ("1", "2", "3", "5", "8"))
    for cond in [("=", {"N": "2"}), ("<", {"N": "3"}), ("<=", {"N": "3"}), (">", {"N": "3"}), (">=", {"N": "3"}),
                 ("BETWEEN", {"N": "2"}, {"N": "5"})]:
        lo, hi = byte_bounds(cond)
        chosen = [k for k in stored if lo <= k and (hi is None or k < hi)]
        expected = [k for k, n in zip(stored, ("1", "2", "3", "5", "8"), strict=True)
                    if in_bounds(key_native({"N": n}), cond)]
        assert chosen == expected, cond
    assert byte_bounds(None) == (b"", None)
