"""Promises of dynviz.node.handoff (the hint store) and of the node's handoff loop
(dynviz/node/node.py, paper section 4.6): a stand-in keeps a write for an unreachable
primary apart from its own data, keyed by (intended node, key), in a storage engine so
the hints survive a crash; every ``handoff_interval`` it offers up to ``handoff_batch``
hints, taken in turn so none starves, to their intended nodes, and removes a hint only when the intended node has
acknowledged exactly what the hint still holds."""

from __future__ import annotations

from fakeruntime import FakeNet, make_node

from dynviz.core.units import MS, SECOND
from dynviz.core.versions import EMPTY_CONTEXT, DvvVersioning, Siblings
from dynviz.events import HintDelivered, HintStored, VersionStored
from dynviz.node.detector import FOREVER
from dynviz.node.handoff import HintStore
from dynviz.node.messages import HintHandoff, HintHandoffAck, ReplicaPut, ReplicaPutAck
from dynviz.node.node import Node
from dynviz.storage import open_store

NAMES = ("n1", "n2", "n3", "n4", "n5")
DVV = DvvVersioning()


def blind(value: bytes, actor: str = "x", counter: int = 1) -> Siblings:
    """One version written with no context (concurrent with any other actor's)."""
    return Siblings((DVV.new_version(Siblings.EMPTY, EMPTY_CONTEXT, value, actor, counter, counter - 1),))


def over(siblings: Siblings, value: bytes, actor: str = "x") -> Siblings:
    """A write over the context of ``siblings`` (it supersedes them), merged with them."""
    version = DVV.new_version(siblings, DVV.context_of(siblings), value, actor, 2)
    return DVV.merge(siblings, Siblings((version,)))


def holds(node: Node, key: bytes, siblings: Siblings) -> bool:
    """``node``'s own data for ``key`` already covers every version of ``siblings``."""
    stored = node.store.get(key)
    return stored is not None and DVV.merge(stored, siblings) == stored  # type: ignore[arg-type]


def offered(rt, to: str | None = None) -> list[tuple[str, bytes, Siblings]]:  # type: ignore[no-untyped-def]
    return [(dst, m.key, m.siblings) for dst, m in rt.take(HintHandoff, to=to)]


# -- the hint store ------------------------------------------------------------------


def test_a_hint_is_kept_per_intended_node_and_key() -> None:
    hints = HintStore(open_store("memory"))
    a, b = blind(b"a"), blind(b"b", "y")
    hints.put("n2", b"k", a)
    hints.put("n3", b"k", b)
    hints.put("n2", b"j", b)
    assert hints.get("n2", b"k") == a and hints.get("n3", b"k") == b and hints.get("n2", b"j") == b
    assert hints.get("n4", b"k") is None and hints.get("n2", b"other") is None
    assert hints.for_key(b"k") == [("n2", a), ("n3", b)]
    assert hints.for_key(b"other") == []
    assert len(hints) == 3


def test_putting_a_hint_again_replaces_it_and_indexes_it_once() -> None:
    hints = HintStore(open_store("memory"))
    first = blind(b"a")
    hints.put("n2", b"k", first)
    hints.put("n2", b"k", over(first, b"b"))
    assert hints.by_key == {b"k": ["n2"]}
    assert hints.get("n2", b"k") == over(first, b"b") and len(hints) == 1


def test_removing_a_hint_keeps_the_index_right() -> None:
    hints = HintStore(open_store("memory"))
    hints.put("n2", b"k", blind(b"a"))
    hints.put("n3", b"k", blind(b"b"))
    hints.remove("n2", b"k")
    assert hints.by_key == {b"k": ["n3"]} and hints.get("n2", b"k") is None
    hints.remove("n3", b"k")
    assert hints.by_key == {}, "a key with no hint left leaves the index (reads test it first)"
    assert hints.for_key(b"k") == [] and len(hints) == 0
    hints.remove("n3", b"k")  # removing what is not there is harmless
    hints.remove("n9", b"never")
    assert hints.by_key == {} and len(hints) == 0


def test_items_lists_every_hint_in_a_stable_order() -> None:
    hints = HintStore(open_store("memory"))
    for intended, key in [("n4", b"k2"), ("n2", b"k1"), ("n3", b"k2"), ("n2", b"k3")]:
        hints.put(intended, key, blind(key + intended.encode()))
    listed = [(i, k, s.values()) for i, k, s in hints.items()]
    assert listed == [("n4", b"k2", [b"k2n4"]), ("n3", b"k2", [b"k2n3"]), ("n2", b"k1", [b"k1n2"]),
                      ("n2", b"k3", [b"k3n2"])]
    assert [(i, k) for i, k, _ in hints.items()] == [(i, k) for i, k, _ in listed], "the same every time"


