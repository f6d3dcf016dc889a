"""A node's whole world in a test: a clock the test moves, an outbox it reads, timers
it fires. A node is sans-I/O (DESIGN §1): given this instead of the simulator, a test
hands it exactly the messages it wants, in the order it wants, and asserts on what the
node sends back, with no network, no scheduler and no other node in the way."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from random import Random
from typing import Any

from dynviz.core.membership import Member
from dynviz.core.ring import build_ring
from dynviz.core.settings import ProtocolSettings
from dynviz.events import Event, EventBus, Trace
from dynviz.node.assembly import assemble_node
from dynviz.node.node import Node
from dynviz.storage import open_store


@dataclass
class Timer:
    due: int
    seq: int
    fn: Callable[..., None]
    args: tuple[Any, ...]
    cancelled: bool = False


@dataclass
class FakeRuntime:
    """The runtime protocol (dynviz/node/runtime.py), driven by hand."""

    name: str
    clock: int = 0
    skew: int = 0
    rng: Random = field(default_factory=lambda: Random(0))
    bus: EventBus = field(default_factory=EventBus)
    trace: Trace = field(default_factory=Trace)
    sent: list[tuple[str, Any]] = field(default_factory=list)
    timers: list[Timer] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    _seq: Iterable[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        self.bus.subscribe(self.events.append)

    def now(self) -> int:
        return self.clock

    def wall_clock(self) -> int:
        return self.clock + self.skew

    def send(self, dst: str, msg: Any) -> None:
        self.sent.append((dst, msg))

    def set_timer(self, delay: int, fn: Callable[..., None], *args: Any) -> Timer:
        timer = Timer(self.clock + max(0, delay), next(self._seq), fn, args)  # type: ignore[call-overload]
        self.timers.append(timer)
        return timer

    def cancel(self, handle: Any) -> None:
        if isinstance(handle, Timer):
            handle.cancelled = True

    # -- what a test does -------------------------------------------------------------

    def crash(self) -> None:
        """The process died: its pending timers and unsent messages are gone (as the
        simulator's runtime does it). Pair with ``node.crash()``; ``node.start()`` recovers."""
        for timer in self.timers:
            timer.cancelled = True
        self.timers.clear()
        self.sent.clear()

    def advance(self, micros: int) -> None:
        """Move the clock, firing every timer that falls due on the way, in order."""
        end = self.clock + micros
        while True:
            live = [t for t in self.timers if not t.cancelled and t.due <= end]
            if not live:
                break
            timer = min(live, key=lambda t: (t.due, t.seq))
            self.timers.remove(timer)
            self.clock = max(self.clock, timer.due)
            timer.fn(*timer.args)
        self.clock = end

    def take(self, kind: type | None = None, to: str | None = None) -> list[tuple[str, Any]]:
        """The messages sent so far (of ``kind``, to ``to``), removed from the outbox."""
        picked = [(d, m) for d, m in self.sent if (kind is None or isinstance(m, kind)) and (to is None or d == to)]
        for item in picked:
            self.sent.remove(item)
        return picked

    def of(self, kind: type) -> list[Any]:
        """The events of ``kind`` emitted so far."""
        return [e for e in self.events if isinstance(e, kind)]


def make_node(name: str, names: tuple[str, ...] = ("n1", "n2", "n3", "n4", "n5"), *, seed: int = 1,
              start: bool = False, members: tuple[Member, ...] | None = None,
              **settings: Any) -> tuple[Node, FakeRuntime]:
    """A real node (memory stores, gossip, rebalance, anti-entropy) on a fake runtime,
    with the ring every member of ``names`` builds from ``seed``. ``members`` replaces
    the view it starts with (a joiner's: a seed's entries plus its own, "joining");
    the ring's shape (Q) still comes from ``names``."""
    protocol = ProtocolSettings(**{"antientropy": False, **settings})
    ring = build_ring(list(names), protocol.strategy, partitions=protocol.partitions, vnodes=protocol.vnodes,
                      seed=seed, n=protocol.n)
    if members is None:
        members = tuple(Member(n, tokens=ring.tokens_of(n)) for n in names)
    runtime = FakeRuntime(name)
    node = assemble_node(name, runtime, open_store("memory"), open_store("memory"), members, protocol,
                         seeds=names[:2], ring_seed=seed, partitions=len(ring))
    if start:
        node.start()
    return node, runtime


Hold = Callable[[str, str, Any], bool]
"""(src, dst, msg) -> True to leave the message queued in its sender's outbox."""


@dataclass
class FakeNet:
    """Several nodes on fake runtimes, and the test's hand on the wire between them.

    Nothing moves unless the test says so: ``deliver`` hands every queued message to its
    destination (senders by name, each outbox first in, first out; what a delivery sends
    is delivered on the next pass) until nothing is left, and ``run`` moves every clock
    in lockstep, delivering after each step. Latency is zero, and the order depends only
    on the names, so a run is the same every time. A message may be held back (``hold``)
    to be delivered later, or lost: to a node in ``cut`` or from one, or to a name that
    is not a node here (a client), which lands in ``outside``."""

    nodes: dict[str, Node] = field(default_factory=dict)
    runtimes: dict[str, FakeRuntime] = field(default_factory=dict)
    cut: set[str] = field(default_factory=set)
    delivered: list[tuple[int, str, str, Any]] = field(default_factory=list)
    """(time, src, dst, msg) for every message handed to a node, in order."""
    lost: list[tuple[str, str, Any]] = field(default_factory=list)
    outside: list[tuple[str, str, Any]] = field(default_factory=list)

    def add(self, node: Node, runtime: FakeRuntime) -> None:
        """A node joins the wire; its clock is set to the others' (before it starts)."""
        if self.runtimes:
            runtime.clock = max(rt.clock for rt in self.runtimes.values())
        self.nodes[node.name] = node
        self.runtimes[node.name] = runtime

    @property
    def now(self) -> int:
        return max((rt.clock for rt in self.runtimes.values()), default=0)

    def deliver(self, hold: Hold | None = None, limit: int = 100_000) -> int:
        """Deliver until nothing deliverable is queued; returns how many were delivered."""
        count = 0
        while True:
            moved = False
            for src in sorted(self.runtimes):
                rt = self.runtimes[src]
                batch = [(dst, msg) for dst, msg in rt.sent if hold is None or not hold(src, dst, msg)]
                for item in batch:
                    rt.sent.remove(item)
                for dst, msg in batch:
                    moved = True
                    if dst not in self.nodes:
                        self.outside.append((src, dst, msg))
                    elif src in self.cut or dst in self.cut:
                        self.lost.append((src, dst, msg))
                    else:
                        self.delivered.append((self.runtimes[dst].clock, src, dst, msg))
                        self.nodes[dst].handle(src, msg)
                        count += 1
                        if count > limit:
                            raise AssertionError(f"more than {limit} deliveries: a message loop?")
            if not moved:
                return count

    def run(self, micros: int, step: int = 10_000, hold: Hold | None = None,
            until: Callable[[], bool] | None = None) -> None:
        """Move every clock by ``micros`` in steps of ``step``, delivering after each
        step (and once first); stop early, after a step, once ``until()`` is true."""
        self.deliver(hold)
        end = self.now + micros
        while self.now < end:
            if until is not None and until():
                return
            for name in sorted(self.runtimes):
                rt = self.runtimes[name]
                rt.advance(min(step, end - rt.clock))
            self.deliver(hold)

    def of(self, kind: type) -> list[Any]:
        """The events of ``kind`` every node emitted, by time, then node name."""
        found = [(e.time, name, i, e) for name, rt in sorted(self.runtimes.items())
                 for i, e in enumerate(rt.events) if isinstance(e, kind)]
        return [e for *_, e in sorted(found, key=lambda f: f[:3])]

    def sent(self, kind: type, src: str | None = None, dst: str | None = None) -> list[tuple[str, str, Any]]:
        """(src, dst, msg) of every delivered ``kind``, in delivery order."""
        return [(s, d, m) for _, s, d, m in self.delivered
                if isinstance(m, kind) and (src is None or s == src) and (dst is None or d == dst)]


def make_net(names: tuple[str, ...] = ("n1", "n2", "n3", "n4"), *, seed: int = 1, **settings: Any) -> FakeNet:
    """Every member of ``names`` as a started node on one ``FakeNet``, each with the full
    view and the same ring (``make_node``'s); each runtime draws from its own seed."""
    net = FakeNet()
    for i, name in enumerate(names):
        node, runtime = make_node(name, names, seed=seed, **settings)
        runtime.rng = Random(i)
        net.add(node, runtime)
    for name in names:
        net.nodes[name].start()
    return net
