"""Promises of dynviz.node.antientropy: per-range Merkle trees kept up to date on write,
exchanges that descend only where hashes differ and ship only keys under differing
leaves, merges that never overwrite a concurrent version, and sessions that survive
lost messages (paper section 4.7)."""

from __future__ import annotations

from dynviz.cluster import Cluster, ClusterConfig
from dynviz.core.units import SECOND
from dynviz.core.versions import (
    EMPTY_CONTEXT,
    CausalContext,
    Siblings,
    VClock,
    Version,
    digest_siblings,
)
from dynviz.events import Event
from dynviz.node.antientropy import (
    AntiEntropy,
    AntiEntropyAbandoned,
    AntiEntropyExchange,
    ExchangeReport,
)

NODES = ("n1", "n2", "n3", "n4", "n5")


def make(keys: int = 0, interval: int = 10 * SECOND, enabled: bool = False, **kw) -> Cluster:
    kw.setdefault("seed", 11)
    kw.setdefault("nodes", NODES)
    cluster = Cluster(ClusterConfig(handoff=False, readrepair=False, antientropy=enabled,
                                    antientropy_interval=interval, **kw))
    for start in range(0, keys, 100):
        pending = [cluster.submit_put(f"key:{i:04d}", f"v{i}") for i in range(start, min(keys, start + 100))]
        for p in pending:
            assert cluster.wait(p).ok
    cluster.settle()
    return cluster


def ae(cluster: Cluster, name: str) -> AntiEntropy:
    component = cluster.nodes[name].antientropy
    assert isinstance(component, AntiEntropy)
    return component


def exchange(cluster: Cluster, a: str, peers: list[str] | None = None) -> list[ExchangeReport]:
    """Run ``a``'s exchanges with ``peers`` (default: every node), one peer at a time."""
    reports: list[ExchangeReport] = []
    component = ae(cluster, a)
    for peer in peers if peers is not None else [p for p in cluster.nodes if p != a]:
        if not component.shared_ranges(peer):
            continue
        component.exchange_with(peer, on_done=reports.append)
        end = cluster.now + 30 * SECOND
        while component.active_sessions() and cluster.now < end:
            cluster.run_until(cluster.now + 10_000)
        assert component.active_sessions() == 0
    return reports


def should_hold(cluster: Cluster, name: str) -> set[bytes]:
    """Every key some node stores whose first-N preference list includes ``name``."""
    every: set[bytes] = set()
    for node in cluster.nodes.values():
        every.update(k for k, _ in node.store.items())
    return {k for k in every if name in cluster.ring.preference_list(k, cluster.config.n)}


def assert_converged(cluster: Cluster) -> None:
    for node in cluster.nodes.values():
        for key, siblings in node.store.items():
            for other in cluster.ring.preference_list(key, cluster.config.n):
                assert cluster.nodes[other].store.get(key) == siblings, (key, node.name, other)


def version(actor: str, value: bytes, ts: int, past: CausalContext = EMPTY_CONTEXT) -> Version:
    return Version(value, (actor, 1), past, VClock.of({actor: 1}, ts), ts)


# -- digests -------------------------------------------------------------------------


def test_digest_is_stable_and_tells_sibling_sets_apart() -> None:
    a = Siblings((version("n1", b"x", 5),))
    same = Siblings((version("n1", b"x", 5),))
    assert a is not same and digest_siblings(a) == digest_siblings(same)
    assert len(digest_siblings(a)) == 16
    # Fixed across processes and runs (no hash()): a regression guard for the encoding.
    assert digest_siblings(Siblings.EMPTY).hex() == "ead9a09ae23f059006f2bea50e245ff4"
    others = [
        Siblings((version("n1", b"y", 5),)),
        Siblings((version("n2", b"x", 5),)),
        Siblings((version("n1", b"x", 6),)),
        Siblings((Version(None, ("n1", 1), EMPTY_CONTEXT, VClock.of({"n1": 1}, 5), 5),)),
        Siblings((version("n1", b"x", 5, CausalContext.of({"n2": 1})),)),
        Siblings((version("n1", b"x", 5), version("n2", b"x", 5))),
        Siblings.EMPTY,
    ]
    digests = {digest_siblings(s) for s in others} | {digest_siblings(a)}
    assert len(digests) == len(others) + 1


# -- trees ---------------------------------------------------------------------------


