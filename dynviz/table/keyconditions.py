"""A Query's KeyConditionExpression: what it may say, and the run of keys it selects.

A key condition is an equality on the partition key and at most one condition on the
sort key, ``AND``-ed (spec §2): ``=``, ``<``, ``<=``, ``>``, ``>=``, ``BETWEEN`` or
``begins_with``. :func:`key_condition` checks a parsed condition and splits it into
the partition key's value and the sort-key condition, a :data:`SortCondition`
(``("<", value)``, ``("BETWEEN", low, high)``, ``("begins_with", prefix)``).

The sort-key condition then becomes a range of the partition: as a range of sort-key
bytes for a read on the ring (:func:`byte_bounds`), or as positions in a sorted LSI
view (:func:`bounds`). Pure functions: no I/O, no state.
"""

from __future__ import annotations

import bisect
from typing import Any

from dynviz.table.errors import ValidationException
from dynviz.table.expressions import And, Between, Compare, Func, In, Not, Or, Path, Value
from dynviz.table.keys import after_prefix, escape, sort_key_bytes
from dynviz.table.schema import KeyDef
from dynviz.table.values import key_native, type_of

SortCondition = tuple[Any, ...]
"""``(operator, value[, high])``: a sort-key condition, its values as AttributeValues."""

_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "<>": "<>"}


def _bad(message: str) -> ValidationException:
    return ValidationException(message)


def _not_a_key_comparison() -> ValidationException:
    return _bad("Invalid KeyConditionExpression: The key condition must compare a key attribute with a value")


def _conjuncts(node: Any) -> list[Any]:
    """The terms ``AND``-ed together; OR, NOT and IN are refused."""
    out: list[Any] = []

    def flatten(n: Any) -> None:
        if isinstance(n, And):
            flatten(n.left)
            flatten(n.right)
        elif isinstance(n, Or):
            raise _bad("Invalid operator used in KeyConditionExpression: OR")
        elif isinstance(n, Not):
            raise _bad("Invalid operator used in KeyConditionExpression: NOT")
        elif isinstance(n, In):
            raise _bad("Invalid operator used in KeyConditionExpression: IN")
        else:
            out.append(n)

    flatten(node)
    return out


def _term(c: Any) -> tuple[Path, SortCondition]:
    """One term as (the key attribute's path, its condition)."""
    if isinstance(c, Compare):
        path, value, op = c.left, c.right, c.op
        if isinstance(path, Value) and isinstance(value, Path):
            path, value, op = value, path, _FLIP[op]
        if op == "<>":
            raise _bad("Invalid operator used in KeyConditionExpression: <>")
        if not isinstance(path, Path) or not isinstance(value, Value):
            raise _not_a_key_comparison()
        return path, (op, value.value)
    if isinstance(c, Between):
        if not isinstance(c.operand, Path) or not isinstance(c.low, Value) or not isinstance(c.high, Value):
            raise _not_a_key_comparison()
        return c.operand, ("BETWEEN", c.low.value, c.high.value)
    if isinstance(c, Func):
        if c.name != "begins_with":
            raise _bad(f"Invalid operator used in KeyConditionExpression: {c.name}")
        path, value = c.args
        if not isinstance(path, Path) or not isinstance(value, Value):
            raise _not_a_key_comparison()
        return path, ("begins_with", value.value)
    raise _bad("Query key condition not supported")


