"""Frames: length-prefixed, versioned, authenticated units on a TCP stream.

    length  4 bytes, big-endian: the size of everything after it (at most MAX_FRAME)
    version 1 byte: WIRE_VERSION
    tag     32 bytes: HMAC-SHA256 over version + body, keyed by the cluster secret
    body    the message (``codec.py``)

A receiver reads the length first and refuses a frame over ``MAX_FRAME`` before
reading it, so a peer cannot make a node buffer gigabytes. A frame whose tag does not
verify (a foreign cluster, garbage, tampering) is rejected before its body is parsed.
Every rejection is counted by reason and ends the connection: after a bad frame the
stream cannot be trusted to be in sync. The MAC proves a frame came from a holder of
the cluster secret; it does not stop a holder replaying an old frame (nodes are
idempotent to duplicates, as on a lossy network that duplicates).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac

from dynviz.net.codec import WIRE_VERSION

MAX_FRAME = 8 << 20
"""Largest frame accepted (8 MiB): a 1 MiB value with siblings and base64 fits many times."""
TAG_BYTES = 32
_VERSION = bytes([WIRE_VERSION])
_MIN = 1 + TAG_BYTES


class FrameRejected(Exception):
    """A frame that must not be processed; ``reason`` is the counter it goes to."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def wire_key(secret: bytes) -> bytes:
    """The frame MAC key, derived from the cluster secret (kept apart from the key that
    signs client contexts, so one can never be used as the other)."""
    return hashlib.sha256(b"dynviz-wire\x00" + secret).digest()


def context_secret(secret: bytes) -> bytes:
    """The key every node signs get/put contexts with (``ProtocolSettings.secret`` of every node)."""
    return hashlib.sha256(b"dynviz-context\x00" + secret).digest()


def seal(key: bytes, body: bytes) -> bytes:
    """A complete frame for ``body``."""
    size = len(body) + _MIN
    if size > MAX_FRAME:
        raise ValueError(f"a {size}-byte frame is over the {MAX_FRAME}-byte limit")
    tag = hmac.digest(key, _VERSION + body, "sha256")
    return size.to_bytes(4, "big") + _VERSION + tag + body


def open_frame(key: bytes, payload: bytes) -> bytes:
    """The body of a frame's payload (everything after the length), once verified."""
    if len(payload) < _MIN:
        raise FrameRejected("short", f"{len(payload)} bytes")
    version = payload[:1]
    body = payload[_MIN:]
    expected = hmac.digest(key, version + body, "sha256")
    if not hmac.compare_digest(expected, payload[1:_MIN]):
        raise FrameRejected("bad_mac")
    if version != _VERSION:
        raise FrameRejected("version", f"wire version {payload[0]}, expected {WIRE_VERSION}")
    return body


async def read_frame(reader: asyncio.StreamReader, key: bytes) -> tuple[bytes, bytes]:
    """``(raw frame, body)`` of the next frame; raises ``FrameRejected`` for a frame
    that fails, ``asyncio.IncompleteReadError`` at the end of the stream."""
    head = await reader.readexactly(4)
    size = int.from_bytes(head, "big")
    if size > MAX_FRAME:
        raise FrameRejected("oversized", f"{size} bytes announced")
    if size < _MIN:
        raise FrameRejected("short", f"{size} bytes announced")
    payload = await reader.readexactly(size)
    return head + payload, open_frame(key, payload)
