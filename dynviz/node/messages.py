"""Messages between clients and nodes and between nodes.

Frozen, slotted dataclasses: they cross the (simulated or real) network, so they are
values, never shared mutable state. ``req`` ties a replica message to the coordinator
state machine that sent it. Sibling sets travel as ``Siblings`` objects (immutable).
"""

from __future__ import annotations

from dataclasses import dataclass

from dynviz.core.versions import Siblings

# -- client <-> node ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClientPut:
    req: int
    client: str
    key: bytes
    value: bytes | None  # None: delete (a tombstone version)
    context: str | None  # the opaque context token from an earlier get, or None (blind write)
    n: int | None = None
    w: int | None = None
    pw: int | None = None
    hops: int = 0


@dataclass(frozen=True, slots=True)
class ClientGet:
    req: int
    client: str
    key: bytes
    n: int | None = None
    r: int | None = None
    pr: int | None = None
    hops: int = 0


@dataclass(frozen=True, slots=True)
class ClientReply:
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


@dataclass(frozen=True, slots=True)
class ReplicaPut:
    req: int
    key: bytes
    siblings: Siblings
    hint_for: str | None = None  # set when the receiver stands in for this primary


@dataclass(frozen=True, slots=True)
class ReplicaPutAck:
    req: int
    key: bytes
    ok: bool = True
    error: str = ""


@dataclass(frozen=True, slots=True)
class ReplicaGet:
    req: int
    key: bytes
    hint_for: str | None = None


@dataclass(frozen=True, slots=True)
class ReplicaGetReply:
    req: int
    key: bytes
    siblings: Siblings | None


@dataclass(frozen=True, slots=True)
class ReadRepairPut:
    """The merged sibling set pushed to a stale or missing replica after a get."""

    key: bytes
    siblings: Siblings
    hint_for: str | None = None


# -- hinted handoff -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HintHandoff:
    """A stand-in hands a hinted write back to the primary it was meant for."""

    key: bytes
    siblings: Siblings


@dataclass(frozen=True, slots=True)
class HintHandoffAck:
    key: bytes
