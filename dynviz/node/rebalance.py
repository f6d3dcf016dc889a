"""Joins, leaves and removals: plan a new ring, stream the moved ranges, commit.

A ring change goes through three phases, each visible as ``RingChange`` events:

1. **planned**: the node that starts the change (the joiner, the leaver, or a live
   seed for a removal) computes the new token assignment from the ring strategy
   (equal partitions move whole partitions, k or k+1 per node, see ``ring.claim_*``)
   and publishes it in its membership view as *pending* tokens. Gossip spreads the
   plan; every node that knows it also sends new writes to the replicas the pending
   ring adds (``Node.pending_ring``), so nothing written during the move is missed.
2. **transferring**: every node that gains a stretch of the ring pulls it, in batches,
   from one of the stretch's current replicas (trying the next one if a source does
   not answer). Reads and writes keep using the current ring meanwhile.
3. **committed**: when every gaining node has reported, the starter makes the pending
   tokens current. As gossip spreads the commit, each node hands the keys it no longer
   replicates to their new replicas (ownership handoff) and drops them once acknowledged,
   so every key ends with its N replicas exactly on its new preference list and no
   write that only an old replica held is lost.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from dynviz.core.membership import Member, Update
from dynviz.core.ring import (
    Ring,
    claim_join,
    claim_leave,
    partition_owners_from_tokens,
    random_tokens,
    tokens_from_partition_owners,
)
from dynviz.core.versions import Siblings
from dynviz.events import RingChange as RingChangeEvent
from dynviz.events import TransferProgress
from dynviz.node.component import Component
from dynviz.wording import plural

if TYPE_CHECKING:
    from dynviz.node.gossip import Gossip
    from dynviz.node.node import Node

BATCH = 128
RETRY = 2_000_000  # µs between retries of an unanswered task or pull
GRACE = 5_000_000  # µs after a commit before a node hands off keys it no longer replicates
HANDOFF_BATCH = 512  # keys handed off per round; the rest wait for the next


class TransferTask(NamedTuple):
    """Starter -> gaining node: pull these stretches (lo, hi, sources in order)."""

    change: str
    segments: tuple[tuple[int, int, tuple[str, ...]], ...]


class TransferDone(NamedTuple):
    change: str
    keys: int


class PullRequest(NamedTuple):
    change: str
    segment: int
    lo: int
    hi: int
    offset: int


class OwnershipHandoff(NamedTuple):
    """A node that no longer replicates ``key`` hands its copy to the new replicas."""

    key: bytes
    siblings: Siblings


class OwnershipHandoffAck(NamedTuple):
    """The new replica stored ``siblings`` (what the handoff carried). The old replica
    counts the ack only if that is what it is waiting on: an ack naming only the key,
    arriving late for an older handoff, would let it drop a newer copy."""

    key: bytes
    siblings: Siblings


class PullBatch(NamedTuple):
    change: str
    segment: int
    items: tuple[tuple[bytes, Siblings], ...]
    next_offset: int | None  # None: the stretch is done


@dataclass(slots=True)
class _Pull:
    """One gaining node's work for one change."""

    change: str
    starter: str
    segments: list[tuple[int, int, tuple[str, ...]]]
    source_index: list[int]
    offsets: list[int | None]  # None: done
    keys: int = 0
    timers: dict[int, Any] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return all(o is None for o in self.offsets)


@dataclass(slots=True)
class _Plan:
    """The starter's view of a change in progress."""

    change: str
    kind: str
    subject: str
    waiting: set[str]
    tasks: dict[str, tuple[tuple[int, int, tuple[str, ...]], ...]]
    moved: int = 0
    timer: Any = None
    started: bool = False  # tasks sent (the plan had reached every live node)


def _same_ring(a: Ring | None, b: Ring) -> bool:
    """The same token assignment. By content, not identity: rings come from a cache
    that a restored checkpoint's copies (or a cleared cache) do not share."""
    return a is not None and a.tokens == b.tokens and a.owners == b.owners and (
        not b.partitions or a.node_tokens() == b.node_tokens())  # strategy 2: the walks too


