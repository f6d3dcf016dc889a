"""Sort-key values as bytes that sort the way DynamoDB sorts them.

Each item of a table is its own object on the ring, and the object's key ends with
the item's sort-key value. A storage node keeps its keys in bytewise order, so if the
bytes of the sort-key values order exactly as DynamoDB orders the values, the node
keeps each partition's items in sort-key order and a Query is a range read. The
encodings below have that property within one type (a table's sort key has one type):

* ``S``: the UTF-8 bytes. UTF-8 byte order is code point order, DynamoDB's order.
* ``B``: the bytes as they are (unsigned bytewise order, DynamoDB's order).
* ``N``: a class byte (negative < zero < positive), then for a non-zero number one
  exponent byte (``Decimal.adjusted()`` shifted from -130..125 into 0..255, inverted for
  negatives) and the significant digits, one byte each, trailing zeros stripped so equal
  numbers ("1", "1.0", "10E-1") encode the same. A negative number's digits are
  complemented (``9 - d``) and followed by ``0xFF``, so that a shorter digit string
  (-1) sorts after a longer one it begins (-1.5).

The encoding is only ever the last part of a key, so S, B and positive N need no
terminator: a value that is a prefix of another sorts first, as it should. Values are
expected to have passed ``values.check_value`` (spec §1); these functions only check
what they need to produce correct bytes.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from dynviz.core.hashing import after_prefix

_NEGATIVE = 0x01
_ZERO = 0x02
_POSITIVE = 0x03
_MIN_EXP = -130
"""The smallest ``adjusted()`` exponent a number may have (1E-130)."""
_MAX_EXP = 125
"""The largest ``adjusted()`` exponent a number may have (below 1E+126)."""
_TERMINATOR = 0xFF


def sort_key_bytes(av: dict[str, Any]) -> bytes:
    """The bytes of a sort-key value (S, N or B) whose bytewise order is DynamoDB's."""
    (t, v), = av.items()
    if t == "S":
        try:
            return str(v).encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"sort key string {v!r} is not valid Unicode (lone surrogate)") from None
    if t == "B":
        return bytes(v)
    if t == "N":
        return _number_bytes(v)
    raise ValueError(f"a sort key must be of type S, N or B, not {t!r}")


def _number_bytes(text: Any) -> bytes:
    try:
        d = Decimal(text)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"sort key number {text!r} is not a number") from None
    if not d.is_finite():
        raise ValueError(f"sort key number {text!r} is not finite")
    if d == 0:  # also "-0", "0.00", "0E+5"
        return bytes([_ZERO])
    exp = d.adjusted()  # the power of ten of the leading digit, whatever the spelling
    if not _MIN_EXP <= exp <= _MAX_EXP:
        raise ValueError(f"sort key number {text!r} is outside DynamoDB's range (1E-130 to below 1E+126)")
    sign, digits, _ = d.as_tuple()
    # No normalize(): it rounds to the context's precision (28 digits by default).
    significant = bytes(digits).rstrip(b"\x00")
    shifted = exp - _MIN_EXP
    if not sign:
        return bytes([_POSITIVE, shifted]) + significant
    complemented = bytes(9 - digit for digit in significant)
    return bytes([_NEGATIVE, 255 - shifted]) + complemented + bytes([_TERMINATOR])


def sort_key_prefix_bound(av: dict[str, Any]) -> bytes | None:
    """For ``begins_with`` on an S or B sort key: the smallest bytes above every encoding
    that begins with the prefix's encoding, so the matches are exactly the range
    ``[sort_key_bytes(av), bound)``. None when there is no such bound (an empty prefix,
    or one of only 0xFF bytes): the range then runs to the end of the partition."""
    (t, _), = av.items()
    if t not in ("S", "B"):
        raise ValueError(f"begins_with takes an S or B sort key, not {t!r}")
    return after_prefix(sort_key_bytes(av))


# -- several values in one key (a global index entry) --------------------------------


def escape(part: bytes) -> bytes:
    """``part`` with every 0x00 written as 0x00 0xFF, so 0x00 0x00 can end it."""
    return part.replace(b"\x00", b"\x00\xff")


def tuple_bytes(parts: list[bytes]) -> bytes:
    """Several encoded values in one key, ordered as the tuple of them: each escaped
    and ended by 0x00 0x00. A value that is a prefix of another ends (0x00 0x00) where
    the other goes on (0x00 0xFF or a byte above 0x00), so it sorts first, as in the
    tuple; a global index entry's key is (index sort key, table keys) this way."""
    return b"".join(escape(p) + b"\x00\x00" for p in parts)
