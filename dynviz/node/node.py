"""One Dynamo node: storage, hints, a failure detector, and handlers for every message.

Sans-I/O (STYLE.md, after h11): ``handle(src, msg)`` is the only way in, and the
runtime interface (send, timers, clock) the only way out. A node coordinates the
requests that reach it (paper section 4.5), serves replica reads and writes, stands in
for unreachable primaries with hints and hands them back (section 4.6).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dynviz.core.context import ContextError, decode_context
from dynviz.core.hashing import after_prefix, token_of
from dynviz.core.ring import Ring
from dynviz.core.settings import ProtocolSettings
from dynviz.core.versions import EMPTY_CONTEXT, Siblings, Version, Versioning, merge_lww
from dynviz.events import HintDelivered, HintStored, RequestForwarded, VersionCreated, VersionStored
from dynviz.node.component import Component
from dynviz.node.coordinator import (
    GetCoordinator,
    PutCoordinator,
    RangeGetCoordinator,
    choose_replicas,
)
from dynviz.node.detector import FailureDetector
from dynviz.node.handoff import HintStore
from dynviz.node.messages import (
    ClientGet,
    ClientPut,
    ClientRangeGet,
    ClientRangeReply,
    ClientReply,
    HintHandoff,
    HintHandoffAck,
    ReadRepairPut,
    ReplicaGet,
    ReplicaGetReply,
    ReplicaPut,
    ReplicaPutAck,
    ReplicaRangeGet,
    ReplicaRangeReply,
    replica_get_reply,
    replica_put_ack,
)
from dynviz.node.runtime import Runtime
from dynviz.storage.base import MAX_VALUE_BYTES, Store

if TYPE_CHECKING:
    from dynviz.node.antientropy import AntiEntropy
    from dynviz.node.gossip import Gossip
    from dynviz.node.monitor import NodeMonitor
    from dynviz.node.rebalance import Rebalance

SEEN_REQUESTS = 4096
"""How many recent client requests a node remembers to ignore a second copy of one."""


class Node:
    """A Dynamo storage node. Its parts (gossip, rebalancing, anti-entropy) are attached
    once by :func:`~dynviz.node.assembly.assemble_node` and reached as typed attributes."""

    gossip: Gossip
    rebalance: Rebalance
    antientropy: AntiEntropy

    def __init__(self, name: str, runtime: Runtime, store: Store[Siblings], hints: HintStore, ring: Ring,
                 versioning: Versioning, config: ProtocolSettings, epoch: int = 0) -> None:
        self.name = name
        self.runtime = runtime
        self.store = store
        self.hints = hints
        self.ring = ring
        self.versioning = versioning
        self.config = config
        self.epoch = epoch
        self.detector = FailureDetector(runtime, config.suspect_for)
        self.coordinators: dict[int, PutCoordinator | GetCoordinator | RangeGetCoordinator] = {}
        # The client requests this node has taken (coordinated or forwarded) lately, by
        # (client, request number): the network may deliver one twice (a duplicated
        # forward), and a put taken twice would make two versions of one write, so the
        # second copy is ignored. Bounded (at least the last SEEN_REQUESTS are kept, the older half forgotten at once); lost
        # in a crash with the coordinators it guards.
        self.seen_requests: dict[tuple[str, int], None] = {}
        # The largest dot counter this actor has issued per key. A stand-in hands its
        # hinted versions back and forgets them; without this it would issue the same
        # dot again for a different write, and one of the two would be dropped as a
        # duplicate (DESIGN §7: one more than the largest counter it has *issued*).
        # Kept like the store (it survives a crash); a wipe starts a new actor.
        self.issued: dict[bytes, int] = {}
        # A cheap hook for observers that must know each version made here (the
        # checker attributes tombstones to deletes); None costs nothing.
        self.version_observer: Callable[[int, Version], None] | None = None
        # The checker's run-time invariants (node/monitor.py); None unless one watches.
        self.monitor: NodeMonitor | None = None
        self.merge: Callable[[Siblings, Siblings], Siblings] = (
            merge_lww if config.resolver == "lww" else versioning.merge
        )
        self._handlers: dict[type, Callable[[str, Any], None]] = {
            ClientPut: self.on_client_put,
            ClientGet: self.on_client_get,
            ReplicaPut: self.on_replica_put,
            ReplicaPutAck: self.on_replica_put_ack,
            ReplicaGet: self.on_replica_get,
            ReplicaGetReply: self.on_replica_get_reply,
            ReadRepairPut: self.on_read_repair,
            HintHandoff: self.on_hint_handoff,
            HintHandoffAck: self.on_hint_handoff_ack,
            ClientRangeGet: self.on_client_range_get,
            ReplicaRangeGet: self.on_replica_range_get,
            ReplicaRangeReply: self.on_replica_range_reply,
        }
        self.parts: tuple[Component, ...] = ()
        self._write_watchers: list[Callable[[bytes, Siblings | None], None]] = []
        # Replicas a ring change in progress will add (Cassandra's pending ranges):
        # writes go to them too, uncounted, so nothing written during a transfer is
        # missed by the new owner. None when no change is in progress.
        self.pending_ring: Ring | None = None

    def attach(self, gossip: Gossip, rebalance: Rebalance, antientropy: AntiEntropy) -> None:
        """Add the node's parts, with their message handlers (once, at assembly)."""
        self.gossip, self.rebalance, self.antientropy = gossip, rebalance, antientropy
        self.parts = (gossip, rebalance, antientropy)
        for part in self.parts:
            self._handlers.update(part.handlers())
            if part.watches_writes:
                self._write_watchers.append(part.stored)

    def watch_writes(self, watcher: Callable[[bytes, Siblings | None], None]) -> None:
        """Call ``watcher(key, siblings)`` after every local write from now on."""
        if watcher not in self._write_watchers:
            self._write_watchers.append(watcher)

    def unwatch_writes(self, watcher: Callable[[bytes, Siblings | None], None]) -> None:
        if watcher in self._write_watchers:
            self._write_watchers.remove(watcher)

    @property
    def actor(self) -> str:
        """The name in this node's version dots; a wiped node comes back as a new actor
        (DESIGN §7), so it can never re-issue a dot it issued before (riak_kv#679)."""
        return self.name if self.epoch == 0 else f"{self.name}#{self.epoch}"

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        """Start periodic work (called at creation and on recovery)."""
        rt = self.runtime
        interval = self.config.handoff_interval
        rt.set_timer(rt.rng.randrange(interval) + 1, self._handoff_tick)
        for component in self.parts:
            component.start()

    def crash(self) -> None:
        """Lose everything in memory; storage and hints survive as on a disk."""
        self.coordinators.clear()
        self.seen_requests.clear()
        self.detector.clear()
        for component in self.parts:
            component.crash()

    def wipe(self) -> None:
        """Lose the disk too, and come back as a new actor."""
        self.crash()
        self.store.clear()
        self.hints.clear()
        self.issued.clear()
        self.epoch += 1
        for component in self.parts:
            component.wipe()

    # -- dispatch ----------------------------------------------------------------------

    def handle(self, src: str, msg: Any) -> None:
        detector = self.detector
        if src in detector.suspected_until:
            detector.heard_from(src)
        self._handlers[type(msg)](src, msg)

    # -- local storage -----------------------------------------------------------------

    def read_local(self, key: bytes) -> Siblings | None:
        """What this node holds for ``key``: its own data merged with hints it keeps."""
        stored = self.store.get(key)
        if key not in self.hints.by_key:  # the common case: no hint for this key
            return stored
        hinted = self.hints.for_key(key)
        merged = stored if stored is not None else Siblings.EMPTY
        for _, siblings in hinted:
            merged = self.merge(merged, siblings)
        return merged

    def read_range(self, prefix: bytes, start: bytes, end: bytes | None, limit: int,
                   reverse: bool) -> tuple[tuple[tuple[bytes, Siblings], ...], bool]:
        """This node's keys of one group in ``[start, end)``, in key order (descending if
        ``reverse``), at most ``limit``, each with what ``read_local`` holds for it, and
        whether more keys remain. A group shares one token, and stores keep keys sorted
        by (token, key), so this reads one run of the store's index (core/hashing.py)."""
        token = token_of(prefix)
        # One more than asked tells whether more remain. Keys of another group with the
        # same token (an MD5 collision) would sort apart from this group's prefix; the
        # bounds below keep to the prefix.
        stop = end if end is not None else after_prefix(prefix)
        keys = [k for k in self.store.keys_at(token, max(start, prefix), stop, limit + 1, reverse)
                if k.startswith(prefix)]
        if self.hints.by_key:  # keys this node holds only as hints for another
            extra = [k for k in self.hints.by_key
                     if k.startswith(prefix) and k >= start and (end is None or k < end) and k not in self.store]
            if extra:
                keys = sorted(keys + extra, reverse=reverse)
        more = len(keys) > limit
        out = []
        for key in keys[:limit]:
            found = self.read_local(key)
            if found is not None:
                out.append((key, found))
        return tuple(out), more

    def store_siblings(self, key: bytes, siblings: Siblings, hint_for: str | None, cause: str) -> Siblings:
        """Merge ``siblings`` into what is stored (as data, or as a hint for ``hint_for``)."""
        rt = self.runtime
        if hint_for is not None and hint_for != self.name:
            existing = self.hints.get(hint_for, key)
            merged = siblings if existing is None else self.merge(existing, siblings)
            if merged is not existing:
                self.hints.put(hint_for, key, merged)
            if rt.bus.active:
                rt.bus.emit(HintStored(rt.now(), self.name, hint_for, key))
                rt.bus.emit(VersionStored(rt.now(), self.name, key, len(merged), f"hint for {hint_for}",
                                          tuple(v.dot for v in merged.versions)))
            return merged
        existing = self.store.get(key)
        merged = siblings if existing is None else self.merge(existing, siblings)
        if merged is not existing:
            self.store.put(key, merged)
            for watcher in self._write_watchers:
                watcher(key, merged)
        if rt.bus.active:
            rt.bus.emit(VersionStored(rt.now(), self.name, key, len(merged), cause,
                                      tuple(v.dot for v in merged.versions)))
        return merged

    def drop_key(self, key: bytes) -> None:
        """Physically remove ``key`` (a range this node no longer replicates)."""
        if key in self.store:
            if self.monitor is not None:
                dropped = self.store.get(key)
                if dropped is not None:
                    self.monitor.key_dropped(self.name, key, dropped)
            self.store.delete(key)
            for watcher in self._write_watchers:
                watcher(key, None)

    def remove_hint(self, intended: str, key: bytes, hint: Siblings) -> None:
        """Forget the hint ``hint`` held for ``intended`` (its handoff was acknowledged)."""
        if self.monitor is not None:
            self.monitor.hint_removed(self.name, intended, key, hint)
        self.hints.remove(intended, key)

    # -- client requests (this node coordinates or forwards) ---------------------------

    def _route(self, key: bytes, n: int, hops: int, replier: str | None,
               msg: ClientPut | ClientGet | ClientRangeGet) -> tuple[tuple[str, ...], dict[str, str | None]] | None:
        """Replica choice, or None when the request was forwarded to a better coordinator."""
        extended = self.ring.extended_preference_list(key)
        targets = choose_replicas(self, extended, n)
        if self.name in targets or not targets or hops >= 2:
            return extended, targets
        coordinator = replier if replier in targets and replier != self.name else next(iter(targets))
        rt = self.runtime
        if rt.bus.active:
            rt.bus.emit(RequestForwarded(rt.now(), msg.req, key, self.name, coordinator))
        rt.send(coordinator, msg._replace(hops=hops + 1))
        return None

    def _first_time(self, client: str, req: int) -> bool:
        """True the first time this node sees request ``req`` of ``client`` (then it
        remembers it)."""
        seen = self.seen_requests
        request = (client, req)
        if request in seen:
            return False
        seen[request] = None
        if len(seen) > 2 * SEEN_REQUESTS:  # forget the older half at once: O(1) a request
            self.seen_requests = dict.fromkeys(list(seen)[SEEN_REQUESTS:])
        return True

    def _reject(self, msg: ClientPut | ClientGet, op: str, error: str) -> None:
        self.runtime.send(msg.client, ClientReply(msg.req, msg.key, op, False, self.name, error=error, hops=msg.hops))

    def on_client_put(self, src: str, msg: ClientPut) -> None:
        # The fields unpacked once: CPython 3.11 cannot specialize reading a NamedTuple's
        # field by name (a descriptor call, about 200 instructions a read; unpacked,
        # about 90 a field), and a put reads most of them, some several times.
        req, client, key, value, context, n, w, pw, hops = msg
        if not self._first_time(client, req):
            return
        op = "delete" if value is None else "put"
        cfg = self.config
        n = n or cfg.n
        w = w or cfg.w
        pw = pw or 0
        if value is not None and len(value) > MAX_VALUE_BYTES:
            self._reject(msg, op, f"value is {len(value)} bytes; the limit is 1 MiB ({MAX_VALUE_BYTES} bytes)")
            return
        if not (1 <= w <= n) or pw > n:
            self._reject(msg, op, f"need 1 <= w <= n (got n={n} w={w})")
            return
        causal = EMPTY_CONTEXT
        replier = None
        if context:
            try:
                ctx = decode_context(context, cfg.secret, key)
            except ContextError as exc:
                self._reject(msg, op, str(exc))
                return
            causal, replier = ctx.causal, ctx.replier
        routed = self._route(key, n, hops, replier, msg)
        if routed is None:
            return
        extended, targets = routed
        if self.name not in targets:
            self._reject(msg, op, "no reachable replica can coordinate this request")
            return
        local = self.read_local(key)
        if local is None:  # (not ``or``: a Siblings' truth would call its __len__)
            local = Siblings.EMPTY
        actor = self.actor
        issued = self.issued.get(key, 0)
        version = self.versioning.new_version(local, causal, value, actor, self.runtime.wall_clock(), issued)
        if len(local.versions) >= cfg.max_siblings and len(self.merge(local, Siblings((version,)))) > cfg.max_siblings:
            # At the bound, a write that would add a sibling instead of reconciling is
            # refused (Riak's max_siblings); one over a context that covers them passes.
            self._reject(msg, op, f"the key has {len(local)} siblings, the limit is {cfg.max_siblings}: "
                                  "get it and write a reconciled value over its context")
            return
        if version.dot[1] > issued:
            self.issued[key] = version.dot[1]
        if self.version_observer is not None:
            self.version_observer(req, version)
        rt = self.runtime
        if rt.bus.active:
            rt.bus.emit(VersionCreated(rt.now(), self.name, key, req, version))
        coordinator = PutCoordinator(self, req, client, key, op, hops, n, w, pw, extended, targets)
        self.coordinators[req] = coordinator
        coordinator.start(version)

    def on_client_get(self, src: str, msg: ClientGet) -> None:
        req, client, key, n, r, pr, hops = msg  # unpacked once, as in on_client_put
        if not self._first_time(client, req):
            return
        cfg = self.config
        n = n or cfg.n
        r = r or cfg.r
        pr = pr or 0
        if not (1 <= r <= n) or pr > n:
            self._reject(msg, "get", f"need 1 <= r <= n (got n={n} r={r})")
            return
        routed = self._route(key, n, hops, None, msg)
        if routed is None:
            return
        extended, targets = routed
        if self.name not in targets:
            self._reject(msg, "get", "no reachable replica can coordinate this request")
            return
        coordinator = GetCoordinator(self, req, client, key, hops, n, r, pr, extended, targets)
        self.coordinators[req] = coordinator
        coordinator.start()

    def on_client_range_get(self, src: str, msg: ClientRangeGet) -> None:
        if not self._first_time(msg.client, msg.req):
            return
        cfg = self.config
        n = msg.n or cfg.n
        r = msg.r or cfg.r
        error = ""
        if not (1 <= r <= n) or (msg.pr or 0) > n:
            error = f"need 1 <= r <= n (got n={n} r={r})"
        elif msg.limit < 1:
            error = f"limit must be at least 1 (got {msg.limit})"
        if not error:
            routed = self._route(msg.key, n, msg.hops, None, msg)
            if routed is None:
                return
            extended, targets = routed
            if self.name in targets:
                coordinator = RangeGetCoordinator(self, msg, n, r, msg.pr or 0, extended, targets)
                self.coordinators[msg.req] = coordinator
                coordinator.start()
                return
            error = "no reachable replica can coordinate this request"
        self.runtime.send(msg.client, ClientRangeReply(msg.req, msg.key, False, self.name, error=error,
                                                       hops=msg.hops))

    # -- replica side ------------------------------------------------------------------

    def on_replica_put(self, src: str, msg: ReplicaPut) -> None:
        req, key, siblings, hint_for = msg  # unpacked once, as in on_client_put
        if (hint_for is not None and hint_for != self.name and len(self.hints) >= self.config.max_hints
                and self.hints.get(hint_for, key) is None):
            self.runtime.send(src, ReplicaPutAck(req, key, False, f"hint store full ({self.config.max_hints} hints)"))
            return
        self.store_siblings(key, siblings, hint_for, cause="replica")
        self.runtime.send(src, replica_put_ack((req, key, True, "")))

    def on_replica_put_ack(self, src: str, msg: ReplicaPutAck) -> None:
        req, _, ok, _ = msg
        coordinator = self.coordinators.get(req)
        if isinstance(coordinator, PutCoordinator):
            coordinator.on_ack(src, ok)

    def on_replica_get(self, src: str, msg: ReplicaGet) -> None:
        req, key, _ = msg
        self.runtime.send(src, replica_get_reply((req, key, self.read_local(key))))

    def on_replica_get_reply(self, src: str, msg: ReplicaGetReply) -> None:
        req, _, siblings = msg
        coordinator = self.coordinators.get(req)
        if isinstance(coordinator, GetCoordinator):
            coordinator.on_reply(src, siblings)

    def on_replica_range_get(self, src: str, msg: ReplicaRangeGet) -> None:
        entries, more = self.read_range(msg.key, msg.start, msg.end, msg.limit, msg.reverse)
        self.runtime.send(src, ReplicaRangeReply(msg.req, msg.key, entries, more))

    def on_replica_range_reply(self, src: str, msg: ReplicaRangeReply) -> None:
        coordinator = self.coordinators.get(msg.req)
        if isinstance(coordinator, RangeGetCoordinator):
            coordinator.on_range_reply(src, msg)

    def on_read_repair(self, src: str, msg: ReadRepairPut) -> None:
        self.store_siblings(msg.key, msg.siblings, msg.hint_for, cause="repair")

    # -- hinted handoff ----------------------------------------------------------------

    def _handoff_tick(self) -> None:
        cfg = self.config
        rt = self.runtime
        rt.set_timer(cfg.handoff_interval, self._handoff_tick)
        if not cfg.handoff or not len(self.hints):
            return
        for intended, key, siblings in self.hints.in_turn(cfg.handoff_batch):
            rt.send(intended, HintHandoff(key, siblings))

    def on_hint_handoff(self, src: str, msg: HintHandoff) -> None:
        self.store_siblings(msg.key, msg.siblings, None, cause=f"handoff from {src}")
        self.runtime.send(src, HintHandoffAck(msg.key, msg.siblings))

    def on_hint_handoff_ack(self, src: str, msg: HintHandoffAck) -> None:
        """Remove the hint only if it still holds exactly what ``src`` acknowledges
        storing. A hint updated since that handoff was sent (and sent again) stays until
        its own ack comes, so a late ack for an older handoff cannot lose the newer
        write. The ack says what it covers, so the stand-in need not remember its sends
        (and a restarted stand-in can trust an ack for a handoff sent before its crash)."""
        if self.hints.get(src, msg.key) == msg.siblings:
            self.remove_hint(src, msg.key, msg.siblings)
            rt = self.runtime
            if rt.bus.active:
                rt.bus.emit(HintDelivered(rt.now(), self.name, src, msg.key))
