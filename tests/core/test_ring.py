"""Promises of dynviz.core.ring: distinct preference lists, stable lookups, balanced
equal partitions, and minimal movement when a node leaves or joins."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynviz.core.hashing import RING_SIZE, token_hex, token_of
from dynviz.core.ring import (
    Ring,
    RingError,
    build_ring,
    claim_join,
    claim_leave,
    node_names,
    partition_owners_from_tokens,
    tokens_from_partition_owners,
)

keys = st.binary(min_size=0, max_size=24)


def test_token_is_md5_of_key() -> None:
    assert token_hex(token_of(b"cart:alice")) == hashlib.md5(b"cart:alice").hexdigest()
    assert 0 <= token_of(b"") < RING_SIZE


@pytest.mark.parametrize("strategy", ["equal", "random"])
@given(key=keys, count=st.integers(1, 12), n=st.integers(1, 5))
@settings(max_examples=60, deadline=None)
def test_preference_list_distinct_and_stable(strategy: str, key: bytes, count: int, n: int) -> None:
    ring = build_ring(node_names(count), strategy, seed=7, n=min(n, count))
    plist = ring.preference_list(key, n)
    assert len(plist) == min(n, count)
    assert len(set(plist)) == len(plist)
    assert ring.preference_list(key, n) == plist
    extended = ring.extended_preference_list(key)
    assert extended[: len(plist)] == plist
    assert sorted(extended) == sorted(ring.nodes)


def test_first_node_owns_the_key_range() -> None:
    ring = build_ring(node_names(5), "random", seed=3)
    for i in range(200):
        key = f"k{i}".encode()
        token = token_of(key)
        r = ring.range(ring.range_index(token))
        assert r.contains(token)
        assert ring.preference_list(key, 1) == (r.owner,)


def test_equal_strategy_gives_equal_shares_and_spacing() -> None:
    ring = build_ring(node_names(8), "equal", n=3)
    shares = ring.ownership()
    assert all(abs(s - 1 / 8) < 0.01 for s in shares.values())
    for r in range(len(ring)):
        assert len(set(ring.replicas_of_range(r, 3))) == 3
        assert ring.owners[r] != ring.owners[r - 1]


@pytest.mark.parametrize("count", [4, 5, 6, 7, 9, 11])
def test_equal_claim_spacing_when_q_not_multiple_of_s(count: int) -> None:
    # (with S == N == 3 and 64 partitions no spacing exists: 64 is not a multiple of 3)
    ring = build_ring(node_names(count), "equal", partitions=64, n=3)
    counts = [len(ring.tokens_of(n)) for n in ring.nodes]
    assert max(counts) - min(counts) <= 1
    for r in range(len(ring)):
        window = {ring.owners[(r + d) % len(ring)] for d in range(3)}
        assert len(window) == 3


def test_random_strategy_is_unbalanced_like_the_paper() -> None:
    shares = build_ring(node_names(8), "random", vnodes=8, seed=0).ownership().values()
    assert max(shares) > 1.3 / 8


@given(count=st.integers(2, 10), victim=st.integers(0, 9), seed=st.integers(0, 50))
@settings(max_examples=40, deadline=None)
def test_removing_a_random_node_moves_only_its_ranges(count: int, victim: int, seed: int) -> None:
    nodes = node_names(count)
    gone = nodes[victim % count]
    before = build_ring(nodes, "random", seed=seed)
    after = Ring({n: before.tokens_of(n) for n in nodes if n != gone})
    for i in range(100):
        key = f"key{i}".encode()
        old = before.preference_list(key, 1)[0]
        if old != gone:
            assert after.preference_list(key, 1)[0] == old


@given(count=st.integers(2, 10), victim=st.integers(0, 9))
@settings(max_examples=40, deadline=None)
def test_equal_leave_moves_only_the_leavers_partitions(count: int, victim: int) -> None:
    nodes = node_names(count)
    gone = nodes[victim % count]
    ring = build_ring(nodes, "equal")
    owners = partition_owners_from_tokens(ring.node_tokens(), len(ring))
    after = claim_leave(owners, gone)
    assert gone not in after
    assert all(a == b for a, b in zip(owners, after, strict=True) if b != gone and a != gone)
    counts = [after.count(n) for n in set(after)]
    assert max(counts) - min(counts) <= 1


def test_equal_join_takes_a_fair_share_from_the_most_loaded() -> None:
    nodes = node_names(8)
    owners = partition_owners_from_tokens(build_ring(nodes, "equal").node_tokens(), 64)
    after = claim_join(owners, "n9")
    moved = sum(1 for a, b in zip(owners, after, strict=True) if a != b)
    assert moved == after.count("n9") == 64 // 9
    counts = [after.count(n) for n in set(after)]
    assert max(counts) - min(counts) <= 1
    ring = Ring(tokens_from_partition_owners(after))
    changes = build_ring(nodes, "equal").replica_changes(ring, 3)
    assert changes and all("n9" in c.after for c in changes)


def test_bad_rings_are_clear_errors() -> None:
    with pytest.raises(RingError, match="at least 1 node"):
        node_names(0)
    with pytest.raises(RingError, match="power of two"):
        build_ring(node_names(3), "equal", partitions=48)
    with pytest.raises(RingError, match="unknown strategy"):
        build_ring(node_names(3), "spiral")
    with pytest.raises(RingError, match="repeat"):
        node_names("a,b,a")


@pytest.mark.parametrize("spec", ["-3", " -3 ", "0", "+0", -2])
def test_a_count_below_one_is_refused_not_taken_as_a_name(spec: str | int) -> None:
    with pytest.raises(RingError, match="need at least 1 node"):
        node_names(spec)


@pytest.mark.parametrize("spec", ["-x", "n1,-n2", "_a", "a,é", "n 1", "a;b"])
def test_names_outside_the_command_language_are_refused(spec: str) -> None:
    with pytest.raises(RingError, match="bad node name"):
        node_names(spec)


@given(st.text(st.characters(codec="utf-8"), max_size=12))
def test_node_names_are_names_the_command_language_can_type(spec: str) -> None:
    """Whatever the text, node_names gives names a command can name (``kill NAME``), or
    refuses it with a RingError."""
    import re

    try:
        names = node_names(spec)
    except RingError:
        return
    assert names and all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", name) for name in names)
