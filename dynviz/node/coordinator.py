"""Coordinator state machines for put and get (paper sections 4.5 and 5; riak_kv's FSMs).

A coordinator is created per client request at the node that coordinates it. Its
state is explicit, visible (the TUI shows it) and moves only along :data:`TRANSITIONS`;
any other move raises :class:`IllegalTransition`:

    put:    starting -> waiting_w -> done | failed            (then it keeps counting late acks)
    get:    starting -> waiting_r -> read_repair -> done | failed
    range:  starting -> waiting_r -> read_repair -> done | failed   (a get over a key group)

What to decide is not here: whether enough replicas answered is the pure ``Tally``
(quorum.py), and what a read's answers add up to, what the client is told and which
replicas read repair must fix is the pure :class:`~dynviz.node.readcore.ReadCore`. These
classes only sequence messages and timers around them (riak_kv's get_fsm around its
get_core), against a narrow :class:`CoordinatorHost`, not the whole node.

Sloppy quorum: replicas are the first N nodes of the extended preference list that this
node believes reachable; a stand-in carries a hint naming the primary it replaces. A
replica that does not answer within the per-replica timeout is suspected, and the next
fallback is tried, well inside the request deadline.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from dynviz.core.context import context_token, read_token
from dynviz.core.hashing import show_key
from dynviz.core.versions import Siblings, Version
from dynviz.events import CoordinatorState, ReadRepair, RequestDone
from dynviz.node.messages import (
    ClientRangeGet,
    ClientRangeReply,
    ClientReply,
    ReadRepairPut,
    ReplicaPut,
    ReplicaRangeGet,
    ReplicaRangeReply,
    client_reply,
    replica_get,
    replica_put,
)
from dynviz.node.quorum import Tally
from dynviz.node.readcore import Entries, ReadCore, Repair
from dynviz.wording import plural

if TYPE_CHECKING:
    from dynviz.core.ring import Ring
    from dynviz.core.settings import ProtocolSettings
    from dynviz.core.versions import Versioning
    from dynviz.node.detector import FailureDetector
    from dynviz.node.runtime import Runtime


class State(StrEnum):
    """Where a coordinator is (the values are what the TUI and the events show). A
    ``StrEnum``: its members hash as their strings, in C, and every request looks one
    up in :data:`TRANSITIONS` at each move."""

    STARTING = "starting"
    WAITING_W = "waiting_w"
    WAITING_R = "waiting_r"
    READ_REPAIR = "read_repair"
    DONE = "done"
    FAILED = "failed"


TRANSITIONS: dict[State, frozenset[State]] = {
    State.STARTING: frozenset({State.WAITING_W, State.WAITING_R}),
    State.WAITING_W: frozenset({State.DONE, State.FAILED}),
    State.WAITING_R: frozenset({State.READ_REPAIR, State.DONE, State.FAILED}),
    State.READ_REPAIR: frozenset({State.DONE}),
    State.DONE: frozenset(),
    State.FAILED: frozenset(),
}
"""Every move a coordinator may make; nothing else."""

STARTING, WAITING_W, WAITING_R, READ_REPAIR, DONE, FAILED = (
    State.STARTING, State.WAITING_W, State.WAITING_R, State.READ_REPAIR, State.DONE, State.FAILED)
"""The states as module names: a member read from the enum class (``State.DONE``) is
an attribute lookup CPython 3.11 cannot specialize, a module global is."""


class IllegalTransition(AssertionError):
    """A coordinator tried a move :data:`TRANSITIONS` does not allow (a bug, not input)."""


class CoordinatorHost(Protocol):
    """What a coordinator may use of the node it runs on."""

    name: str
    runtime: Runtime
    config: ProtocolSettings
    versioning: Versioning
    detector: FailureDetector
    coordinators: dict[int, Any]
    pending_ring: Ring | None
    merge: Callable[[Siblings, Siblings], Siblings]

    def store_siblings(self, key: bytes, siblings: Siblings, hint_for: str | None, cause: str) -> Siblings: ...

    def read_local(self, key: bytes) -> Siblings | None: ...

    def read_range(self, prefix: bytes, start: bytes, end: bytes | None, limit: int,
                   reverse: bool) -> tuple[tuple[tuple[bytes, Siblings], ...], bool]: ...


def choose_replicas(node: CoordinatorHost, extended: Sequence[str], n: int) -> dict[str, str | None]:
    """The first ``n`` reachable nodes of ``extended``, each mapped to the primary it
    stands in for (None for a primary serving as itself).

    Primaries (the first ``n`` of the list) this node believes reachable serve as
    themselves; each unreachable primary is replaced, in order, by the next reachable
    node further down the list, which will hold the write as a hint for it.
    """
    me = node.name
    primaries = extended[:n]
    detector = node.detector
    if not detector.suspected_until:  # the common case: nobody suspected
        return dict.fromkeys(primaries)
    reachable = detector.reachable
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
    """What put and get share: the replica set, fallbacks, timers, the reply.

    Subclasses call their base's ``__init__`` by name, not through ``super()`` (which
    builds a proxy object per call): one is made per request, a get's in two levels."""

    __slots__ = (
        "op", "node", "req", "key", "client", "state", "targets", "extended", "n", "primaries",
        "timers", "rtimer", "deadline", "hops", "replied",
    )

    def __init__(self, node: CoordinatorHost, req: int, client: str, key: bytes, hops: int, n: int,
                 extended: Sequence[str], targets: dict[str, str | None]) -> None:
        """For request ``req`` of ``client`` (the endpoint its reply goes to) on ``key``,
        which reached ``node`` after ``hops`` forwards. The node passes the request's
        fields, which it has unpacked already (node.py: a NamedTuple's field read by
        name is not specialized by CPython 3.11), rather than the message."""
        self.op = ""
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
        self.state = STARTING
        self.deadline = node.runtime.now() + node.config.request_timeout  # a time, not a timer
        self.hops = hops
        self.replied = False

    def set_state(self, state: State, detail: str | None = None) -> None:
        if state not in TRANSITIONS[self.state]:
            raise IllegalTransition(f"{self.op} coordinator {self.req} at {self.node.name}: "
                                    f"{self.state.value} -> {state.value}")
        self.state = state
        rt = self.node.runtime
        if rt.bus.active:  # the detail text is only built when someone watches
            text = self.describe_state() if detail is None else detail
            rt.bus.emit(CoordinatorState(rt.now(), self.req, self.op, self.key, self.node.name, state.value, text))

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

    def timeout(self, why: str | None = None) -> None:
        raise NotImplementedError

    def replica_timeout(self, target: str) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        node = self.node
        if self.rtimer is not None:  # usually gone already: the last answer stopped it
            node.runtime.cancel(self.rtimer)
            self.rtimer = None
        self.timers.clear()
        node.coordinators.pop(self.req, None)

    def reply(self, msg: ClientReply | ClientRangeReply) -> None:
        self.replied = True
        node = self.node
        node.runtime.send(self.client, msg)
        rt = node.runtime
        if rt.bus.active:
            rt.bus.emit(RequestDone(rt.now(), self.req, self.op, self.key, msg.ok, node.name, msg.error))

    def not_enough(self, what: str, tally: Tally) -> str:
        return f"not enough: {tally.describe()} {what}; every replica asked has answered or timed out"