def test_trees_follow_writes_incrementally_and_match_a_rebuild() -> None:
    cluster = make(keys=200)
    node = cluster.nodes["n1"]
    component = ae(cluster, "n1")
    ranges = component.replicated_ranges()
    before = {r: component.tree(r).root() for r in ranges}
    for i in range(200, 260):
        assert cluster.put(f"key:{i:04d}", "later").ok
    cluster.settle()
    node.drop_key(next(k for k, _ in node.store.items()))
    incremental = {r: component.tree(r).root() for r in ranges}
    assert incremental != before
    component.wipe()  # forget the trees: the next read rebuilds them from the store
    assert {r: component.tree(r).root() for r in ranges} == incremental
    snap = component.snapshot(ranges[0])
    assert snap[0] == ((0, 0), incremental[ranges[0]].hex()[:8])
    assert len(snap) == 1 + 16 + 256


# -- exchanges -----------------------------------------------------------------------


def test_identical_replicas_compare_one_hash_per_range_and_ship_nothing() -> None:
    cluster = make(keys=300)
    reports = exchange(cluster, "n2")
    assert reports and all(r.ok for r in reports)
    assert all(r.hashes_compared == 1 and not r.keys_exchanged and not r.path for r in reports)
    assert {r.range_index for r in reports} == set(ae(cluster, "n2").replicated_ranges())


def test_a_wiped_node_is_repaired_by_anti_entropy_alone_and_only_under_differing_leaves() -> None:
    cluster = make(keys=500)
    events: list[Event] = []
    cluster.bus.subscribe(events.append)
    expected = should_hold(cluster, "n3")
    assert 200 < len(expected) < 500
    cluster.wipe("n3")
    assert len(cluster.nodes["n3"].store) == 0
    reports = exchange(cluster, "n3")
    wiped = cluster.nodes["n3"]
    assert {k for k, _ in wiped.store.items()} == expected
    for key in expected:
        for peer in cluster.ring.preference_list(key, 3):
            assert cluster.nodes[peer].store.get(key) == wiped.store.get(key)
    assert_converged(cluster)
    exchanges = [e for e in events if isinstance(e, AntiEntropyExchange)]
    assert len(exchanges) == len(reports) and all(r.ok for r in reports)
    first_by_range: set[int] = set()
    for ev in exchanges:
        peer_tree = ae(cluster, ev.b).tree(ev.range_index)
        under = {k for leaf in ev.leaves for k in peer_tree.leaf_keys(leaf)}
        assert set(ev.keys_sent_by_a) | set(ev.keys_sent_by_b) <= under
        assert not ev.keys_sent_by_a  # the wiped node had nothing to give
        if ev.range_index not in first_by_range:  # its first exchange of a range fills it
            first_by_range.add(ev.range_index)
            assert set(ev.keys_sent_by_b) == under
            assert ev.bytes_moved > 0 or not under
        else:  # the second peer of the range finds it already in sync
            assert ev.hashes_compared == 1 and not ev.keys_sent_by_b
        assert {pos for pos, _ in ev.tree_a} == {pos for pos, _ in ev.tree_b}
        differing = {pos for pos, h in ev.tree_a if dict(ev.tree_b)[pos] != h}
        assert differing == set(ev.path)
        assert {(2, leaf) for leaf in ev.leaves} <= set(ev.path)
        assert ev.describe().startswith(f"anti-entropy n3 <-> {ev.b} range {ev.range_index}")
    assert first_by_range == set(ae(cluster, "n3").replicated_ranges())


def test_a_few_diverged_keys_cost_far_less_than_a_full_exchange() -> None:
    cluster = make(keys=2000, partitions=8)  # ~250 keys per range, ~1 per leaf
    node = cluster.nodes["n4"]
    mine = sorted(k for k, _ in node.store.items())
    diverged = set(mine[::150][:5])
    for key in diverged:
        newer = version("n4#x", b"newer", cluster.now + 1, node.versioning.context_of(node.store.get(key)))
        node.store_siblings(key, Siblings((newer,)), None, cause="test")
    reports = exchange(cluster, "n4")
    exchanged = set().union(*(r.keys_exchanged for r in reports))
    assert exchanged == diverged
    assert_converged(cluster)
    for key in diverged:
        for peer in cluster.ring.preference_list(key, 3):
            assert cluster.nodes[peer].store.get(key).values() == [b"newer"]
    compared = sum(r.hashes_compared for r in reports)
    full = sum(len(list(node.store.keys_in_range(r.lo, r.hi))) for r in reports)
    shipped = compared + sum(len(r.keys_exchanged) for r in reports)
    assert shipped < full / 5, (shipped, full)
    stats = ae(cluster, "n4").stats()
    assert stats.hashes_compared == compared and stats.active == 0
    assert stats.keys_exchanged == sum(len(r.keys_sent_by_a) + len(r.keys_sent_by_b) for r in reports)


