"""Promises of the cluster facade: quorums, sloppy quorum with hints, read repair,
siblings under concurrency, routing, and faults as the issue describes them."""

from __future__ import annotations

import pytest

from dynviz.cluster import Cluster, ClusterConfig, ClusterError
from dynviz.core.units import SECOND
from dynviz.storage.base import StorageError


def make(**kw) -> Cluster:
    kw.setdefault("seed", 5)
    return Cluster(ClusterConfig(**kw))


def test_put_then_get_returns_the_value_and_a_context() -> None:
    cluster = make()
    put = cluster.put("cart:alice", "milk")
    assert put.ok and len(put.acks) >= 2
    got = cluster.get("cart:alice")
    assert got.ok and got.values == (b"milk",)
    assert got.context and got.coordinator in cluster.ring.preference_list(b"cart:alice", 3)


def test_write_with_a_killed_replica_succeeds_through_a_hint_and_hands_it_back() -> None:
    cluster = make(nodes=tuple(f"n{i}" for i in range(1, 6)))
    key = b"cart:alice"
    plist = cluster.ring.preference_list(key, 3)
    cluster.put(key, "milk")
    victim = plist[1]
    cluster.kill(victim)
    put = cluster.put(key, "eggs", w=3)
    assert put.ok and len(put.acks) == 3
    assert len(put.hints) == 1 and put.hints[0][1] == victim
    holder = put.hints[0][0]
    assert holder not in plist
    assert len(cluster.nodes[holder].hints) == 1
    cluster.recover(victim)
    cluster.run(3 * SECOND)
    ins = cluster.inspect(key)
    on_victim = next(r for r in ins.replicas if r.node == victim)
    assert [v.value for v in on_victim.versions] == [b"eggs"]
    assert all(len(n.hints) == 0 for n in cluster.nodes.values())


def test_read_repair_fixes_a_stale_replica() -> None:
    cluster = make(handoff=False)
    key = b"k"
    plist = cluster.ring.preference_list(key, 3)
    cluster.put(key, "v1")
    cluster.settle()
    cluster.kill(plist[2])
    cluster.put(key, "v2")
    cluster.recover(plist[2])
    for node in cluster.nodes.values():  # drop the hint so only read repair can fix it
        node.hints.clear()
    stale = cluster.nodes[plist[2]].store.get(key)
    assert [v.value for v in stale.versions] == [b"v1"]
    cluster.run(3 * SECOND)  # let suspicions expire
    got = cluster.get(key, r=3)
    assert got.values == (b"v2",)
    cluster.run(1 * SECOND)
    fixed = cluster.nodes[plist[2]].store.get(key)
    assert [v.value for v in fixed.versions] == [b"v2"]


def test_two_clients_sharing_a_context_through_one_coordinator_both_survive_in_dvv() -> None:
    cluster = make(versioning="dvv")
    key = b"cart"
    cluster.put(key, "base", client="alice")
    coordinator = cluster.ring.preference_list(key, 3)[0]
    cluster.get(key, client="alice")
    cluster.get(key, client="bob")
    assert cluster.clients["alice"].contexts[key] == cluster.clients["bob"].contexts[key]
    a = cluster.submit_put(key, "from-alice", client="alice", via=coordinator)
    b = cluster.submit_put(key, "from-bob", client="bob", via=coordinator)
    cluster.wait(a)
    cluster.wait(b)
    got = cluster.get(key, r=3)
    assert sorted(got.values) == [b"from-alice", b"from-bob"]


def test_the_same_race_loses_a_write_in_vclock_mode() -> None:
    cluster = make(versioning="vclock")
    key = b"cart"
    cluster.put(key, "base", client="alice")
    coordinator = cluster.ring.preference_list(key, 3)[0]
    cluster.get(key, client="alice")
    cluster.get(key, client="bob")
    a = cluster.submit_put(key, "from-alice", client="alice", via=coordinator)
    b = cluster.submit_put(key, "from-bob", client="bob", via=coordinator)
    assert cluster.wait(a).ok and cluster.wait(b).ok
    got = cluster.get(key, r=3)
    assert len(got.values) == 1  # both acknowledged, one silently lost: the paper's clocks


def test_partition_makes_siblings_and_a_reconciling_put_merges_them() -> None:
    cluster = make()
    key = b"cart:alice"
    cluster.put(key, "milk", client="alice")
    cluster.get(key, client="bob")
    cluster.partition([["n1", "n2"], ["n3", "n4", "n5"]])
    assert cluster.put(key, "eggs", client="alice", via="n1").ok
    assert cluster.put(key, "bread", client="bob", via="n4").ok
    cluster.heal()
    cluster.run(3 * SECOND)
    got = cluster.get(key, client="alice", r=3)
    assert sorted(got.values) == [b"bread", b"eggs"]
    assert cluster.put(key, "eggs+bread", client="alice").ok
    assert cluster.get(key, r=3).values == (b"eggs+bread",)


def test_delete_is_a_tombstone_that_hides_the_value() -> None:
    cluster = make()
    cluster.put("k", "v")
    cluster.get("k")
    assert cluster.delete("k").ok
    got = cluster.get("k", r=3)
    assert got.ok and got.values == ()
    assert all(v.value is None for v in got.versions)