class PutCoordinator(_Coordinator):
    """A put: the new version stored here, sent to the other replicas, W acks awaited."""

    __slots__ = ("tally", "merged", "w", "acked_hints")

    def __init__(self, node: CoordinatorHost, req: int, client: str, key: bytes, op: str, hops: int, n: int, w: int,
                 pw: int, extended: Sequence[str], targets: dict[str, str | None]) -> None:
        """``op``: "put", or "delete" (a tombstone)."""
        _Coordinator.__init__(self, node, req, client, key, hops, n, extended, targets)
        self.w = w
        self.tally = Tally(w, pw)
        self.merged: Siblings | None = None
        self.acked_hints: list[tuple[str, str]] = []
        self.op = op

    def describe_state(self) -> str:
        if self.state is WAITING_W:
            return f"need {plural(self.w, 'ack')}"
        return f"{self.tally.describe()} acks"

    def start(self, version: Version) -> None:
        node = self.node
        me = node.name
        self.set_state(WAITING_W)
        req, key = self.req, self.key
        merged = node.store_siblings(key, Siblings((version,)), self.targets.get(me), cause="put")
        self.merged = merged
        rt = node.runtime
        send = rt.send
        # start_timer, inline (every put asks two replicas): all asked now are due at once.
        timeout = node.config.replica_timeout
        due = rt.now() + timeout
        timers = self.timers
        for target, hint_for in list(self.targets.items()):
            if target == me:
                continue
            send(target, replica_put((req, key, merged, hint_for)))
            timers[target] = due
            if self.rtimer is None:
                self.rtimer = rt.set_timer(timeout, self._replica_deadline)
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
        timers = self.timers
        if timers.pop(target, None) is not None and not timers and self.rtimer is not None:  # stop_timer, inline
            self.node.runtime.cancel(self.rtimer)
            self.rtimer = None
        hint_for = self.targets.get(target)
        tally = self.tally
        tally.add_ok(target, hint_for is None and target in self.primaries)
        if hint_for is not None and (target, hint_for) not in self.acked_hints:
            self.acked_hints.append((target, hint_for))
        if self.state is WAITING_W and tally.enough():
            self.set_state(DONE)
            node = self.node
            merged = self.merged if self.merged is not None else Siblings.EMPTY
            # Like Riak's return_body: the client learns the merged siblings and a
            # context for them, so its next put supersedes its own write.
            token = context_token(self.key, node.versioning.context_of(merged), node.name, node.config.secret,
                                  fresh=True)
            self.reply(client_reply((
                self.req, self.key, self.op, True, node.name, merged, token, node.name, tuple(tally.ok),
                tuple(self.acked_hints), "", self.hops,
            )))
        elif self.state is WAITING_W and not self.timers:
            self.exhausted()  # every replica asked has answered, and W (pw=) is not met
            return
        if self.replied and not self.timers:
            self.finish()

    def on_ack(self, src: str, ok: bool) -> None:
        """A replica's answer to a ReplicaPut: ``ok``, or a refusal."""
        if src not in self.targets:
            return
        if ok:
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
        fallback = self.next_fallback(target)
        if fallback is not None and self.merged is not None:
            f, primary = fallback
            if f == node.name:
                node.store_siblings(self.key, self.merged, primary, cause="hint")
                self.ack(f)
            else:
                node.runtime.send(f, ReplicaPut(self.req, self.key, self.merged, primary))
                self.start_timer(f)
        if self.state is WAITING_W and not self.timers:
            self.exhausted()
        elif self.replied and not self.timers:
            self.finish()

    def exhausted(self) -> None:
        if self.state is WAITING_W:
            self.timeout(self.not_enough("acks", self.tally))

    def timeout(self, why: str | None = None) -> None:
        if self.state is WAITING_W:
            detail = why or f"timeout with {self.tally.describe()} acks"
            self.set_state(FAILED, detail)
            self.reply(ClientReply(
                self.req, self.key, self.op, False, self.node.name,
                acks=tuple(self.tally.ok), hints=tuple(self.acked_hints), error=detail, hops=self.hops,
            ))
        self.finish()