def test_in_turn_takes_hints_in_turn_and_sends_each_one_taken_to_the_back() -> None:
    hints = HintStore(open_store("memory"))
    for intended, key in [("n4", b"a"), ("n4", b"b"), ("n2", b"c"), ("n3", b"c"), ("n2", b"d")]:
        hints.put(intended, key, blind(key))
    taken = [[(i, k) for i, k, _ in hints.in_turn(2)] for _ in range(4)]
    assert taken == [
        [("n4", b"a"), ("n4", b"b")],
        [("n2", b"c"), ("n3", b"c")],
        [("n2", b"d"), ("n4", b"a")],
        [("n4", b"b"), ("n2", b"c")],
    ]
    assert [(i, k) for i, k, _ in hints.in_turn(3)] == [("n3", b"c"), ("n2", b"c"), ("n2", b"d")], \
        "a key split by a round: the rest of its hints open the next one"
    everything = [(i, k) for i, k, _ in hints.items()]
    assert [(i, k) for i, k, _ in hints.in_turn(10)] == everything, "when all fit, all in order"
    assert [(i, k) for i, k, _ in hints.items()] == everything, "and the order stays"
    assert hints.in_turn(0) == [] and HintStore(open_store("memory")).in_turn(2) == []


def test_hints_live_in_the_store_and_a_new_hint_store_rebuilds_its_index_from_it() -> None:
    disk = open_store("memory")
    hints = HintStore(disk)
    odd = b"a\x00key\x00with separators"  # the composite key's separator inside a key
    hints.put("n2", b"k", blind(b"a"))
    hints.put("n3", odd, blind(b"b"))
    hints.put("n4", b"gone", blind(b"c"))
    hints.remove("n4", b"gone")
    reopened = HintStore(disk)  # the process restarted over the same disk
    assert reopened.by_key == {b"k": ["n2"], odd: ["n3"]}
    assert reopened.get("n3", odd) == blind(b"b")
    assert sorted(reopened.items()) == sorted(hints.items())


def test_clear_forgets_every_hint() -> None:
    hints = HintStore(open_store("memory"))
    hints.put("n2", b"k", blind(b"a"))
    hints.clear()
    assert len(hints) == 0 and hints.by_key == {} and list(hints.items()) == []


# -- a stand-in stores hints -----------------------------------------------------------


def test_a_stand_in_keeps_a_hinted_write_apart_from_its_own_data_and_serves_it() -> None:
    node, rt = make_node("n5", NAMES)
    write = blind(b"milk")
    node.handle("n1", ReplicaPut(7, b"k", write, hint_for="n2"))
    assert rt.take(ReplicaPutAck) == [("n1", ReplicaPutAck(7, b"k"))]
    assert node.store.get(b"k") is None, "not its own data"
    assert node.hints.get("n2", b"k") == write
    assert node.read_local(b"k") == write, "a stand-in answers reads for what it holds for others"
    [event] = rt.of(HintStored)
    assert (event.holder, event.intended, event.key) == ("n5", "n2", b"k")
    assert [e.cause for e in rt.of(VersionStored)] == ["hint for n2"]


def test_a_second_hinted_write_merges_into_the_hint() -> None:
    node, _ = make_node("n5", NAMES)
    node.handle("n1", ReplicaPut(7, b"k", blind(b"a", "x"), hint_for="n2"))
    node.handle("n1", ReplicaPut(8, b"k", blind(b"b", "y"), hint_for="n2"))
    assert sorted(node.hints.get("n2", b"k").values()) == [b"a", b"b"]  # type: ignore[union-attr]
    assert len(node.hints) == 1


# -- the handoff loop ------------------------------------------------------------------


