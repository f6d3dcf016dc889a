"""The checks DynamoDB makes of a condition's operands, wherever the condition comes
from: parsed from text (parser.py) or built as a tree (``ConditionTree``)."""

from __future__ import annotations

from typing import Any

from dynviz.table.expressions.nodes import Between, Compare, Func, Path, Value
from dynviz.table.expressions.tokens import invalid
from dynviz.table.values import order, show, type_of

TYPE_NAMES = ("S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M")


ORDERED = ("N", "S", "B")
"""The types that have an order: only they can be compared with < <= > >= BETWEEN."""


def _check_ordered(op: str, operands: tuple[object, ...], kind: str) -> None:
    """A value given in the request that an order comparison cannot use is the
    request's error (an item's attribute of such a type only makes the comparison false)."""
    for x in operands:
        if isinstance(x, Value) and type_of(x.value) not in ORDERED:
            raise invalid(kind, f"Incorrect operand type for operator or function; operator: {op}, "
                                f"operand type: {type_word(x)}")


def check_compare(node: Compare, kind: str) -> Compare:
    if node.op not in ("=", "<>"):
        _check_ordered(node.op, (node.left, node.right), kind)
    return node


def check_between(node: Between, kind: str) -> Between:
    """A BETWEEN whose bounds are values must have them of one type and in order."""
    _check_ordered("BETWEEN", (node.operand, node.low, node.high), kind)
    low, high = node.low, node.high
    if isinstance(low, Value) and isinstance(high, Value):
        o = order(low.value, high.value)
        if o is None and type_of(low.value) != type_of(high.value):
            raise invalid(kind, "The BETWEEN operator requires same data type for lower and upper bounds; "
                                 f"lower bound operand: AttributeValue: {show(low.value)}, upper bound operand: "
                                 f"AttributeValue: {show(high.value)}")
        if o is not None and o > 0:
            raise invalid(kind, "The BETWEEN operator requires upper bound to be greater than or equal to lower "
                                 f"bound; lower operand: AttributeValue: {show(low.value)}, upper operand: "
                                 f"AttributeValue: {show(high.value)}")
    return node


def check_func(f: Func, kind: str) -> Func:
    """A condition function's operands must be of the kinds it takes."""
    first = f.args[0]
    # attribute_type() also takes a value as its first operand, as DynamoDB does
    if not isinstance(first, Path) and f.name in ("attribute_exists", "attribute_not_exists"):
        raise invalid(kind, f"Operator or function requires a document path; operator or function: {f.name}")
    if f.name == "attribute_type":
        t = f.args[1]
        if not isinstance(t, Value) or type_of(t.value) != "S":
            raise invalid(kind, "Incorrect operand type for operator or function; operator or function: "
                                 f"attribute_type, operand type: {type_word(t)}")
        if t.value["S"] not in TYPE_NAMES:
            raise invalid(kind, f"Invalid attribute type name found; type: {t.value['S']}, valid types: "
                                 "{B,NULL,SS,BOOL,L,BS,N,NS,S,M}")
    if f.name == "contains" and isinstance(first, Path) and first == f.args[1]:
        raise invalid(kind, "The first operand must be distinct from the remaining operands for this operator or "
                            f"function; operator: contains, first operand: [{', '.join(map(str, first.parts))}]")
    if f.name == "begins_with":
        for a in f.args:
            if isinstance(a, Value) and type_of(a.value) not in ("S", "B"):
                raise invalid(kind, "Incorrect operand type for operator or function; operator or function: "
                                     f"begins_with, operand type: {type_word(a)}")
    return f


def type_word(node: Any) -> str:
    if isinstance(node, Value):
        return {"S": "STRING", "N": "NUMBER", "B": "BINARY", "BOOL": "BOOLEAN", "NULL": "NULL", "L": "LIST",
                "M": "MAP", "SS": "SET", "NS": "SET", "BS": "SET"}[type_of(node.value)]
    return "PATH"
