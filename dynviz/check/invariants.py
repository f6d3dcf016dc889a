"""Invariants checked while a run goes, not only at its end (issue 15).

The judge (:mod:`dynviz.check.judge`) sees what clients saw once everything healed and
a final read repaired every replica: a bug that breaks a rule for a moment, or leaves a
copy behind that the final read then fixes, is invisible to it. These rules are checked
at the moment they could break, against ground truth the checker can see and the
protocol cannot fake:

``quorum``
    A put or delete answered "ok" named at least W acks (``pw`` of them primaries
    serving as themselves), and every ack it named other than the coordinator's own
    arrived at the coordinator, ok, from that node; a get answered "ok" named at least R
    replies (``pr`` primaries), each of which arrived. The checker counts the messages
    on the network itself, so a tally that counts a failure shows.
``context``
    A put made over a context issued for another key was refused.
``dot``
    No version is ever created with a dot that was issued before for the same key
    (a wiped node keeping its actor name, a coordinator forgetting its counter).
``preference``
    The preference list and the fallback walk a coordinator uses hold distinct
    physical nodes.
``hint``
    When a stand-in removes a hint, the intended node already stores everything the
    hint held (merging the hint in would add no version).
``drop``
    When a node drops a key after a ring change, every other node of the key's
    preference list (by the dropping node's ring) already stores everything dropped.

A node that lost its disk (``wipe``) in the last second is not asked to hold anything:
the fault, not the protocol, took it.

Everything is reached through :meth:`~dynviz.cluster.Cluster.watch_invariants` and
:meth:`~dynviz.cluster.Cluster.observe_versions`; with no monitor installed the hooks
cost a comparison each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dynviz.cluster import Cluster
from dynviz.core.context import ContextError, decode_context, key_digest
from dynviz.core.hashing import show_key
from dynviz.core.units import SECOND
from dynviz.core.versions import Dot, Siblings, Version
from dynviz.node.messages import ClientGet, ClientPut, ClientReply, ReplicaGetReply, ReplicaPutAck

RULES = ("quorum", "context", "dot", "preference", "hint", "drop")
"""Every invariant's name, in the order the module docstring gives them."""

WIPE_GRACE = 1 * SECOND
"""How long after losing its disk a node is excused from holding what it held."""


@dataclass(frozen=True, slots=True)
class Violation:
    """One invariant broken: when, which rule, and what happened (one line)."""

    time: int
    rule: str
    text: str

    def describe(self) -> str:
        return f"{self.rule} at {self.time / 1000:.1f} ms: {self.text}"


@dataclass(slots=True)
class _Request:
    """A client request as the network first delivered it to a node."""

    op: str
    key: bytes
    quorum: int
    primaries_needed: int
    primaries: frozenset[str]
    foreign_context: bool


