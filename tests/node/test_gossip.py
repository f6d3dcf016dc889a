"""Promises of dynviz.node.gossip (paper sections 4.8.1-4.8.2): every round a node bumps
its own heartbeat and pushes its whole view to one random live peer (sometimes to a
seed too); the peer merges it by the membership rule (dynviz/core/membership.py: the
entry with the larger (version, generation, heartbeat) wins) and answers with its own
view; a peer whose heartbeat stalls for ``suspect_after`` is suspected until it
advances; each rumour is reported once per node, naming who told it."""

from __future__ import annotations

from dataclasses import replace

from fakeruntime import FakeNet, FakeRuntime, make_net, make_node

from dynviz.core.membership import Member
from dynviz.core.units import SECOND
from dynviz.events import GossipRound, Learned, Suspected
from dynviz.node.gossip import GossipPull, GossipPush
from dynviz.node.messages import ReplicaPutAck
from dynviz.node.node import Node

NAMES = ("n1", "n2", "n3", "n4", "n5")
TWO = ("n1", "n2")


def entry(node: Node, name: str) -> Member:
    member = node.gossip.view.get(name)
    assert member is not None
    return member


def pushes(rt: FakeRuntime) -> list[str]:
    return [dst for dst, _ in rt.take(GossipPush)]


def two_nodes() -> FakeNet:
    """A two-node cluster: each node's only peer is the other."""
    net = FakeNet()
    for name in TWO:
        node, rt = make_node(name, TWO, n=2, r=1, w=1)
        node.gossip.seed_probability = 0
        net.add(node, rt)
    for node in net.nodes.values():
        node.start()
    return net


# -- a round ---------------------------------------------------------------------------


def test_a_round_bumps_the_heartbeat_and_pushes_the_whole_view_to_one_peer() -> None:
    node, rt = make_node("n3", NAMES, start=True)
    node.gossip.seed_probability = 0
    assert entry(node, "n3").heartbeat == 0
    peer = node.gossip.gossip_once()
    assert entry(node, "n3").heartbeat == 1
    [(dst, push)] = rt.take(GossipPush)
    assert dst == peer and peer in NAMES and peer != "n3"
    assert push == GossipPush(node.gossip.view.entries(), 1)
    assert {m.name for m in push.entries} == set(NAMES)
    [event] = rt.of(GossipRound)
    assert (event.node, event.peer, event.round) == ("n3", peer, 1)
    node.gossip.gossip_once()
    assert [m.round for _, m in rt.take(GossipPush)] == [2], "rounds are numbered"
    assert entry(node, "n3").heartbeat == 2


def test_rounds_run_every_interval_on_their_own() -> None:
    node, rt = make_node("n3", NAMES, start=True, gossip_interval=SECOND)
    node.gossip.seed_probability = 0
    rt.advance(10 * SECOND)
    assert len(pushes(rt)) == 10 and entry(node, "n3").heartbeat == 10


def test_the_peer_is_a_live_peer_this_node_believes_reachable() -> None:
    node, rt = make_node("n3", NAMES, start=True)
    node.gossip.seed_probability = 0
    node.gossip.view.put(entry(node, "n5").bumped(status="left"))
    node.detector.suspect("n1", "no ack")
    node.detector.suspect("n2", "no ack")
    peers = {node.gossip.gossip_once() for _ in range(30)}
    assert peers == {"n4"}, "n5 left, n1 and n2 are suspected"


def test_when_every_peer_is_suspected_one_is_tried_anyway() -> None:
    node, rt = make_node("n3", NAMES, start=True)
    node.gossip.seed_probability = 0
    for peer in ("n1", "n2", "n4", "n5"):
        node.detector.suspect(peer, "no ack")
    peers = {node.gossip.gossip_once() for _ in range(40)}
    assert peers == {"n1", "n2", "n4", "n5"}


def test_a_seed_is_gossiped_with_too_at_the_seed_probability() -> None:
    node, rt = make_node("n3", NAMES, start=True)  # the seeds are n1 and n2
    node.gossip.seed_probability = 1.0
    for _ in range(20):
        peer = node.gossip.gossip_once()
        sent = pushes(rt)
        assert sent[0] == peer and len(sent) == 2
        assert sent[1] in ("n1", "n2") and sent[1] != peer, "a seed other than the peer"
    node.gossip.seed_probability = 0.0
    for _ in range(20):
        node.gossip.gossip_once()
        assert len(pushes(rt)) == 1


def test_a_seed_does_not_gossip_with_itself_as_a_seed() -> None:
    node, rt = make_node("n1", NAMES, start=True)
    node.gossip.seed_probability = 1.0
    for _ in range(20):
        peer = node.gossip.gossip_once()
        assert "n1" not in pushes(rt)
        assert peer != "n1"


# -- push and pull ---------------------------------------------------------------------


