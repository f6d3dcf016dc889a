"""Items and keys written as JSON in ``table`` commands (``table put users {"id": 42}``).

Two shapes are accepted: DynamoDB's typed shape when every value is typed
(``{"id": {"N": "42"}}``, binary as base64 text) and plain JSON otherwise
(``{"id": 42}``: numbers N, strings S, true/false BOOL, null NULL, arrays L, objects M).
This module settles only what is JSON's: a number's exact text, NaN and Infinity, base64,
nesting depth. What an attribute value may hold is checked by the table layer's one
validator, :func:`dynviz.table.values.check_item`, so a command is refused for the same
reasons, in the same words, as the request it becomes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from dynviz.commands.ast import Attributes, TableValue
from dynviz.commands.errors import show
from dynviz.commands.lexer import NUMBER_WORD, JsonConstant, JsonNumber, Token
from dynviz.commands.words import Words
from dynviz.table.errors import ValidationException
from dynviz.table.values import TYPES, check_item, from_wire, unb64

MAX_JSON_DEPTH = 32
"""How deep a JSON value may nest (lists and maps)."""

_PARAMETER = {"an item": "Item", "the item's key": "Key", "the start key": "ExclusiveStartKey"}
"""The request parameter each kind of JSON becomes (named in the validator's messages)."""


def json_attributes(ctx: Words, token: Token, what: str) -> Attributes:
    """The attributes of a ``{JSON}`` word: ``what`` is "an item", "the item's key" or
    "the start key"."""
    data = token.data
    assert isinstance(data, dict)
    if not data:
        raise ctx.fail(token.column, f"expected {what} with at least one attribute, got {{}}")
    typed = all(_is_typed(v) for v in data.values())
    noun = what.split(" ", 1)[-1]
    out = []
    for name, value in data.items():
        try:
            av = _wire(value, name) if typed else _plain(value, name)
            check_item({str(name): from_wire(av)}, _PARAMETER[what])
        except ValueError as exc:
            raise ctx.fail(token.column, f"bad JSON for {noun}: {exc}") from None
        except ValidationException as exc:
            raise ctx.fail(token.column, f"bad JSON for {noun}: {exc.message}") from None
        text = json.dumps(av, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        out.append((str(name), TableValue(text, "json")))
    return tuple(out)


def _is_typed(value: object) -> bool:
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in TYPES


def _nested(where: str, depth: int) -> None:
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"{where}: nested more than {MAX_JSON_DEPTH} levels")


def _plain(value: object, where: str, depth: int = 0) -> dict[str, Any]:
    """Plain JSON (``{"id": 42}``) as a typed value in the wire shape."""
    _nested(where, depth)
    if isinstance(value, JsonConstant):
        raise ValueError(f"{where}: {value} is not a number DynamoDB accepts")
    if isinstance(value, JsonNumber):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bool):
        return {"BOOL": value}
    if value is None:
        return {"NULL": True}
    if isinstance(value, list):
        return {"L": [_plain(x, f"{where}[{i}]", depth + 1) for i, x in enumerate(value)]}
    assert isinstance(value, dict)
    return {"M": {str(k): _plain(x, f"{where}.{k}", depth + 1) for k, x in value.items()}}


def _wire(value: object, where: str, depth: int = 0) -> object:
    """A typed value (``{"N": "42"}``) in the wire shape: a number given for N or in NS as
    its exact text, base64 checked for B and BS, lists and maps followed; any other JSON
    number becomes a Python number, so the validator sees it is not a string."""
    _nested(where, depth)
    if not isinstance(value, dict) or len(value) != 1:
        return _python(value)
    (kind, payload), = value.items()
    if kind == "L" and isinstance(payload, list):
        return {"L": [_wire(x, f"{where}[{i}]", depth + 1) for i, x in enumerate(payload)]}
    if kind == "M" and isinstance(payload, dict):
        return {"M": {str(k): _wire(x, f"{where}.{k}", depth + 1) for k, x in payload.items()}}
    one: Callable[[object, str], object] = _PAYLOADS.get(kind, lambda x, _: _python(x))
    if kind in ("SS", "NS", "BS") and isinstance(payload, list):
        return {kind: [one(x, f"{where}[{i}]") for i, x in enumerate(payload)]}
    return {kind: one(payload, where)}


def _python(value: object) -> object:
    """A JSON number as Python's int or float (NaN and Infinity as floats)."""
    if isinstance(value, JsonConstant):
        return float(value)
    if isinstance(value, JsonNumber):
        return int(value) if re.fullmatch(r"-?[0-9]+", value) else float(value)
    return value


def _number(value: object, where: str) -> object:
    if not isinstance(value, str):
        return value
    if isinstance(value, JsonConstant) or not NUMBER_WORD.fullmatch(value.strip()):
        raise ValueError(f"{where}: {value!r} is not a number")
    return str(value)


def _base64(value: object, where: str) -> object:
    if not isinstance(value, str) or isinstance(value, (JsonNumber, JsonConstant)):
        return _python(value)
    try:
        unb64(value)
    except ValidationException:
        raise ValueError(f"{where}: {show(value)} is not base64") from None
    return str(value)


_PAYLOADS: dict[str, Callable[[object, str], object]] = {"N": _number, "NS": _number, "B": _base64, "BS": _base64}