class _ReadCoordinator(_Coordinator):
    """The sequencing a get and a range read share: ask the replicas, count answers in
    the read core, answer at R, wait out the rest for read repair, fall back on time-outs.
    What differs (the message that asks, the local answer, the reply, how a repair is
    announced) is in the subclasses."""

    __slots__ = ("core", "r")

    def __init__(self, node: CoordinatorHost, req: int, client: str, key: bytes, hops: int, n: int, r: int,
                 extended: Sequence[str], targets: dict[str, str | None], core: ReadCore) -> None:
        _Coordinator.__init__(self, node, req, client, key, hops, n, extended, targets)
        self.r = r
        self.core = core

    @property
    def tally(self) -> Tally:
        return self.core.tally

    def describe_state(self) -> str:
        if self.state is WAITING_R:
            return f"need {plural(self.r, 'reply', 'replies')}"
        return f"{self.core.tally.describe()} replies"

    def ask(self, hint_for: str | None) -> object:
        """The message that asks one replica (standing in for ``hint_for``)."""
        raise NotImplementedError

    def answer_here(self) -> None:
        """Count this node's own answer, as a replica (``add_reply`` from itself)."""
        raise NotImplementedError

    def start(self) -> None:
        node = self.node
        me = node.name
        self.set_state(WAITING_R)
        rt = node.runtime
        send = rt.send
        # start_timer, inline (every read asks two replicas): all asked now are due at once.
        timeout = node.config.replica_timeout
        due = rt.now() + timeout
        timers = self.timers
        for target, hint_for in self.targets.items():  # every read runs this
            if target != me:
                send(target, self.ask(hint_for))
                timers[target] = due
                if self.rtimer is None:
                    self.rtimer = rt.set_timer(timeout, self._replica_deadline)
        if me in self.targets:
            self.answer_here()

    def add_reply(self, src: str, entries: Entries, more: bool = False) -> None:
        timers = self.timers
        if timers.pop(src, None) is not None and not timers and self.rtimer is not None:  # stop_timer, inline
            self.node.runtime.cancel(self.rtimer)
            self.rtimer = None
        primary = self.targets.get(src) is None and src in self.primaries  # is_primary, inlined (every reply)
        if not self.core.add_result(src, entries, more, primary):
            return
        state = self.state
        if state is WAITING_R and self.core.tally.enough():  # core.enough, without its frame
            self.answer()
        elif state is WAITING_R and not self.timers:
            self.exhausted()  # everyone asked has answered, and the quorum (pr=) is not met
        elif state is READ_REPAIR and not self.timers:
            self.repair()

    def answer(self) -> None:
        self.reply_ok()
        if self.node.config.readrepair:
            self.set_state(READ_REPAIR)
            # Wait for the remaining replies, each up to its per-replica deadline (the
            # short window of DESIGN §7), then repair whoever answered with less.
            if not self.timers:
                self.repair()
        else:
            self.set_state(DONE)
            self.finish()

    def reply_ok(self) -> None:
        raise NotImplementedError

    def reply_failed(self, detail: str) -> None:
        raise NotImplementedError

    def replica_timeout(self, target: str) -> None:
        self.timers.pop(target, None)
        node = self.node
        node.detector.suspect(target, f"no reply to get of {show_key(self.key)}")
        if self.state is WAITING_R:
            fallback = self.next_fallback(target)
            if fallback is not None:
                f, primary = fallback
                if f == node.name:
                    self.answer_here()
                else:
                    node.runtime.send(f, self.ask(primary))
                    self.start_timer(f)
        elif self.state is READ_REPAIR and not self.timers:
            self.repair()

    def repair(self) -> None:
        """Carry out the read core's repairs (DESIGN §7), then done."""
        if self.state is not READ_REPAIR:
            return
        node = self.node
        rt = node.runtime
        repairs = self.core.final_action()
        for rep in repairs:
            hint_for = self.targets.get(rep.target)
            if rep.target == node.name:
                node.store_siblings(rep.key, rep.siblings, hint_for, cause="repair")
            else:
                rt.send(rep.target, ReadRepairPut(rep.key, rep.siblings, hint_for))
        if rt.bus.active:  # the words are only built when someone watches
            if repairs:
                self.announce(repairs)
            targets = list(dict.fromkeys(rep.target for rep in repairs))
            self.set_state(DONE, f"repaired {', '.join(targets)}" if targets else "replicas agree")
        else:
            self.set_state(DONE)
        self.finish()

    def announce(self, repairs: list[Repair]) -> None:
        """Tell the watchers what read repair fixed."""
        raise NotImplementedError

    def exhausted(self) -> None:
        if self.state is WAITING_R:
            self.timeout(self.not_enough("replies", self.core.tally))
        elif self.state is READ_REPAIR:
            self.repair()

    def timeout(self, why: str | None = None) -> None:
        if self.state is WAITING_R:
            detail = why or f"timeout with {self.core.tally.describe()} replies"
            self.set_state(FAILED, detail)
            self.reply_failed(detail)
            self.finish()
        elif self.state is READ_REPAIR:
            self.repair()


