"""Range reads over a key group: R replicas answer, entries merge key by key, limits
and direction are exact, stale replicas are repaired, hints are read."""

from __future__ import annotations

from dynviz.cluster import Cluster, ClusterConfig
from dynviz.core.hashing import grouped_key
from dynviz.core.units import SECOND


def make(**kw) -> Cluster:
    kw.setdefault("seed", 7)
    kw.setdefault("nodes", tuple(f"n{i}" for i in range(1, 6)))
    return Cluster(ClusterConfig(**kw))


def fill(cluster: Cluster, group: bytes, suffixes: list[bytes]) -> None:
    for s in suffixes:
        assert cluster.put(grouped_key(group, s), b"v" + s).ok


def suffixes_of(result) -> list[bytes]:
    return [k for k, _ in result.entries]


def test_a_group_reads_back_in_key_order_and_only_its_own_keys() -> None:
    cluster = make()
    fill(cluster, b"g", [b"m", b"a", b"z", b"c"])
    fill(cluster, b"h", [b"b"])
    assert cluster.put(b"g", b"plain key, not in the group").ok
    got = cluster.range_get(b"g")
    assert got.ok and not got.more
    assert suffixes_of(got) == [b"a", b"c", b"m", b"z"]
    assert [s.versions[0].value for _, s in got.entries] == [b"va", b"vc", b"vm", b"vz"]


def test_bounds_limit_and_direction() -> None:
    cluster = make()
    fill(cluster, b"g", [bytes([i]) for i in range(10)])
    got = cluster.range_get(b"g", start=bytes([2]), end=bytes([7]), limit=3)
    assert suffixes_of(got) == [bytes([2]), bytes([3]), bytes([4])] and got.more
    rest = cluster.range_get(b"g", start=bytes([4]) + b"\x00", end=bytes([7]), limit=3)
    assert suffixes_of(rest) == [bytes([5]), bytes([6])] and not rest.more
    down = cluster.range_get(b"g", end=bytes([7]), limit=4, reverse=True)
    assert suffixes_of(down) == [bytes([6]), bytes([5]), bytes([4]), bytes([3])] and down.more


def test_a_replica_missing_keys_is_outvoted_and_repaired() -> None:
    cluster = make(handoff=False)
    group = b"orders"
    key = grouped_key(group, b"1")
    plist = cluster.ring.preference_list(key, 3)
    fill(cluster, group, [b"1"])
    cluster.settle()
    cluster.kill(plist[2])
    fill(cluster, group, [b"2", b"3"])
    cluster.recover(plist[2])
    for node in cluster.nodes.values():  # only read repair may fix the stale replica
        node.hints.clear()
    lagging = cluster.nodes[plist[2]]
    assert grouped_key(group, b"2") not in lagging.store
    cluster.run(3 * SECOND)  # suspicions expire
    got = cluster.range_get(group, r=3)
    assert suffixes_of(got) == [b"1", b"2", b"3"]
    cluster.run(1 * SECOND)
    assert grouped_key(group, b"2") in lagging.store and grouped_key(group, b"3") in lagging.store


def test_a_stand_in_answers_with_the_hints_it_holds() -> None:
    cluster = make(handoff=False)
    group = b"cart"
    plist = cluster.ring.preference_list(grouped_key(group), 3)
    cluster.kill(plist[0])
    fill(cluster, group, [b"x", b"y"])
    cluster.run(1 * SECOND)  # the dead primary's replica timeouts send the writes on
    holders = [n for n in cluster.nodes.values() if len(n.hints)]
    assert holders, "a stand-in should hold the writes as hints"
    entries, more = holders[0].read_range(grouped_key(group), grouped_key(group), None, 10, False)
    assert [k for k, _ in entries] == [grouped_key(group, b"x"), grouped_key(group, b"y")] and not more
    got = cluster.range_get(group, r=3)
    assert got.ok and suffixes_of(got) == [b"x", b"y"]


def test_the_reply_fails_without_enough_replicas() -> None:
    cluster = make(nodes=("n1", "n2", "n3"))
    fill(cluster, b"g", [b"a"])
    cluster.kill("n2")
    cluster.kill("n3")
    got = cluster.range_get(b"g", r=2)
    assert not got.ok and "not enough: 1/2 replies" in got.error and "timed out" in got.error, got.error


def test_range_reads_are_in_the_trace_and_replay_identically() -> None:
    digests = []
    for _ in range(2):
        cluster = make()
        fill(cluster, b"g", [b"a", b"b"])
        cluster.range_get(b"g", limit=1)
        digests.append(cluster.digest())
    assert digests[0] == digests[1]
