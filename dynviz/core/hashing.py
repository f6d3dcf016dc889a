"""Key -> token: the MD5 of the key's bytes read as a 128-bit integer.

Dynamo (paper section 4.2) hashes the key with MD5 to a 128-bit identifier that
places it on the ring. We do the same, so a token printed by dynviz can be checked
with any ``md5sum``.
"""

from __future__ import annotations

from functools import lru_cache
from hashlib import md5

RING_BITS = 128
RING_SIZE = 1 << RING_BITS
"""Number of positions on the ring; tokens are in ``[0, RING_SIZE)``."""


@lru_cache(maxsize=1 << 16)
def token_of(key: bytes) -> int:
    """The ring position of ``key``: MD5 of its bytes, big-endian, as an int.

    Cached: one request hashes its key at the client, the coordinator and the store,
    and a hot key is hashed again on every request."""
    return int.from_bytes(md5(key).digest(), "big")


def token_hex(token: int) -> str:
    """A token as 32 lowercase hex digits (the form ``md5sum`` prints)."""
    return f"{token:032x}"


def as_key(key: bytes | str) -> bytes:
    """Accept a str at the API edge and turn it into the bytes Dynamo stores."""
    return key.encode("utf-8") if isinstance(key, str) else key
