"""Coordinator state machines for put and get (paper sections 4.5 and 5; riak_kv's FSMs).

A coordinator is created per client request at the node that coordinates it. Its
state is explicit and visible (the TUI shows it):

    put:    waiting_w  -> done | failed            (then it keeps counting late acks)
    get:    waiting_r  -> read_repair -> done | failed
    range:  waiting_r  -> read_repair -> done | failed   (a get over a key group)

Whether enough replicas answered is decided by the pure ``Tally`` (quorum.py); this
module only sequences messages and timers. Sloppy quorum: replicas are the first N
nodes of the extended preference list that this node believes reachable; a stand-in
carries a hint naming the primary it replaces. A replica that does not answer within
the per-replica timeout is suspected, and the next fallback is tried, well inside the
request deadline.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from dynviz.core.context import context_for, encode_context
from dynviz.core.hashing import show_key
from dynviz.core.versions import Siblings, Version
from dynviz.events import CoordinatorState, ReadRepair, RequestDone
from dynviz.node.messages import (
    ClientGet,
    ClientPut,
    ClientRangeGet,
    ClientRangeReply,
    ClientReply,
    ReadRepairPut,
    ReplicaGet,
    ReplicaGetReply,
    ReplicaPut,
    ReplicaPutAck,
    ReplicaRangeGet,
    ReplicaRangeReply,
)
from dynviz.node.quorum import Tally
from dynviz.wording import plural

if TYPE_CHECKING:
    from dynviz.node.node import Node

WAITING_W = "waiting_w"
WAITING_R = "waiting_r"
READ_REPAIR = "read_repair"
DONE = "done"
FAILED = "failed"


def choose_replicas(node: Node, extended: Sequence[str], n: int) -> dict[str, str | None]:
    """The first ``n`` reachable nodes of ``extended``, each mapped to the primary it
    stands in for (None for a primary serving as itself).

    Primaries (the first ``n`` of the list) this node believes reachable serve as
    themselves; each unreachable primary is replaced, in order, by the next reachable
    node further down the list, which will hold the write as a hint for it.
    """
    me = node.name
    primaries = extended[:n]
    suspects = node.detector._until
    if not suspects:  # the common case: nobody suspected
        return dict.fromkeys(primaries)
    reachable = node.detector.reachable
    chosen: dict[str, str | None] = {}
    missing: list[str] = []
    for p in primaries:
        if p == me or reachable(p):
            chosen[p] = None
        else:
            missing.append(p)
    if missing:
        for f in extended[n:]:
            if not missing:
                break
            if f == me or reachable(f):
                chosen[f] = missing.pop(0)
        # No stand-in left: try the suspected primaries anyway; suspicion is only an
        # opinion, and they may be back (paper 4.8.1: failed nodes are retried).
        for p in missing:
            chosen[p] = None
    return chosen


class _Coordinator:
    """What put and get share: the replica set, fallbacks, timers, the reply."""

    __slots__ = (
        "op", "node", "req", "key", "client", "state", "targets", "extended", "n", "primaries",
        "timers", "rtimer", "deadline", "hops", "replied",
    )

    def __init__(self, node: Node, req: int, key: bytes, client: str, n: int,
                 extended: Sequence[str], targets: dict[str, str | None], hops: int) -> None:
        self.node = node
        self.req = req
        self.key = key
        self.client = client
        self.n = n
        self.extended = extended
        self.targets = targets  # every replica asked so far -> the primary it stands in for
        self.primaries = extended[:n]
        self.timers: dict[str, int] = {}  # target -> its per-replica deadline
        self.rtimer: object = None  # one timer for the earliest of those deadlines
        self.state = ""
        self.deadline = node.runtime.now() + node.config.request_timeout  # a time, not a timer
        self.hops = hops
        self.replied = False

    def set_state(self, state: str, detail: str | None = None) -> None:
        self.state = state
        rt = self.node.runtime
        if rt.bus.active:  # the detail text is only built when someone watches
            text = self.describe_state() if detail is None else detail
            rt.bus.emit(CoordinatorState(rt.now(), self.req, self.op, self.key, self.node.name, state, text))

    def describe_state(self) -> str:
        return ""

    def is_primary(self, target: str) -> bool:
        return self.targets.get(target) is None and target in self.primaries

    def next_fallback(self, failed: str) -> tuple[str, str] | None:
        """A stand-in for ``failed`` (or for the primary ``failed`` stood in for)."""
        primary = self.targets.get(failed) or failed
        detector = self.node.detector
        for f in self.extended[self.n:]:
            if f not in self.targets and (f == self.node.name or detector.reachable(f)):
                self.targets[f] = primary
                return f, primary
        return None

    def start_timer(self, target: str) -> None:
        node = self.node
        rt = node.runtime
        self.timers[target] = rt.now() + node.config.replica_timeout
        if self.rtimer is None:
            self.rtimer = rt.set_timer(node.config.replica_timeout, self._replica_deadline)

    def stop_timer(self, target: str) -> None:
        if self.timers.pop(target, None) is not None and not self.timers and self.rtimer is not None:
            self.node.runtime.cancel(self.rtimer)
            self.rtimer = None

    def _replica_deadline(self) -> None:
        """One timer serves every outstanding replica and the request deadline: a
        request only waits while some replica is outstanding, so the deadline needs
        no timer of its own (fewer timers on the hot path)."""
        self.rtimer = None
        rt = self.node.runtime
        now = rt.now()
        for target in [t for t, due in self.timers.items() if due <= now]:
            if target in self.timers:
                self.replica_timeout(target)
        if self.node.coordinators.get(self.req) is not self:
            return
        if now >= self.deadline:
            self.timeout()
        elif self.timers and self.rtimer is None:
            due = min(min(self.timers.values()), self.deadline)
            self.rtimer = rt.set_timer(max(1, due - now), self._replica_deadline)
        elif not self.timers:
            self.exhausted()

    def exhausted(self) -> None:
        """Nobody left to wait for: if the quorum is not met, it never will be."""
        raise NotImplementedError

    def replica_timeout(self, target: str) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        node = self.node
        node.runtime.cancel(self.rtimer)
        self.rtimer = None
        self.timers.clear()
        node.coordinators.pop(self.req, None)

    def reply(self, msg: ClientReply) -> None:
        self.replied = True
        node = self.node
        node.runtime.send(self.client, msg)
        rt = node.runtime
        if rt.bus.active:
            rt.bus.emit(RequestDone(rt.now(), self.req, self.op, self.key, msg.ok, node.name, msg.error))


class PutCoordinator(_Coordinator):
    __slots__ = ("tally", "merged", "w", "acked_hints")

    def __init__(self, node: Node, msg: ClientPut, n: int, w: int, pw: int,
                 extended: Sequence[str], targets: dict[str, str | None]) -> None:
        super().__init__(node, msg.req, msg.key, msg.client, n, extended, targets, msg.hops)
        self.w = w
        self.tally = Tally(w, pw)
        self.merged: Siblings | None = None
        self.acked_hints: list[tuple[str, str]] = []
        self.op = "delete" if msg.value is None else "put"

    def describe_state(self) -> str:
        if self.state == WAITING_W:
            return f"need {plural(self.w, 'ack')}"
        return f"{self.tally.describe()} acks"

    def start(self, version: Version) -> None:
        node = self.node
        me = node.name
        self.set_state(WAITING_W)
        merged = node.store_version(self.key, version, self.targets.get(me))
        self.merged = merged
        for target, hint_for in list(self.targets.items()):
            if target == me:
                continue
            node.runtime.send(target, ReplicaPut(self.req, self.key, merged, hint_for))
            self.start_timer(target)
        pending = node.pending_ring
        if pending is not None:
            # A ring change is moving this key's range: the nodes about to own it get
            # the write too (not counted toward W), so the transfer cannot miss it.
            for target in pending.preference_list(self.key, self.n):
                if target not in self.targets:
                    node.runtime.send(target, ReplicaPut(0, self.key, merged, None))
        # The local write counts last: at W=1 it answers the client, and the replicas'
        # timers must already be running, or the coordinator would finish before asking
        # them and their acks would find nobody (each then "timed out": a false
        # suspicion and a needless hint on a stand-in).
        self.ack(me)

    def ack(self, target: str) -> None:
        self.stop_timer(target)
        hint_for = self.targets.get(target)
        self.tally.add_ok(target, self.targets.get(target) is None and target in self.primaries)
        if hint_for is not None and (target, hint_for) not in self.acked_hints:
            self.acked_hints.append((target, hint_for))
        if self.state == WAITING_W and self.tally.enough():
            self.set_state(DONE)
            node = self.node
            merged = self.merged or Siblings.EMPTY
            # Like Riak's return_body: the client learns the merged siblings and a
            # context for them, so its next put supersedes its own write.
            token = encode_context(
                context_for(self.key, node.versioning.context_of(merged), node.name), node.config.secret,
                fresh=True)
            self.reply(ClientReply(
                self.req, self.key, self.op, True, node.name, siblings=merged, context=token,
                replier=node.name, acks=tuple(self.tally.ok), hints=tuple(self.acked_hints),
                hops=self.hops,
            ))
        elif self.state == WAITING_W and not self.timers:
            self.exhausted()  # every replica asked has answered, and W (pw=) is not met
            return
        if self.replied and not self.timers:
            self.finish()

    def on_ack(self, src: str, msg: ReplicaPutAck) -> None:
        if src not in self.targets:
            return
        if msg.ok:
            self.ack(src)
        else:
            # A refusal (e.g. a stand-in whose hint store is full) is answered at once:
            # move on to the next stand-in, as for a timeout, but without suspicion.
            self.stop_timer(src)
            self.replica_failed(src, suspect=False)

    def replica_timeout(self, target: str) -> None:
        self.replica_failed(target, suspect=True)

    def replica_failed(self, target: str, suspect: bool) -> None:
        self.timers.pop(target, None)
        node = self.node
        if suspect:
            node.detector.suspect(target, f"no ack for put of {show_key(self.key)}")
        self.tally.add_failure(target)
        fallback = self.next_fallback(target)
        if fallback is not None and self.merged is not None:
            f, primary = fallback
            if f == node.name:
                node.store_siblings(self.key, self.merged, primary, cause="hint")
                self.ack(f)
            else:
                node.runtime.send(f, ReplicaPut(self.req, self.key, self.merged, primary))
                self.start_timer(f)
        if self.state == WAITING_W and not self.timers:
            self.exhausted()
        elif self.replied and not self.timers:
            self.finish()

    def exhausted(self) -> None:
        if self.state == WAITING_W:
            self.timeout(f"not enough: {self.tally.describe()} acks; every replica asked has answered or timed out")

    def timeout(self, why: str | None = None) -> None:
        if self.state == WAITING_W:
            detail = why or f"timeout with {self.tally.describe()} acks"
            self.set_state(FAILED, detail)
            self.reply(ClientReply(
                self.req, self.key, self.op, False, self.node.name,
                acks=tuple(self.tally.ok), hints=tuple(self.acked_hints), error=detail, hops=self.hops,
            ))
        self.finish()


class GetCoordinator(_Coordinator):
    __slots__ = ("tally", "replies", "r", "merged", "first")

    def __init__(self, node: Node, msg: ClientGet, n: int, r: int, pr: int,
                 extended: Sequence[str], targets: dict[str, str | None]) -> None:
        super().__init__(node, msg.req, msg.key, msg.client, n, extended, targets, msg.hops)
        self.op = "get"
        self.r = r
        self.tally = Tally(r, pr)
        self.replies: dict[str, Siblings | None] = {}
        self.merged: Siblings = Siblings.EMPTY
        self.first: str | None = None

    def describe_state(self) -> str:
        if self.state == WAITING_R:
            return f"need {plural(self.r, 'reply', 'replies')}"
        return f"{self.tally.describe()} replies"

    def start(self) -> None:
        node = self.node
        me = node.name
        self.set_state(WAITING_R)
        rt = node.runtime
        req, key = self.req, self.key
        for target, hint_for in self.targets.items():  # inline: every get runs this
            if target != me:
                rt.send(target, ReplicaGet(req, key, hint_for))
                self.start_timer(target)
        if me in self.targets:
            self.add_reply(me, node.read_local(key))

    def ask(self, hint_for: str | None) -> object:
        """The message that asks one replica (standing in for ``hint_for``)."""
        return ReplicaGet(self.req, self.key, hint_for)

    def read_here(self) -> object:
        """This node's own answer, as a replica."""
        return self.node.read_local(self.key)

    def add_reply(self, src: str, siblings: Siblings | None) -> None:
        self.stop_timer(src)
        if src in self.replies:
            return
        if self.first is None:
            self.first = src
        self.replies[src] = siblings
        if siblings is not None:
            self.merged = self.node.merge(self.merged, siblings)
        self.tally.add_ok(src, self.targets.get(src) is None and src in self.primaries)
        if self.state == WAITING_R and self.tally.enough():
            self.answer()
        elif self.state == WAITING_R and not self.timers:
            self.exhausted()  # everyone asked has answered, and the quorum (pr=) is not met
        elif self.state == READ_REPAIR and not self.timers:
            self.repair()

    def answer(self) -> None:
        node = self.node
        merged = self.merged
        causal = node.versioning.context_of(merged)
        token = encode_context(context_for(self.key, causal, self.first), node.config.secret)
        self.reply(ClientReply(
            self.req, self.key, "get", True, node.name, siblings=merged, context=token,
            replier=self.first, acks=tuple(self.tally.ok), hops=self.hops,
        ))
        if node.config.readrepair:
            self.set_state(READ_REPAIR)
            # Wait for the remaining replies, each up to its per-replica deadline (the
            # short window of DESIGN §7), then repair whoever answered with less.
            if not self.timers:
                self.repair()
        else:
            self.set_state(DONE)
            self.finish()

    def on_reply(self, src: str, msg: ReplicaGetReply) -> None:
        if src in self.targets:
            self.add_reply(src, msg.siblings)

    def replica_timeout(self, target: str) -> None:
        self.timers.pop(target, None)
        node = self.node
        node.detector.suspect(target, f"no reply to get of {show_key(self.key)}")
        self.tally.add_failure(target)
        if self.state == WAITING_R:
            fallback = self.next_fallback(target)
            if fallback is not None:
                f, primary = fallback
                if f == node.name:
                    self.add_reply(f, self.read_here())
                else:
                    node.runtime.send(f, self.ask(primary))
                    self.start_timer(f)
        elif self.state == READ_REPAIR and not self.timers:
            self.repair()

    def repair(self) -> None:
        """Push the merged siblings to every replica that answered with less (DESIGN §7)."""
        if self.state != READ_REPAIR:
            return
        node = self.node
        merged = self.merged
        stale: list[str] = []
        if not merged.is_empty():
            for target, siblings in self.replies.items():
                if siblings is not merged and siblings != merged:
                    stale.append(target)
        for target in stale:
            hint_for = self.targets.get(target)
            if target == node.name:
                node.store_siblings(self.key, merged, hint_for, cause="repair")
            else:
                node.runtime.send(target, ReadRepairPut(self.key, merged, hint_for))
        rt = node.runtime
        if stale and rt.bus.active:
            rt.bus.emit(ReadRepair(rt.now(), node.name, self.key, tuple(stale)))
        self.set_state(DONE, None if not rt.bus.active else (
            f"repaired {', '.join(stale)}" if stale else "replicas agree"))
        self.finish()

    def exhausted(self) -> None:
        if self.state == WAITING_R:
            self.timeout(f"not enough: {self.tally.describe()} replies; every replica asked has answered or timed out")
        elif self.state == READ_REPAIR:
            self.repair()

    def timeout(self, why: str | None = None) -> None:
        if self.state == WAITING_R:
            detail = why or f"timeout with {self.tally.describe()} replies"
            self.set_state(FAILED, detail)
            self.reply(self.failure(detail))
            self.finish()
        elif self.state == READ_REPAIR:
            self.repair()

    def failure(self, detail: str) -> object:
        return ClientReply(self.req, self.key, "get", False, self.node.name, acks=tuple(self.tally.ok),
                           error=detail, hops=self.hops)



