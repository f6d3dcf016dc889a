"""Promises of dynviz.net.frames: a frame opens only with the right key and version,
and a frame over the cap is refused before its body is read."""

from __future__ import annotations

import asyncio

import pytest

from dynviz.net.codec import WIRE_VERSION
from dynviz.net.frames import MAX_FRAME, FrameRejected, open_frame, read_frame, seal, wire_key

KEY = wire_key(b"secret")


def test_seal_then_open() -> None:
    frame = seal(KEY, b"hello")
    assert int.from_bytes(frame[:4], "big") == len(frame) - 4
    assert open_frame(KEY, frame[4:]) == b"hello"


def test_wrong_key_tampering_and_version_are_refused() -> None:
    frame = seal(KEY, b"hello")
    with pytest.raises(FrameRejected) as info:
        open_frame(wire_key(b"other"), frame[4:])
    assert info.value.reason == "bad_mac"
    tampered = frame[:-1] + b"!"
    with pytest.raises(FrameRejected, match="bad_mac"):
        open_frame(KEY, tampered[4:])
    # A different version byte is covered by the MAC: it fails as bad_mac unless re-signed.
    with pytest.raises(FrameRejected, match="bad_mac"):
        open_frame(KEY, bytes([WIRE_VERSION + 1]) + frame[5:])
    with pytest.raises(FrameRejected, match="short"):
        open_frame(KEY, b"\x01abc")


def test_sealing_an_oversized_body_fails() -> None:
    with pytest.raises(ValueError, match="limit"):
        seal(KEY, b"x" * MAX_FRAME)


async def test_reader_refuses_oversized_before_reading_it() -> None:
    reader = asyncio.StreamReader()
    reader.feed_data((MAX_FRAME + 1).to_bytes(4, "big"))  # and no body at all
    with pytest.raises(FrameRejected) as info:
        await asyncio.wait_for(read_frame(reader, KEY), 1)
    assert info.value.reason == "oversized"


async def test_reader_returns_raw_frame_and_body() -> None:
    reader = asyncio.StreamReader()
    frame = seal(KEY, b"body")
    reader.feed_data(frame + seal(KEY, b"next"))
    assert await read_frame(reader, KEY) == (frame, b"body")
    assert (await read_frame(reader, KEY))[1] == b"next"
