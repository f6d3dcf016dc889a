"""A node's versioned view of the cluster's membership, and the rule to merge views.

Dynamo (paper sections 4.8.1-4.8.2) keeps membership with gossip: every node holds a
view of every member and reconciles it with a random peer each second. Each entry
here is versioned by ``(version, generation, heartbeat)``:

* ``version`` bumps when the entry's meaning changes (status, tokens, a planned ring
  change) — the "rumours" the TUI draws spreading;
* ``generation`` bumps when the member's process restarts (its incarnation);
* ``heartbeat`` is the member's own counter, bumped each gossip round; failure
  detectors watch it progress.

Merging keeps, per member, the entry with the larger triple: deterministic,
commutative, associative and idempotent, so views converge in any order. Every node
derives its ring from its own view, so two nodes with different views can compute
different preference lists, as the TUI shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TypedDict, Unpack

from dynviz.core.ring import Ring

STATUSES = ("joining", "up", "leaving", "left", "removed")
IN_RING = ("up", "leaving")
"""Members whose tokens route requests now (a joining node's tokens wait for commit)."""


class MemberChanges(TypedDict, total=False):
    """The fields of a ``Member`` that ``bumped`` may change (``version`` it sets itself)."""

    generation: int
    heartbeat: int
    status: str
    tokens: tuple[int, ...]
    pending: tuple[int, ...] | None
    change: str
    seen: str


@dataclass(frozen=True, slots=True)
class Member:
    name: str
    version: int = 1
    generation: int = 1
    heartbeat: int = 0
    status: str = "up"
    tokens: tuple[int, ...] = ()
    pending: tuple[int, ...] | None = None  # tokens once the ring change in progress commits
    change: str = ""  # the ring change this entry's pending tokens belong to
    seen: str = ""  # the latest planned ring change this member has heard of (its own say)

    @property
    def order(self) -> tuple[int, int, int]:
        return (self.version, self.generation, self.heartbeat)

    def bumped(self, **changes: Unpack[MemberChanges]) -> Member:
        """This entry with ``changes`` and a new version (a rumour)."""
        return replace(self, version=self.version + 1, **changes)


@dataclass(frozen=True, slots=True)
class Update:
    """What a merge changed about one member."""

    before: Member | None
    after: Member

    @property
    def is_rumour(self) -> bool:
        """A change of meaning (not just a heartbeat): who learned it, and when, is what
        the gossip panel's infection curve shows."""
        b = self.before
        return b is None or (b.version, b.generation) != (self.after.version, self.after.generation)

    @property
    def heartbeat_progressed(self) -> bool:
        b = self.before
        return b is None or self.after.generation != b.generation or self.after.heartbeat > b.heartbeat


_RINGS: dict[tuple[object, ...], Ring] = {}
"""Rings by the identities of the entries they were built from: nodes whose views
agree share one Ring object (a 1,024-node cluster would otherwise build 1,024)."""


class View:
    """One node's membership view (mutable, owned by that node's gossip component)."""

    __slots__ = ("members", "partitions")

    def __init__(self, members: Iterable[Member] = (), partitions: int = 0) -> None:
        self.members: dict[str, Member] = {m.name: m for m in members}
        self.partitions = partitions
        """Q for a strategy-2 ring (``random-equal``: equal partitions, walks by tokens); else 0."""

    def __contains__(self, name: object) -> bool:
        return name in self.members

    def get(self, name: str) -> Member | None:
        return self.members.get(name)

    def entries(self) -> tuple[Member, ...]:
        return tuple(self.members.values())

    def put(self, member: Member) -> None:
        self.members[member.name] = member

    def merge(self, incoming: Iterable[Member]) -> list[Update]:
        """Adopt every entry newer than ours; return what changed."""
        updates: list[Update] = []
        members = self.members
        for entry in incoming:
            mine = members.get(entry.name)
            if mine is None or entry.order > mine.order:
                members[entry.name] = entry
                updates.append(Update(mine, entry))
        return updates

    def digest(self) -> dict[str, tuple[int, int, int]]:
        return {name: m.order for name, m in self.members.items()}

    # -- rings -------------------------------------------------------------------------

    def ring(self) -> Ring:
        """The ring requests are routed by now."""
        chosen = [m for m in self.members.values() if m.status in IN_RING and m.tokens]
        return _cached_ring(chosen, pending=False, partitions=self.partitions)

    def pending_ring(self) -> Ring | None:
        """The ring once the change in progress commits, or None if none is."""
        if not any(m.pending is not None for m in self.members.values()):
            return None
        chosen = [m for m in self.members.values()
                  if (m.pending if m.pending is not None else (m.tokens if m.status in IN_RING else ()))]
        return _cached_ring(chosen, pending=True, partitions=self.partitions)

    def live_names(self) -> list[str]:
        return [n for n, m in self.members.items() if m.status in ("joining", "up", "leaving")]


def _cached_ring(members: list[Member], pending: bool, partitions: int = 0) -> Ring:
    members = sorted(members, key=lambda m: m.name)
    tokens: dict[str, tuple[int, ...]] = {
        m.name: (m.pending if pending and m.pending is not None else m.tokens) for m in members
    }
    key = (*tokens.items(), partitions) if partitions else tuple(tokens.items())  # the content: equal ones share
    ring = _RINGS.get(key)
    if ring is None:
        ring = Ring(_deduplicate(tokens), partitions)
        if len(_RINGS) > 256:
            _RINGS.clear()
        _RINGS[key] = ring
    return ring


def _deduplicate(tokens: Mapping[str, Iterable[int]]) -> dict[str, tuple[int, ...]]:
    """A token claimed twice (two views mid-change) goes to the first claimant by name,
    so a ring can always be built and every node builds the same one."""
    seen: set[int] = set()
    out: dict[str, tuple[int, ...]] = {}
    for name in sorted(tokens):
        kept = []
        for t in tokens[name]:
            if t not in seen:
                seen.add(t)
                kept.append(t)
        out[name] = tuple(kept)
    return out