def test_load_balancer_routing_forwards_with_one_extra_hop() -> None:
    cluster = make()
    key = b"cart:alice"
    outsider = next(n for n in cluster.nodes if n not in cluster.ring.preference_list(key, 3))
    put = cluster.put(key, "milk", via=outsider)
    assert put.ok and put.hops == 1 and put.coordinator != outsider
    direct = cluster.put(key, "eggs")
    assert direct.hops == 0


def test_request_fails_at_timeout_reporting_acks() -> None:
    cluster = make(nodes=("a", "b", "c"), n=3, w=3)
    cluster.kill("b")
    cluster.kill("c")
    put = cluster.put("k", "v", via="a")
    assert not put.ok and "1/3" in put.error


def test_bad_input_is_a_clear_error() -> None:
    cluster = make()
    with pytest.raises(StorageError, match="1 MiB"):
        cluster.put("k", b"x" * (2 << 20))
    with pytest.raises(ClusterError, match="unknown node"):
        cluster.kill("n99")
    with pytest.raises(ClusterError, match="two groups"):
        cluster.partition([["n1"], ["n1", "n2"]])
    with pytest.raises(ClusterError):
        ClusterConfig(nodes=("a", "b"), n=3)
    tampered = cluster.put("k", "v").context
    assert tampered
    cluster.clients["client"].contexts[b"k"] = tampered[:-3] + ("A" if tampered[-3] != "A" else "B") + tampered[-2:]
    result = cluster.put("k", "w")
    assert not result.ok and "integrity" in result.error


def test_same_seed_same_trace() -> None:
    def run() -> str:
        cluster = make(loss=0.1)
        for i in range(30):
            cluster.put(f"k{i % 5}", f"v{i}", client=f"c{i % 3}")
            if i == 10:
                cluster.kill("n2")
            if i == 20:
                cluster.recover("n2")
        cluster.settle()
        return cluster.digest() + cluster.state_digest()

    assert run() == run()


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("w", [1, 2, 3])
def test_a_put_on_a_healthy_cluster_leaves_no_hint_and_no_suspicion(w: int, seed: int) -> None:
    """Every replica answers, whatever W: none may time out. (At W=1 the coordinator used
    to answer on its own write before asking the others, finish, then ignore their acks:
    each 'timed out', was suspected, and a stand-in got a needless hint.)"""
    c = Cluster(ClusterConfig(nodes=("n1", "n2", "n3", "n4", "n5"), n=3, r=1, w=w, seed=seed))
    for i in range(5):
        assert c.put(f"k{i}", f"v{i}").ok
    c.run(1 * SECOND)
    for i in range(5):
        ins = c.inspect(f"k{i}")
        assert all(not r.hints for r in ins.replicas), ins
        assert sorted(r.node for r in ins.replicas if r.versions) == sorted(ins.preference_list)
    assert all(not v.suspects for v in c.node_views())


def test_a_read_whose_primaries_cannot_answer_fails_at_once_with_the_reason() -> None:
    """pr=2 with two of three primaries down: the fallbacks answer, R is met but pr is
    not, and nobody is left to ask. The coordinator says so then, instead of falling
    silent until the client gives up ("no reply from n3 (is it down?)")."""
    c = Cluster(ClusterConfig(nodes=("n1", "n2", "n3", "n4", "n5"), seed=1))
    assert c.put("cart", "book").ok
    plist = c.ring.preference_list(b"cart", 3)
    c.kill(plist[1])
    c.kill(plist[2])
    c.run(200_000)
    result = c.get("cart", pr=2)
    assert not result.ok
    assert "not enough" in result.error and "1/2 primaries" in result.error, result.error
    assert result.coordinator == plist[0]
    assert c.get("cart").ok  # without pr the fallbacks' answers make R


def test_a_put_whose_primaries_cannot_ack_fails_at_once_with_the_reason() -> None:
    c = Cluster(ClusterConfig(nodes=("n1", "n2", "n3", "n4", "n5"), seed=1))
    plist = c.ring.preference_list(b"cart", 3)
    c.kill(plist[1])
    c.kill(plist[2])
    c.run(200_000)
    result = c.put("cart", "book", pw=2)
    assert not result.ok and "not enough" in result.error and "1/2 primaries" in result.error, result.error


def test_a_blocking_request_inside_an_event_returns_and_so_does_the_one_around_it() -> None:
    """``wait`` runs the simulation until its request's completion halts it; a wait
    nested in an event (a callback that reads synchronously) must end, and an outer
    request that completed during it must still end the outer wait."""
    c = Cluster(ClusterConfig(seed=4))
    inner: list[bool] = []
    trigger = c.submit_put("b", "2")
    trigger.callbacks.append(lambda p: inner.append(c.put("c", "3").ok))
    outer = c.submit_put("a", "1")
    assert c.wait(outer).ok
    assert c.wait(trigger).ok and inner == [True]
    assert c.get("c").values == (b"3",)
    start = c.now
    assert c.put("d", "4").ok and c.now - start < 100_000, "the next wait stops at its own answer"
