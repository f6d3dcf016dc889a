"""Evaluating a condition against an item (``{}`` for an item that does not exist)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from dynviz.table.expressions.nodes import (
    And,
    Between,
    Compare,
    Func,
    In,
    Not,
    Or,
    Path,
    Size,
    Value,
)
from dynviz.table.values import Item, equal, order, type_of


def resolve(item: Item, path: Path) -> dict[str, Any] | None:
    """The value at ``path`` in ``item``, or None when any step is missing."""
    parts = path.parts
    cur: Any = item.get(path.top)
    for p in parts[1:]:
        if cur is None:
            return None
        if isinstance(p, int):
            lst = cur.get("L")
            if lst is None or p >= len(lst):
                return None
            cur = lst[p]
        else:
            m = cur.get("M")
            if m is None:
                return None
            cur = m.get(p)
    found: dict[str, Any] | None = cur
    return found


def _size(av: dict[str, Any] | None) -> dict[str, Any] | None:
    if av is None:
        return None
    (t, v), = av.items()
    if t in ("N", "BOOL", "NULL"):
        return None
    if t == "S":
        return {"N": str(len(v))}
    return {"N": str(len(v))}


def operand_value(node: Any, item: Item) -> dict[str, Any] | None:
    if isinstance(node, Path):
        return resolve(item, node)
    if isinstance(node, Value):
        return node.value
    if isinstance(node, Size):
        return _size(resolve(item, node.path))
    raise TypeError(node)


def evaluate(node: Any, item: Item) -> bool:
    """Whether ``item`` (``{}`` for an absent item) satisfies the condition."""
    if isinstance(node, And):
        return evaluate(node.left, item) and evaluate(node.right, item)
    if isinstance(node, Or):
        return evaluate(node.left, item) or evaluate(node.right, item)
    if isinstance(node, Not):
        return not evaluate(node.operand, item)
    if isinstance(node, Compare):
        a = operand_value(node.left, item)
        b = operand_value(node.right, item)
        op = node.op
        if op == "=":
            return equal(a, b)
        if op == "<>":
            # a missing operand is unequal to anything, even to another missing one
            return not equal(a, b)
        o = order(a, b)
        if o is None:
            return False
        return (o < 0) if op == "<" else (o <= 0) if op == "<=" else (o > 0) if op == ">" else (o >= 0)
    if isinstance(node, Between):
        x = operand_value(node.operand, item)
        lo = order(x, operand_value(node.low, item))
        hi = order(x, operand_value(node.high, item))
        return lo is not None and hi is not None and lo >= 0 and hi <= 0
    if isinstance(node, In):
        x = operand_value(node.operand, item)
        return any(equal(x, operand_value(o, item)) for o in node.options)
    if isinstance(node, Func):
        return _function(node, item)
    raise TypeError(node)


def _function(f: Func, item: Item) -> bool:
    name = f.name
    if name == "attribute_exists":
        return resolve(item, f.args[0]) is not None
    if name == "attribute_not_exists":
        return resolve(item, f.args[0]) is None
    if name == "attribute_type":
        v = operand_value(f.args[0], item)
        return v is not None and type_of(v) == f.args[1].value["S"]
    a = operand_value(f.args[0], item)
    b = operand_value(f.args[1], item)
    if a is None or b is None:
        return False
    ta, tb = type_of(a), type_of(b)
    if name == "begins_with":
        return ta == tb and ta in ("S", "B") and a[ta].startswith(b[tb])
    # contains
    if ta == "S" and tb == "S":
        return b["S"] in a["S"]
    if ta == "B" and tb == "B":
        return b["B"] in a["B"]
    if ta in ("SS", "NS", "BS"):
        if tb != ta[0]:
            return False
        if ta == "NS":
            return Decimal(b["N"]) in {Decimal(x) for x in a["NS"]}
        return b[tb] in a[ta]
    if ta == "L":
        return any(equal(x, b) for x in a["L"])
    return False