def test_a_push_is_merged_and_answered_with_the_merged_view_and_a_pull_is_only_merged() -> None:
    node, rt = make_node("n1", NAMES, start=True)
    leaving = entry(node, "n3").bumped(status="leaving")
    node.handle("n2", GossipPush((leaving,), 7))
    assert entry(node, "n3") == leaving
    [(dst, pull)] = rt.take(GossipPull)
    assert dst == "n2" and pull == GossipPull(node.gossip.view.entries(), 7)
    assert leaving in pull.entries
    left = leaving.bumped(status="left")
    node.handle("n4", GossipPull((left,), 3))
    assert entry(node, "n3") == left and rt.take() == []


def test_one_exchange_makes_two_views_equal() -> None:
    net = two_nodes()
    n1, n2 = net.nodes["n1"], net.nodes["n2"]
    n2.gossip.change_entries([entry(n2, "n2").bumped(status="leaving")])  # known only to n2
    for _ in range(3):
        n2.gossip.gossip_once()  # n2's heartbeat moves on; n1 hears nothing yet
    net.runtimes["n2"].take(GossipPush)
    assert n1.gossip.view.digest() != n2.gossip.view.digest()
    assert n1.gossip.gossip_once() == "n2"
    net.deliver()
    assert [type(m).__name__ for _, _, _, m in net.delivered] == ["GossipPush", "GossipPull"], "push-pull"
    assert n1.gossip.view.digest() == n2.gossip.view.digest()
    assert entry(n1, "n2").status == "leaving" and entry(n1, "n2").heartbeat == 3


def test_views_merge_by_version_then_generation_then_heartbeat() -> None:
    node, rt = make_node("n1", NAMES, start=True)
    base = entry(node, "n3")  # version 1, generation 1, heartbeat 0

    def told(member: Member) -> Member:
        node.handle("n2", GossipPull((member,), 1))
        return entry(node, "n3")

    assert told(replace(base, heartbeat=5)).heartbeat == 5, "a later heartbeat wins"
    assert told(replace(base, heartbeat=4)).heartbeat == 5, "an older heartbeat does not"
    restarted = replace(base, generation=2, heartbeat=0)
    assert told(restarted) == restarted, "a new incarnation wins over any heartbeat of the old one"
    changed = replace(base, version=2, status="leaving")
    assert told(changed) == changed, "a new version wins over any generation and heartbeat"
    assert told(replace(base, version=1, generation=9, heartbeat=99, status="up")) == changed
    unknown = Member("n9", status="joining")
    node.handle("n2", GossipPull((unknown,), 1))
    assert entry(node, "n9") == unknown, "a member never heard of is added"


def test_a_peer_changing_this_nodes_entry_keeps_its_incarnation_and_heartbeat() -> None:
    node, rt = make_node("n1", NAMES, start=True)
    for _ in range(4):
        node.gossip.gossip_once()
    mine = entry(node, "n1")
    assert mine.heartbeat == 4
    told = replace(mine, version=mine.version + 1, status="leaving", heartbeat=0)  # an admin's change
    node.handle("n2", GossipPull((told,), 1))
    after = entry(node, "n1")
    assert (after.version, after.status) == (told.version, "leaving"), "its meaning adopted"
    assert (after.generation, after.heartbeat) == (mine.generation, 4), "only n1 advances its heartbeat"


# -- heartbeats and suspicion ----------------------------------------------------------


def test_a_peer_whose_heartbeat_stalls_for_suspect_after_is_suspected_until_it_advances() -> None:
    node, rt = make_node("n1", NAMES, start=True, gossip_interval=SECOND, suspect_after=5 * SECOND)
    rt.advance(5 * SECOND)
    assert node.detector.suspected() == [], "not before suspect_after"
    rt.advance(SECOND)  # the next round sees five seconds and more without progress
    assert node.detector.suspected() == ["n2", "n3", "n4", "n5"]
    assert all(e.reason.startswith("no heartbeat for 5.") for e in rt.of(Suspected))
    rt.advance(60 * SECOND)
    assert node.detector.suspected() == ["n2", "n3", "n4", "n5"], "no timeout ends it"
    news = tuple(replace(entry(node, n), heartbeat=entry(node, n).heartbeat + 1) for n in ("n2", "n3"))
    node.handle("n2", GossipPull(news, 1))  # n2 tells its own heartbeat and n3's
    assert node.detector.suspected() == ["n4", "n5"], "n3's advance, heard through n2, clears it too"
    assert {e.peer for e in rt.of(Suspected) if not e.suspected} == {"n2", "n3"}
    rt.advance(5 * SECOND + node.gossip.interval)
    assert node.detector.suspected() == ["n2", "n3", "n4", "n5"], "stalled again"


def test_gossip_heard_keeps_peers_trusted() -> None:
    net = make_net(("n1", "n2", "n3"), n=3)
    net.run(30 * SECOND)
    assert all(node.detector.suspected() == [] for node in net.nodes.values())
    assert all(entry(net.nodes["n1"], n).heartbeat >= 25 for n in ("n2", "n3"))


def test_a_member_that_left_is_never_suspected_by_heartbeat() -> None:
    node, rt = make_node("n1", NAMES, start=True)
    node.handle("n2", GossipPull((entry(node, "n5").bumped(status="left"),), 1))
    rt.advance(30 * SECOND)
    assert "n5" not in node.detector.suspected()


