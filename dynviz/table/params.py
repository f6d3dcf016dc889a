"""Request parameters: checking the shape of what a caller sent, before any of it is used.

A request is boto3's keyword arguments as a dict. botocore checks their types on the
client before sending; a DynamoDB emulator must do it itself, so that a malformed
request is a ``ValidationException`` a caller can act on and never an internal error.
The wording is botocore's (``Invalid type for parameter X, value: ..., type: ...,
valid types: ...``; ``Missing required parameter in input: "X"``), the parameter
named by its path in the request (``RequestItems.orders[0].PutRequest``).

The checks shared by several operations live here too: placeholders, ConsistentRead
and Limit. (The legacy parameters are translated into expressions by legacy.py.)
"""

from __future__ import annotations

from typing import Any

from dynviz.table.errors import ValidationException, invalid_type
from dynviz.table.expressions import Path, Placeholders, parse_projection

__all__ = ["a_list", "a_map", "a_str", "an_int", "consistent_read", "invalid_type", "limit", "placeholders",
           "projection", "required"]


def a_map(value: Any, param: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid_type(param, value, dict)
    return value


def a_list(value: Any, param: str) -> list[Any]:
    if not isinstance(value, (list, tuple)):
        raise invalid_type(param, value, list)
    return list(value)


def a_str(value: Any, param: str) -> str:
    if not isinstance(value, str):
        raise invalid_type(param, value, str)
    return value


def an_int(value: Any, param: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise invalid_type(param, value, int)
    return value


def required(params: dict[str, Any], name: str, where: str = "input") -> Any:
    """``params[name]``, which the request must carry (``where`` names the map)."""
    if name not in params:
        raise ValidationException(f'Missing required parameter in {where}: "{name}"')
    return params[name]


def placeholders(p: dict[str, Any], used_any: bool) -> Placeholders:
    """The request's ExpressionAttributeNames/Values, refused when it has no
    expression to use them in."""
    names, values = p.get("ExpressionAttributeNames"), p.get("ExpressionAttributeValues")
    if not used_any:
        if values is not None:
            raise ValidationException("ExpressionAttributeValues can only be specified when using expressions")
        if names is not None:
            raise ValidationException("ExpressionAttributeNames can only be specified when using expressions")
    return Placeholders(names, values)


def projection(p: dict[str, Any]) -> tuple[list[Path] | None, Placeholders]:
    """A GetItem's (or BatchGetItem table's) ProjectionExpression and its placeholders."""
    text = p.get("ProjectionExpression")
    ph = placeholders(p, text is not None)
    paths = parse_projection(text, ph) if text is not None else None
    return paths, ph


def consistent_read(p: dict[str, Any]) -> bool:
    c = p.get("ConsistentRead", False)
    if not isinstance(c, bool):
        raise invalid_type("ConsistentRead", c, bool)
    return c


def limit(p: dict[str, Any]) -> int | None:
    """A Query's or Scan's Limit: items to evaluate, at least 1 (None: no limit)."""
    n = p.get("Limit")
    if n is None:
        return None
    n = an_int(n, "Limit")
    if n < 1:
        raise ValidationException(f"1 validation error detected: Value '{n}' at 'limit' failed to satisfy constraint: "
                                  "Member must have value greater than or equal to 1")
    return n