class GetCoordinator(_ReadCoordinator):
    """A get of one key: R replies merged, the client told every sibling and a context."""

    __slots__ = ()

    def __init__(self, node: CoordinatorHost, req: int, client: str, key: bytes, hops: int, n: int, r: int, pr: int,
                 extended: Sequence[str], targets: dict[str, str | None]) -> None:
        core = ReadCore(Tally(r, pr), node.merge, key=key)
        _ReadCoordinator.__init__(self, node, req, client, key, hops, n, r, extended, targets, core)
        self.op = "get"

    def ask(self, hint_for: str | None) -> object:
        return replica_get((self.req, self.key, hint_for))

    def answer_here(self) -> None:
        node, key = self.node, self.key
        siblings = node.read_local(key)
        self.add_reply(node.name, ((key, siblings),) if siblings is not None else ())

    def on_reply(self, src: str, siblings: Siblings | None) -> None:
        """A replica's answer to a ReplicaGet: what it holds of the key (None: nothing)."""
        if src in self.targets:
            self.add_reply(src, ((self.key, siblings),) if siblings is not None else ())

    def reply_ok(self) -> None:
        node, core = self.node, self.core
        merged = core.entries.get(self.key, Siblings.EMPTY)  # core.merged, inline: the one key's response
        token = read_token(self.key, merged, core.first, node.versioning, node.config.secret)
        self.reply(client_reply((
            self.req, self.key, "get", True, node.name, merged, token, core.first, tuple(core.tally.ok), (), "",
            self.hops,
        )))

    def reply_failed(self, detail: str) -> None:
        self.reply(ClientReply(self.req, self.key, "get", False, self.node.name, acks=tuple(self.core.tally.ok),
                               error=detail, hops=self.hops))

    def announce(self, repairs: list[Repair]) -> None:
        rt = self.node.runtime
        rt.bus.emit(ReadRepair(rt.now(), self.node.name, self.key, tuple(rep.target for rep in repairs)))


