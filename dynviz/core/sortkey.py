"""Order-preserving bytes for the values that end a grouped key, and reading them back.

A grouped key (:mod:`dynviz.core.hashing`) is ordered within its group by its suffix's
bytes, so the table layer encodes a sort-key value as bytes whose bytewise order is
DynamoDB's order of the values (``dynviz.table.keys`` applies it to AttributeValues):

* a string (``S``): its UTF-8 bytes. UTF-8 byte order is code point order.
* binary (``B``): the bytes as they are (unsigned bytewise order).
* a number (``N``): a class byte (negative < zero < positive), then for a non-zero
  number one exponent byte (``Decimal.adjusted()`` shifted from -130..125 into 0..255,
  inverted for negatives) and the significant digits, one byte each, trailing zeros
  stripped so equal numbers ("1", "1.0", "10E-1") encode the same. A negative number's
  digits are complemented (``9 - d``) and followed by ``0xFF``, so that a shorter digit
  string (-1) sorts after a longer one it begins (-1.5).
* several values (a global index entry: index sort key, then the table's keys): each
  value's bytes with 0x00 written as 0x00 0xFF, ended by 0x00 0x00, so the bytes order
  as the tuple does.

The encoding lives here, beside the ring's hashing, rather than in the table layer
because :func:`show_suffix` must read it back for every log line that names a table
item (``orders/bob[2024-01-05]``, ``scores/ann[42]``) and ``core`` imports nothing above
it. The bytes carry no type tag (a table's sort key has one type, known to its schema,
not to a log line), so reading is by shape: a valid number encoding starts with a
control byte (0x01..0x03) that printable text never starts with, so numbers and
printable strings cannot be confused; binary that is not text shows as ``0x`` + hex.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

NEGATIVE = 0x01
ZERO = 0x02
POSITIVE = 0x03
MIN_EXP = -130
"""The smallest ``adjusted()`` exponent a number may have (1E-130)."""
MAX_EXP = 125
"""The largest ``adjusted()`` exponent a number may have (below 1E+126)."""
TERMINATOR = 0xFF
END = b"\x00\x00"
"""What ends each value of a tuple."""


class SortKeyError(ValueError):
    """A value that has no order-preserving encoding (not a number, out of range...)."""


def string_bytes(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise SortKeyError(f"sort key string {text!r} is not valid Unicode (lone surrogate)") from None


def number_bytes(text: str | int | Decimal) -> bytes:
    """The bytes of a number (a DynamoDB number's text, an int or a Decimal)."""
    try:
        d = Decimal(text)
    except (InvalidOperation, TypeError, ValueError):
        raise SortKeyError(f"sort key number {text!r} is not a number") from None
    if not d.is_finite():
        raise SortKeyError(f"sort key number {text!r} is not finite")
    if d == 0:  # also "-0", "0.00", "0E+5"
        return bytes([ZERO])
    exp = d.adjusted()  # the power of ten of the leading digit, whatever the spelling
    if not MIN_EXP <= exp <= MAX_EXP:
        raise SortKeyError(f"sort key number {text!r} is outside DynamoDB's range (1E-130 to below 1E+126)")
    sign, digits, _ = d.as_tuple()
    # No normalize(): it rounds to the context's precision (28 digits by default).
    significant = bytes(digits).rstrip(b"\x00")
    shifted = exp - MIN_EXP
    if not sign:
        return bytes([POSITIVE, shifted]) + significant
    complemented = bytes(9 - digit for digit in significant)
    return bytes([NEGATIVE, 255 - shifted]) + complemented + bytes([TERMINATOR])


def decode_number(data: bytes) -> Decimal | None:
    """The number ``data`` encodes, or None when it is not exactly the encoding of one
    (so a reader can try another type)."""
    if data == bytes([ZERO]):
        return Decimal(0)
    if len(data) < 3 or data[0] not in (NEGATIVE, POSITIVE):
        return None
    negative = data[0] == NEGATIVE
    if negative:
        if data[-1] != TERMINATOR:
            return None
        body = data[2:-1]
        exp = (255 - data[1]) + MIN_EXP
    else:
        body = data[2:]
        exp = data[1] + MIN_EXP
    if not body or max(body) > 9:
        return None
    digits = tuple(9 - b for b in body) if negative else tuple(body)
    if digits[0] == 0 or digits[-1] == 0:
        return None  # not what number_bytes makes: a leading digit is never 0, trailing zeros are stripped
    return Decimal((int(negative), digits, exp - len(digits) + 1))


def escape(part: bytes) -> bytes:
    """``part`` with every 0x00 written as 0x00 0xFF, so 0x00 0x00 can end it."""
    return part.replace(b"\x00", b"\x00\xff")


def tuple_bytes(parts: list[bytes]) -> bytes:
    """Several encoded values in one key, ordered as the tuple of them: each escaped
    and ended by 0x00 0x00. A value that is a prefix of another ends (0x00 0x00) where
    the other goes on (0x00 0xFF or a byte above 0x00), so it sorts first, as in the
    tuple; a global index entry's key is (index sort key, table keys) this way."""
    return b"".join(escape(p) + END for p in parts)


def split_tuple(data: bytes) -> list[bytes] | None:
    """The values of a :func:`tuple_bytes` encoding, or None when ``data`` is not one."""
    parts: list[bytes] = []
    current = bytearray()
    i = 0
    while i < len(data):
        byte = data[i]
        if byte != 0:
            current.append(byte)
            i += 1
            continue
        if i + 1 >= len(data):
            return None
        follow = data[i + 1]
        if follow == 0xFF:
            current.append(0)
        elif follow == 0:
            parts.append(bytes(current))
            current.clear()
        else:
            return None
        i += 2
    return parts if parts and not current else None


def show_number(value: Decimal) -> str:
    """A number as a person writes it: plain digits for ordinary sizes (``420``,
    ``-1.5``, ``0.0001``), scientific only for the very large or small (``1E+100``)."""
    if -7 <= value.adjusted() <= 20:
        return format(value, "f")
    return str(value)


def show_value(data: bytes) -> str:
    """One encoded value as text: a number, printable text, or ``0x`` + hex for bytes
    that are neither (a string's control characters are escaped, ``\\x0a``)."""
    number = decode_number(data)
    if number is not None:
        return show_number(number)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "0x" + data.hex()
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


def show_suffix(data: bytes) -> str:
    """A grouped key's suffix as text: its values, comma-separated when it holds a tuple."""
    if data.endswith(END):
        parts = split_tuple(data)
        if parts is not None:
            return ", ".join(show_value(p) for p in parts)
    return show_value(data)
