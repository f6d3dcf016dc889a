"""Promises of dynviz.net.codec: every node message crosses the wire and comes back
equal; anything that is not exactly a registered, well-typed message is refused."""

from __future__ import annotations

import json

import pytest

from dynviz.core.membership import Member
from dynviz.core.versions import CausalContext, DvvVersioning, Siblings, VClock
from dynviz.net.codec import (
    AdminReply,
    AdminRequest,
    CodecError,
    Hello,
    compile_type,
    decode_message,
    encode_message,
    registered,
)
from dynviz.node import antientropy, gossip, messages, rebalance


def _siblings() -> Siblings:
    dvv = DvvVersioning()
    a = dvv.new_version(Siblings.EMPTY, CausalContext.EMPTY, b"milk\x00\xff", "n1", 1_700_000_000_000_000, 0)
    b = dvv.new_version(Siblings.EMPTY, CausalContext.EMPTY, None, "n2", 5, 0)
    return dvv.merge(Siblings((a,)), Siblings((b,)))


SIB = _siblings()
MEMBER = Member("n1", version=3, generation=2, heartbeat=17, status="up", tokens=(1, 2**127 + 5),
                pending=None, change="join n6", seen="join n6")

SAMPLES = [
    Hello("n1", "node", "127.0.0.1:7001", (("n2", "127.0.0.1:7002"),)),
    AdminRequest(1, "snapshot"),
    AdminReply(1, True, json.dumps({"a": 1})),
    messages.ClientPut(2**61, "client:1@n1", b"k\x00", b"v", "ctx", 3, 2, None, 0),
    messages.ClientPut(7, "client:1@n1", b"k", None, None),
    messages.ClientGet(8, "client:1@n1", b"k", None, 2, None, 1),
    messages.ClientReply(9, b"k", "get", True, "n1", SIB, "ctx", "n2", ("n1", "n2"), (("n4", "n3"),), "", 1),
    messages.ClientReply(9, b"k", "put", False, "n1", None, None, None, (), (), "boom"),
    messages.ReplicaPut(1, b"k", SIB, "n3"),
    messages.ReplicaPutAck(1, b"k"),
    messages.ReplicaGet(1, b"k"),
    messages.ReplicaGetReply(1, b"k", None),
    messages.ReadRepairPut(b"k", SIB),
    messages.HintHandoff(b"k", SIB),
    messages.HintHandoffAck(b"k", SIB),
    gossip.GossipPush((MEMBER, Member("n2", pending=(3, 4))), 5),
    gossip.GossipPull((), 6),
    rebalance.TransferTask("join n6", ((1, 2, ("n1", "n2")),)),
    rebalance.TransferDone("join n6", 12),
    rebalance.PullRequest("join n6", 0, 1, 2**128 - 1, 128),
    rebalance.PullBatch("join n6", 0, ((b"a", SIB), (b"b", SIB)), None),
    rebalance.OwnershipHandoff(b"k", SIB),
    rebalance.OwnershipHandoffAck(b"k", SIB),
    antientropy.AEHashes(1, "n1", 3, 5, 9, 16, 2, 1, ((0, b"\x01" * 16),), ((1, b"\x02" * 16),)),
    antientropy.AEInSync(1, "n1", 3, 2),
    antientropy.AEKeyDigests(1, "n1", 3, 5, 9, ((2, b"h"),), ((b"k", b"d"),)),
    antientropy.AEKeyData(1, "n1", 3, 5, 9, ((b"k", SIB),), (b"w",)),
    antientropy.AERefused(1, "n1", 3, "not a replica"),
]


@pytest.mark.parametrize("msg", SAMPLES, ids=lambda m: type(m).__name__)
def test_round_trip(msg: object) -> None:
    decoded, relay = decode_message(encode_message(msg))
    assert relay is None
    assert type(decoded) is type(msg)
    assert decoded == msg


def test_relay_destination_travels_with_the_message() -> None:
    msg = messages.ClientReply(1, b"k", "get", True, "n2")
    decoded, relay = decode_message(encode_message(msg, relay_to="client:9@n1"))
    assert decoded == msg and relay == "client:9@n1"


def test_every_node_message_class_is_registered() -> None:
    """A message added to a node module without registering it would be dropped on
    the wire: catch that here rather than on a live cluster."""
    known = set(registered().values())
    for module in (messages, gossip, rebalance, antientropy):
        for obj in vars(module).values():
            if (isinstance(obj, type) and issubclass(obj, tuple) and hasattr(obj, "_fields")
                    and obj.__module__ == module.__name__):
                assert obj in known, f"{obj.__name__} is not registered in dynviz/net/codec.py"


def test_causal_context_and_vclock_round_trip() -> None:
    ctx = CausalContext.of({"n1": 3, "n2": 1}, [("n3", 5)])
    enc, dec = compile_type(CausalContext)
    assert dec(json.loads(json.dumps(enc(ctx))), "ctx") == ctx
    clock = VClock((("a", 1, 5), ("b", 2, 7)))
    enc, dec = compile_type(VClock)
    assert dec(json.loads(json.dumps(enc(clock))), "clock") == clock


def _body(doc: object) -> bytes:
    return json.dumps(doc).encode()


@pytest.mark.parametrize("body, why", [
    (b"\xff\xfe", "not JSON"),
    (b"{}", "a body is"),
    (_body(["Nope", []]), "unknown message type"),
    (_body([{"x": 1}, []]), "unknown message type"),
    (_body(["ReplicaPutAck", [1]]), "has 4 fields"),
    (_body(["ReplicaPutAck", [True, "aw==", True, ""]]), "expected int"),
    (_body(["ReplicaPutAck", [1, "not base64!", True, ""]]), "base64"),
    (_body(["ReplicaPutAck", [1, "aw==", 1, ""]]), "expected bool"),
    (_body(["ReplicaPut", [1, "aw==", "{}", None]]), "malformed"),
    (_body(["GossipPull", [[["n1", 1, 1, 0, "zombie", [], None, "", ""]], 1]]), "status"),
    (_body(["GossipPull", [[["n1", 1]], 1]]), "Member of 9 fields"),
    (_body(["TransferDone", ["c", 1], 5]), "relay"),
    (b"[" * 100_000 + b"]" * 100_000, "not JSON"),
])
def test_malformed_bodies_are_refused(body: bytes, why: str) -> None:
    with pytest.raises(CodecError, match=why):
        decode_message(body)


def test_unregistered_message_cannot_be_sent() -> None:
    with pytest.raises(CodecError, match="not a registered"):
        encode_message(("just", "a", "tuple"))