class RangeGetCoordinator(_ReadCoordinator):
    """A get over a key group's range (the table layer's Query and Scan).

    Each of R replicas answers with at most ``limit`` keys of the range in order, and
    whether it has more; the read core merges them key by key and answers with the first
    ``limit`` keys of the union, then repairs only inside what each replica covered.
    """

    __slots__ = ("start_key", "end_key", "limit", "reverse")

    def __init__(self, node: CoordinatorHost, msg: ClientRangeGet, n: int, r: int, pr: int,
                 extended: Sequence[str], targets: dict[str, str | None]) -> None:
        core = ReadCore(Tally(r, pr), node.merge, limit=msg.limit, reverse=msg.reverse)
        _ReadCoordinator.__init__(self, node, msg.req, msg.client, msg.key, msg.hops, n, r, extended, targets, core)
        self.op = "range"
        self.start_key = msg.start
        self.end_key = msg.end
        self.limit = msg.limit
        self.reverse = msg.reverse

    def ask(self, hint_for: str | None) -> object:
        return ReplicaRangeGet(self.req, self.key, self.start_key, self.end_key, self.limit, self.reverse, hint_for)

    def answer_here(self) -> None:
        node = self.node
        self.add_reply(node.name, *node.read_range(self.key, self.start_key, self.end_key, self.limit,
                                                   self.reverse))

    def on_range_reply(self, src: str, msg: ReplicaRangeReply) -> None:
        if src in self.targets:
            self.add_reply(src, msg.entries, msg.more)

    def reply_ok(self) -> None:
        entries, more = self.core.response()
        self.reply(ClientRangeReply(self.req, self.key, True, self.node.name, entries, more,
                                    acks=tuple(self.core.tally.ok), hops=self.hops))

    def reply_failed(self, detail: str) -> None:
        self.reply(ClientRangeReply(self.req, self.key, False, self.node.name, acks=tuple(self.core.tally.ok),
                                    error=detail, hops=self.hops))

    def announce(self, repairs: list[Repair]) -> None:
        rt = self.node.runtime
        for rep in repairs:
            rt.bus.emit(ReadRepair(rt.now(), self.node.name, rep.key, (rep.target,)))