class RangeGetCoordinator(GetCoordinator):
    """A get over a key group's range (the table layer's Query and Scan).

    Each of R replicas answers with at most ``limit`` keys of the range in order, and
    whether it has more; the coordinator merges them key by key, as a get merges one
    key's siblings, and answers with the first ``limit`` keys of the union. That is
    exact: a key among the union's first ``limit`` is among the first ``limit`` of any
    replica that holds it. Read repair then pushes each merged key to the replicas that
    answered with less, but only inside the part of the range each replica covered.
    """

    __slots__ = ("start_key", "end_key", "limit", "reverse", "entries", "covered", "more", "answered")

    def __init__(self, node: Node, msg: ClientRangeGet, n: int, r: int, pr: int,
                 extended: Sequence[str], targets: dict[str, str | None]) -> None:
        super().__init__(node, msg, n, r, pr, extended, targets)  # type: ignore[arg-type]
        self.op = "range"
        self.start_key = msg.start
        self.end_key = msg.end
        self.limit = msg.limit
        self.reverse = msg.reverse
        self.entries: dict[bytes, Siblings] = {}
        self.covered: dict[str, bytes | None] = {}  # replica -> last key it covered (None: all)
        self.more = False
        self.answered: list[bytes] = []  # the keys of the reply, in its order

    def start(self) -> None:
        me = self.node.name
        self.set_state(WAITING_R)
        for target, hint_for in self.targets.items():
            if target != me:
                self.node.runtime.send(target, self.ask(hint_for))
                self.start_timer(target)
        if me in self.targets:
            self.add_reply(me, self.read_here())

    def ask(self, hint_for: str | None) -> object:
        return ReplicaRangeGet(self.req, self.key, self.start_key, self.end_key, self.limit, self.reverse, hint_for)

    def read_here(self) -> object:
        return self.node.read_range(self.key, self.start_key, self.end_key, self.limit, self.reverse)

    def on_range_reply(self, src: str, msg: ReplicaRangeReply) -> None:
        if src in self.targets:
            self.add_reply(src, (msg.entries, msg.more))

    def add_reply(self, src: str, answer: object) -> None:
        self.stop_timer(src)
        if src in self.replies:
            return
        if self.first is None:
            self.first = src
        entries, more = answer  # type: ignore[misc]
        self.replies[src] = entries
        self.covered[src] = entries[-1][0] if more and entries else None
        self.more = self.more or more
        merge = self.node.merge
        found = self.entries
        for key, siblings in entries:
            have = found.get(key)
            found[key] = siblings if have is None else merge(have, siblings)
        self.tally.add_ok(src, self.targets.get(src) is None and src in self.primaries)
        if self.state == WAITING_R and self.tally.enough():
            self.answer()
        elif self.state == WAITING_R and not self.timers:
            self.exhausted()  # everyone asked has answered, and the quorum (pr=) is not met
        elif self.state == READ_REPAIR and not self.timers:
            self.repair()

    def answer(self) -> None:
        node = self.node
        keys = self.answered = sorted(self.entries, reverse=self.reverse)[:self.limit]
        more = self.more or len(self.entries) > self.limit
        self.reply(ClientRangeReply(
            self.req, self.key, True, node.name, tuple((k, self.entries[k]) for k in keys), more,
            acks=tuple(self.tally.ok), hops=self.hops,
        ))
        if node.config.readrepair:
            self.set_state(READ_REPAIR)
            if not self.timers:
                self.repair()
        else:
            self.set_state(DONE)
            self.finish()

    def repair(self) -> None:
        if self.state != READ_REPAIR:
            return
        node = self.node
        rt = node.runtime
        keys = self.answered
        repaired: list[str] = []
        for target, entries in self.replies.items():
            held = dict(entries)  # type: ignore[arg-type]
            last = self.covered.get(target)
            hint_for = self.targets.get(target)
            for key in keys:
                if last is not None and (key > last if not self.reverse else key < last):
                    break
                merged = self.entries[key]
                mine = held.get(key)
                if mine is merged or mine == merged:
                    continue
                if target == node.name:
                    node.store_siblings(key, merged, hint_for, cause="repair")
                else:
                    rt.send(target, ReadRepairPut(key, merged, hint_for))
                if rt.bus.active:
                    rt.bus.emit(ReadRepair(rt.now(), node.name, key, (target,)))
                if target not in repaired:
                    repaired.append(target)
        self.set_state(DONE, None if not rt.bus.active else (
            f"repaired {', '.join(repaired)}" if repaired else "replicas agree"))
        self.finish()

    def failure(self, detail: str) -> object:
        return ClientRangeReply(self.req, self.key, False, self.node.name, acks=tuple(self.tally.ok),
                                error=detail, hops=self.hops)
