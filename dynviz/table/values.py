"""DynamoDB attribute values in boto3's low-level shape, and what the table layer needs
of them: validation with DynamoDB's messages, number normalisation, item sizes, key
values that sort the way DynamoDB sorts, and equality.

A value is a one-entry dict: ``{"S": str}``, ``{"N": str}``, ``{"B": bytes}``,
``{"BOOL": bool}``, ``{"NULL": True}``, ``{"L": [value, ...]}``, ``{"M": {name: value}}``,
``{"SS": [str]}``, ``{"NS": [str]}``, ``{"BS": [bytes]}``. Numbers are kept as
normalised strings and compared as ``Decimal`` (38 significant digits), never as
``float`` (spec §1).
"""

from __future__ import annotations

import base64
import binascii
import re
from decimal import Context, Decimal
from typing import Any

from dynviz.table.errors import ValidationException

MAX_ITEM_BYTES = 400 * 1024
"""The item size limit: 400 KB, names plus values (spec §1)."""
MAX_PK_BYTES = 2048
MAX_SK_BYTES = 1024

SCALAR_KEY_TYPES = ("S", "N", "B")
TYPES = ("S", "N", "B", "BOOL", "NULL", "L", "M", "SS", "NS", "BS")
_SET_NAMES = {"SS": "string", "NS": "number", "BS": "binary"}
_DECIMAL = Context(prec=38)
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)
"""The text of a number: digits with an optional point, sign and exponent."""

Item = dict[str, dict[str, Any]]


def _bad(message: str) -> ValidationException:
    return ValidationException(message)


def to_decimal(text: str) -> Decimal:
    """Parse a DynamoDB number string, enforcing its range and precision."""
    if not isinstance(text, str):
        raise _bad(f"Invalid type for parameter N, value: {text!r}, type: {type(text)}, valid types: <class 'str'>")
    # Decimal() would forgive surrounding spaces, "NaN" and "Infinity"; DynamoDB takes none
    if not _NUMBER.fullmatch(text):
        raise _bad(f"The parameter cannot be converted to a numeric value: {text}")
    d = Decimal(text)
    if d == 0:
        return Decimal(0)
    # Not normalize(): it rounds to the context's precision (28 by default), so a
    # 39-digit number would be counted as 28 digits and slip through.
    digits = bytes(d.as_tuple().digits).rstrip(b"\x00").lstrip(b"\x00")
    if len(digits) > 38:
        raise _bad("Attempting to store more than 38 significant digits in a Number")
    exp = d.adjusted()
    if exp > 125:
        raise _bad("Number overflow. Attempting to store a number with magnitude larger than supported range")
    if exp < -130:
        raise _bad("Number underflow. Attempting to store a number with magnitude smaller than supported range")
    return d


_EXACT = Context(prec=400)
"""Wide enough for the exact sum of any two numbers DynamoDB can hold (exponents from
-130 to 125, 38 digits each)."""


def add_numbers(a: str, b: str, subtract: bool = False) -> str:
    """``a + b`` (or ``a - b``) of two number texts, exactly, as DynamoDB's SET + and -
    and ADD compute it: a result that its 38 digits cannot hold is refused, never
    rounded."""
    x, y = to_decimal(a), to_decimal(b)
    r = _EXACT.subtract(x, y) if subtract else _EXACT.add(x, y)
    if r != 0 and len(bytes(r.as_tuple().digits).strip(b"\x00")) > 38:
        raise _bad("Number overflow. Attempting to store a number with magnitude larger than supported range")
    return number_text(to_decimal(str(r)))


def number_text(d: Decimal) -> str:
    """DynamoDB's canonical text of a number: no exponent, no trailing zeros."""
    if d == 0:
        return "0"
    n = d.normalize(_DECIMAL)
    return format(n, "f")


def _b(value: Any, where: str) -> bytes:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):  # boto3 base64-encodes str; we take its UTF-8 bytes
        return value.encode("utf-8")
    raise _bad(f"Invalid type for parameter {where}, value: {value!r}, type: {type(value)}, "
               "valid types: <class 'bytes'>, <class 'bytearray'>, file-like object")


MAX_DEPTH = 32
"""How deep documents nest: an attribute is level 1, each list or map adds one (the
Developer Guide's "Nested attribute depth")."""
TOO_DEEP = "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit"


def too_deep(av: dict[str, Any], depth: int = 1) -> bool:
    """Whether a value (at level ``depth``) holds something deeper than DynamoDB allows."""
    if depth > MAX_DEPTH:
        return True
    (t, v), = av.items()
    if t == "L":
        return any(too_deep(x, depth + 1) for x in v)
    if t == "M":
        return any(too_deep(x, depth + 1) for x in v.values())
    return False


