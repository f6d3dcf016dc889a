"""Strategy 2 (``random-equal``): T random tokens per node, Q equal partitions
(Dynamo section 6.2). The tokens only map partitions to preference lists."""

from __future__ import annotations

from bisect import bisect_left

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynviz.core.hashing import RING_SIZE, token_of
from dynviz.core.ring import STRATEGIES, Ring, RingError, build_ring, node_names, partition_token


def test_it_is_offered_as_a_strategy() -> None:
    assert "random-equal" in STRATEGIES


@settings(max_examples=60, deadline=None)
@given(count=st.integers(3, 30), vnodes=st.integers(1, 16), q=st.sampled_from([8, 64, 256]),
       seed=st.integers(0, 10_000), key=st.binary(min_size=1, max_size=12), n=st.integers(1, 3))
def test_preference_lists_are_n_distinct_nodes_and_stable(count: int, vnodes: int, q: int, seed: int,
                                                         key: bytes, n: int) -> None:
    nodes = node_names(count)
    ring = build_ring(nodes, "random-equal", partitions=q, vnodes=vnodes, seed=seed)
    prefs = ring.preference_list(key, n)
    assert len(prefs) == n
    assert len(set(prefs)) == n
    assert set(prefs) <= set(nodes)
    again = build_ring(nodes, "random-equal", partitions=q, vnodes=vnodes, seed=seed)
    assert again.preference_list(key, n) == prefs
    assert ring.extended_preference_list(key)[:n] == prefs
    assert sorted(ring.extended_preference_list(key)) == sorted(nodes)


def test_ranges_are_the_equal_partitions_not_the_token_arcs() -> None:
    ring = build_ring(node_names(5), "random-equal", partitions=16, vnodes=3, seed=7)
    assert len(ring) == 16
    widths = {r.width for r in ring.ranges()}
    assert widths == {RING_SIZE // 16}
    assert ring.tokens == [partition_token(i, 16) for i in range(16)]


def test_a_partitions_list_walks_the_token_ring_from_its_end() -> None:
    nodes = node_names(6)
    ring = build_ring(nodes, "random-equal", partitions=32, vnodes=4, seed=3)
    plain = Ring(ring.node_tokens())  # strategy 1 with the same tokens
    for i in range(32):
        end = partition_token(i, 32)
        assert ring.replicas_of_range(i, 3) == plain.preference_list_for_token(end, 3)
    # every key of a partition shares that partition's list, whichever token arc it is in
    key = b"some key"
    index = bisect_left(ring.tokens, token_of(key)) % 32
    assert ring.preference_list(key, 3) == ring.replicas_of_range(index, 3)


def test_determined_by_the_seed() -> None:
    nodes = node_names(10)
    a = build_ring(nodes, "random-equal", partitions=64, vnodes=8, seed=1)
    b = build_ring(nodes, "random-equal", partitions=64, vnodes=8, seed=1)
    c = build_ring(nodes, "random-equal", partitions=64, vnodes=8, seed=2)
    keys = [f"k{i}".encode() for i in range(200)]
    assert [a.preference_list(k, 3) for k in keys] == [b.preference_list(k, 3) for k in keys]
    assert [a.preference_list(k, 3) for k in keys] != [c.preference_list(k, 3) for k in keys]


def test_bad_partition_counts_are_clear_errors() -> None:
    with pytest.raises(RingError, match="power of two"):
        build_ring(node_names(4), "random-equal", partitions=12)
    with pytest.raises(RingError, match="vnodes"):
        build_ring(node_names(4), "random-equal", vnodes=0)


def test_a_cluster_runs_on_it_through_a_join() -> None:
    from dynviz.cluster import Cluster, ClusterConfig

    cluster = Cluster(ClusterConfig(nodes=tuple(node_names(6)), strategy="random-equal", vnodes=4, partitions=64))
    assert cluster.ring.partitions == 64
    for i in range(40):
        assert cluster.put(f"k{i}", f"v{i}").ok
    cluster.join("n7")
    assert cluster.settle()
    assert cluster.ring.partitions == 64 and "n7" in cluster.ring.nodes
    for i in range(40):
        assert cluster.get(f"k{i}").values == (f"v{i}".encode(),)
        assert set(cluster.inspect(f"k{i}").holders()) >= set(cluster.inspect(f"k{i}").preference_list[:3])


def test_the_command_language_takes_it() -> None:
    from dynviz.commands import parse_line

    command = parse_line("cluster nodes=5 strategy=random-equal partitions=64 vnodes=4")
    assert "random-equal" in repr(command)
