"""What a node process's admin endpoint reports of its state: plain frozen data.

The endpoint (``endpoint.py``) builds a ``NodeSnapshot`` inside the node process and
sends it as JSON; ``RemoteCluster`` (``remote.py``) rebuilds it on the other side.
Both sides share these classes so the shape lives in one place.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class MemberEntry:
    """One member as one node sees it."""

    name: str
    status: str
    version: int
    generation: int
    heartbeat: int
    tokens: int
    pending: int | None
    heartbeat_age_us: int
    suspected: bool


@dataclass(frozen=True, slots=True)
class NodeSnapshot:
    """A node process's state at one moment, as its admin endpoint reports it."""

    id: str
    address: str
    pid: int
    actor: str
    epoch: int
    uptime_us: int
    restarted: bool
    keys: int
    hints: int
    hints_for: dict[str, int]
    coordinators: int
    suspects: tuple[str, ...]
    members: tuple[MemberEntry, ...]
    ring: dict[str, tuple[str, ...]]
    """node -> its tokens (32 hex digits each), from this node's view."""
    peers: dict[str, str]
    blocked: tuple[str, ...]
    stats: dict[str, int]
    """Transport and process counters: frames, rejections by reason, drops, errors."""
    event_seq: int
    event_counts: dict[str, int]
    """Events emitted since the process started, by type (``HintDelivered``...)."""

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> NodeSnapshot:
        doc = dict(doc)
        doc["members"] = tuple(MemberEntry(**m) for m in doc["members"])
        doc["suspects"] = tuple(doc["suspects"])
        doc["blocked"] = tuple(doc["blocked"])
        doc["ring"] = {k: tuple(v) for k, v in doc["ring"].items()}
        return cls(**doc)
