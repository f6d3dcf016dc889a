"""The facade: a cluster of real nodes on the deterministic simulator.

``Cluster`` wires nodes (``node/``) to the simulator (``sim/``), gives named clients a
way in, injects faults, and offers read-only snapshots for views. Everything runs on
virtual time from one seed, so the same commands give the same trace, byte for byte
(DESIGN §2). Requests are asynchronous underneath (``submit_put``/``submit_get``; the
TUI uses these); ``put``/``get`` run the simulation until the answer arrives.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from dynviz.client import (
    Client,
    GetResult,
    PutResult,
    RangeResult,
    VersionView,
    answered,
    request_line,
    result_line,
    version_views,
)
from dynviz.core.hashing import as_key, group_prefix, token_hex, token_of
from dynviz.core.membership import Member
from dynviz.core.partition import PartitionError, describe_groups, normalise_groups, unknown_node
from dynviz.core.ring import Ring, RingError, build_ring, node_names
from dynviz.core.settings import ProtocolSettings, SettingsError
from dynviz.core.units import MS, SECOND
from dynviz.core.versions import encode_siblings, versioning
from dynviz.events import EventBus, NetworkChanged, NodeDown, NodeUp, Trace
from dynviz.node.antientropy import ExchangeReport
from dynviz.node.assembly import assemble_node
from dynviz.node.gossip import Gossip
from dynviz.node.messages import (
    ClientRangeGet,
    ClientRangeReply,
    ClientReply,
    client_get,
    client_put,
)
from dynviz.node.monitor import InvariantMonitor
from dynviz.node.node import Node
from dynviz.node.rebalance import Rebalance
from dynviz.sim.choices import Choices, pending_messages, pending_timers
from dynviz.sim.network import InFlight, Network
from dynviz.sim.rng import stream
from dynviz.sim.runtime import SimRuntime
from dynviz.sim.scheduler import Scheduler
from dynviz.storage import open_store
from dynviz.storage.base import MAX_VALUE_BYTES, StorageError

if TYPE_CHECKING:
    from dynviz.table.slot import TableSlot


class ClusterError(ValueError):
    """A request the cluster cannot carry out as asked (unknown node, bad option...)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ClusterConfig(ProtocolSettings):
    """Everything that shapes a cluster on the simulator: the protocol's settings (shared
    with every other way of running nodes) plus the nodes, the seed, the simulated
    network and where nodes keep their data. With the seed, it fixes the whole run."""

    nodes: tuple[str, ...] = ("n1", "n2", "n3", "n4", "n5")
    seed: int = 0
    latency: tuple[int, int] = (1 * MS, 5 * MS)
    loss: float = 0.0
    seeds: tuple[str, ...] = ()
    routing: str = "aware"
    storage: str = "memory"
    dir: str | None = None

    def __post_init__(self) -> None:
        if not self.nodes:
            raise ClusterError("a cluster needs at least one node")
        if not 1 <= self.n <= len(self.nodes):
            raise ClusterError(f"n={self.n} must be between 1 and the {len(self.nodes)} nodes")
        try:
            ProtocolSettings.__post_init__(self)
        except SettingsError as exc:
            raise ClusterError(str(exc)) from None
        if self.routing not in ("aware", "lb"):
            raise ClusterError(f"routing must be aware or lb, not {self.routing!r}")
        if not 0 <= self.loss < 1:
            raise ClusterError(f"loss must be in [0, 1), got {self.loss}")
        lo, hi = self.latency
        if lo < 0 or hi < lo:
            raise ClusterError(f"bad latency range {lo}..{hi} µs")
        for s in self.seeds:
            if s not in self.nodes:
                raise ClusterError(f"seed node {s} is not one of the nodes")
        if self.storage == "sqlite" and not self.dir:
            raise ClusterError("storage=sqlite needs dir=PATH for the node databases")

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> ClusterConfig:
        """Build from ``cluster`` command options (already typed by the parser)."""
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for name, value in options.items():
            if name not in known:
                raise ClusterError(f"unknown cluster option {name!r}")
            if name == "nodes":
                try:
                    value = tuple(node_names(value if isinstance(value, int) else ",".join(value)))
                except RingError as exc:
                    raise ClusterError(str(exc)) from None
            elif name in ("handoff", "readrepair", "antientropy") and isinstance(value, str):
                value = value == "on"
            elif name == "seeds":
                value = tuple(value)
            values[name] = value
        if "n" in values and "r" not in values and "w" not in values:
            n = values["n"]
            defaults = ProtocolSettings()
            values.setdefault("r", min(defaults.r, n))
            values.setdefault("w", min(defaults.w, n))
        return cls(**values)

    @property
    def seed_nodes(self) -> tuple[str, ...]:
        return self.seeds or self.nodes[:2]


