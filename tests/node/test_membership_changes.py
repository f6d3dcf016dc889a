"""Gossip spreads membership; joins, leaves and removals move data and keep it readable."""

from __future__ import annotations

import pytest

from dynviz.cluster import Cluster, ClusterConfig, ClusterError
from dynviz.core.units import SECOND
from dynviz.events import EventBus, Learned, RingChange


def loaded(nodes: int = 8, keys: int = 600, **kw) -> Cluster:
    kw.setdefault("seed", 3)
    cluster = Cluster(ClusterConfig(nodes=tuple(f"n{i}" for i in range(1, nodes + 1)), **kw),
                      bus=kw.pop("bus", None))
    pending = [cluster.submit_put(f"key{i}", f"v{i}") for i in range(keys)]
    for p in pending:
        assert cluster.wait(p).ok
    return cluster


def assert_placed_and_readable(cluster: Cluster, keys: int) -> None:
    for i in range(keys):
        key = f"key{i}"
        assert cluster.get(key).values == (f"v{i}".encode(),), key
        ins = cluster.inspect(key)
        assert sorted(ins.holders()) == sorted(ins.preference_list), key


@pytest.mark.parametrize("strategy", ["equal", "random"])
def test_join_moves_about_one_ninth_and_every_view_converges(strategy: str) -> None:
    bus = EventBus()
    events: list = []
    bus.subscribe(events.append)
    cluster = Cluster(ClusterConfig(nodes=tuple(f"n{i}" for i in range(1, 9)), seed=3, strategy=strategy),
                      bus=bus)
    for i in range(900):
        cluster.put(f"key{i}", f"v{i}")
    cluster.join("n9")
    cluster.run(60 * SECOND)
    phases = [e.phase for e in events if isinstance(e, RingChange)]
    assert phases == ["planned", "transferring", "committed"]
    for observer, members in cluster.views().items():
        assert {m.name for m in members} == {f"n{i}" for i in range(1, 10)}, observer
        assert all(m.status == "up" for m in members), observer
    assert_placed_and_readable(cluster, 900)
    learned = {e.node for e in events if isinstance(e, Learned) and e.subject == "n9" and e.status == "up"}
    assert learned == set(cluster.nodes)
    if strategy == "equal":
        moved = len(cluster.nodes["n9"].store) / (900 * 3)
        assert moved <= 1.25 / 9


def test_leave_hands_data_over_and_remove_rebuilds_it() -> None:
    cluster = loaded()
    cluster.leave("n3")
    cluster.run(30 * SECOND)
    assert cluster.gossip_of("n1").view.members["n3"].status == "left"
    assert len(cluster.nodes["n3"].store) == 0
    assert_placed_and_readable(cluster, 600)
    cluster.remove("n5")
    cluster.run(30 * SECOND)
    assert cluster.gossip_of("n1").view.members["n5"].status == "removed"
    assert_placed_and_readable(cluster, 600)
    with pytest.raises(ClusterError, match="removed"):
        cluster.recover("n5")


def test_writes_during_a_join_are_not_missed() -> None:
    cluster = loaded(keys=200)
    cluster.join("n9")
    for i in range(200, 400):  # while n9 pulls its ranges
        assert cluster.put(f"key{i}", f"v{i}").ok
    cluster.run(30 * SECOND)
    assert_placed_and_readable(cluster, 400)


def test_one_change_at_a_time() -> None:
    cluster = loaded(keys=50)
    cluster.join("n9")
    with pytest.raises(ClusterError, match="try again"):
        cluster.join("n10")
    cluster.settle()
    cluster.join("n10")


def test_a_killed_node_is_suspected_by_heartbeat_and_trusted_again() -> None:
    cluster = loaded(nodes=5, keys=10)
    cluster.kill("n4")
    cluster.run(10 * SECOND)
    for name in ("n1", "n2", "n3", "n5"):
        assert "n4" in cluster.nodes[name].detector.suspected(), name
    matrix = cluster.gossip_matrix()
    assert matrix["n1"]["n4"][2] is True and matrix["n1"]["n4"][1] > 5 * SECOND
    cluster.recover("n4")
    cluster.run(10 * SECOND)
    assert all("n4" not in cluster.nodes[n].detector.suspected() for n in ("n1", "n2", "n3", "n5"))
