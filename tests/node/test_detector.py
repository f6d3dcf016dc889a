"""Promises of dynviz.node.detector: each node's own, local opinion of which peers are
reachable (paper section 4.8.1). A peer is reachable until suspected; a suspicion lasts
``suspect_for`` and then the peer is tried again; any message from it clears it at once;
a stalled heartbeat (``FOREVER``) lasts until the peer is heard from, and a shorter
suspicion raised meanwhile never cuts a longer one short. Tested on a real
node with a fake runtime: the test moves the clock and hands the node its messages."""

from __future__ import annotations

from fakeruntime import make_node

from dynviz.core.units import SECOND
from dynviz.events import Suspected
from dynviz.node.detector import FOREVER
from dynviz.node.messages import ClientPut, ReplicaPut, ReplicaPutAck

NAMES = ("n1", "n2", "n3", "n4", "n5")


def anything_from_a_peer() -> ReplicaPutAck:
    """A message with no effect of its own (an ack nobody waits for): only its arrival counts."""
    return ReplicaPutAck(999, b"nobody-waits")


def test_a_peer_is_reachable_until_suspected() -> None:
    node, _ = make_node("n1", NAMES)
    detector = node.detector
    assert all(detector.reachable(p) for p in NAMES)
    assert detector.suspected() == []
    detector.suspect("n2", "no ack")
    assert not detector.reachable("n2")
    assert detector.reachable("n3"), "a suspicion is about one peer"
    assert detector.suspected() == ["n2"]


def test_a_suspicion_lasts_suspect_for_then_the_peer_is_tried_again() -> None:
    node, rt = make_node("n1", NAMES, suspect_for=2 * SECOND)
    node.detector.suspect("n2", "no ack")
    rt.advance(2 * SECOND - 1)
    assert not node.detector.reachable("n2") and node.detector.suspected() == ["n2"]
    rt.advance(1)
    assert node.detector.reachable("n2") and node.detector.suspected() == []


def test_a_suspicion_can_be_given_its_own_duration() -> None:
    node, rt = make_node("n1", NAMES, suspect_for=2 * SECOND)
    node.detector.suspect("n2", "no ack", 300)
    rt.advance(299)
    assert not node.detector.reachable("n2")
    rt.advance(1)
    assert node.detector.reachable("n2")


def test_any_message_from_a_suspected_peer_clears_it_at_once() -> None:
    node, rt = make_node("n1", NAMES)
    node.detector.suspect("n2", "no ack")
    node.detector.suspect("n3", "no ack")
    node.handle("n2", anything_from_a_peer())
    assert node.detector.reachable("n2"), "heard from: trusted again without waiting"
    assert node.detector.suspected() == ["n3"], "a message from n2 says nothing about n3"
    assert rt.now() == 0


def test_a_stalled_heartbeat_suspicion_lasts_until_the_peer_is_heard_from() -> None:
    node, rt = make_node("n1", NAMES)
    node.detector.suspect("n2", "no heartbeat for 5.0s", FOREVER)
    rt.advance(3600 * SECOND)
    assert not node.detector.reachable("n2") and node.detector.suspected() == ["n2"]
    node.handle("n2", anything_from_a_peer())
    assert node.detector.reachable("n2")


def test_a_shorter_suspicion_does_not_cut_a_stalled_heartbeat_short() -> None:
    node, rt = make_node("n1", NAMES, suspect_for=2 * SECOND)
    node.detector.suspect("n2", "no heartbeat for 5.0s", FOREVER)
    node.detector.suspect("n2", "no ack for put of k")  # a coordinator's replica timed out too
    rt.advance(2 * SECOND)
    assert not node.detector.reachable("n2"), "its heartbeat has not advanced: still suspected"


def test_a_put_that_tries_a_silent_node_keeps_it_suspected_until_it_is_heard_from() -> None:
    # Three nodes, N=3: no stand-in exists, so a put tries the suspected replicas anyway.
    node, rt = make_node("n1", ("n1", "n2", "n3"), start=True)
    rt.advance(7 * SECOND)  # n2 and n3 never gossip back: their heartbeats stall
    assert node.detector.suspected() == ["n2", "n3"]
    node.handle("client", ClientPut(1, "client", b"k", b"v", None))
    assert sorted(dst for dst, _ in rt.take(ReplicaPut)) == ["n2", "n3"]
    rt.advance(node.config.replica_timeout)  # nobody answers
    for _ in range(10):
        rt.advance(SECOND // 2)
        assert node.detector.suspected() == ["n2", "n3"], f"at {rt.now()} µs"
    ons = [e.peer for e in rt.of(Suspected) if e.suspected]
    assert ons == ["n2", "n3"], "one suspicion each, never lifted: never raised again"


def test_suspected_lists_the_peers_suspected_now_sorted() -> None:
    node, rt = make_node("n1", NAMES)
    detector = node.detector
    detector.suspect("n5", "no ack")
    detector.suspect("n2", "no ack", FOREVER)
    detector.suspect("n4", "no ack", 10)
    detector.suspect("n3", "no ack")
    assert detector.suspected() == ["n2", "n3", "n4", "n5"]
    rt.advance(10)
    assert detector.suspected() == ["n2", "n3", "n5"], "n4's suspicion has run out"


def test_suspected_events_go_on_once_and_off_once() -> None:
    node, rt = make_node("n1", NAMES)
    node.detector.suspect("n2", "no ack for put of k")
    node.detector.suspect("n2", "no reply to get of k")  # already suspected: no second event
    rt.advance(100)
    node.handle("n2", anything_from_a_peer())
    node.handle("n2", anything_from_a_peer())  # already trusted: no second event
    events = rt.of(Suspected)
    assert [(e.time, e.node, e.peer, e.suspected, e.reason) for e in events] == [
        (0, "n1", "n2", True, "no ack for put of k"),
        (100, "n1", "n2", False, "it answered"),
    ]


def test_a_peer_suspected_again_after_its_suspicion_ran_out_is_a_new_event() -> None:
    node, rt = make_node("n1", NAMES, suspect_for=SECOND)
    node.detector.suspect("n2", "no ack")
    rt.advance(SECOND)  # tried again
    node.detector.suspect("n2", "no ack again")
    assert [(e.time, e.suspected, e.reason) for e in rt.of(Suspected)] == [
        (0, True, "no ack"),
        (SECOND, True, "no ack again"),
    ]


def test_hearing_from_a_peer_nobody_suspects_changes_nothing() -> None:
    node, rt = make_node("n1", NAMES)
    node.handle("n2", anything_from_a_peer())
    assert node.detector.suspected() == [] and rt.of(Suspected) == []


def test_a_crash_forgets_every_suspicion() -> None:
    node, rt = make_node("n1", NAMES)
    node.detector.suspect("n2", "no ack")
    node.detector.suspect("n3", "no heartbeat for 5.0s", FOREVER)
    node.crash()
    assert node.detector.suspected() == []
    assert node.detector.reachable("n2") and node.detector.reachable("n3")
    node.handle("n3", anything_from_a_peer())
    assert [e.suspected for e in rt.of(Suspected)] == [True, True], "nothing left to lift"
