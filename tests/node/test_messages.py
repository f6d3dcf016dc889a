"""The C-level makers of the hot messages build exactly what the NamedTuples' own
constructors build."""

from __future__ import annotations

from dynviz.core.versions import Siblings
from dynviz.node.messages import (
    ClientReply,
    ReplicaGet,
    ReplicaGetReply,
    ReplicaPut,
    ReplicaPutAck,
    client_reply,
    replica_get,
    replica_get_reply,
    replica_put,
    replica_put_ack,
)


def test_makers_build_the_same_messages() -> None:
    s = Siblings.EMPTY
    cases = [
        (replica_put((1, b"k", s, "n2")), ReplicaPut(1, b"k", s, "n2")),
        (replica_put_ack((1, b"k", True, "")), ReplicaPutAck(1, b"k")),
        (replica_get((2, b"k", None)), ReplicaGet(2, b"k")),
        (replica_get_reply((2, b"k", None)), ReplicaGetReply(2, b"k", None)),
        (client_reply((3, b"k", "put", True, "n1", s, "ctx", "n1", ("n1", "n2"), (("n4", "n3"),), "", 1)),
         ClientReply(3, b"k", "put", True, "n1", siblings=s, context="ctx", replier="n1", acks=("n1", "n2"),
                     hints=(("n4", "n3"),), hops=1)),
    ]
    for made, built in cases:
        assert type(made) is type(built) and made == built
        assert made._fields == built._fields and len(made) == len(made._fields)