class Invariants:
    """Watches one cluster and keeps every violation it sees (see the module docstring)."""

    __slots__ = ("cluster", "violations", "_requests", "_answered", "_dots", "_epochs", "_on")

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.violations: list[Violation] = []
        self._requests: dict[int, _Request] = {}
        self._answered: dict[int, set[str]] = {}  # request -> nodes whose ok ack or reply reached its coordinator
        self._dots: set[tuple[bytes, Dot]] = set()
        self._epochs: dict[str, tuple[int, int]] = {}  # node -> (epoch, when this monitor first saw it)
        self._on: dict[type, Callable[[str, str, Any], None]] = {
            ClientPut: self._client_put,
            ClientGet: self._client_get,
            ReplicaPutAck: self._replica_ack,
            ReplicaGetReply: self._replica_reply,
            ClientReply: self._client_reply,
        }
        cluster.watch_invariants(self)
        cluster.observe_versions(self._created)

    def _violated(self, rule: str, text: str) -> None:
        self.violations.append(Violation(self.cluster.now, rule, text))

    # -- messages ------------------------------------------------------------------------

    def delivered(self, src: str, dst: str, msg: object) -> None:
        on = self._on.get(type(msg))
        if on is not None:
            on(src, dst, msg)

    def _arrived(self, dst: str, msg: ClientPut | ClientGet, op: str, quorum: int, needed: int,
                 context: str | None) -> None:
        node = self.cluster.nodes.get(dst)
        if node is None:
            return
        n = msg.n or node.config.n
        ring = node.ring
        primaries = ring.preference_list(msg.key, n)
        walk = ring.extended_preference_list(msg.key)
        for name, nodes in (("preference list", primaries), ("fallback walk", walk)):
            if len(set(nodes)) != len(nodes):
                self._violated("preference", f"{dst}'s {name} for {show_key(msg.key)} repeats a node: "
                                             f"{', '.join(nodes)}")
        if msg.req in self._requests:  # forwarded: the first node's view counts too
            request = self._requests[msg.req]
            request.primaries = request.primaries | frozenset(primaries)
            return
        foreign = False
        if context:
            try:
                issued_for = decode_context(context, node.config.secret).key_digest
            except ContextError:
                issued_for = b""
            foreign = bool(issued_for) and issued_for != key_digest(msg.key)
        self._requests[msg.req] = _Request(op, msg.key, quorum, needed, frozenset(primaries), foreign)
        self._answered[msg.req] = set()

    def _client_put(self, src: str, dst: str, msg: ClientPut) -> None:
        config = self.cluster.config
        op = "put" if msg.value is not None else "delete"
        self._arrived(dst, msg, op, msg.w or config.w, msg.pw or 0, msg.context)

    def _client_get(self, src: str, dst: str, msg: ClientGet) -> None:
        self._arrived(dst, msg, "get", msg.r or self.cluster.config.r, msg.pr or 0, None)

    def _replica_ack(self, src: str, dst: str, msg: ReplicaPutAck) -> None:
        answered = self._answered.get(msg.req)
        if answered is not None and msg.ok:
            answered.add(src)

    def _replica_reply(self, src: str, dst: str, msg: ReplicaGetReply) -> None:
        answered = self._answered.get(msg.req)
        if answered is not None:
            answered.add(src)

    def _client_reply(self, src: str, dst: str, msg: ClientReply) -> None:
        request = self._requests.pop(msg.req, None)
        answered = self._answered.pop(msg.req, set())
        if request is None or not msg.ok:
            return
        what = f"{request.op} of {show_key(request.key)} (request {msg.req}) at {msg.coordinator}"
        if request.foreign_context:
            self._violated("context", f"{what} was accepted over a context issued for another key")
        counted = list(dict.fromkeys(msg.acks))
        kind = "replies" if request.op == "get" else "acks"
        if len(counted) < request.quorum:
            self._violated("quorum", f"{what} answered ok with {len(counted)} {kind}, "
                                     f"needs {request.quorum}")
        unheard = [a for a in counted if a != msg.coordinator and a not in answered]
        if unheard:
            self._violated("quorum", f"{what} counted {', '.join(unheard)} but no ok answer from "
                                     f"{'it' if len(unheard) == 1 else 'them'} reached the coordinator")
        if request.primaries_needed:
            coordinator = self.cluster.nodes.get(msg.coordinator)
            primaries = set(request.primaries)
            if coordinator is not None:
                primaries.update(coordinator.ring.preference_list(request.key, len(request.primaries)))
            stand_ins = {holder for holder, _ in msg.hints}
            serving = [a for a in counted if a in primaries and a not in stand_ins]
            if len(serving) < request.primaries_needed:
                self._violated("quorum", f"{what} answered ok with {len(serving)} primaries, "
                                         f"needs {request.primaries_needed}")

    # -- versions ------------------------------------------------------------------------

    def _created(self, req: int, version: Version) -> None:
        request = self._requests.get(req)
        if request is None:
            return
        mark = (request.key, version.dot)
        if mark in self._dots:
            actor, counter = version.dot
            self._violated("dot", f"dot ({actor}, {counter}) issued again for {show_key(request.key)} "
                                  f"(request {req})")
        self._dots.add(mark)

    # -- forgetting ----------------------------------------------------------------------

    def hint_removed(self, holder: str, intended: str, key: bytes, hint: Siblings) -> None:
        missing = self._missing(intended, key, hint)
        if missing:
            self._violated("hint", f"{holder} removed its hint for {intended} of {show_key(key)}, "
                                   f"but {intended} lacks {missing}")

    def key_dropped(self, holder: str, key: bytes, siblings: Siblings) -> None:
        node = self.cluster.nodes[holder]
        for owner in node.ring.preference_list(key, node.config.n):
            if owner == holder:
                continue
            missing = self._missing(owner, key, siblings)
            if missing:
                self._violated("drop", f"{holder} dropped {show_key(key)}, but its new replica {owner} "
                                       f"lacks {missing}")

    def _missing(self, name: str, key: bytes, siblings: Siblings) -> str:
        """What of ``siblings`` node ``name`` does not store for ``key`` (as text: the dots),
        or "" when it stores it all, or is excused (just wiped, or unknown)."""
        node = self.cluster.nodes.get(name)
        if node is None or self._just_wiped(name, node.epoch):
            return ""
        held = node.store.get(key)
        if held is None:
            return "the key"
        merged = node.merge(held, siblings)
        new = {v.dot for v in merged.versions} - {v.dot for v in held.versions}
        if not new:
            return ""
        return "dot " + ", ".join(f"({a}, {c})" for a, c in sorted(new))

    def _just_wiped(self, name: str, epoch: int) -> bool:
        now = self.cluster.now
        seen = self._epochs.get(name)
        if seen is None or seen[0] != epoch:
            # First sight of this epoch: a node seen again after a wipe is excused from
            # here on for WIPE_GRACE (a node never wiped is never excused).
            self._epochs[name] = (epoch, now if (seen is not None or epoch) else -WIPE_GRACE)
            seen = self._epochs[name]
        return now - seen[1] < WIPE_GRACE
