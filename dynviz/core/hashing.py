"""Key -> token: the MD5 of the key's bytes read as a 128-bit integer.

Dynamo (paper section 4.2) hashes the key with MD5 to a 128-bit identifier that
places it on the ring. We do the same, so a token printed by dynviz can be checked
with any ``md5sum``.

Grouped keys (Cassandra's partition key, Bigtable's row-key prefix): a key built by
:func:`grouped_key` is placed by the MD5 of its *group* alone, so every key of one group
shares a token, lands on one preference list, and sits in each node's store next to the
others, sorted by the rest of the key. The table layer puts every item of one partition
key in one group, so a partition's items are separate Dynamo objects that a node can
still read as one sorted range (issue 7, section 2). The frame is ``0x1E``, the group's
length in two bytes, the group, then the suffix; any other key is placed by its own MD5.
"""


from __future__ import annotations

from functools import lru_cache
from hashlib import md5

from dynviz.core.sortkey import show_suffix

RING_BITS = 128
RING_SIZE = 1 << RING_BITS
"""Number of positions on the ring; tokens are in ``[0, RING_SIZE)``."""
GROUP_MARK = 0x1E
"""First byte of a grouped key (ASCII record separator)."""
MAX_GROUP_BYTES = 0xFFFF


def grouped_key(group: bytes, suffix: bytes = b"") -> bytes:
    """A key placed by the MD5 of ``group`` and ordered by ``suffix`` within it."""
    n = len(group)
    if n > MAX_GROUP_BYTES:
        raise ValueError(f"a key group is {n} bytes; the limit is {MAX_GROUP_BYTES}")
    return bytes((GROUP_MARK, n >> 8, n & 0xFF)) + group + suffix


def group_prefix(group: bytes) -> bytes:
    """The bytes every key of ``group`` starts with (its frame and the group)."""
    return grouped_key(group)


def after_prefix(prefix: bytes) -> bytes | None:
    """The smallest bytes above every string that begins with ``prefix`` (None: none,
    for an empty prefix or one of only 0xFF bytes): the end of a prefix's key range."""
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return None
    return stripped[:-1] + bytes([stripped[-1] + 1])


def placement_of(key: bytes) -> bytes:
    """The bytes that place ``key``: its group for a grouped key, else the whole key.

    A key that starts with the mark but is too short for the length it declares is not
    a grouped key and is placed by its own MD5."""
    if key[:1] == b"\x1e" and len(key) >= 3:
        end = 3 + ((key[1] << 8) | key[2])
        if end <= len(key):
            return key[3:end]
    return key


@lru_cache(maxsize=1 << 16)
def token_of(key: bytes) -> int:
    """The ring position of ``key``: MD5 of its bytes (of its group's bytes for a
    grouped key), big-endian, as an int.

    Cached: one request hashes its key at the client, the coordinator and the store,
    and a hot key is hashed again on every request."""
    if key[:1] == b"\x1e":
        key = placement_of(key)
    return int.from_bytes(md5(key).digest(), "big")


def token_hex(token: int) -> str:
    """A token as 32 lowercase hex digits (the form ``md5sum`` prints)."""
    return f"{token:032x}"


def as_key(key: bytes | str) -> bytes:
    """Accept a str at the API edge and turn it into the bytes Dynamo stores."""
    return key.encode("utf-8") if isinstance(key, str) else key


def show_key(key: bytes) -> str:
    """A key as text for logs and views: its UTF-8 text (hex when it is not UTF-8); a
    grouped key as ``GROUP[SUFFIX]``, the suffix read back from the table layer's
    order-preserving encoding (:func:`dynviz.core.sortkey.show_suffix`): a table item
    reads ``orders/ada[2024-05-01]`` or ``scores/ann[42]``, an index entry
    ``orders#bystatus@1/open[2024-05-01, ada]``."""
    group = placement_of(key)
    if group is key:
        try:
            return key.decode("utf-8")
        except UnicodeDecodeError:
            return key.hex()
    suffix = key[3 + len(group):]
    text = _printable(group)
    return f"{text}[{show_suffix(suffix)}]" if suffix else text


def _printable(data: bytes) -> str:
    text = data.decode("utf-8", errors="backslashreplace")
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)