def test_every_handoff_interval_each_hint_is_offered_to_its_intended_node() -> None:
    node, rt = make_node("n5", NAMES, start=True, handoff_interval=SECOND)
    node.hints.put("n2", b"k", blind(b"a"))
    node.hints.put("n3", b"j", blind(b"b"))
    first: list[tuple[str, bytes, Siblings]] = []
    while not first and rt.now() < SECOND:  # the first tick falls somewhere in the first interval
        rt.advance(MS)
        first = offered(rt)
    assert first == [("n2", b"k", blind(b"a")), ("n3", b"j", blind(b"b"))]
    rt.advance(SECOND - MS)  # the tick was less than 1 ms ago
    assert offered(rt) == [], "not before the next interval"
    rt.advance(MS)
    assert [dst for dst, *_ in offered(rt)] == ["n2", "n3"], "unacknowledged: offered again"


def test_a_tick_offers_at_most_handoff_batch_hints() -> None:
    node, rt = make_node("n5", NAMES, start=True, handoff_batch=2)
    for key in (b"a", b"b", b"c"):
        node.hints.put("n2", key, blind(key))
    rt.advance(node.config.handoff_interval)
    assert [key for _, key, _ in offered(rt)] == [b"a", b"b"]


def test_an_ack_removes_the_hint_and_reports_it_delivered() -> None:
    node, rt = make_node("n5", NAMES, start=True)
    node.hints.put("n2", b"k", blind(b"a"))
    rt.advance(node.config.handoff_interval)
    offered(rt)
    rt.advance(10)
    node.handle("n2", HintHandoffAck(b"k", blind(b"a")))
    assert node.hints.get("n2", b"k") is None and len(node.hints) == 0
    [event] = rt.of(HintDelivered)
    assert (event.holder, event.intended, event.key) == ("n5", "n2", b"k")
    rt.advance(node.config.handoff_interval)
    assert offered(rt) == []


def test_a_hint_is_not_removed_when_sent_only_when_acknowledged() -> None:
    node, rt = make_node("n5", NAMES, start=True)
    node.hints.put("n2", b"k", blind(b"a"))
    rt.advance(10 * node.config.handoff_interval)
    assert len(offered(rt)) == 10
    assert node.hints.get("n2", b"k") == blind(b"a") and rt.of(HintDelivered) == []


def test_an_ack_from_another_node_for_another_key_or_other_content_removes_nothing() -> None:
    node, rt = make_node("n5", NAMES, start=True)
    node.hints.put("n2", b"k", blind(b"a"))
    rt.advance(node.config.handoff_interval)
    offered(rt)
    node.handle("n3", HintHandoffAck(b"k", blind(b"a")))  # n3 is not the node the hint is for
    node.handle("n2", HintHandoffAck(b"other", blind(b"a")))
    node.handle("n2", HintHandoffAck(b"k", blind(b"b", "y")))  # n2 stored something else
    node.handle("n2", HintHandoffAck(b"k", Siblings.EMPTY))
    assert node.hints.get("n2", b"k") == blind(b"a") and rt.of(HintDelivered) == []


def test_a_hint_updated_after_it_was_sent_is_kept_and_sent_again() -> None:
    node, rt = make_node("n5", NAMES, start=True)
    first = blind(b"a")
    node.hints.put("n2", b"k", first)
    rt.advance(node.config.handoff_interval)
    assert offered(rt) == [("n2", b"k", first)]
    node.handle("n1", ReplicaPut(9, b"k", over(first, b"b"), hint_for="n2"))  # a newer write meanwhile
    node.handle("n2", HintHandoffAck(b"k", first))  # n2 acknowledges what it was sent: the old hint
    assert node.hints.get("n2", b"k") == over(first, b"b"), "n2 does not hold the newer write yet"
    assert rt.of(HintDelivered) == []
    rt.advance(node.config.handoff_interval)
    assert offered(rt) == [("n2", b"k", over(first, b"b"))]
    node.handle("n2", HintHandoffAck(b"k", over(first, b"b")))
    assert len(node.hints) == 0 and len(rt.of(HintDelivered)) == 1


def test_with_handoff_off_hints_stay_and_nothing_is_offered() -> None:
    node, rt = make_node("n5", NAMES, start=True, handoff=False)
    node.hints.put("n2", b"k", blind(b"a"))
    rt.advance(10 * node.config.handoff_interval)
    assert offered(rt) == [] and node.hints.get("n2", b"k") == blind(b"a")


