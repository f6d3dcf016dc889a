"""One durable node in its own OS process: storage, runtime, transport, admin endpoint.

``NodeProcess`` builds the node the way the simulator's cluster does
(``assemble_node``), on a :class:`~dynviz.net.runtime.TcpRuntime` and SQLite storage
in ``DIR/<id>.sqlite``. On a first start its membership is computed from the initial
member list exactly as every other member computes it (same ring strategy, same
partitions), so all members agree on the ring without talking; on a restart it is
read back from disk (``durable.py``), so a node that was ``kill -9``-ed rejoins as
itself: same tokens, same actor, its acknowledged writes still in its tables. What
it missed while down comes back through hinted handoff and anti-entropy.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections import Counter, deque
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from dynviz.core.membership import Member
from dynviz.core.ring import RingError, build_ring
from dynviz.core.settings import ProtocolSettings
from dynviz.core.units import MS
from dynviz.events import Event, EventBus
from dynviz.net.address import check_node_id, parse_addr
from dynviz.net.codec import AdminRequest, Hello, decode_message, encode_message
from dynviz.net.durable import NodeState
from dynviz.net.endpoint import AdminEndpoint
from dynviz.net.frames import context_secret, read_frame, seal, wire_key
from dynviz.net.runtime import TcpRuntime
from dynviz.net.transport import Transport
from dynviz.node.assembly import assemble_node
from dynviz.node.gossip import Gossip
from dynviz.node.node import Node
from dynviz.storage.sqlite import SqliteStore
from dynviz.wording import plural

log = logging.getLogger("dynviz.net")
T = TypeVar("T")

FSYNC = {"full": "FULL", "normal": "NORMAL", "off": "OFF"}
"""``--fsync`` policies -> SQLite ``synchronous`` levels. ``full`` (the default): a
replica acks a write only once it is on disk, surviving power loss. ``normal``:
survives the process being killed, not the machine losing power. ``off``: neither."""

VIEW_SAVE_INTERVAL = 200 * MS


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeOptions(ProtocolSettings):
    """Everything ``dynviz node`` is told: the protocol's settings (the simulator's too,
    with the same defaults; ``dynviz node``'s flags pass TCP's own timings explicitly)
    plus where this node listens, whom it knows and where it keeps its data. ``secret``
    is the cluster secret; the node signs contexts with a key derived from it."""

    id: str
    data: str
    listen: str = "127.0.0.1:7001"
    peers: dict[str, str] = field(default_factory=dict)
    seeds: tuple[str, ...] = ()
    members: tuple[str, ...] = ()
    ring_seed: int = 0
    fsync: str = "full"
    events: int = 512

    def __post_init__(self) -> None:
        ProtocolSettings.__post_init__(self)
        check_node_id(self.id)
        parse_addr(self.listen, "listen address")
        if self.fsync not in FSYNC:
            raise ValueError(f"--fsync must be one of {', '.join(FSYNC)}, not {self.fsync!r}")
        if not self.secret:
            raise ValueError("the cluster secret is empty")
        for name in self.initial_members:
            check_node_id(name)
        if self.id not in self.initial_members:
            raise ValueError(f"{self.id} is not among the cluster's members ({', '.join(self.initial_members)})")
        if len(self.initial_members) < self.n:
            raise ValueError(f"n={self.n} needs at least {plural(self.n, 'member')}, got {len(self.initial_members)}")

    @property
    def initial_members(self) -> tuple[str, ...]:
        """The members a first start builds the ring from: ``--members``, else the ids
        of ``--peers`` (with this node) in the order given."""
        if self.members:
            return self.members
        names = list(self.peers)
        if self.id not in names:
            names.append(self.id)
        return tuple(names)


def initial_view(options: NodeOptions) -> tuple[Member, ...]:
    """Every member with its tokens, computed the same way on every node."""
    names = list(options.initial_members)
    try:
        ring = build_ring(names, options.strategy, partitions=options.partitions, vnodes=options.vnodes,
                          seed=options.ring_seed, n=options.n)
    except RingError as exc:
        raise ValueError(str(exc)) from None
    return tuple(Member(name, tokens=ring.tokens_of(name)) for name in names)


class EventLog:
    """The events a process emitted: the last ``keep`` of them, numbered from 1 as they
    happened (what the admin ``events`` and ``feed`` ops page through), and how many of
    each type since the process started."""

    def __init__(self, keep: int) -> None:
        self.recent: deque[tuple[int, Event]] = deque(maxlen=max(1, keep))
        self.seq = 0
        """The number of the last event recorded (0: none yet)."""
        self.counts: Counter[str] = Counter()

    def record(self, event: Event) -> None:
        self.seq += 1
        self.recent.append((self.seq, event))
        self.counts[type(event).__name__] += 1

    def since(self, seq: int) -> list[tuple[int, Event]]:
        """The recent events numbered after ``seq``, oldest first."""
        return [(n, e) for n, e in self.recent if n > seq]

    @property
    def oldest(self) -> int:
        """The number of the oldest event still kept (the next one's, if none is)."""
        return self.recent[0][0] if self.recent else self.seq + 1


class NodeProcess:
    """A running node: call ``start`` inside an event loop, then ``serve``.

    What the admin endpoint (``endpoint.py``) reads and does goes through the public
    properties and methods below; the runtime, transport and saved state are the
    process's own."""

    def __init__(self, options: NodeOptions) -> None:
        self.options = options
        self.stats: Counter[str] = Counter()
        """Transport and process counters (frames, rejections, drops, errors, admin requests)."""
        self.events = EventLog(options.events)
        self.restarted = False
        """Whether this start found the node's database from an earlier run."""
        self._node: Node | None = None
        self._transport: Transport | None = None
        self._runtime: TcpRuntime | None = None
        self._state: NodeState | None = None
        self._started_at = 0
        self._stopping: asyncio.Event | None = None
        self._admin = AdminEndpoint(self)

    @property
    def db_path(self) -> Path:
        return Path(self.options.data) / f"{self.options.id}.sqlite"

    @property
    def pid_path(self) -> Path:
        return Path(self.options.data) / f"{self.options.id}.pid"

    # -- what the admin endpoint reads and does (once started) ------------------------------

    def _started(self, part: T | None) -> T:
        """``part`` of the running node (its node, transport, runtime), set by ``start``."""
        if part is None:
            raise RuntimeError(f"{self.options.id} has not started")
        return part

    @property
    def node(self) -> Node:
        return self._started(self._node)

    @property
    def gossip(self) -> Gossip:
        return self.node.gossip

    @property
    def address(self) -> str:
        """Where this node listens (``host:port``)."""
        return self._started(self._transport).address

    @property
    def address_book(self) -> dict[str, str]:
        """Every node's address this node knows, its own included."""
        transport = self._started(self._transport)
        return {self.node.name: transport.address, **transport.peers}

    @property
    def blocked(self) -> tuple[str, ...]:
        """The peers whose links this node drops (``block``), sorted."""
        return tuple(sorted(self._started(self._transport).blocked))

    def block(self, peer: str) -> None:
        """Drop every message to and from ``peer`` until ``unblock`` (a real partition)."""
        self._started(self._transport).blocked.add(peer)

    def unblock(self, peer: str) -> None:
        self._started(self._transport).blocked.discard(peer)

    def now(self) -> int:
        """This node's clock (µs on its runtime: the clock its events are stamped with)."""
        return self._started(self._runtime).now()

    @property
    def uptime_us(self) -> int:
        return self.now() - self._started_at

    def stop_after(self, delay: int) -> None:
        """``stop`` in ``delay`` µs (so that a reply already sent is written first)."""
        self._started(self._runtime).set_timer(delay, self.stop)

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        opts = self.options
        Path(opts.data).mkdir(parents=True, exist_ok=True)
        sync = FSYNC[opts.fsync]
        self._state = state = NodeState(self.db_path, sync)
        self.restarted = not state.claim(opts.id)
        if not self.restarted and await self._known_before():
            # A fresh database, but the cluster knows this node: its disk was lost. It
            # must come back as a new actor (DESIGN §7, riak_kv#679): dots it issued
            # before may live on elsewhere, and it no longer knows their counters.
            state.epoch = int(time.time())
            log.warning("%s lost its data (the cluster knew it); new actor epoch %d", opts.id, state.epoch)
        store = SqliteStore(self.db_path, "versions", synchronous=sync)
        hints = SqliteStore(self.db_path, "hints", synchronous=sync)
        self._stopping = asyncio.Event()
        self._transport = transport = Transport(opts.id, opts.listen, wire_key(opts.secret), dict(opts.peers),
                                                self._deliver, self.stats)
        bus = EventBus()
        if opts.events:
            bus.subscribe(self.events.record)
        self._runtime = runtime = TcpRuntime(opts.id, transport, bus, self.stats)
        members = state.load_view() or initial_view(opts)
        if opts.id not in {m.name for m in members}:
            raise ValueError(f"the saved view in {self.db_path} does not list {opts.id}")
        protocol = replace(opts.protocol(), secret=context_secret(opts.secret))
        names = [m.name for m in members]
        seeds = tuple(n for n, a in opts.peers.items() if a in opts.seeds) or tuple(names[:2])
        partitions = len(build_ring(list(opts.initial_members), opts.strategy, partitions=opts.partitions,
                                    vnodes=opts.vnodes, seed=opts.ring_seed, n=opts.n)) \
            if opts.strategy == "equal" else 0
        node = assemble_node(opts.id, runtime, store, hints, members, protocol, seeds=seeds,
                             ring_seed=opts.ring_seed, partitions=partitions, epoch=state.epoch)
        node.issued = state.counters()
        self._node = node
        transport.on_unreachable = self._unreachable
        await transport.start()
        # No await between listening and starting: nothing is delivered to a node
        # whose timers are not set yet.
        self._started_at = runtime.now()
        node.start()
        state.save_view(self.gossip.view.entries(), force=True)
        runtime.set_timer(VIEW_SAVE_INTERVAL, self._save_view)
        for addr in opts.seeds:
            if addr not in opts.peers.values() and addr != transport.address:
                asyncio.get_running_loop().create_task(self._discover(addr))
        self.pid_path.write_text(f"{os.getpid()}\n")
        log.info("%s listening on %s (%s, epoch %d, %d keys, %d hints)", opts.id, transport.address,
                 "restarted from disk" if self.restarted else "first start", node.epoch,
                 len(store), len(node.hints))

    async def _known_before(self) -> bool:
        """Whether any reachable peer has seen this node run before (a generation past
        the first), asked with a short timeout; False when no peer answers (a new cluster)."""
        from dynviz.net.client import NetClient, NetError

        opts = self.options

        async def ask(addr: str) -> bool:
            try:
                async with NetClient(addr, opts.secret, timeout=1.0) as client:
                    found = await client.admin("member", opts.id)
            except (NetError, OSError):
                return False
            return bool(found) and found.get("generation", 0) > 1

        peers = [a for n, a in opts.peers.items() if n != opts.id]
        return any(await asyncio.gather(*(ask(a) for a in peers)))

    def _save_view(self) -> None:
        self._started(self._runtime).set_timer(VIEW_SAVE_INTERVAL, self._save_view)
        self._started(self._state).save_view(self.gossip.view.entries())

    async def _discover(self, addr: str) -> None:
        """Learn the id and address book of a seed known only by address."""
        transport = self._started(self._transport)
        host, port = parse_addr(addr, "seed address")
        for attempt in range(60):
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 2.0)
                try:
                    writer.write(seal(transport.key, encode_message(transport.hello())))
                    _, body = await asyncio.wait_for(read_frame(reader, transport.key), 2.0)
                finally:
                    writer.close()
                hello, _ = decode_message(body)
                if isinstance(hello, Hello):
                    transport.learn(((hello.id, addr), *hello.peers), sender=hello.id)
                    gossip = self.gossip
                    if hello.id != self.options.id and hello.id not in gossip.seeds:
                        gossip.seeds = (*gossip.seeds, hello.id)
                    return
            except (OSError, TimeoutError, ValueError, asyncio.IncompleteReadError):
                pass
            await asyncio.sleep(min(2.0, 0.1 * (attempt + 1)))

    def _unreachable(self, peer: str, reason: str) -> None:
        node = self._node
        if node is not None and peer in self.gossip.view.members and node.detector.reachable(peer):
            node.detector.suspect(peer, reason)

    def _deliver(self, src: str, msg: Any) -> None:
        if type(msg) is AdminRequest:
            self.stats["admin_requests"] += 1
            self._started(self._transport).send(src, self._admin.handle(msg))
            return
        try:
            self.node.handle(src, msg)
        except Exception:
            self.stats["handler_errors"] += 1
            log.exception("handling %s from %s failed", type(msg).__name__, src)

    def stop(self) -> None:
        if self._stopping is not None:
            self._stopping.set()

    async def serve(self) -> None:
        """Run until ``stop`` (SIGTERM, SIGINT or an admin ``stop``), then close."""
        assert self._stopping is not None
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(sig, self.stop)
            except (NotImplementedError, RuntimeError):
                pass
        try:
            await self._stopping.wait()
        finally:
            await self.close()

    async def close(self) -> None:
        if self._state is not None and self._node is not None:
            self._state.save_view(self._node.gossip.view.entries(), force=True)
        if self._transport is not None:
            await self._transport.close()
        if self._node is not None:
            self._node.store.close()
            self._node.hints.store.close()
        if self._state is not None:
            self._state.close()
        try:
            if self.pid_path.read_text().strip() == str(os.getpid()):
                self.pid_path.unlink()
        except OSError:
            pass
        log.info("%s stopped", self.options.id)


async def run_node(options: NodeOptions) -> int:
    process = NodeProcess(options)
    await process.start()
    print(f"{options.id} listening on {process.address}", flush=True)
    await process.serve()
    return 0
