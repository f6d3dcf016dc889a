"""Promises of dynviz.core.merkle: order-independent hashes, O(path) updates, exact diffs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynviz.core.hashing import RING_SIZE, token_of
from dynviz.core.merkle import MerkleDiff, MerkleTree, diff, version_digest

keys_st = st.binary(min_size=1, max_size=6)
digest_st = st.binary(min_size=16, max_size=16)
maps_st = st.dictionaries(keys_st, digest_st, max_size=60)


def build(items, lo: int = 0, hi: int = 0, fanout: int = 4, depth: int = 3) -> MerkleTree:
    tree = MerkleTree(lo, hi, fanout=fanout, depth=depth)
    for key, digest in items:
        tree.update(key, token_of(key), digest)
    return tree


@given(
    st.lists(st.tuples(keys_st, digest_st), max_size=40, unique_by=lambda kv: kv[0]),
    st.randoms(use_true_random=False),
)
def test_root_is_independent_of_insertion_order(items, rnd):
    shuffled = list(items)
    rnd.shuffle(shuffled)
    assert build(items).root() == build(shuffled).root()


@given(maps_st, keys_st, digest_st)
def test_removing_a_key_restores_the_previous_root(base, key, digest):
    base.pop(key, None)
    tree = build(base.items())
    before = tree.root()
    tree.update(key, token_of(key), digest)
    assert tree.root() != before
    tree.update(key, token_of(key), None)
    assert tree.root() == before
    assert tree.key_digest(key) is None


def test_replacing_a_digest_matches_building_with_the_new_one():
    tree = build([(b"a", b"1" * 16), (b"b", b"2" * 16)])
    tree.update(b"a", token_of(b"a"), b"3" * 16)
    assert tree.root() == build([(b"b", b"2" * 16), (b"a", b"3" * 16)]).root()
    assert len(tree) == 2


def test_incremental_roots_match_rebuilds_after_every_step():
    items = [(bytes([i]), version_digest(bytes([i]))) for i in range(50)]
    tree = MerkleTree(0, 0, fanout=4, depth=2)
    for n, (key, digest) in enumerate(items, 1):
        tree.update(key, token_of(key), digest)
        assert tree.root() == build(items[:n], fanout=4, depth=2).root()


def test_empty_tree_hashes_are_well_defined_and_shape_dependent():
    a, b = MerkleTree(0, 0), MerkleTree(0, 0)
    assert a.root() == b.root() and len(a.root()) == 16
    assert a.leaves == 4096
    assert MerkleTree(0, 0, fanout=4, depth=2).root() != a.root()
    assert a.node_hash(3, 4095) == bytes(16)


def test_interior_hash_changes_when_any_child_changes():
    tree = MerkleTree(0, 0, fanout=4, depth=2)
    before = [tree.node_hash(1, i) for i in range(4)]
    key = b"k"
    tree.update(key, token_of(key), b"x" * 16)
    leaf = tree.leaf_of(token_of(key))
    after = [tree.node_hash(1, i) for i in range(4)]
    assert [i for i in range(4) if before[i] != after[i]] == [leaf // 4]


def test_diff_of_identical_trees_compares_one_hash():
    items = [(bytes([i, i]), version_digest(bytes([i]))) for i in range(100)]
    d = diff(build(items), build(reversed(items)))
    assert d == MerkleDiff((), (), 1, ())


@st.composite
def diverged_maps(draw):
    base = draw(maps_st)
    a, b = dict(base), dict(base)
    for side in (a, b):
        for key in draw(st.lists(st.sampled_from(sorted(base)), max_size=5)) if base else []:
            if draw(st.booleans()):
                side.pop(key, None)
            else:
                side[key] = draw(digest_st)
        side.update(draw(st.dictionaries(keys_st, digest_st, max_size=5)))
    return a, b


@settings(max_examples=200)
@given(diverged_maps(), st.sampled_from([(2, 1), (4, 3), (16, 2), (3, 0)]))
def test_diff_finds_exactly_the_differing_keys(pair, shape):
    a_map, b_map = pair
    fanout, depth = shape
    a = build(a_map.items(), fanout=fanout, depth=depth)
    b = build(b_map.items(), fanout=fanout, depth=depth)
    expected = {k for k in a_map.keys() | b_map.keys() if a_map.get(k) != b_map.get(k)}
    d = diff(a, b)
    assert set(d.keys) == expected
    assert len(d.keys) == len(expected)
    assert d == diff(b, a)
    if not expected:
        assert d.hashes_compared == 1 and d.path == ()
    else:
        assert d.path[0] == (0, 0)
        assert {a.leaf_of(token_of(k)) for k in expected} == set(d.differing_leaves)
        assert {(depth, leaf) for leaf in d.differing_leaves} <= set(d.path)
        # one root comparison plus F per differing interior node
        interior = sum(1 for level, _ in d.path if level < depth)
        assert d.hashes_compared == 1 + fanout * interior


def test_diff_descends_only_where_hashes_differ():
    items = [(str(i).encode(), version_digest(str(i).encode())) for i in range(2000)]
    a, b = build(items, fanout=16, depth=3), build(items, fanout=16, depth=3)
    b.update(b"7", token_of(b"7"), version_digest(b"changed"))
    d = diff(a, b)
    assert d.keys == (b"7",)
    assert d.hashes_compared == 1 + 16 * 3
    assert [level for level, _ in d.path] == [0, 1, 2, 3]


def test_leaf_keys_are_sorted_and_leaf_of_buckets_by_position():
    tree = MerkleTree(0, 0, fanout=2, depth=1)
    assert tree.leaf_of(1) == 0 and tree.leaf_of(RING_SIZE // 2) == 0
    assert tree.leaf_of(RING_SIZE // 2 + 1) == 1 and tree.leaf_of(0) == 1
    keys = [str(i).encode() for i in range(30)]
    for k in keys:
        tree.update(k, token_of(k), b"d" * 16)
    listed = tree.leaf_keys(0) + tree.leaf_keys(1)
    assert sorted(listed) == sorted(keys)
    assert tree.leaf_keys(0) == sorted(tree.leaf_keys(0))


def test_wrapping_range():
    lo, hi = RING_SIZE - 100, 100
    tree = MerkleTree(lo, hi, fanout=2, depth=2)
    assert tree.leaf_of(RING_SIZE - 99) == 0
    assert tree.leaf_of(RING_SIZE - 50) == 0
    assert tree.leaf_of(RING_SIZE - 49) == 1
    assert tree.leaf_of(0) == 1
    assert tree.leaf_of(1) == 2
    assert tree.leaf_of(100) == 3
    for bad in (lo, hi + 1, RING_SIZE // 2, -1, RING_SIZE):
        with pytest.raises(ValueError, match="outside"):
            tree.leaf_of(bad)
    tree.update(b"a", RING_SIZE - 5, b"1" * 16)
    tree.update(b"b", 5, b"2" * 16)
    other = MerkleTree(lo, hi, fanout=2, depth=2)
    other.update(b"b", 5, b"2" * 16)
    assert diff(tree, other).keys == (b"a",)


def test_out_of_range_key_raises_and_leaves_tree_unchanged():
    tree = MerkleTree(1000, 2000)
    root = tree.root()
    with pytest.raises(ValueError, match="outside"):
        tree.update(b"k", 1000, b"1" * 16)
    with pytest.raises(ValueError):
        tree.update(b"k", 3000, None)
    assert tree.root() == root and len(tree) == 0
    tree.update(b"k", 2000, b"1" * 16)
    assert tree.leaf_keys(tree.leaf_of(2000)) == [b"k"]
    assert tree.leaf_of(1001) == 0 and tree.leaf_of(2000) == 999 * tree.leaves // 1000


def test_diff_rejects_different_shapes():
    with pytest.raises(ValueError, match="different ranges or shapes"):
        diff(MerkleTree(0, 0), MerkleTree(0, 0, depth=2))
    with pytest.raises(ValueError, match="different ranges or shapes"):
        diff(MerkleTree(0, 5), MerkleTree(0, 6))


def test_bad_parameters_raise():
    with pytest.raises(ValueError):
        MerkleTree(0, 0, fanout=1)
    with pytest.raises(ValueError):
        MerkleTree(-1, 0)
    with pytest.raises(ValueError):
        MerkleTree(0, 0).node_hash(4, 0)
    with pytest.raises(ValueError):
        MerkleTree(0, 0).leaf_keys(4096)


def test_version_digest_is_sha256_prefix():
    import hashlib

    assert version_digest(b"abc") == hashlib.sha256(b"abc").digest()[:16]