def test_a_node_handed_its_hint_stores_it_as_its_own_data_and_acks() -> None:
    node, rt = make_node("n2", NAMES)
    mine = blind(b"mine", "y")
    node.store.put(b"k", mine)
    node.handle("n5", HintHandoff(b"k", blind(b"theirs", "x")))
    assert sorted(node.store.get(b"k").values()) == [b"mine", b"theirs"], "merged, not overwritten"  # type: ignore[attr-defined]
    assert len(node.hints) == 0
    assert rt.take(HintHandoffAck) == [("n5", HintHandoffAck(b"k", blind(b"theirs", "x")))], \
        "the ack names what it stored"
    assert [e.cause for e in rt.of(VersionStored)] == ["handoff from n5"]


def test_hints_survive_a_crash_and_an_ack_says_what_it_covers_across_it() -> None:
    node, rt = make_node("n5", NAMES, start=True)
    node.hints.put("n2", b"k", blind(b"a"))
    rt.advance(node.config.handoff_interval)
    offered(rt)
    rt.crash()
    node.crash()
    node.handle("n2", HintHandoffAck(b"k", blind(b"b", "y")))  # not what the hint holds
    assert node.hints.get("n2", b"k") == blind(b"a")
    node.start()
    rt.advance(node.config.handoff_interval)
    assert offered(rt) == [("n2", b"k", blind(b"a"))], "offered again after the restart"
    node.handle("n2", HintHandoffAck(b"k", blind(b"a")))  # n2 stored it: no memory of the send needed
    assert len(node.hints) == 0


def test_a_wipe_loses_the_hints() -> None:
    node, _ = make_node("n5", NAMES)
    node.hints.put("n2", b"k", blind(b"a"))
    node.wipe()
    assert len(node.hints) == 0 and node.read_local(b"k") is None


def two_nodes(**settings: object) -> FakeNet:
    net = FakeNet()
    for name in ("n2", "n5"):
        net.add(*make_node(name, NAMES, **settings))  # type: ignore[arg-type]
    return net


def test_a_hint_goes_home_and_leaves_the_stand_in() -> None:
    net = two_nodes()
    stand_in, owner = net.nodes["n5"], net.nodes["n2"]
    stand_in.handle("n1", ReplicaPut(7, b"k", blind(b"a"), hint_for="n2"))
    net.runtimes["n5"].take(ReplicaPutAck)
    stand_in.start()
    net.run(stand_in.config.handoff_interval)
    assert [(s, d) for s, d, _ in net.sent(HintHandoff)] == [("n5", "n2")]
    assert [(s, d) for s, d, _ in net.sent(HintHandoffAck)] == [("n2", "n5")]
    assert owner.store.get(b"k") == blind(b"a") and len(stand_in.hints) == 0
    assert stand_in.read_local(b"k") is None


def test_a_late_ack_for_an_older_handoff_does_not_remove_a_hint_updated_since() -> None:
    net = two_nodes()
    stand_in, owner = net.nodes["n5"], net.nodes["n2"]
    rt = net.runtimes["n5"]
    first = blind(b"a")
    stand_in.hints.put("n2", b"k", first)
    stand_in.start()
    rt.advance(stand_in.config.handoff_interval)
    [(_, old)] = rt.take(HintHandoff)  # in flight, slow
    stand_in.handle("n1", ReplicaPut(9, b"k", over(first, b"b"), hint_for="n2"))
    rt.advance(stand_in.config.handoff_interval)
    [(_, newer)] = rt.take(HintHandoff)  # the newer hint's handoff: lost on the way
    assert newer.siblings == over(first, b"b")
    owner.handle("n5", old)  # the old one arrives at last, and n2 acks it
    net.deliver()
    assert not holds(owner, b"k", over(first, b"b"))
    assert stand_in.hints.get("n2", b"k") == over(first, b"b"), \
        "removed although n2 holds only the older write: the newer one survives nowhere as a hint"
    net.run(stand_in.config.handoff_interval)  # offered again, and acknowledged this time
    assert holds(owner, b"k", over(first, b"b")) and len(stand_in.hints) == 0


def test_hints_for_a_reachable_node_are_not_starved_by_a_full_batch_for_a_dead_one() -> None:
    node, rt = make_node("n5", NAMES, start=True, handoff_batch=2)
    node.hints.put("n4", b"a", blind(b"a"))  # n4 is dead: these are never acknowledged
    node.hints.put("n4", b"b", blind(b"b"))
    node.hints.put("n2", b"c", blind(b"c"))  # n2 is up and would ack at once
    node.detector.suspect("n4", "no heartbeat for 5.0s", FOREVER)
    rt.advance(10 * node.config.handoff_interval)
    assert ("n2", b"c") in {(dst, key) for dst, key, _ in offered(rt)}
