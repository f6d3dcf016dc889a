"""The decision logic of a quorum read, pure (after riak_kv_get_core).

A read asks R of N replicas. What they answered, whether that is enough, what the
client is told and which replicas read repair must fix are decided here, with no
message sent and no timer set: :class:`~dynviz.node.coordinator.GetCoordinator` and
:class:`~dynviz.node.coordinator.RangeGetCoordinator` only sequence the messages and
timers around it (STYLE.md: riak_kv's get_core beside its get_fsm).

One core serves both reads. A replica's answer is a run of keys with their siblings:
a get asks for one key (its run has that key, or nothing: not found), a range read for
a key group's keys from ``start`` on (at most ``limit`` of them, and whether it has
more). Answers are merged key by key with the cluster's merge (causal, or last write
wins). The response is the first ``limit`` keys of the union, exact: a key among the
union's first ``limit`` is among the first ``limit`` of any replica that holds it.

Read repair (:meth:`ReadCore.final_action`, DESIGN §7) pushes each answered key's merged
siblings to every replica that answered with less, but only inside the part of the range
that replica covered (a replica that stopped at its ``limit`` said nothing about keys
after its last one).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dynviz.core.versions import Siblings
from dynviz.node.quorum import Tally

Entries = Sequence[tuple[bytes, Siblings]]
"""A replica's answer: keys in the read's order, each with the siblings it holds."""


@dataclass(frozen=True, slots=True)
class Repair:
    """Read repair of one key on one replica: it answered with less than ``siblings``."""

    target: str
    key: bytes
    siblings: Siblings


class ReadCore:
    """What a read's replicas answered, and what follows from it (module docstring)."""

    __slots__ = ("tally", "merge", "key", "limit", "reverse", "replies", "covered", "entries", "more",
                 "first", "answered")

    def __init__(self, tally: Tally, merge: Callable[[Siblings, Siblings], Siblings], *,
                 key: bytes | None = None, limit: int = 1, reverse: bool = False) -> None:
        """``key``: a get of that one key (repaired even when it was not found at the
        time of the response and a later answer brings it); else a range read."""
        self.tally = tally
        self.key = key
        self.merge = merge
        self.limit = limit
        self.reverse = reverse
        self.replies: dict[str, Entries] = {}  # replica -> its answer, in the order they came
        self.covered: dict[str, bytes] | None = None  # replica -> last key it covered (absent: all it was asked)
        self.entries: dict[bytes, Siblings] = {}  # key -> every answer's siblings merged
        self.more = False
        self.first: str | None = None  # the fastest replica (the next write's coordinator)
        self.answered: Sequence[bytes] = ()  # the response's keys, in its order

    def add_result(self, replica: str, entries: Entries, more: bool, primary: bool) -> bool:
        """Count ``replica``'s answer (``primary``: it answered as itself, not as a
        stand-in); False if it had answered already."""
        if replica in self.replies:
            return False
        if self.first is None:
            self.first = replica
        self.replies[replica] = entries
        if more:  # it stopped short of the range's end: it covered up to its last key
            self.more = True
            if entries:
                if self.covered is None:  # made on first use: a get never stops short
                    self.covered = {}
                self.covered[replica] = entries[-1][0]
        found = self.entries
        for key, siblings in entries:
            have = found.get(key)
            if have is None:
                found[key] = siblings
            elif have is not siblings or len(siblings.versions) > 1:
                found[key] = self.merge(have, siblings)
            # else: replicas that agree answer with the very same object (the simulator
            # shares immutable values), and one version merged with itself is itself
            # under every merge (LWW's builds an equal copy): nothing to merge.
        self.tally.add_ok(replica, primary)
        return True

    def enough(self) -> bool:
        """The quorum is met (R replies, ``pr`` of them from primaries). A coordinator
        asks ``tally.enough()`` itself after every reply, without this frame."""
        return self.tally.enough()

    def response(self) -> tuple[tuple[tuple[bytes, Siblings], ...], bool]:
        """The first ``limit`` keys of every answer merged, and whether more remain."""
        if self.key is not None:
            self.answered = (self.key,)
            found = self.entries.get(self.key)
            return ((self.key, found),) if found is not None else (), False
        keys = self.answered = sorted(self.entries, reverse=self.reverse)[:self.limit]
        return tuple((k, self.entries[k]) for k in keys), self.more or len(self.entries) > self.limit

    def merged(self, key: bytes) -> Siblings:
        """One key's merged siblings (empty when no replica holds it)."""
        return self.entries.get(key, Siblings.EMPTY)

    def final_action(self) -> list[Repair]:
        """The read repairs the answers call for, replica by replica in the order they
        answered, key by key in the response's order (a range read: call after
        :meth:`response`; a get's one key is always in its response)."""
        repairs: list[Repair] = []
        if self.key is not None:  # one key (every get): each answer holds it or nothing
            key = self.key
            merged = self.entries.get(key)
            if merged is not None:
                for target, entries in self.replies.items():
                    mine = entries[0][1] if entries else None
                    if mine is not merged and mine != merged:
                        repairs.append(Repair(target, key, merged))
            return repairs
        for target, entries in self.replies.items():
            held = dict(entries)
            last = self.covered.get(target) if self.covered is not None else None
            for key in self.answered:
                if last is not None and (key > last if not self.reverse else key < last):
                    break
                merged = self.entries.get(key)
                if merged is None:
                    continue
                mine = held.get(key)
                if mine is merged or mine == merged:
                    continue
                repairs.append(Repair(target, key, merged))
        return repairs