class Rebalance(Component):
    name = "rebalance"

    def __init__(self, node: Node, gossip: Gossip, strategy: str, partitions: int,
                 vnodes: int, seed: int) -> None:
        super().__init__(node)
        self.gossip = gossip
        self.strategy = strategy
        self.partitions = partitions
        self.vnodes = vnodes
        self.seed = seed
        self.plan: _Plan | None = None
        self.pulls: dict[str, _Pull] = {}
        self.finished: dict[str, int] = {}  # change -> keys pulled (answers retried tasks)
        self.on_committed: list[Callable[[str], None]] = []
        self._drop_timer: Any = None
        self._drop_ring: Ring | None = None  # the ring the pending drop check is for
        # key -> (the copy handed off, the targets yet to ack it, every target it went to)
        self._handing: dict[bytes, tuple[Siblings, set[str], frozenset[str]]] = {}
        gossip.listeners.append(self._view_changed)

    def handlers(self) -> dict[type, Callable[[str, Any], None]]:
        return {
            TransferTask: self.on_task,
            TransferDone: self.on_done,
            PullRequest: self.on_pull_request,
            PullBatch: self.on_batch,
            OwnershipHandoff: self.on_ownership_handoff,
            OwnershipHandoffAck: self.on_ownership_ack,
        }

    def crash(self) -> None:
        # A crashed starter or puller resumes nothing by itself; the starter's retry
        # timer (or a new command) restarts the work. Keep ``plan`` so a restarted
        # starter can still commit when the pullers report.
        self.pulls.clear()
        self._handing.clear()
        self._drop_timer = None
        if self.plan is not None:
            self.plan.timer = None

    def start(self) -> None:
        plan = self.plan
        if plan is not None and plan.waiting:
            if plan.started:
                self._send_tasks(plan)
            else:
                self._await_spread(plan.change)
        if self.node.pending_ring is None:
            self._view_changed(())

    # -- planning ------------------------------------------------------------------------

    def _emit(self, change: str, phase: str, detail: str = "") -> None:
        rt = self.node.runtime
        rt.trace.add((rt.now(), "ring", change, phase))
        if rt.bus.active:
            rt.bus.emit(RingChangeEvent(rt.now(), change, phase, detail))

    def _assignment(self, kind: str, subject: str, vnodes: int | None) -> dict[str, tuple[int, ...]]:
        ring = self.node.ring
        current = ring.node_tokens()
        n = self.node.config.n
        if self.strategy == "equal":
            owners = partition_owners_from_tokens(current, len(ring))
            if kind == "join":
                owners = claim_join(owners, subject, spread=n)
            else:
                owners = claim_leave(owners, subject, spread=n)
            new = tokens_from_partition_owners(owners)
            return {name: new.get(name, ()) for name in sorted(set(current) | set(new))}
        new = dict(current)
        if kind == "join":
            new[subject] = random_tokens(subject, vnodes or self.vnodes, self.seed)
        else:
            new.pop(subject, None)
        return new

    def begin(self, kind: str, subject: str, vnodes: int | None = None) -> str:
        """Plan a join, leave or remove of ``subject`` and start moving data."""
        if self.plan is not None:
            raise ValueError(f"{self.plan.change} is still in progress on {self.node.name}")
        view = self.gossip.view
        node = self.node
        n = node.config.n
        old_ring = node.ring
        assignment = self._assignment(kind, subject, vnodes)
        new_ring = Ring({name: toks for name, toks in assignment.items() if toks},
                        self.partitions if self.strategy == "random-equal" else 0)
        change = f"{kind} {subject}"
        changed: list[Member] = []
        for name in sorted(set(assignment) | {subject}):
            toks = assignment.get(name, ())
            member = view.get(name)
            if member is None:
                continue
            pending = tuple(sorted(toks))
            status = member.status
            if name == subject:
                status = {"join": "joining", "leave": "leaving", "remove": "removed"}[kind]
                if kind == "remove":
                    pending = ()
            if pending != member.tokens or status != member.status:
                changed.append(member.bumped(pending=pending, status=status, change=change))
        gone = subject if kind == "remove" else None
        tasks: dict[str, list[tuple[int, int, tuple[str, ...]]]] = {}
        for ch in old_ring.replica_changes(new_ring, n):
            # Pull first from the replica that is about to lose the stretch: its copy
            # is the one at risk (the others keep theirs).
            sources = tuple(s for s in (*ch.lost, *ch.before) if s != gone)
            sources = tuple(dict.fromkeys(sources))
            for gainer in ch.gained:
                tasks.setdefault(gainer, []).append((ch.lo, ch.hi, sources))
        self.gossip.change_entries(changed)
        plan = _Plan(change, kind, subject, set(tasks), {g: tuple(t) for g, t in tasks.items()})
        self.plan = plan
        self._emit(change, "planned", f"{plural(sum(len(t) for t in tasks.values()), 'stretch', 'stretches')} "
                   f"move to "
                   f"{', '.join(sorted(tasks)) or 'nobody'}")
        if not tasks:
            self._commit(plan)
        else:
            self._await_spread(plan.change)
        return change

    def _await_spread(self, change: str) -> None:
        """Start the transfer once every live node has heard of the plan (each says so
        in its own membership entry): from then on every coordinator also writes to the
        pending replicas, so the pull cannot miss a write made during the move."""
        plan = self.plan
        if plan is None or plan.change != change or plan.started:
            return
        node = self.node
        members = self.gossip.view.members
        unaware = [
            m.name for m in members.values()
            if m.status in ("joining", "up", "leaving") and m.seen != change and m.name != node.name
            and node.detector.reachable(m.name)
        ]
        if unaware:
            plan.timer = node.runtime.set_timer(self.gossip.interval // 2, self._await_spread, change)
            return
        plan.started = True
        self._emit(change, "transferring")
        self._send_tasks(plan)

    def _send_tasks(self, plan: _Plan) -> None:
        rt = self.node.runtime
        for gainer in sorted(plan.waiting):
            task = TransferTask(plan.change, plan.tasks[gainer])
            if gainer == self.node.name:
                self.on_task(gainer, task)
            else:
                rt.send(gainer, task)
        plan.timer = rt.set_timer(RETRY * 2, self._retry_tasks, plan.change)

    def _retry_tasks(self, change: str) -> None:
        plan = self.plan
        if plan is not None and plan.change == change and plan.waiting:
            self._send_tasks(plan)

    def on_done(self, src: str, msg: TransferDone) -> None:
        plan = self.plan
        if plan is None or plan.change != msg.change or src not in plan.waiting:
            return
        plan.waiting.discard(src)
        plan.moved += msg.keys
        if not plan.waiting:
            self._commit(plan)

    def _commit(self, plan: _Plan) -> None:
        view = self.gossip.view
        changed: list[Member] = []
        for member in view.members.values():
            if member.pending is None or member.change != plan.change:
                continue
            status = member.status
            if member.name == plan.subject:
                status = {"join": "up", "leave": "left", "remove": "removed"}[plan.kind]
            changed.append(member.bumped(tokens=member.pending, pending=None, status=status, change=""))
        self.gossip.change_entries(changed)
        self.node.runtime.cancel(plan.timer)
        self.plan = None
        self._emit(plan.change, "committed", f"{plural(plan.moved, 'key')} moved")
        for fn in self.on_committed:
            fn(plan.change)

    # -- pulling -------------------------------------------------------------------------

    def on_task(self, src: str, msg: TransferTask) -> None:
        if msg.change in self.finished:
            self._reply_done(src, msg.change, self.finished[msg.change])
            return
        if msg.change in self.pulls:
            return
        segments = list(msg.segments)
        pull = _Pull(msg.change, src, segments, [0] * len(segments), [0] * len(segments))
        self.pulls[msg.change] = pull
        for i in range(len(segments)):
            self._request(pull, i)
        if pull.done:
            self._finish(pull)

    def _request(self, pull: _Pull, i: int) -> None:
        node = self.node
        lo, hi, sources = pull.segments[i]
        offset = pull.offsets[i]
        if offset is None:
            return
        candidates = [s for s in sources if s != node.name]
        if not candidates:
            pull.offsets[i] = None  # we were the only holder: nothing to pull
            return
        source = candidates[pull.source_index[i] % len(candidates)]
        node.runtime.send(source, PullRequest(pull.change, i, lo, hi, offset))
        pull.timers[i] = node.runtime.set_timer(RETRY, self._pull_timeout, pull.change, i)

    def _pull_timeout(self, change: str, i: int) -> None:
        pull = self.pulls.get(change)
        if pull is None or pull.offsets[i] is None:
            return
        pull.source_index[i] += 1  # try the next replica of the stretch
        self._request(pull, i)

    def on_pull_request(self, src: str, msg: PullRequest) -> None:
        node = self.node
        keys = [key for _, key in node.store.keys_in_range(msg.lo, msg.hi)]
        chunk = keys[msg.offset: msg.offset + BATCH]
        items = tuple((k, s) for k in chunk if (s := node.store.get(k)) is not None)
        end = msg.offset + len(chunk)
        node.runtime.send(src, PullBatch(msg.change, msg.segment, items, end if end < len(keys) else None))

    def on_batch(self, src: str, msg: PullBatch) -> None:
        pull = self.pulls.get(msg.change)
        if pull is None or pull.offsets[msg.segment] is None:
            return
        node = self.node
        node.runtime.cancel(pull.timers.pop(msg.segment, None))
        for key, siblings in msg.items:
            node.store_siblings(key, siblings, None, cause="transfer")
        pull.keys += len(msg.items)
        pull.offsets[msg.segment] = msg.next_offset
        rt = node.runtime
        if rt.bus.active:
            done = sum(1 for o in pull.offsets if o is None)
            rt.bus.emit(TransferProgress(rt.now(), msg.change, src, node.name, len(msg.items), done,
                                         len(pull.segments)))
        if msg.next_offset is not None:
            self._request(pull, msg.segment)
        elif pull.done:
            self._finish(pull)

    def _finish(self, pull: _Pull) -> None:
        self.pulls.pop(pull.change, None)
        self.finished[pull.change] = pull.keys
        self._reply_done(pull.starter, pull.change, pull.keys)

    def _reply_done(self, starter: str, change: str, keys: int) -> None:
        if starter == self.node.name:
            self.on_done(starter, TransferDone(change, keys))
        else:
            self.node.runtime.send(starter, TransferDone(change, keys))

    # -- after a commit ------------------------------------------------------------------

    def _view_changed(self, updates: Sequence[Update]) -> None:
        node = self.node
        rt = node.runtime
        if node.pending_ring is None and self._drop_timer is not None and _same_ring(self._drop_ring, node.ring):
            return  # a drop check is already due for this ring
        # A check scheduled earlier (at start, or after an earlier commit) is cancelled:
        # it would hand off GRACE after *that*, maybe before GRACE after this commit.
        rt.cancel(self._drop_timer)
        self._drop_timer = None
        if node.pending_ring is not None:
            return  # a change is in progress: keep everything until it commits
        # Wait a grace period before dropping what the new ring no longer gives us:
        # nodes that have not heard of the commit yet still route reads here.
        self._drop_ring = node.ring
        self._drop_timer = rt.set_timer(GRACE, self._drop_due)

    def _drop_due(self) -> None:
        self._drop_timer = None
        if self.node.pending_ring is None and self.hand_off_unowned():
            # Keys still wait for acks (a new owner is down): try again later.
            self._drop_timer = self.node.runtime.set_timer(GRACE, self._drop_due)

    def unowned_keys(self) -> list[bytes]:
        """Keys this node stores but no longer replicates under its current ring."""
        node = self.node
        ring = node.ring
        n = node.config.n
        me = node.name
        keys: list[bytes] = []
        for index in range(len(ring)):
            if me not in ring.replicas_of_range(index, n):
                r = ring.range(index)
                keys.extend(key for _, key in node.store.keys_in_range(r.lo, r.hi))
        return keys

    def hand_off_unowned(self) -> int:
        """Ownership handoff (as Riak does it): before a node drops a key it no longer
        replicates, it sends its copy to the key's new replicas and drops it only when
        they have all acknowledged. The pull during the change took the data from one
        old replica; under sloppy quorum another old replica may hold writes that one
        did not, and this is what keeps them. Returns the keys still waiting.

        A round takes at most ``HANDOFF_BATCH`` keys: those never offered first, then
        those waiting longest. Always the first keys would starve every other key once
        a round's worth of them wait for a new replica that is down."""
        node = self.node
        n = node.config.n
        handing = self._handing
        unowned = self.unowned_keys()
        batch = [key for key in unowned if key not in handing][:HANDOFF_BATCH]
        if len(batch) < HANDOFF_BATCH:
            still = set(unowned)  # for membership only; the order is handing's
            batch += [key for key in handing if key in still][:HANDOFF_BATCH - len(batch)]
        waiting = 0
        for key in batch:
            siblings = node.store.get(key)
            if siblings is None:
                continue
            targets = {t for t in node.ring.preference_list(key, n) if t != node.name}
            handing.pop(key, None)  # re-added: it goes to the back of the wait
            handing[key] = (siblings, targets, frozenset(targets))
            for target in sorted(targets):
                node.runtime.send(target, OwnershipHandoff(key, siblings))
            waiting += 1
        return waiting

    def on_ownership_handoff(self, src: str, msg: OwnershipHandoff) -> None:
        self.node.store_siblings(msg.key, msg.siblings, None, cause=f"handoff from {src}")
        self.node.runtime.send(src, OwnershipHandoffAck(msg.key, msg.siblings))

    def on_ownership_ack(self, src: str, msg: OwnershipHandoffAck) -> None:
        entry = self._handing.get(msg.key)
        if entry is None:
            return
        siblings, targets, sent_to = entry
        if msg.siblings != siblings:
            return  # an ack for an older handoff of the key: the latest one waits for its own
        targets.discard(src)
        if targets:
            return
        del self._handing[msg.key]
        node = self.node
        # The ring may have changed since the handoff went out: drop only if every
        # replica it gives the key now has acknowledged; else the next round (GRACE
        # after that change) hands the key to the replicas it has now.
        plist = node.ring.preference_list(msg.key, node.config.n)
        if node.store.get(msg.key) == siblings and node.name not in plist and sent_to.issuperset(plist):
            node.drop_key(msg.key)