def key_condition(node: Any, pk: KeyDef, sk: KeyDef | None) -> tuple[dict[str, Any], SortCondition | None]:
    """(the partition key's value, the sort-key condition or None) of a parsed key
    condition on a table or index whose keys are ``pk`` and ``sk``."""
    pk_val: dict[str, Any] | None = None
    sk_cond: SortCondition | None = None
    for c in _conjuncts(node):
        path, cond = _term(c)
        if len(path.parts) != 1:
            raise _bad("Key condition expressions cannot use nested attributes; use a top-level key attribute")
        name = path.parts[0]
        if name == pk.name:
            if cond[0] != "=":
                raise _bad("Query key condition not supported")
            if pk_val is not None:
                raise _bad("KeyConditionExpressions must only contain one condition per key")
            if type_of(cond[1]) != pk.type:
                raise _bad("One or more parameter values were invalid: Condition parameter type does not match schema type")
            pk_val = cond[1]
        elif sk is not None and name == sk.name:
            if sk_cond is not None:
                raise _bad("KeyConditionExpressions must only contain one condition per key")
            for v in cond[1:]:
                if type_of(v) != sk.type:
                    raise _bad("One or more parameter values were invalid: Condition parameter type does not match schema type")
            if cond[0] == "begins_with" and sk.type == "N":
                raise _bad("Invalid KeyConditionExpression: Incorrect operand type for operator or function; "
                           "operator or function: begins_with, operand type: N")
            sk_cond = cond
        else:
            raise _bad(f"Query condition missed key schema element: {pk.name}" if pk_val is None
                       else "Query key condition not supported")
    if pk_val is None:
        raise _bad(f"Query condition missed key schema element: {pk.name}")
    return pk_val, sk_cond


def bounds(firsts: list[Any], cond: SortCondition | None) -> tuple[int, int]:
    """The positions ``[lo, hi)`` of a sorted list of native sort-key values (an LSI
    view's first sort elements) that satisfy ``cond``."""
    n = len(firsts)
    if cond is None:
        return 0, n
    op = cond[0]
    v = key_native(cond[1])
    if op == "=":
        return bisect.bisect_left(firsts, v), bisect.bisect_right(firsts, v)
    if op == "<":
        return 0, bisect.bisect_left(firsts, v)
    if op == "<=":
        return 0, bisect.bisect_right(firsts, v)
    if op == ">":
        return bisect.bisect_right(firsts, v), n
    if op == ">=":
        return bisect.bisect_left(firsts, v), n
    if op == "BETWEEN":
        hi_v = key_native(cond[2])
        return bisect.bisect_left(firsts, v), bisect.bisect_right(firsts, hi_v)
    lo = bisect.bisect_left(firsts, v)
    hi = lo
    while hi < n and firsts[hi][:len(v)] == v:
        hi += 1
    return lo, hi


def in_bounds(first: Any, cond: SortCondition | None) -> bool:
    """Whether one native sort-key value satisfies ``cond`` (an ExclusiveStartKey must)."""
    if cond is None:
        return True
    op, v = cond[0], key_native(cond[1])
    if op == "=":
        return bool(first == v)
    if op == "<":
        return bool(first < v)
    if op == "<=":
        return bool(first <= v)
    if op == ">":
        return bool(first > v)
    if op == ">=":
        return bool(first >= v)
    if op == "BETWEEN":
        return bool(v <= first <= key_native(cond[2]))
    return bool(first[:len(v)] == v)


def byte_bounds(cond: SortCondition | None, tuples: bool = False) -> tuple[bytes, bytes | None]:
    """A sort-key condition as the range ``[start, end)`` of key suffixes (``end``
    None: to the partition's end).

    A table's suffix is the sort key's bytes ``v``: ``v + 0x00`` is the smallest
    suffix above ``v``, so it ends ``<= v`` and starts ``> v``. An index's suffix is
    a tuple (``keys.tuple_bytes``) whose first value is the index sort key: every
    entry whose first value is ``v`` lies in ``[e 00 00, e 00 01)``, ``e`` being
    ``v`` escaped."""
    if cond is None:
        return b"", None
    op = cond[0]
    if tuples:
        e = escape(sort_key_bytes(cond[1]))
        at, past = e + b"\x00\x00", e + b"\x00\x01"
    else:
        e = at = sort_key_bytes(cond[1])
        past = at + b"\x00"
    if op == "=":
        return at, past
    if op == "<":
        return b"", at
    if op == "<=":
        return b"", past
    if op == ">":
        return past, None
    if op == ">=":
        return at, None
    if op == "BETWEEN":
        hi = sort_key_bytes(cond[2])
        return at, (escape(hi) + b"\x00\x01") if tuples else hi + b"\x00"
    return e, after_prefix(e)  # begins_with


conjuncts = _conjuncts
"""The terms of a key condition (also for indexes.composite_condition)."""
key_term = _term
"""One term of a key condition as (path, condition) (also for indexes.composite_condition)."""
