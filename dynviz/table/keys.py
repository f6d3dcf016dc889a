"""Sort-key values as bytes that sort the way DynamoDB sorts them.

Each item of a table is its own object on the ring, and the object's key ends with
the item's sort-key value. A storage node keeps its keys in bytewise order, so if the
bytes of the sort-key values order exactly as DynamoDB orders the values, the node
keeps each partition's items in sort-key order and a Query is a range read. The
encodings (S as UTF-8, B as is, N as class, exponent and digits; tuples for global
index entries) are in :mod:`dynviz.core.sortkey`, beside the ring's hashing, so that the
log can read an item's key back (``orders/bob[2024-01-05]``); this module applies them
to AttributeValues. Within one type (a table's sort key has one type) bytewise order
is DynamoDB's order.

The encoding is only ever the last part of a key, so S, B and positive N need no
terminator: a value that is a prefix of another sorts first, as it should. Values are
expected to have passed ``values.check_value`` (spec §1); these functions only check
what they need to produce correct bytes.
"""

from __future__ import annotations

from typing import Any

from dynviz.core.hashing import after_prefix
from dynviz.core.sortkey import escape, number_bytes, string_bytes, tuple_bytes

__all__ = ["after_prefix", "escape", "sort_key_bytes", "sort_key_prefix_bound", "tuple_bytes"]


def sort_key_bytes(av: dict[str, Any]) -> bytes:
    """The bytes of a sort-key value (S, N or B) whose bytewise order is DynamoDB's."""
    (t, v), = av.items()
    if t == "S":
        return string_bytes(str(v))
    if t == "B":
        return bytes(v)
    if t == "N":
        return number_bytes(v)
    raise ValueError(f"a sort key must be of type S, N or B, not {t!r}")


def sort_key_prefix_bound(av: dict[str, Any]) -> bytes | None:
    """For ``begins_with`` on an S or B sort key: the smallest bytes above every encoding
    that begins with the prefix's encoding, so the matches are exactly the range
    ``[sort_key_bytes(av), bound)``. None when there is no such bound (an empty prefix,
    or one of only 0xFF bytes): the range then runs to the end of the partition."""
    (t, _), = av.items()
    if t not in ("S", "B"):
        raise ValueError(f"begins_with takes an S or B sort key, not {t!r}")
    return after_prefix(sort_key_bytes(av))
