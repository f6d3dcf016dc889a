"""Messages between clients and nodes and between nodes.

Messages cross the (simulated or real) network, so they are immutable values, never
shared mutable state. They are typed ``NamedTuple``s rather than frozen dataclasses:
just as immutable and typed, and cheaper to build (a frozen dataclass sets each field
through ``object.__setattr__``); millions are built in a check campaign. The messages
of every get and put also have makers that build them in one C call (the end of
this module).
``req`` ties a replica message to the coordinator state machine that sent it. Sibling
sets travel as ``Siblings`` objects (immutable).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import NamedTuple

from dynviz.core.versions import Siblings

# -- client <-> node ----------------------------------------------------------------


class ClientPut(NamedTuple):
    req: int
    client: str
    key: bytes
    value: bytes | None  # None: delete (a tombstone version)
    context: str | None  # the opaque context token from an earlier get, or None (blind write)
    n: int | None = None
    w: int | None = None
    pw: int | None = None
    hops: int = 0


class ClientGet(NamedTuple):
    req: int
    client: str
    key: bytes
    n: int | None = None
    r: int | None = None
    pr: int | None = None
    hops: int = 0


class ClientReply(NamedTuple):
    req: int
    key: bytes
    op: str
    ok: bool
    coordinator: str
    siblings: Siblings | None = None
    context: str | None = None
    replier: str | None = None
    acks: tuple[str, ...] = ()
    hints: tuple[tuple[str, str], ...] = ()  # (holder, intended) for each stand-in that acked
    error: str = ""
    hops: int = 0


# -- coordinator <-> replica --------------------------------------------------------


class ReplicaPut(NamedTuple):
    req: int
    key: bytes
    siblings: Siblings
    hint_for: str | None = None  # set when the receiver stands in for this primary


class ReplicaPutAck(NamedTuple):
    req: int
    key: bytes
    ok: bool = True
    error: str = ""


class ReplicaGet(NamedTuple):
    req: int
    key: bytes
    hint_for: str | None = None


class ReplicaGetReply(NamedTuple):
    req: int
    key: bytes
    siblings: Siblings | None


class ReadRepairPut(NamedTuple):
    """The merged sibling set pushed to a stale or missing replica after a get."""

    key: bytes
    siblings: Siblings
    hint_for: str | None = None


# -- hinted handoff -------------------------------------------------------------------


class HintHandoff(NamedTuple):
    """A stand-in hands a hinted write back to the primary it was meant for."""

    key: bytes
    siblings: Siblings


class HintHandoffAck(NamedTuple):
    """The intended node stored ``siblings`` (what the handoff carried). The stand-in
    removes its hint only if the hint still holds exactly that: an ack naming only the
    key, arriving late for an older handoff, would remove a hint updated since."""

    key: bytes
    siblings: Siblings


# -- range reads over a key group (the table layer's Query and Scan) ----------------


class ClientRangeGet(NamedTuple):
    """Read the keys of one group (``key`` is its prefix, see core/hashing.py) in
    ``[start, end)`` in key order, at most ``limit`` of them (descending if ``reverse``).
    ``end`` None reads to the group's end."""

    req: int
    client: str
    key: bytes
    start: bytes
    end: bytes | None
    limit: int
    reverse: bool = False
    n: int | None = None
    r: int | None = None
    pr: int | None = None
    hops: int = 0


class ClientRangeReply(NamedTuple):
    """The merged entries of R replicas; ``more`` when the range holds more keys."""

    req: int
    key: bytes
    ok: bool
    coordinator: str
    entries: tuple[tuple[bytes, Siblings], ...] = ()
    more: bool = False
    acks: tuple[str, ...] = ()
    error: str = ""
    hops: int = 0


class ReplicaRangeGet(NamedTuple):
    req: int
    key: bytes
    start: bytes
    end: bytes | None
    limit: int
    reverse: bool = False
    hint_for: str | None = None


class ReplicaRangeReply(NamedTuple):
    req: int
    key: bytes
    entries: tuple[tuple[bytes, Siblings], ...]
    more: bool


# -- the messages of every get and put, built without a Python frame -----------------
#
# A NamedTuple's constructor is a Python function around ``tuple.__new__(cls, fields)``
# (so that it can take defaults and keywords): about 1.3k instructions more than the C
# call inside it, and a get or a put sends six messages (the client's request too). These makers are that C call:
# they take every field, in order, as one tuple (no defaults), and make the very same
# NamedTuple. The types spell out the fields, so mypy checks each call.

replica_put: Callable[[tuple[int, bytes, Siblings, str | None]], ReplicaPut] = partial(tuple.__new__, ReplicaPut)
replica_put_ack: Callable[[tuple[int, bytes, bool, str]], ReplicaPutAck] = partial(tuple.__new__, ReplicaPutAck)
replica_get: Callable[[tuple[int, bytes, str | None]], ReplicaGet] = partial(tuple.__new__, ReplicaGet)
replica_get_reply: Callable[[tuple[int, bytes, Siblings | None]], ReplicaGetReply] = partial(
    tuple.__new__, ReplicaGetReply)
client_put: Callable[[tuple[int, str, bytes, bytes | None, str | None, int | None, int | None, int | None, int]],
                     ClientPut] = partial(tuple.__new__, ClientPut)
"""ClientPut: req, client, key, value, context, n, w, pw, hops."""
client_get: Callable[[tuple[int, str, bytes, int | None, int | None, int | None, int]], ClientGet] = partial(
    tuple.__new__, ClientGet)
"""ClientGet: req, client, key, n, r, pr, hops."""
client_reply: Callable[[tuple[int, bytes, str, bool, str, Siblings | None, str | None, str | None, tuple[str, ...],
                              tuple[tuple[str, str], ...], str, int]], ClientReply] = partial(tuple.__new__, ClientReply)
"""ClientReply: req, key, op, ok, coordinator, siblings, context, replier, acks, hints, error, hops."""