R = TypeVar("R", PutResult, GetResult, RangeResult)


@dataclass(slots=True)
class Pending(Generic[R]):
    """A request in flight from a client: ``result`` is set when it completes (a
    ``PutResult`` for a put or delete, a ``GetResult`` for a get, a ``RangeResult``
    for a range read)."""

    req: int
    op: str
    client: Client
    key: bytes
    value: bytes | None
    entry: str
    started: int
    result: R | None = None
    deadline: int = 0  # when the client gives up waiting
    callbacks: list[Callable[[Pending[R]], None]] = field(default_factory=list)
    awaited: bool = False  # a ``wait`` runs the simulation for it: its completion halts the run

    @property
    def done(self) -> bool:
        return self.result is not None


@dataclass(frozen=True, slots=True)
class ReplicaView:
    node: str
    role: str  # "primary" | "fallback" | "other"
    up: bool
    versions: tuple[VersionView, ...]
    hints: tuple[tuple[str, tuple[VersionView, ...]], ...]  # (intended, versions) held here


@dataclass(frozen=True, slots=True)
class Inspection:
    """Where one key lives right now: every node's stored siblings and hints."""

    key: bytes
    token: str
    preference_list: tuple[str, ...]
    replicas: tuple[ReplicaView, ...]

    def holders(self) -> list[str]:
        return [r.node for r in self.replicas if r.versions]


@dataclass(frozen=True, slots=True)
class NodeView:
    name: str
    up: bool
    keys: int
    hints: int
    group: int | None
    skew: int
    epoch: int
    suspects: tuple[str, ...]
    active_requests: int


