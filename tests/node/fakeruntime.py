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
              start: bool = False, **settings: Any) -> tuple[Node, FakeRuntime]:
    """A real node (memory stores, gossip, rebalance, anti-entropy) on a fake runtime,
    with the ring every member of ``names`` builds from ``seed``."""
    protocol = ProtocolSettings(**{"antientropy": False, **settings})
    ring = build_ring(list(names), protocol.strategy, partitions=protocol.partitions, vnodes=protocol.vnodes,
                      seed=seed, n=protocol.n)
    members = tuple(Member(n, tokens=ring.tokens_of(n)) for n in names)
    runtime = FakeRuntime(name)
    node = assemble_node(name, runtime, open_store("memory"), open_store("memory"), members, protocol,
                         seeds=names[:2], ring_seed=seed, partitions=len(ring))
    if start:
        node.start()
    return node, runtime