def test_a_crash_forgets_heartbeat_ages_and_a_restart_counts_from_then() -> None:
    node, rt = make_node("n1", NAMES, start=True)
    rt.advance(3 * SECOND)
    rt.crash()
    node.crash()
    rt.advance(100 * SECOND)  # down for long
    node.start()
    assert all(age == 0 for _, age, _ in node.gossip.freshness().values())
    rt.advance(5 * SECOND)
    assert node.detector.suspected() == [], "not suspected for the time it was down itself"


def test_freshness_reports_status_heartbeat_age_and_suspicion() -> None:
    node, rt = make_node("n1", NAMES, start=True)
    rt.advance(2 * SECOND)
    node.handle("n2", GossipPull((replace(entry(node, "n2"), heartbeat=7),), 1))
    rt.advance(SECOND)
    node.detector.suspect("n3", "no ack")
    fresh = node.gossip.freshness()
    assert fresh["n1"] == ("up", 0, False)
    assert fresh["n2"] == ("up", SECOND, False)
    assert fresh["n3"] == ("up", 3 * SECOND, True)


# -- rumours -----------------------------------------------------------------------------


def test_a_rumour_is_learned_once_naming_who_told_it() -> None:
    node, rt = make_node("n1", NAMES, start=True)
    node.gossip.gossip_once()
    node.gossip.gossip_once()
    rt.advance(10)
    leaving = entry(node, "n3").bumped(status="leaving")
    node.handle("n4", GossipPull((leaving,), 5))
    node.handle("n2", GossipPush((leaving,), 6))  # the same rumour again, from another
    learned = [e for e in rt.of(Learned) if e.subject == "n3"]
    assert [(e.time, e.node, e.subject, e.generation, e.version, e.status, e.source, e.round)
            for e in learned] == [(10, "n1", "n3", 1, 2, "leaving", "n4", 2)]
    assert node.gossip.learned[("n3", 1, 2)] == (10, 2)


def test_a_heartbeat_is_not_a_rumour() -> None:
    node, rt = make_node("n1", NAMES, start=True)
    before = len(rt.of(Learned))
    node.handle("n2", GossipPull((replace(entry(node, "n2"), heartbeat=9),), 1))
    assert len(rt.of(Learned)) == before


def test_a_restart_is_a_rumour_every_peer_adopts() -> None:
    net = two_nodes()
    n1, n2 = net.nodes["n1"], net.nodes["n2"]
    net.run(3 * SECOND)
    assert entry(n1, "n2").heartbeat >= 2
    rt2 = net.runtimes["n2"]
    rt2.crash()
    n2.crash()
    n2.start()  # at 3 s: a new incarnation whose heartbeat starts over
    assert (entry(n2, "n2").generation, entry(n2, "n2").heartbeat) == (2, 0)
    assert [(e.subject, e.generation, e.source) for e in rt2.of(Learned)][-1] == ("n2", 2, "")
    net.run(2 * SECOND)
    assert entry(n1, "n2").generation == 2
    assert [(e.generation, e.source) for e in net.runtimes["n1"].of(Learned) if e.subject == "n2"][-1] == (2, "n2")


def test_a_rumour_spreads_to_every_node_and_each_learns_it_from_one_who_knew() -> None:
    net = make_net(NAMES)
    n4 = net.nodes["n4"]
    net.run(SECOND)
    n4.gossip.change_entries([entry(n4, "n4").bumped(status="leaving")])
    net.run(20 * SECOND)
    heard = [e for e in net.of(Learned) if e.subject == "n4" and e.status == "leaving"]
    assert sorted(e.node for e in heard) == list(NAMES), "once per node"
    first = {e.node: e.time for e in heard}
    [origin] = [e for e in heard if e.source == ""]
    assert origin.node == "n4"
    for e in heard:
        if e is not origin:
            assert first[e.source] <= e.time, f"{e.node} learned it from {e.source}, who knew it"
    assert all(entry(node, "n4").status == "leaving" for node in net.nodes.values())


def test_a_learned_ring_change_takes_effect_and_the_node_says_it_has_seen_it() -> None:
    node, rt = make_node("n1", NAMES, start=True)
    n5 = entry(node, "n5")
    planned = n5.bumped(status="leaving", pending=(), change="leave n5")
    heartbeat = entry(node, "n1").heartbeat
    assert node.pending_ring is None
    node.handle("n5", GossipPull((planned,), 1))
    assert node.pending_ring is not None and "n5" not in node.pending_ring.nodes
    assert "n5" in node.ring.nodes, "requests still route by the current ring"
    mine = entry(node, "n1")
    assert mine.seen == "leave n5" and mine.heartbeat == heartbeat + 1, "said with a heartbeat, no new version"
    assert mine.version == 1


def test_any_message_from_a_suspected_peer_counts_not_just_gossip() -> None:
    node, rt = make_node("n1", NAMES, start=True)
    rt.advance(7 * SECOND)
    assert "n2" in node.detector.suspected()
    node.handle("n2", ReplicaPutAck(1, b"k"))
    assert "n2" not in node.detector.suspected()
