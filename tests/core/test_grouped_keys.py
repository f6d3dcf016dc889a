"""Grouped keys: placed by their group's MD5, ordered by their suffix."""

from hashlib import md5

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dynviz.core.hashing import group_prefix, grouped_key, placement_of, show_key, token_of
from dynviz.core.ring import build_ring
from dynviz.storage.memory import MemoryStore


def test_a_grouped_key_is_placed_by_its_group():
    key = grouped_key(b"orders\x00alice", b"2024-01-01")
    assert token_of(key) == int.from_bytes(md5(b"orders\x00alice").digest(), "big")
    assert placement_of(key) == b"orders\x00alice"


def test_plain_keys_keep_their_own_md5():
    assert token_of(b"cart") == int.from_bytes(md5(b"cart").digest(), "big")
    # starts with the mark but declares more bytes than it has: a plain key
    odd = b"\x1e\x00\x09abc"
    assert placement_of(odd) == odd
    assert token_of(odd) == int.from_bytes(md5(odd).digest(), "big")
    assert placement_of(b"\x1e") == b"\x1e"


@given(st.binary(max_size=40), st.lists(st.binary(max_size=12), min_size=1, max_size=8))
def test_a_group_shares_one_preference_list_and_sorts_by_suffix(group, suffixes):
    ring = build_ring([f"n{i}" for i in range(1, 9)], "random", vnodes=8, seed=1)
    keys = [grouped_key(group, s) for s in suffixes]
    assert len({tuple(ring.preference_list(k, 3)) for k in keys}) == 1
    store = MemoryStore()
    for k in keys:
        store.put(k, object())
    tok = token_of(keys[0])
    found = [k for _, k in store.keys_in_range(tok - 1, tok) if k.startswith(group_prefix(group))]
    assert found == sorted(set(keys))
    assert [k[len(group_prefix(group)):] for k in found] == sorted(set(suffixes))


def test_group_size_is_bounded():
    with pytest.raises(ValueError, match="limit is 65535"):
        grouped_key(b"x" * 70_000)


def test_keys_read_as_text_in_views() -> None:
    assert show_key(b"cart:alice") == "cart:alice"
    assert show_key(b"\xff\x00") == "ff00"  # not UTF-8: hex, as before
    assert show_key(grouped_key(b"cart/alice")) == "cart/alice"
    assert show_key(grouped_key(b"orders/ada", b"2024-05-01")) == "orders/ada[2024-05-01]"
    assert show_key(grouped_key(b"orders/ada", b"\x03\x83\x01")) == "orders/ada[10]"  # N sort key 10, decoded
    assert show_key(grouped_key(b"files/x", b"\xff\x00")) == "files/x[0xff00]"  # B, not text: hex
