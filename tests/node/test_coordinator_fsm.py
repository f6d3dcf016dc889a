"""The coordinator state machines on one node with a fake runtime: the test is the
network, handing the coordinator each replica's answer (or none) and reading what it
sends. Nothing else runs, so every message and every state can be asserted."""

from __future__ import annotations

import pytest
from fakeruntime import make_node

from dynviz.core.versions import DvvVersioning, Siblings
from dynviz.events import CoordinatorState, ReadRepair
from dynviz.node.coordinator import TRANSITIONS, IllegalTransition, PutCoordinator, State
from dynviz.node.messages import (
    ClientGet,
    ClientPut,
    ClientReply,
    ReadRepairPut,
    ReplicaGet,
    ReplicaGetReply,
    ReplicaPut,
    ReplicaPutAck,
)
from dynviz.node.node import Node

NAMES = ("n1", "n2", "n3", "n4", "n5")


def key_led_by(node: Node) -> tuple[bytes, tuple[str, ...]]:
    """A key whose preference list starts at ``node`` (it coordinates it itself)."""
    for i in range(1000):
        key = f"k{i}".encode()
        plist = node.ring.extended_preference_list(key)
        if plist[0] == node.name:
            return key, tuple(plist)
    raise AssertionError("no key led by " + node.name)


def states(runtime, req: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.state for e in runtime.of(CoordinatorState) if e.req == req]


def test_a_put_asks_the_other_replicas_and_answers_at_w_acks() -> None:
    node, rt = make_node("n1", NAMES)
    key, plist = key_led_by(node)
    node.handle("client", ClientPut(7, "client", key, b"milk", None))
    asked = rt.take(ReplicaPut)
    assert [dst for dst, _ in asked] == list(plist[1:3])
    assert all(m.hint_for is None for _, m in asked)
    assert not rt.take(ClientReply), "one ack (its own) is not W=2"
    node.handle(plist[1], ReplicaPutAck(7, key))
    [(dst, reply)] = rt.take(ClientReply)
    assert dst == "client" and reply.ok and reply.acks == ("n1", plist[1])
    assert [v.value for v in reply.siblings.versions] == [b"milk"]
    assert states(rt, 7) == ["waiting_w", "done"]
    node.handle(plist[2], ReplicaPutAck(7, key))  # a late ack: counted, then the coordinator is gone
    assert 7 not in node.coordinators


def test_a_silent_replica_is_suspected_and_a_stand_in_holds_a_hint_for_it() -> None:
    node, rt = make_node("n1", NAMES)
    key, plist = key_led_by(node)
    node.handle("client", ClientPut(8, "client", key, b"milk", None))
    rt.take(ReplicaPut)
    rt.advance(node.config.replica_timeout)  # neither replica answers in time
    fallbacks = rt.take(ReplicaPut)
    assert [(dst, m.hint_for) for dst, m in fallbacks] == [(plist[3], plist[1]), (plist[4], plist[2])]
    assert not node.detector.reachable(plist[1]) and not node.detector.reachable(plist[2])
    node.handle(plist[3], ReplicaPutAck(8, key))
    [(_, reply)] = rt.take(ClientReply)
    assert reply.ok and reply.hints == ((plist[3], plist[1]),)


def test_a_put_fails_at_its_deadline_with_what_it_got() -> None:
    node, rt = make_node("n1", NAMES, request_timeout=120_000)
    key, _ = key_led_by(node)
    node.handle("client", ClientPut(9, "client", key, b"milk", None))
    rt.advance(120_000)  # nobody ever answers
    [(_, reply)] = rt.take(ClientReply)
    assert not reply.ok and "1/2" in reply.error
    assert states(rt, 9)[-1] == "failed" and 9 not in node.coordinators


def test_a_get_answers_at_r_then_repairs_the_stale_replica() -> None:
    node, rt = make_node("n1", NAMES)
    key, plist = key_led_by(node)
    v = DvvVersioning()
    old = Siblings((v.new_version(Siblings.EMPTY, v.context_of(Siblings.EMPTY), b"old", "x", 1, 0),))
    new = v.merge(old, Siblings((v.new_version(old, v.context_of(old), b"new", "x", 2, 0),)))
    node.store.put(key, new)
    node.handle("client", ClientGet(11, "client", key))
    assert [dst for dst, _ in rt.take(ReplicaGet)] == list(plist[1:3])
    node.handle(plist[1], ReplicaGetReply(11, key, new))
    [(_, reply)] = rt.take(ClientReply)
    assert reply.ok and reply.siblings == new and reply.replier == "n1"
    assert not rt.take(ReadRepairPut), "read repair waits for the last replica (or its timeout)"
    node.handle(plist[2], ReplicaGetReply(11, key, old))
    [(dst, repair)] = rt.take(ReadRepairPut)
    assert dst == plist[2] and repair.siblings == new
    assert [e.targets for e in rt.of(ReadRepair)] == [(plist[2],)]
    assert states(rt, 11) == ["waiting_r", "read_repair", "done"]


def test_a_get_whose_primaries_cannot_answer_fails_when_nobody_is_left() -> None:
    node, rt = make_node("n1", NAMES)
    key, plist = key_led_by(node)
    node.handle("client", ClientGet(12, "client", key, pr=3))
    rt.take(ReplicaGet)
    rt.advance(node.config.replica_timeout)  # both other primaries silent: stand-ins asked
    stand_ins = [dst for dst, _ in rt.take(ReplicaGet)]
    assert stand_ins == list(plist[3:5])
    for dst in stand_ins:
        node.handle(dst, ReplicaGetReply(12, key, None))
    [(_, reply)] = rt.take(ClientReply)
    assert not reply.ok and "1/3 primaries" in reply.error and "every replica asked" in reply.error


def test_every_state_change_follows_the_table_and_anything_else_raises() -> None:
    node, rt = make_node("n1", NAMES)
    key, plist = key_led_by(node)
    coordinator = PutCoordinator(node, 13, "client", key, "put", 0, 3, 2, 0, plist, dict.fromkeys(plist[:3]))
    assert coordinator.state is State.STARTING
    with pytest.raises(IllegalTransition, match="starting -> done"):
        coordinator.set_state(State.DONE)
    assert TRANSITIONS[State.DONE] == frozenset() and TRANSITIONS[State.FAILED] == frozenset()
    for state, moves in TRANSITIONS.items():
        assert state not in moves, f"{state} may not loop on itself"
