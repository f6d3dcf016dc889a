"""The simulated network: per-link latency, message loss, partitions and node crashes.

Every message between endpoints (nodes and clients) goes through ``send``: it is
either dropped at once (sender down, partition, loss) or scheduled for delivery after
a latency drawn from the link's range. Delivery re-checks that the receiver is up and
still reachable, so a message in flight when a partition starts is lost, as on a real
network. In-flight messages are kept in a dict so the TUI can draw them moving.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from heapq import heappush
from random import Random
from typing import Any

from dynviz.events import EventBus, MessageDelivered, MessageDropped, MessageSent, Trace
from dynviz.sim.scheduler import Scheduler

Handler = Callable[[str, Any], None]
LatencyModel = Callable[[str, str, Any, Random], int]
"""A latency model: ``(src, dst, message, rng) -> µs``, drawing only from ``rng`` (the
network's seeded stream), used instead of the uniform ranges when set (``Network.model``:
per-message-kind latencies such as PBS's W, A, R, S legs, :mod:`dynviz.paper.models`)."""
Tap = Callable[[str, str, Any], None]
"""A delivery watcher: ``(src, dst, message)``, called just before the receiver handles it."""


@dataclass(frozen=True, slots=True)
class InFlight:
    """A message on the wire (for views: the ring draws these moving)."""

    id: int
    src: str
    dst: str
    message: str
    key: bytes | None
    sent: int
    arrives: int


@dataclass(frozen=True, slots=True)
class Hold:
    """What a hold covers: every message (both None), the link ``src -> dst``, or every
    message to ``dst`` (``src`` None). Clients count as endpoints here: holding
    everything holds a client's request too."""

    src: str | None = None
    dst: str | None = None

    def covers(self, src: str, dst: str) -> bool:
        return (self.dst is None or self.dst == dst) and (self.src is None or self.src == src)

    def describe(self) -> str:
        if self.dst is None:
            return "every message"
        if self.src is None:
            return f"{self.dst}'s inbox"
        return f"the link {self.src}->{self.dst}"


class _Line:
    """A link's delivery record for one kind of message: ``tail`` is the end of
    ``repr((now, src, dst, kind))`` after its time, ``text`` the whole record as last
    written, at the instant ``at``. A run with no latency delivers everything at one
    instant (the explorer's and the benchmarks' clusters), so the same link carries the
    same kind of message again at the same time and its record is the text already
    made; otherwise the time is rendered and the text made again."""

    __slots__ = ("at", "text", "tail")

    def __init__(self, tail: str) -> None:
        self.at = -1
        self.text = ""
        self.tail = tail


class NoSuchMessage(LookupError):
    """A choice named a message that is neither on the wire nor held."""


class Network:
    """Endpoints, links and faults. Clients are endpoints that partitions never cut
    (they reach the cluster through a load balancer); loss applies between nodes."""

    __slots__ = (
        "scheduler", "rng", "bus", "trace", "latency", "loss", "endpoints", "down",
        "groups", "link_latency", "in_flight", "_next_id", "clients", "blocked",
        "dropped_count", "_kinds", "_trace_lines", "tap", "holds", "held", "last_drop", "_lines", "_deliver_bound",
        "model",
    )

    def __init__(self, scheduler: Scheduler, rng: Random, bus: EventBus, trace: Trace,
                 latency: tuple[int, int] = (1000, 5000), loss: float = 0.0) -> None:
        self.scheduler = scheduler
        self.rng = rng
        self.bus = bus
        self.trace = trace
        self.latency = latency
        self.loss = loss
        self.endpoints: dict[str, Handler] = {}
        self.clients: set[str] = set()
        self.down: set[str] = set()
        self.groups: dict[str, int] = {}
        self.blocked: set[tuple[str, str]] = set()
        self.link_latency: dict[tuple[str, str], tuple[int, int]] = {}
        # id -> its scheduled delivery, the scheduler entry [arrives, seq, _deliver,
        # (id, src, dst, msg, sent)]: the entry is the record (one object per message).
        self.in_flight: dict[int, list[Any]] = {}
        # Messages a hold keeps, in the order they were held: id -> (src, dst, msg, sent, due)
        self.held: dict[int, tuple[str, str, Any, int, int]] = {}
        self.holds: tuple[Hold, ...] = ()
        self.last_drop = ""  # why the latest message was lost
        self._next_id = 0  # also the count of messages sent (``sent_count``)
        self.dropped_count = 0
        self._kinds: dict[type, str] = {}
        self._trace_lines = trace.lines  # a delivery appends its record (Trace.lines)
        # (src, dst, kind) -> its delivery record (``_Line``): a delivery writes
        # ``repr((now, src, dst, kind))`` from it.
        self._lines: dict[tuple[str, str, type], _Line] = {}
        self._deliver_bound = self._deliver  # bound once, not per message (pickles as (self, name))
        # A watcher of every delivery (the checker's run-time invariants); None costs a
        # comparison per message.
        self.tap: Tap | None = None
        self.model: LatencyModel | None = None  # None: the uniform ranges (``latency``, ``link_latency``)

    # -- topology --------------------------------------------------------------------

    def register(self, name: str, handler: Handler, client: bool = False) -> None:
        self.endpoints[name] = handler
        if client:
            self.clients.add(name)

    def reachable(self, src: str, dst: str) -> bool:
        """Ground truth (not a node's opinion): can a message from src reach dst now?"""
        if dst in self.down or src in self.down:
            return False
        if src in self.clients or dst in self.clients:
            return True
        if (src, dst) in self.blocked:
            return False
        groups = self.groups
        return not groups or groups.get(src, -1) == groups.get(dst, -1)

    def partition(self, groups: list[list[str]]) -> None:
        """Split nodes into groups; nodes not named form one more group together."""
        self.groups = {node: i for i, group in enumerate(groups) for node in group}

    def heal(self) -> None:
        self.groups = {}
        self.blocked = set()

    # -- the wire ----------------------------------------------------------------------

    @property
    def sent_count(self) -> int:
        """Messages sent so far, delivered or not (every one takes the next id)."""
        return self._next_id

    def _kind(self, msg: Any) -> str:
        cls = type(msg)
        name = self._kinds.get(cls)
        if name is None:
            name = self._kinds[cls] = cls.__name__
        return name

    def send(self, src: str, dst: str, msg: Any) -> None:
        sched = self.scheduler
        now = sched.now
        self._next_id = mid = self._next_id + 1
        if src in self.down or dst not in self.endpoints or (
                (self.groups or self.blocked or self.loss) and src not in self.clients and dst not in self.clients):
            reason = self._refused(src, dst)  # a healthy network never comes here
            if reason is not None:
                self._drop(mid, src, dst, msg, reason, now)
                return
        if self.model is None:
            link = self.link_latency
            lo, hi = link.get((src, dst), self.latency) if link else self.latency
            arrives = now + (lo if lo >= hi else lo + int(self.rng.random() * (hi - lo + 1)))
        else:
            arrives = now + self.model(src, dst, msg, self.rng)
        if self.holds and self._held_by(src, dst):
            self.held[mid] = (src, dst, msg, now, arrives)
        else:
            # Scheduler.at without its frame (the scheduler's fast path, its docstring)
            entry = [arrives, next(sched.sequence), self._deliver_bound, (mid, src, dst, msg, now)]
            self.in_flight[mid] = entry
            if arrives > now:
                heappush(sched.heap, entry)
            else:
                sched.due.append(entry)  # due this instant (no latency): the FIFO, no heap walk
        if self.bus.active:
            self.bus.emit(MessageSent(now, mid, src, dst, type(msg).__name__, getattr(msg, "key", None), arrives))

    def _refused(self, src: str, dst: str) -> str | None:
        """Why a message from ``src`` to ``dst`` is lost as it is sent, or None. Faults act
        between nodes only: clients reach the cluster through a load balancer. Loss draws
        from the network's rng only when nothing else stops the message."""
        if src in self.down:
            return "sender down"
        if dst not in self.endpoints:
            return "no such node"
        if src in self.clients or dst in self.clients:
            return None
        groups = self.groups
        if groups and groups.get(src, -1) != groups.get(dst, -1):
            return "partition"
        if (src, dst) in self.blocked:
            return "link blocked"
        if self.loss and self.rng.random() < self.loss:
            return "lost"
        return None

    def _deliver(self, mid: int, src: str, dst: str, msg: Any, sent: int) -> None:
        """Message ``mid`` (sent by ``src`` at ``sent``) reaches ``dst`` now, unless the
        receiver is down or cut off."""
        del self.in_flight[mid]
        now = self.scheduler.now
        if dst in self.down:
            self._drop(mid, src, dst, msg, "receiver down", sent)
            return
        groups = self.groups
        if groups and src not in self.clients and dst not in self.clients \
                and groups.get(src, -1) != groups.get(dst, -1):
            self._drop(mid, src, dst, msg, "partition", sent)
            return
        cls = type(msg)
        line = self._lines.get((src, dst, cls))
        if line is None:
            if len(self._lines) >= 65536:  # endpoints come and go (clients, joins): stay bounded
                self._lines.clear()
            line = self._lines[src, dst, cls] = _Line(repr((src, dst, cls.__name__))[1:])
        if line.at != now:
            line.at = now
            line.text = f"({now}, {line.tail}"  # exactly repr((now, src, dst, type(msg).__name__))
        self._trace_lines.append(line.text)
        if self.bus.active:
            self.bus.emit(MessageDelivered(now, mid, src, dst, cls.__name__, sent))
        if self.tap is not None:
            self.tap(src, dst, msg)
        self.endpoints[dst](src, msg)

    def _drop(self, mid: int, src: str, dst: str, msg: Any, reason: str, sent: int) -> None:
        now = self.scheduler.now
        self.dropped_count += 1
        self.last_drop = reason
        self.trace.add((now, src, dst, type(msg).__name__, reason))
        if self.bus.active:
            self.bus.emit(MessageDropped(now, mid, src, dst, type(msg).__name__, reason, sent))

    def flights(self) -> list[InFlight]:
        """Messages on the wire now, oldest first."""
        return [
            InFlight(mid, src, dst, type(msg).__name__, getattr(msg, "key", None), sent, entry[0])
            for entry in self.in_flight.values()
            for mid, src, dst, msg, sent in (entry[3],)
        ]

    # -- the learner as the network (issue 16) -------------------------------------------

    def _held_by(self, src: str, dst: str) -> bool:
        return any(h.covers(src, dst) for h in self.holds)

    def hold(self, hold: Hold) -> int:
        """Start ``hold`` (a no-op if it is on already); the messages on the wire it covers
        stop where they are. Returns how many were stopped."""
        if hold not in self.holds:
            self.holds = (*self.holds, hold)
        caught = [mid for mid, entry in self.in_flight.items() if hold.covers(entry[3][1], entry[3][2])]
        for mid in caught:
            self.held[mid] = self._take(mid)
        self.held = dict(sorted(self.held.items()))
        self.trace.add(("hold", self.scheduler.now, hold.src, hold.dst, len(caught)))
        return len(caught)

    def release(self, hold: Hold | None = None) -> int:
        """End ``hold`` (every hold when None); each held message no hold covers any more
        is delivered now, in the order it was sent. Returns how many go."""
        self.holds = () if hold is None else tuple(h for h in self.holds if h != hold)
        freed = [mid for mid, (src, dst, *_) in self.held.items() if not self._held_by(src, dst)]
        for mid in freed:
            self._schedule(mid, self.held.pop(mid), self.scheduler.now)
        self.trace.add(("release", self.scheduler.now, hold and hold.src, hold and hold.dst, len(freed)))
        return len(freed)

    def _schedule(self, mid: int, message: tuple[str, str, Any, int, int], when: int) -> None:
        src, dst, msg, sent, _ = message
        self.in_flight[mid] = self.scheduler.at(when, self._deliver, mid, src, dst, msg, sent)

    def _take(self, mid: int) -> tuple[str, str, Any, int, int]:
        """Take message ``mid`` off the wire or out of the held queue."""
        if mid in self.held:
            return self.held.pop(mid)
        flight = self.in_flight.pop(mid, None)
        if flight is None:
            raise NoSuchMessage(mid)
        _, src, dst, msg, sent = flight[3]  # before cancel clears it
        self.scheduler.cancel(flight)
        return src, dst, msg, sent, flight[0]

    def find(self, mid: int) -> tuple[str, str, Any, int, int, bool] | None:
        """(src, dst, message, sent, due, held) of a pending message, or None."""
        if mid in self.held:
            return (*self.held[mid], True)
        flight = self.in_flight.get(mid)
        return None if flight is None else (*flight[3][1:], flight[0], False)

    def deliver_now(self, mid: int) -> str | None:
        """Hand message ``mid`` to its receiver now; returns why it was lost instead (the
        receiver is down or cut off by a partition), or None."""
        src, dst, msg, sent, due = self._take(mid)
        self.trace.add(("choose", self.scheduler.now, "deliver", mid))
        dropped = self.dropped_count
        self.in_flight[mid] = [due, 0, None, ()]  # as if due now: the one delivery path (it removes this)
        self._deliver(mid, src, dst, msg, sent)
        return self.last_drop if self.dropped_count > dropped else None

    def drop_now(self, mid: int) -> None:
        src, dst, msg, sent, _ = self._take(mid)
        self._drop(mid, src, dst, msg, "dropped by hand", sent)

    def duplicate(self, mid: int) -> int:
        """Put a copy of message ``mid`` beside it (held if it is held, else due when it
        is); the copy takes the next id, which is returned."""
        found = self.find(mid)
        if found is None:
            raise NoSuchMessage(mid)
        src, dst, msg, sent, due, held = found
        self._next_id = copy = self._next_id + 1
        now = self.scheduler.now
        self.trace.add(("choose", now, "duplicate", mid, copy))
        if held:
            self.held[copy] = (src, dst, msg, now, due)
        else:
            self._schedule(copy, (src, dst, msg, now, due), due)
        if self.bus.active:
            self.bus.emit(MessageSent(now, copy, src, dst, type(msg).__name__, getattr(msg, "key", None), due))
        return copy

    def delay(self, mid: int, micros: int) -> int:
        """Let message ``mid`` go ``micros`` from now, held or not (a hold it is under
        does not stop it again). Returns when it is due."""
        message = self._take(mid)
        now = self.scheduler.now
        self.trace.add(("choose", now, "delay", mid, micros))
        self._schedule(mid, message, now + micros)
        return now + micros

    def pending(self) -> list[tuple[int, str, str, Any, int, int, bool]]:
        """Every message not yet delivered, by id: (id, src, dst, message, sent, due, held)."""
        out = [(mid, src, dst, msg, sent, due, True) for mid, (src, dst, msg, sent, due) in self.held.items()]
        out += [(mid, src, dst, msg, sent, entry[0], False)
                for entry in self.in_flight.values() for mid, src, dst, msg, sent in (entry[3],)]
        out.sort(key=lambda m: m[0])
        return out
