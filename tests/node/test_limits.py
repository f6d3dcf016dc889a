"""Bounds and what happens at them: siblings per key, hints per node, clock size."""

from __future__ import annotations

from dataclasses import replace

from dynviz.cluster import Cluster, ClusterConfig
from dynviz.core.versions import EMPTY_CONTEXT, Siblings, VClockVersioning


def small_limits(cluster: Cluster, **limits: int) -> None:
    for node in cluster.nodes.values():
        node.config = replace(node.config, **limits)


def test_blind_writes_stop_at_the_sibling_limit_and_a_reconciling_write_passes() -> None:
    cluster = Cluster(ClusterConfig(seed=2))
    small_limits(cluster, max_siblings=4)
    key = b"hot"
    results = []
    for i in range(6):
        cluster.clients.pop("c", None)
        results.append(cluster.put(key, f"v{i}", client="c"))  # no context: a new sibling each time
    assert [r.ok for r in results] == [True, True, True, True, False, False]
    assert "limit is 4" in results[4].error
    got = cluster.get(key, client="c", r=3)
    assert len(got.versions) == 4
    assert cluster.put(key, "merged", client="c").ok  # over the context: reconciles
    assert cluster.get(key, r=3).values == (b"merged",)


def test_a_full_hint_store_refuses_and_the_coordinator_tries_the_next_stand_in() -> None:
    cluster = Cluster(ClusterConfig(nodes=tuple(f"n{i}" for i in range(1, 7)), seed=3))
    small_limits(cluster, max_hints=0)
    key = b"k"
    plist = cluster.ring.preference_list(key, 3)
    cluster.kill(plist[1])
    put = cluster.put(key, "v", w=3)
    # Every stand-in refuses to hold a hint: W=3 cannot be met, and no hint is stored.
    assert not put.ok
    assert all(len(n.hints) == 0 for n in cluster.nodes.values())
    small_limits(cluster, max_hints=10)
    assert cluster.put(key, "v2", w=3).ok


def test_vector_clocks_are_pruned_at_their_threshold() -> None:
    mode = VClockVersioning(prune_threshold=10)
    stored = Siblings.EMPTY
    context = EMPTY_CONTEXT
    for i in range(25):
        version = mode.new_version(stored, context, b"x", f"node{i:02d}", i)
        stored = mode.merge(stored, Siblings((version,)))
        context = mode.context_of(stored)
    assert all(len(v.clock) <= 10 for v in stored.versions)