def test_concurrent_versions_merge_to_both_siblings_and_never_overwrite() -> None:
    cluster = make(keys=50)
    key = b"cart:alice"
    a, b, c = cluster.ring.preference_list(key, 3)
    va = version(a, b"milk", 100)
    vb = version(b, b"eggs", 200)
    cluster.nodes[a].store_siblings(key, Siblings((va,)), None, cause="test")
    cluster.nodes[b].store_siblings(key, Siblings((vb,)), None, cause="test")
    r = cluster.ring.range_of_key(key)
    reports: list[ExchangeReport] = []
    assert ae(cluster, a).exchange_with(b, [r], on_done=reports.append) == 1
    cluster.run(1 * SECOND)
    (report,) = reports
    assert report.ok and report.keys_sent_by_a == (key,) and report.keys_sent_by_b == (key,)
    for name in (a, b):
        held = cluster.nodes[name].store.get(key)
        assert sorted(held.values()) == [b"eggs", b"milk"]
    assert cluster.nodes[a].store.get(key) == cluster.nodes[b].store.get(key)
    exchange(cluster, c, [a])
    assert cluster.nodes[c].store.get(key) == cluster.nodes[a].store.get(key)
    assert ae(cluster, a).last_exchange == report


def test_periodic_exchanges_eventually_converge_a_diverged_replica() -> None:
    cluster = make(keys=300, interval=1 * SECOND, enabled=True)
    expected = should_hold(cluster, "n5")
    cluster.wipe("n5")
    cluster.run(240 * SECOND)
    assert {k for k, _ in cluster.nodes["n5"].store.items()} == expected
    assert_converged(cluster)
    assert sum(ae(cluster, n).sessions_done for n in cluster.nodes) > 100


def test_a_lost_message_only_abandons_a_session_and_later_ones_succeed() -> None:
    cluster = make(keys=300)
    events: list[Event] = []
    cluster.bus.subscribe(events.append)
    expected = should_hold(cluster, "n1")
    cluster.wipe("n1")
    cluster.set_loss(0.9)
    reports = exchange(cluster, "n1", ["n2"])
    abandoned = [r for r in reports if r.status == "abandoned"]
    assert abandoned and all("no answer" in r.reason for r in abandoned)
    assert any(isinstance(e, AntiEntropyAbandoned) for e in events)
    cluster.set_loss(0.0)
    reports = exchange(cluster, "n1")
    assert reports and all(r.ok for r in reports)
    assert {k for k, _ in cluster.nodes["n1"].store.items()} == expected
    assert_converged(cluster)


def test_a_crash_abandons_sessions_and_a_refusal_ends_one() -> None:
    cluster = make(keys=100)
    component = ae(cluster, "n1")
    reports: list[ExchangeReport] = []
    peer = next(p for p in cluster.nodes if p != "n1" and component.shared_ranges(p))
    started = component.exchange_with(peer, on_done=reports.append)
    assert started == len(component.shared_ranges(peer)) and component.active_sessions() == started
    cluster.kill("n1")
    assert component.active_sessions() == 0
    assert len(reports) == started and all(r.status == "abandoned" for r in reports)
    cluster.recover("n1")
    # A range the peer does not replicate: it refuses, the session ends at once.
    other = next(r for r in component.replicated_ranges() if r not in component.shared_ranges(peer))
    reports.clear()
    component._start(peer, other, reports.append)
    cluster.run(1 * SECOND)
    (report,) = reports
    assert report.status == "refused" and "does not replicate" in report.reason


def test_exchange_with_rejects_itself_and_ranges_not_shared() -> None:
    cluster = make()
    component = ae(cluster, "n1")
    for bad in (lambda: component.exchange_with("n1"),
                lambda: component.exchange_with("n2", [r for r in range(len(cluster.ring))
                                                        if r not in component.shared_ranges("n2")][:1])):
        try:
            bad()
        except ValueError as exc:
            assert "n1" in str(exc)
        else:
            raise AssertionError("expected a ValueError")


def test_periodic_anti_entropy_replays_identically_from_a_seed() -> None:
    def once() -> tuple[str, str, list[str]]:
        cluster = make(keys=200, interval=2 * SECOND, enabled=True, seed=3)
        cluster.wipe("n2")
        cluster.run(30 * SECOND)
        described = [r.describe() for n in cluster.nodes for r in ae(cluster, n).history]
        return cluster.digest(), cluster.state_digest(), described

    first = once()
    assert first[2] and first == once()