def check_value(av: Any, where: str = "value", key: bool = False, depth: int = 1) -> dict[str, Any]:
    """Validate one attribute value (at level ``depth`` of its document) and return its
    normalised copy."""
    if depth > MAX_DEPTH:
        raise _bad(TOO_DEEP)
    if not isinstance(av, dict):
        raise _bad(f"Invalid type for parameter {where}, value: {av!r}, type: {type(av)}, valid types: <class 'dict'>")
    if len(av) != 1:
        if not av:
            raise _bad("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
        raise _bad("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
    (t, v), = av.items()
    if t == "S":
        if not isinstance(v, str):
            raise _bad(f"Invalid type for parameter {where}.S, value: {v!r}, type: {type(v)}, valid types: <class 'str'>")
        return {"S": v}
    if t == "N":
        return {"N": number_text(to_decimal(v))}
    if t == "B":
        return {"B": _b(v, f"{where}.B")}
    if t == "BOOL":
        if not isinstance(v, bool):
            raise _bad(f"Invalid type for parameter {where}.BOOL, value: {v!r}, type: {type(v)}, valid types: <class 'bool'>")
        return {"BOOL": v}
    if t == "NULL":
        if v is not True:
            raise _bad("One or more parameter values were invalid: Null attribute value types must have the value of true")
        return {"NULL": True}
    if t == "L":
        if not isinstance(v, (list, tuple)):
            raise _bad(f"Invalid type for parameter {where}.L, value: {v!r}, type: {type(v)}, valid types: <class 'list'>, <class 'tuple'>")
        return {"L": [check_value(x, f"{where}.L[{i}]", depth=depth + 1) for i, x in enumerate(v)]}
    if t == "M":
        if not isinstance(v, dict):
            raise _bad(f"Invalid type for parameter {where}.M, value: {v!r}, type: {type(v)}, valid types: <class 'dict'>")
        return {"M": {_name(k, where): check_value(x, f"{where}.M.{k}", depth=depth + 1) for k, x in v.items()}}
    if t in _SET_NAMES:
        if not isinstance(v, (list, tuple, set, frozenset)):
            raise _bad(f"Invalid type for parameter {where}.{t}, value: {v!r}, type: {type(v)}, valid types: <class 'list'>, <class 'tuple'>")
        if not v:
            raise _bad(f"One or more parameter values were invalid: An {_SET_NAMES[t]} set  may not be empty")
        if t == "SS":
            for x in v:
                if not isinstance(x, str):
                    raise _bad(f"Invalid type for parameter {where}.SS, value: {x!r}, type: {type(x)}, valid types: <class 'str'>")
            out: list[Any] = list(v)
            seen: set[Any] = set(out)
        elif t == "NS":
            decimals = [to_decimal(x) for x in v]
            out = [number_text(d) for d in decimals]
            seen = set(decimals)
        else:
            out = [_b(x, f"{where}.BS") for x in v]
            seen = set(out)
        if len(seen) != len(out):
            shown = ", ".join(str(x) for x in v)
            raise _bad(f"One or more parameter values were invalid: Input collection [{shown}] contains duplicates.")
        return {t: out}
    raise _bad(f"Unknown parameter in {where}: \"{t}\", must be one of: {', '.join(TYPES)}")


MAX_NAME_BYTES = 65535
"""The longest attribute name: "less than 64 KB" (Developer Guide, "Attributes"),
counted in UTF-8 bytes. Key attributes have a lower limit (schema.py)."""


def check_name_size(name: str) -> None:
    """Refuse an attribute name of 64 KB or more, wherever a request names one."""
    size = len(name.encode("utf-8"))
    if size > MAX_NAME_BYTES:
        raise _bad(f"One or more parameter values were invalid: An attribute name is {size} bytes, "
                   f"more than the limit of {MAX_NAME_BYTES} bytes")


def _name(name: Any, where: str) -> str:
    if not isinstance(name, str):
        raise _bad(f"Invalid type for parameter {where} key, value: {name!r}, type: {type(name)}, valid types: <class 'str'>")
    check_name_size(name)
    return name


def check_item(item: Any, where: str = "Item") -> Item:
    """Validate an item (``{name: value}``) and return a normalised copy."""
    if not isinstance(item, dict):
        raise _bad(f"Invalid type for parameter {where}, value: {item!r}, type: {type(item)}, valid types: <class 'dict'>")
    out: Item = {}
    for name, av in item.items():
        _name(name, where)
        if not name:
            raise _bad("One or more parameter values were invalid: An AttributeValue may not contain an empty attribute name")
        out[name] = check_value(av, f"{where}.{name}")
    return out


# ----------------------------------------------------------------------------- sizes


def value_size(av: dict[str, Any]) -> int:
    """The bytes a value counts for (spec §1, after dynalite's ``valSize``)."""
    (t, v), = av.items()
    if t == "S":
        return len(v.encode("utf-8"))
    if t == "B":
        return len(v)
    if t == "N":
        return _num_size(v)
    if t in ("BOOL", "NULL"):
        return 1
    if t == "SS":
        return sum(len(x.encode("utf-8")) for x in v)
    if t == "NS":
        return sum(_num_size(x) for x in v)
    if t == "BS":
        return sum(len(x) for x in v)
    if t == "L":
        return 3 + sum(value_size(x) + 1 for x in v)
    # M
    return 3 + sum(len(k.encode("utf-8")) + value_size(x) + 1 for k, x in v.items())


def _num_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").strip("0") or "0"
    return (len(digits) + 1) // 2 + 1


def item_size(item: Item) -> int:
    """Attribute names plus values, in bytes (what the 400 KB limit and capacity count)."""
    total = 0
    for name, av in item.items():
        total += len(name.encode("utf-8")) + value_size(av)
    return total


# -------------------------------------------------------------------- keys and order


def key_native(av: dict[str, Any]) -> Any:
    """The Python value a key attribute sorts by: str (code points = UTF-8 order),
    Decimal (numeric), bytes (unsigned)."""
    (t, v), = av.items()
    if t == "N":
        return Decimal(v)
    return v


def native_to_av(t: str, v: Any) -> dict[str, Any]:
    if t == "N":
        return {"N": number_text(v)}
    return {t: v}


def type_of(av: dict[str, Any]) -> str:
    return next(iter(av))


def copy_value(av: dict[str, Any]) -> dict[str, Any]:
    (t, v), = av.items()
    if t == "L":
        return {"L": [copy_value(x) for x in v]}
    if t == "M":
        return {"M": {k: copy_value(x) for k, x in v.items()}}
    if t in ("SS", "NS", "BS"):
        return {t: list(v)}
    return {t: v}


def copy_item(item: Item) -> Item:
    return {k: copy_value(v) for k, v in item.items()}


def equal(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    """DynamoDB equality: same type and value; sets compare as sets, numbers exactly."""
    if a is None or b is None:
        return False
    (ta, va), = a.items()
    (tb, vb), = b.items()
    if ta != tb:
        return False
    if ta == "N":
        return Decimal(va) == Decimal(vb)
    if ta == "NS":
        return {Decimal(x) for x in va} == {Decimal(x) for x in vb}
    if ta in ("SS", "BS"):
        return set(va) == set(vb)
    if ta == "L":
        return len(va) == len(vb) and all(equal(x, y) for x, y in zip(va, vb, strict=True))
    if ta == "M":
        return va.keys() == vb.keys() and all(equal(va[k], vb[k]) for k in va)
    return bool(va == vb)


def items_equal(a: Item | None, b: Item | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)


def order(a: dict[str, Any] | None, b: dict[str, Any] | None) -> int | None:
    """-1/0/1 for two values of one orderable type (N, S, B); None when not comparable
    (a comparison between them is then simply false, as in DynamoDB)."""
    if a is None or b is None:
        return None
    (ta, va), = a.items()
    (tb, vb), = b.items()
    if ta != tb or ta not in SCALAR_KEY_TYPES:
        return None
    if ta == "N":
        va, vb = Decimal(va), Decimal(vb)
    return int(va > vb) - int(va < vb)


def show(av: dict[str, Any] | None) -> str:
    """A value as DynamoDB prints it in messages: ``{S:x}``-like, compact."""
    if av is None:
        return "null"
    (t, v), = av.items()
    if t == "B":
        return "{B:" + base64.b64encode(v).decode() + "}"
    return "{" + t + ":" + str(v) + "}"


def from_wire(av: Any) -> Any:
    """A value in DynamoDB's JSON wire shape (binary as base64 text) in the shape the
    client takes (binary as bytes); anything else is returned as it is, for
    :func:`check_value` to judge."""
    if isinstance(av, dict) and len(av) == 1:
        (kind, v), = av.items()
        if kind == "B" and isinstance(v, str):
            return {"B": base64.b64decode(v)}
        if kind == "BS" and isinstance(v, list):
            return {"BS": [base64.b64decode(x) if isinstance(x, str) else x for x in v]}
        if kind == "L" and isinstance(v, list):
            return {"L": [from_wire(x) for x in v]}
        if kind == "M" and isinstance(v, dict):
            return {"M": {k: from_wire(x) for k, x in v.items()}}
    return av


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError):
        raise _bad("Invalid Base64 value") from None