class Cluster:
    """A Dynamo cluster on the simulator."""

    def __init__(self, config: ClusterConfig | None = None, bus: EventBus | None = None) -> None:
        self.config = config = config or ClusterConfig()
        self._seeds = config.seed_nodes  # (the config is frozen): read on every request
        self.bus = bus or EventBus()
        self.trace = Trace()
        self.scheduler = Scheduler()
        self.network = Network(
            self.scheduler, stream(config.seed, "network"), self.bus, self.trace,
            latency=config.latency, loss=config.loss,
        )
        try:
            initial: Ring = build_ring(
                list(config.nodes), config.strategy, partitions=config.partitions,
                vnodes=config.vnodes, seed=config.seed, n=config.n,
            )
        except RingError as exc:
            raise ClusterError(str(exc)) from None
        self.partitions = len(initial) if config.strategy in ("equal", "random-equal") else 0
        self._members = tuple(Member(name, tokens=initial.tokens_of(name)) for name in config.nodes)
        self.versioning = versioning(config.versioning)
        self.protocol = config.protocol()
        self.nodes: dict[str, Node] = {}
        self.runtimes: dict[str, SimRuntime] = {}
        self.clients: dict[str, Client] = {}
        self.pending: dict[int, Pending[Any]] = {}
        self._sweep: Any = None
        self._next_req = 0
        self._client_rng = stream(config.seed, "clients")
        self.results: list[PutResult | GetResult] = []
        self.departed: set[str] = set()  # removed nodes: gone for good
        self._version_observer: Callable[[int, Any], None] | None = None
        self._monitor: InvariantMonitor | None = None
        self.tables: TableSlot | None = None  # the table layer's, made by it on first use (table/slot.py)
        self._awaited: list[Pending[Any]] = []  # requests ``wait`` runs the simulation for (nested: several)
        for name in config.nodes:
            self._add_node(name)

    # -- construction ----------------------------------------------------------------

    def _open_stores(self, name: str) -> tuple[Any, Any]:
        cfg = self.config
        if cfg.storage == "sqlite":
            from pathlib import Path

            path = Path(cfg.dir or ".") / f"{name}.sqlite"
            path.parent.mkdir(parents=True, exist_ok=True)
            return open_store("sqlite", str(path), table="versions"), open_store("sqlite", str(path), table="hints")
        return open_store("memory"), open_store("memory")

    def _add_node(self, name: str, members: tuple[Member, ...] | None = None) -> Node:
        cfg = self.config
        runtime = SimRuntime(name, self.scheduler, self.network, stream(cfg.seed, "node", name),
                             self.bus, self.trace)
        store, hints = self._open_stores(name)
        node = assemble_node(name, runtime, store, hints, members if members is not None else self._members,
                             self.protocol, seeds=cfg.seed_nodes, ring_seed=cfg.seed, partitions=self.partitions)
        node.version_observer = self._version_observer
        node.monitor = self._monitor
        self.nodes[name] = node
        self.runtimes[name] = runtime
        self.network.register(name, node.handle)
        node.start()
        return node

    def observe_versions(self, fn: Callable[[int, Any], None]) -> None:
        """Call ``fn(request id, version)`` for every version a coordinator creates, on every
        node including later ones (the checker attributes tombstones to deletes and checks
        dots); cheaper than all events. Observers add up, in the order they came."""
        if self._version_observer is not None:
            fn = _Both(self._version_observer, fn)
        self._version_observer = fn
        for node in self.nodes.values():
            node.version_observer = fn

    def watch_invariants(self, monitor: InvariantMonitor) -> None:
        """Let ``monitor`` see every message delivered and every hint or key a node is
        about to forget, on every node including ones that join later (the checker's
        run-time invariants, :mod:`dynviz.check.invariants`). Costs nothing until called."""
        self._monitor = monitor
        self.network.tap = monitor.delivered
        for node in self.nodes.values():
            node.monitor = monitor

    @property
    def ring(self) -> Ring:
        """The ring a partition-aware client holds: a live seed's (else any live node's)."""
        return self._client_ring()

    def _client_ring(self) -> Ring:
        """``ring`` for the request path (3.11 does not specialize a property read)."""
        down = self.network.down
        nodes = self.nodes
        for name in self._seeds:
            if name not in down and name in nodes:
                return nodes[name].ring
        for name, node in nodes.items():
            if name not in down:
                return node.ring
        return next(iter(nodes.values())).ring

    def gossip_of(self, node: str) -> Gossip:
        return self._check_node(node).gossip

    def close(self) -> None:
        for node in self.nodes.values():
            node.store.close()
            node.hints.store.close()

    # -- time ------------------------------------------------------------------------

    @property
    def now(self) -> int:
        return self.scheduler.now

    def run(self, duration: int) -> None:
        end = self.scheduler.now + duration
        while self.scheduler.now < end:  # in slices, so the trace buffer stays small
            self.scheduler.run_until(min(end, self.scheduler.now + SECOND))
            self.trace.maybe_fold()

    def run_until(self, time: int) -> None:
        self.scheduler.run_until(time)

    def advance(self, duration: int, max_events: int) -> tuple[int, bool]:
        """Advance virtual time by ``duration`` but run at most ``max_events`` events,
        for a UI frame: returns (events run, whether the full duration was reached).
        When the cap is hit, the clock stops at the last event run, so no event is
        skipped and the run stays identical to an uncapped one."""
        result = self.scheduler.run(self.scheduler.now + duration, max_events)
        self.trace.maybe_fold()
        return result

    def step(self, count: int = 1) -> int:
        """Run the next ``count`` events (fewer when nothing is left); returns how many
        ran. The trace is folded as it goes, so a long step keeps memory flat."""
        ran = 0
        run = self.scheduler.run
        while ran < count:
            done, _ = run(max_events=min(1024, count - ran))
            ran += done
            self.trace.maybe_fold()
            if not done:
                break
        return ran

    def quiet(self) -> bool:
        """No request, message or hint outstanding anywhere."""
        if self.network.in_flight or self.network.held or self.pending or self.ring_change_in_progress():
            return False
        return all(not n.coordinators and not len(n.hints) for n in self.nodes.values()
                   if n.name not in self.network.down)

    def settle(self, limit: int = 60 * SECOND, tick: int = 100 * MS) -> bool:
        """Run until the cluster is quiet (hints delivered, nothing in flight) or ``limit``
        of virtual time passes; True when it settled."""
        end = self.scheduler.now + limit
        while self.scheduler.now < end:
            if self.quiet():
                return True
            self.scheduler.run_until(min(end, self.scheduler.now + tick))
        return self.quiet()

    # -- clients -----------------------------------------------------------------------

    def client(self, name: str | None = None) -> Client:
        name = name or "client"
        found = self.clients.get(name)
        if found is None:
            found = Client(name, routing=self.config.routing)
            self.clients[name] = found
            self.network.register(found.endpoint, self._on_client_message, client=True)
        return found

    def _check_node(self, node: str) -> Node:
        found = self.nodes.get(node)
        if found is None:
            raise ClusterError(unknown_node(node, self.nodes))
        return found

    def _entry(self, client: Client, key: bytes, via: str | None, n: int) -> str:
        if via is not None:
            self._check_node(via)
            return via
        down = self.network.down
        if client.routing == "lb":
            up = [n for n in self.nodes if n not in down]
            if not up:
                raise ClusterError("every node is down")
            return up[self._client_rng.randrange(len(up))]
        extended = self._client_ring().extended_preference_list(key)  # its first n: the preference list
        replier = client.repliers.get(key)
        if replier is not None and replier not in down and replier in extended[:n]:
            return replier
        for node in extended:
            if node not in down:
                return node
        raise ClusterError("every node is down")

    def _submit(self, op: str, client_name: str | None, key: bytes | str, value: bytes | str | None,
                via: str | None, n: int | None, quorum: int | None, primaries: int | None,
                context_of: bytes | str | None = None) -> Pending[Any]:
        key = key.encode("utf-8") if isinstance(key, str) else key  # as_key, inline (every request)
        client = self.clients.get(client_name or "client") or self.client(client_name)
        cfg = self.config
        n_eff = n or cfg.n
        if n is not None and not 1 <= n <= len(self.nodes):
            raise ClusterError(f"n={n} must be between 1 and the {len(self.nodes)} nodes")
        if quorum is not None and not 1 <= quorum <= n_eff:
            raise ClusterError(f"{'r' if op == 'get' else 'w'}={quorum} must be between 1 and n={n_eff}")
        if value is not None:
            value = value.encode("utf-8") if isinstance(value, str) else value  # as_key, inline
            if len(value) > MAX_VALUE_BYTES:
                raise StorageError(f"value is {len(value)} bytes; the limit is 1 MiB ({MAX_VALUE_BYTES} bytes)")
        entry = self._entry(client, key, via, n_eff)
        pending = self._open(op, client, key, value, entry)
        req = pending.req
        # The request as the client made it, value and options included: the messages
        # and dots that follow do not show the value, so without this record a session
        # with one hand-edited (and later overwritten) value would still verify.
        head = request_line(pending.started, req, op, client.name, key, value, n, quorum, primaries, via, entry)
        if context_of is not None:
            context_of = as_key(context_of)
            head += f", {context_of!r}"  # only then: the recordings made before it still verify
        self.trace.lines.append(head + ")")
        if op == "get":
            msg: Any = client_get((req, client.endpoint, key, n, quorum, primaries, 0))
        else:
            msg = client_put((req, client.endpoint, key, value if op == "put" else None,
                              client.contexts.get(key if context_of is None else context_of), n, quorum, primaries, 0))
        self.network.send(client.endpoint, entry, msg)
        return pending

    def _open(self, op: str, client: Client, key: bytes, value: bytes | None, entry: str) -> Pending[Any]:
        """A new request in flight, with the deadline the client sweep enforces."""
        self._next_req = req = self._next_req + 1
        now = self.scheduler.now
        # The client gives up a little after the coordinator's own deadline (+ a forward).
        pending = Pending(req, op, client, key, value, entry, now, None, now + self.config.request_timeout * 2 + 100 * MS)
        self.pending[req] = pending
        if self._sweep is None:
            self._sweep = self.scheduler.at(pending.deadline, self._client_sweep)
        return pending

    def submit_put(self, key: bytes | str, value: bytes | str, client: str | None = None, via: str | None = None,
                   n: int | None = None, w: int | None = None, pw: int | None = None,
                   context_of: bytes | str | None = None) -> Pending[PutResult]:
        """Write ``value``, over the client's remembered context for ``key`` (or, with
        ``context_of``, for that other key: a node must refuse it)."""
        return self._submit("put", client, key, value, via, n, w, pw, context_of)

    def submit_delete(self, key: bytes | str, client: str | None = None, via: str | None = None,
                      n: int | None = None, w: int | None = None) -> Pending[PutResult]:
        return self._submit("delete", client, key, None, via, n, w, None)

    def submit_get(self, key: bytes | str, client: str | None = None, via: str | None = None,
                   n: int | None = None, r: int | None = None, pr: int | None = None) -> Pending[GetResult]:
        return self._submit("get", client, key, None, via, n, r, pr)

    def submit_range_get(self, group: bytes, start: bytes = b"", end: bytes | None = None, limit: int = 1000,
                         reverse: bool = False, client: str | None = None, r: int | None = None) -> Pending[RangeResult]:
        """Read the keys of one key group (``grouped_key(group, suffix)``) whose suffix is
        in ``[start, end)``, in suffix order (descending if ``reverse``), at most
        ``limit``; R replicas answer and their entries are merged key by key."""
        client_obj = self.client(client)
        cfg = self.config
        if r is not None and not 1 <= r <= cfg.n:
            raise ClusterError(f"r={r} must be between 1 and n={cfg.n}")
        if limit < 1:
            raise ClusterError(f"limit={limit} must be at least 1")
        prefix = group_prefix(group)
        entry = self._entry(client_obj, prefix, None, cfg.n)
        pending = self._open("range", client_obj, prefix, None, entry)
        self.trace.append(("request", pending.started, pending.req, "range", client_obj.name, prefix, start, end,
                           limit, reverse, r, entry))
        msg = ClientRangeGet(pending.req, client_obj.endpoint, prefix, prefix + start,
                             None if end is None else prefix + end, limit, reverse, None, r)
        self.network.send(client_obj.endpoint, entry, msg)
        return pending

    def range_get(self, group: bytes, start: bytes = b"", end: bytes | None = None, limit: int = 1000,
                  reverse: bool = False, client: str | None = None, r: int | None = None) -> RangeResult:
        return self.wait(self.submit_range_get(group, start, end, limit, reverse, client, r))

    def wait(self, pending: Pending[R]) -> R:
        """Run the simulation until ``pending`` completes (it always does: it has a
        timeout); its completion halts the run (``_complete``)."""
        sched = self.scheduler
        awaited = self._awaited
        awaited.append(pending)
        pending.awaited = True
        try:
            while pending.result is None:
                sched.halted = False
                if sched.run()[1] and pending.result is None:
                    break  # nothing left to run (a request always has a timeout: unreachable)
        finally:
            pending.awaited = False
            if awaited[-1] is pending:  # the common case: not nested, or the innermost
                awaited.pop()
            else:
                awaited.pop(next(i for i, p in enumerate(awaited) if p is pending))
            # A wait inside an event (nested) may have seen an outer request complete:
            # its halt must still end the outer run.
            sched.halted = bool(awaited) and any(p.result is not None for p in awaited)
        assert pending.result is not None
        return pending.result

    def put(self, key: bytes | str, value: bytes | str, client: str | None = None, via: str | None = None,
            n: int | None = None, w: int | None = None, pw: int | None = None,
            context_of: bytes | str | None = None) -> PutResult:
        pending: Pending[PutResult] = self._submit("put", client, key, value, via, n, w, pw, context_of)
        return self.wait(pending)  # (submit_put without its frame: every put)

    def delete(self, key: bytes | str, client: str | None = None, via: str | None = None,
               n: int | None = None, w: int | None = None) -> PutResult:
        return self.wait(self.submit_delete(key, client, via, n, w))

    def get(self, key: bytes | str, client: str | None = None, via: str | None = None,
            n: int | None = None, r: int | None = None, pr: int | None = None) -> GetResult:
        pending: Pending[GetResult] = self._submit("get", client, key, None, via, n, r, pr)
        return self.wait(pending)  # (submit_get without its frame: every get)

    def _complete(self, pending: Pending[Any], result: PutResult | GetResult | RangeResult) -> None:
        self.pending.pop(pending.req, None)
        pending.result = result
        if result.ok and not isinstance(result, RangeResult):
            pending.client.remember(result)
        self.trace.lines.append(result_line(result))
        self.trace.maybe_fold()
        if self.bus.active and not isinstance(result, RangeResult):  # the metrics (dynviz.metrics)
            self.bus.emit(answered(self.scheduler.now, pending.req, pending.client.name, pending.started, result))
        for fn in pending.callbacks:
            fn(pending)
        if pending.awaited:
            self.scheduler.halted = True  # Scheduler.halt, without the call

    def _on_client_message(self, src: str, msg: Any) -> None:
        if not isinstance(msg, ClientReply):
            if isinstance(msg, ClientRangeReply):
                self._on_range_reply(msg)
            return
        req, key, _, ok, coordinator, siblings, context, replier, acks, hints, error, hops = msg  # (node.py)
        pending = self.pending.get(req)
        if pending is None:
            return
        now = self.scheduler.now
        if pending.op == "get":
            result: PutResult | GetResult = GetResult(ok, key, siblings, context, coordinator, replier, acks, error,
                                                      pending.entry, hops, pending.started, now, pending.req)
        else:
            result = PutResult(ok, pending.op, key, pending.value, coordinator, acks, hints, error, context, siblings,
                               pending.entry, hops, pending.started, now, pending.req)
        self._complete(pending, result)

    def _on_range_reply(self, msg: ClientRangeReply) -> None:
        pending = self.pending.get(msg.req)
        if pending is None:
            return
        prefix = len(pending.key)
        entries = tuple((k[prefix:], s) for k, s in msg.entries)
        self._complete(pending, RangeResult(msg.ok, pending.key, entries, msg.more, msg.coordinator, msg.acks,
                                            msg.error, pending.entry, msg.hops, pending.started, self.now, msg.req))

    def _client_sweep(self) -> None:
        """Clients give up on requests past their deadline. One timer serves them all:
        it fires at the earliest deadline (requests are issued in time order, so that
        is the oldest pending one) instead of one timer per request."""
        self._sweep = None
        now = self.scheduler.now
        for pending in list(self.pending.values()):
            if pending.deadline > now:
                break
            self._client_timeout(pending.req)
        if self.pending:
            self._sweep = self.scheduler.at(next(iter(self.pending.values())).deadline, self._client_sweep)

    def _client_timeout(self, req: int) -> None:
        pending = self.pending.get(req)
        if pending is None:
            return
        error = f"no reply from {pending.entry} (is it down?)"
        if pending.op == "range":
            self._complete(pending, RangeResult(False, pending.key, error=error, entry=pending.entry,
                                                started=pending.started, finished=self.now, req=req))
            return
        if pending.op == "get":
            result: PutResult | GetResult = GetResult(False, pending.key, error=error, entry=pending.entry,
                                                      started=pending.started, finished=self.now, req=req)
        else:
            result = PutResult(False, pending.op, pending.key, pending.value, error=error, entry=pending.entry,
                               started=pending.started, finished=self.now, req=req)
        self._complete(pending, result)

    # -- faults ------------------------------------------------------------------------

    def is_up(self, node: str) -> bool:
        return node not in self.network.down

    def kill(self, node: str) -> None:
        target = self._check_node(node)
        if node in self.network.down:
            raise ClusterError(f"{node} is already down")
        self.network.down.add(node)
        self.runtimes[node].crash()
        target.crash()
        self._emit(NodeDown(self.now, node))

    def recover(self, node: str) -> None:
        target = self._check_node(node)
        if node in self.departed:
            raise ClusterError(f"{node} was removed from the cluster; join a new node instead")
        if node not in self.network.down:
            raise ClusterError(f"{node} is not down")
        self.network.down.discard(node)
        target.start()
        self._emit(NodeUp(self.now, node))

    def wipe(self, node: str) -> None:
        """The node loses its disk and comes back empty, as a new actor (kv679)."""
        target = self._check_node(node)
        if node in self.departed:
            raise ClusterError(f"{node} was removed from the cluster")
        was_up = node not in self.network.down
        if was_up:
            self.network.down.add(node)
        self.runtimes[node].crash()
        target.wipe()
        self._emit(NodeDown(self.now, node, wiped=True))
        self.network.down.discard(node)
        target.start()
        self._emit(NodeUp(self.now, node))

    def partition(self, groups: Sequence[Iterable[str]]) -> None:
        try:
            listed = normalise_groups(groups, list(self.nodes))
        except PartitionError as exc:
            raise ClusterError(str(exc)) from None
        self.network.partition(listed)
        self._emit(NetworkChanged(self.now, "partition " + describe_groups(listed)))

    def heal(self) -> None:
        self.network.heal()
        self._emit(NetworkChanged(self.now, "partition healed"))

    def set_loss(self, p: float) -> None:
        if not 0 <= p < 1:
            raise ClusterError(f"loss must be in [0, 1), got {p}")
        self.network.loss = p
        self._emit(NetworkChanged(self.now, f"message loss {p:.1%}"), p)

    def set_latency(self, lo: int, hi: int) -> None:
        if lo < 0 or hi < lo:
            raise ClusterError(f"bad latency range {lo}..{hi} µs")
        self.network.latency = (lo, hi)
        self._emit(NetworkChanged(self.now, f"latency {lo / MS:g}ms..{hi / MS:g}ms"), lo, hi)

    def skew(self, node: str, micros: int) -> None:
        self._check_node(node)
        self.runtimes[node].skew = micros
        self._emit(NetworkChanged(self.now, f"{node} clock skew {micros / SECOND:+g}s"), micros)

    # -- membership ----------------------------------------------------------------------

    def _rebalance(self, node: str) -> Rebalance:
        return self._check_node(node).rebalance

    def ring_change_in_progress(self) -> str | None:
        """What stops a new join/leave/remove from starting now, or None.

        Changes go one at a time (as Riak stages them): the last one must have
        committed *and* its commit must have reached every live node, since the next
        plan is computed from one node's view and must not be based on a stale ring."""
        for node in self.nodes.values():
            plan = node.rebalance.plan
            if plan is not None:
                return f"{plan.change} is still moving data"
        seen = None
        for name in self.nodes:
            if name in self.network.down or name in self.departed:
                continue
            members = self.gossip_of(name).view.members
            if any(m.pending is not None for m in members.values()):
                return "a ring change is still being planned"
            ring_state = {(m.name, m.status, m.tokens) for m in members.values()}
            if seen is None:
                seen = ring_state
            elif ring_state != seen:
                return "the last ring change is still spreading by gossip"
        return None

    def join(self, name: str, vnodes: int | None = None) -> str:
        """A new node joins: it takes a copy of a seed's view (as contacting a seed
        would give it), claims tokens and pulls the ranges it gains."""
        try:
            node_names(name)
        except RingError as exc:
            raise ClusterError(str(exc)) from None
        if name in self.nodes:
            raise ClusterError(f"{name} is already a member of the cluster")
        if vnodes is not None and self.config.strategy == "equal":
            raise ClusterError("vnodes= applies to strategy=random; equal partitions are claimed k or k+1 per node")
        busy = self.ring_change_in_progress()
        if busy:
            raise ClusterError(f"{busy}; try again after it settles (run 5s, or settle)")
        seed = next((s for s in (*self.config.seed_nodes, *self.nodes) if s in self.nodes
                     and s not in self.network.down), None)
        if seed is None:
            raise ClusterError("no live seed node to contact")
        entries = self.gossip_of(seed).view.entries()
        node = self._add_node(name, (*entries, Member(name, status="joining")))
        change = node.rebalance.begin("join", name, vnodes)
        return change

    def leave(self, name: str) -> str:
        node = self._check_node(name)
        if name in self.network.down:
            raise ClusterError(f"{name} is down; a leaving node hands its data over itself (use remove)")
        status = self.gossip_of(name).view.members[name].status
        if status != "up":
            raise ClusterError(f"{name} is {status}, not up")
        busy = self.ring_change_in_progress()
        if busy:
            raise ClusterError(f"{busy}; try again after it settles (run 5s, or settle)")
        return node.rebalance.begin("leave", name)

    def remove(self, name: str) -> str:
        """Permanent failure: the node and its disk are gone; its ranges are rebuilt
        from the other replicas onto the nodes the new ring gives them to."""
        target = self._check_node(name)
        busy = self.ring_change_in_progress()
        if busy:
            raise ClusterError(f"{busy}; try again after it settles (run 5s, or settle)")
        starter = next((s for s in (*self.config.seed_nodes, *self.nodes) if s != name and s in self.nodes
                        and s not in self.network.down), None)
        if starter is None:
            raise ClusterError("no live node left to rebuild the ring")
        if name not in self.network.down:
            self.network.down.add(name)
            self.runtimes[name].crash()
        target.crash()
        target.store.clear()
        target.hints.clear()
        self.departed.add(name)
        self._emit(NodeDown(self.now, name, wiped=True))
        return self._rebalance(starter).begin("remove", name)

    def antientropy(self, a: str, b: str, limit: int = 30 * SECOND) -> list[ExchangeReport]:
        """Run Merkle anti-entropy between ``a`` and ``b`` now, for every range both
        replicate, and wait (in virtual time) until every exchange has finished."""
        reports: list[ExchangeReport] = []
        finished: list[bool] = []
        def done(exchanged: list[ExchangeReport]) -> None:
            reports.extend(exchanged)
            finished.append(True)

        self.start_antientropy(a, b, done)
        end = self.now + limit
        while not finished and self.now < end:
            self.scheduler.run_until(min(end, self.now + 10 * MS))
        return reports

    def start_antientropy(self, a: str, b: str,
                          on_done: Callable[[list[ExchangeReport]], None]) -> int:
        """Start anti-entropy between ``a`` and ``b`` for every shared range; ``on_done``
        gets every range's report once the last exchange ends (sessions time out, so it
        always does). For front ends that let virtual time flow."""
        if a == b:
            raise ClusterError("anti-entropy needs two different nodes")
        for name in (a, b):
            self._check_node(name)
            if name in self.network.down:
                raise ClusterError(f"{name} is down")
        engine = self.nodes[a].antientropy
        reports: list[ExchangeReport] = []
        expected: list[int] = []

        def collect(report: ExchangeReport) -> None:
            reports.append(report)
            if expected and len(reports) == expected[0]:
                on_done(reports)

        try:
            started = engine.exchange_with(b, on_done=collect)
        except ValueError as exc:
            raise ClusterError(str(exc)) from None
        expected.append(started)
        if len(reports) == started:
            on_done(reports)
        return started

    def gossip_round(self, node: str) -> str | None:
        if node in self.network.down:
            raise ClusterError(f"{node} is down")
        return self.gossip_of(node).gossip_once()

    def views(self) -> dict[str, list[Member]]:
        """Each node's membership view (its own opinion)."""
        return {name: list(self.gossip_of(name).view.members.values()) for name in self.nodes}

    def gossip_matrix(self) -> dict[str, dict[str, tuple[str, int, bool]]]:
        """observer -> subject -> (status, heartbeat age in µs, suspected): who knows
        what about whom."""
        return {name: self.gossip_of(name).freshness() for name in self.nodes}

    def rumour_spread(self, subject: str, generation: int, version: int) -> dict[str, tuple[int, int]]:
        """node -> (time, round) at which it learned this rumour."""
        out = {}
        for name in self.nodes:
            when = self.gossip_of(name).learned.get((subject, generation, version))
            if when is not None:
                out[name] = when
        return out

    def _emit(self, event: Any, *exact: int | float) -> None:
        """Trace and publish a fault event. ``exact`` are the settings as given, for the
        trace: the description rounds them (``message loss 10.0%``), and two sessions that
        differ only in a setting's fourth decimal must not share a digest."""
        self.trace.add((event.time, type(event).__name__, event.describe(), *exact))
        if self.bus.active:
            self.bus.emit(event)

    # -- views -------------------------------------------------------------------------

    def inspect(self, key: bytes | str, node: str | None = None) -> Inspection:
        key = as_key(key)
        plist = self.ring.preference_list(key, self.config.n)
        names = [node] if node is not None else list(self.nodes)
        if node is not None:
            self._check_node(node)
        replicas = []
        for name in names:
            target = self.nodes[name]
            stored = target.store.get(key)
            hinted = tuple((i, version_views(s)) for i, s in target.hints.for_key(key))
            if stored is None and not hinted and name not in plist:
                continue
            role = "primary" if name in plist else ("fallback" if hinted else "other")
            replicas.append(ReplicaView(name, role, self.is_up(name), version_views(stored), hinted))
        replicas.sort(key=lambda r: (plist.index(r.node) if r.node in plist else len(plist), list(self.nodes).index(r.node)))
        return Inspection(key, token_hex(token_of(key)), plist, tuple(replicas))

    def node_names(self) -> tuple[str, ...]:
        return tuple(self.nodes)

    def node_ring(self, name: str) -> Ring:
        return self.nodes[name].ring

    def partition_groups(self) -> dict[str, int]:
        return self.network.groups

    def observes_messages(self) -> bool:
        return True

    def table_desk(self) -> Any | None:
        """The tables on this cluster, a :class:`~dynviz.table.console.TableDesk` made on
        first use by ``dynviz.table.console.desk_for`` (None before any table command)."""
        return self.tables.desk if self.tables is not None else None

    def busy(self) -> bool:
        """A request is in progress somewhere (a client waiting or a coordinator running)."""
        return bool(self.pending) or any(n.coordinators for n in self.nodes.values())

    def node_views(self) -> list[NodeView]:
        groups = self.network.groups
        return [
            NodeView(name, self.is_up(name), len(node.store), len(node.hints), groups.get(name) if groups else None,
                     self.runtimes[name].skew, node.epoch, tuple(node.detector.suspected()), len(node.coordinators))
            for name, node in self.nodes.items()
        ]

    def flights(self) -> list[InFlight]:
        return self.network.flights()

    def choices(self) -> Choices:
        """What a learner can choose now: pending messages and timers, and the holds on."""
        return Choices(tuple(pending_messages(self.network)), tuple(pending_timers(self.scheduler)),
                       tuple(h.describe() for h in self.network.holds))

    def digest(self) -> str:
        return self.trace.digest()

    def state_digest(self) -> str:
        """A digest of every node's stored data and hints (for replay verification)."""
        h = hashlib.sha256()
        for name, node in self.nodes.items():
            h.update(name.encode() + b"\x01")
            for key, siblings in sorted(node.store.items()):
                h.update(key + b"\x02" + encode_siblings(siblings) + b"\x03")
            for intended, key, siblings in sorted(node.hints.items(), key=lambda x: (x[0], x[1])):
                h.update(intended.encode() + b"\x04" + key + encode_siblings(siblings))
        return h.hexdigest()

    def with_config(self, **changes: Any) -> ClusterConfig:
        return replace(self.config, **changes)


@dataclass(frozen=True, slots=True)
class _Both:
    """Two version observers in turn: a value, not a closure, so the cluster pickles."""
    first: Callable[[int, Any], None]
    then: Callable[[int, Any], None]

    def __call__(self, req: int, version: Any) -> None:
        self.first(req, version)
        self.then(req, version)
