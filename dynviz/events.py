"""Typed events: what every layer reports, for the TUI, the recorder and the tests.

Events are frozen dataclasses stamped with virtual time. Emission sites check
``bus.active`` first, so a run nobody watches builds no event objects (the check
campaigns run millions of steps). The *trace* is separate and always on: a compact
record of every client request as it was made (value and options included), every
message delivery and drop, every fault with its exact settings and every request's
result, folded into a sha256 digest so that a replay can prove it went the same way
(DESIGN §2), and a session with one hand-edited value cannot.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from dynviz.core.hashing import show_key
from dynviz.wording import noun, plural


@dataclass(frozen=True, slots=True)
class Event:
    time: int
    kind: ClassVar[str] = "event"

    def describe(self) -> str:
        return self.kind


# -- network -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MessageSent(Event):
    kind: ClassVar[str] = "send"
    id: int = 0
    src: str = ""
    dst: str = ""
    message: str = ""
    key: bytes | None = None
    arrives: int = 0

    def describe(self) -> str:
        return f"{self.src} -> {self.dst} {self.message}" + (f" {_k(self.key)}" if self.key is not None else "")


@dataclass(frozen=True, slots=True)
class MessageDelivered(Event):
    kind: ClassVar[str] = "deliver"
    id: int = 0
    src: str = ""
    dst: str = ""
    message: str = ""
    sent: int = 0

    def describe(self) -> str:
        return f"{self.src} -> {self.dst} {self.message} delivered"


@dataclass(frozen=True, slots=True)
class MessageDropped(Event):
    kind: ClassVar[str] = "drop"
    id: int = 0
    src: str = ""
    dst: str = ""
    message: str = ""
    reason: str = ""
    sent: int = 0

    def describe(self) -> str:
        return f"{self.src} -> {self.dst} {self.message} dropped ({self.reason})"


# -- faults ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NodeDown(Event):
    kind: ClassVar[str] = "fault"
    node: str = ""
    wiped: bool = False

    def describe(self) -> str:
        return f"{self.node} {'wiped (disk lost)' if self.wiped else 'crashed'}"


@dataclass(frozen=True, slots=True)
class NodeUp(Event):
    kind: ClassVar[str] = "fault"
    node: str = ""

    def describe(self) -> str:
        return f"{self.node} recovered"


@dataclass(frozen=True, slots=True)
class NetworkChanged(Event):
    """Partition, heal, loss, latency or skew changed."""

    kind: ClassVar[str] = "fault"
    what: str = ""

    def describe(self) -> str:
        return self.what


# -- requests ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequestStarted(Event):
    kind: ClassVar[str] = "request"
    req: int = 0
    op: str = ""
    key: bytes = b""
    client: str = ""
    node: str = ""

    def describe(self) -> str:
        return f"{self.client} {self.op} {_k(self.key)} via {self.node}"


@dataclass(frozen=True, slots=True)
class RequestForwarded(Event):
    """The load-balancer path: the entry node is not a replica and forwards (one hop)."""

    kind: ClassVar[str] = "request"
    req: int = 0
    key: bytes = b""
    entry: str = ""
    coordinator: str = ""

    def describe(self) -> str:
        return f"{self.entry} forwards {_k(self.key)} to {self.coordinator} (extra hop)"


@dataclass(frozen=True, slots=True)
class CoordinatorState(Event):
    """A get or put state machine changed state (waiting_w, waiting_r, read_repair, done, failed)."""

    kind: ClassVar[str] = "request"
    req: int = 0
    op: str = ""
    key: bytes = b""
    node: str = ""
    state: str = ""
    detail: str = ""

    def describe(self) -> str:
        return f"{self.node} {self.op} {_k(self.key)}: {self.state}" + (f" ({self.detail})" if self.detail else "")


@dataclass(frozen=True, slots=True)
class RequestDone(Event):
    kind: ClassVar[str] = "request"
    req: int = 0
    op: str = ""
    key: bytes = b""
    ok: bool = True
    coordinator: str = ""
    detail: str = ""

    def describe(self) -> str:
        return f"{self.op} {_k(self.key)} {'ok' if self.ok else 'FAILED'} at {self.coordinator}" + (
            f": {self.detail}" if self.detail else "")


@dataclass(frozen=True, slots=True)
class ClientAnswered(Event):
    """A client got its answer (emitted by the cluster where the client lives, when
    someone listens): what the client saw, as the metrics measure it. ``started`` and
    ``time`` are the client's own instants, so the latency includes every hop;
    ``values`` are the values a get returned (deletes left out) or the one a put wrote,
    ``versions`` how many versions a get saw (tombstones counted). The log leaves these
    out: :class:`RequestDone` already says how each request ended."""

    kind: ClassVar[str] = "answer"
    req: int = 0
    op: str = ""
    key: bytes = b""
    client: str = ""
    ok: bool = True
    coordinator: str = ""
    started: int = 0
    values: tuple[bytes, ...] = ()
    versions: int = 0
    error: str = ""

    @property
    def latency(self) -> int:
        return self.time - self.started

    def describe(self) -> str:
        outcome = "ok" if self.ok else f"failed: {self.error}"
        return f"{self.client} {self.op} {_k(self.key)} answered in {self.latency / 1e3:.1f}ms, {outcome}"


# -- storage and repair ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VersionStored(Event):
    kind: ClassVar[str] = "store"
    node: str = ""
    key: bytes = b""
    siblings: int = 0
    cause: str = ""  # put | replica | repair | hint | antientropy | transfer
    dots: tuple[tuple[str, int], ...] = ()

    def describe(self) -> str:
        return f"{self.node} stores {_k(self.key)} ({plural(self.siblings, 'sibling')}, {self.cause})"


@dataclass(frozen=True, slots=True)
class VersionCreated(Event):
    """A coordinator made a new version for a put or delete: the version history panel
    draws these, with edges to what ``past`` (the client's context) supersedes."""

    kind: ClassVar[str] = "store"
    node: str = ""
    key: bytes = b""
    req: int = 0
    version: object = None  # dynviz.core.versions.Version (kept whole: value, dot, past, clock)

    def describe(self) -> str:
        v = self.version
        dot = getattr(v, "dot", ("?", 0))
        value = getattr(v, "value", None)
        shown = "(delete)" if value is None else _k(value)[:24]
        return f"{self.node} creates {_k(self.key)} = {shown} as {dot[0]}:{dot[1]}"


@dataclass(frozen=True, slots=True)
class HintStored(Event):
    kind: ClassVar[str] = "hint"
    holder: str = ""
    intended: str = ""
    key: bytes = b""

    def describe(self) -> str:
        return f"{self.holder} holds a hint of {_k(self.key)} for {self.intended}"


@dataclass(frozen=True, slots=True)
class HintDelivered(Event):
    kind: ClassVar[str] = "hint"
    holder: str = ""
    intended: str = ""
    key: bytes = b""

    def describe(self) -> str:
        return f"{self.holder} handed {_k(self.key)} back to {self.intended}"


@dataclass(frozen=True, slots=True)
class ReadRepair(Event):
    kind: ClassVar[str] = "repair"
    coordinator: str = ""
    key: bytes = b""
    targets: tuple[str, ...] = ()

    def describe(self) -> str:
        return f"{self.coordinator} read-repairs {_k(self.key)} on {', '.join(self.targets)}"


@dataclass(frozen=True, slots=True)
class Suspected(Event):
    kind: ClassVar[str] = "detector"
    node: str = ""
    peer: str = ""
    suspected: bool = True
    reason: str = ""

    def describe(self) -> str:
        verb = "suspects" if self.suspected else "trusts again"
        return f"{self.node} {verb} {self.peer}" + (f" ({self.reason})" if self.reason else "")


# -- membership, gossip and rebalancing (node/gossip.py, node/rebalance.py) ----------


@dataclass(frozen=True, slots=True)
class Learned(Event):
    """``node`` learned a membership rumour: ``subject``'s entry at (generation, version)
    (joined, leaving, left, restarted...). One per node per rumour: the infection curve."""

    kind: ClassVar[str] = "gossip"
    node: str = ""
    subject: str = ""
    generation: int = 0
    version: int = 0
    status: str = ""
    source: str = ""  # who told it ("" when it made the change itself)
    round: int = 0

    def describe(self) -> str:
        via = f" from {self.source}" if self.source else ""
        return f"{self.node} learns {self.subject} is {self.status} (v{self.generation}.{self.version}){via}"


@dataclass(frozen=True, slots=True)
class GossipRound(Event):
    kind: ClassVar[str] = "gossip"
    node: str = ""
    peer: str = ""
    round: int = 0

    def describe(self) -> str:
        return f"{self.node} gossips with {self.peer} (round {self.round})"


@dataclass(frozen=True, slots=True)
class RingChange(Event):
    """A join, leave or removal moved through one of its phases."""

    kind: ClassVar[str] = "rebalance"
    change: str = ""  # "join n9", "leave n2", "remove n3"
    phase: str = ""  # planned | transferring | committed | failed
    detail: str = ""

    def describe(self) -> str:
        return f"{self.change}: {self.phase}" + (f" ({self.detail})" if self.detail else "")


@dataclass(frozen=True, slots=True)
class TransferProgress(Event):
    kind: ClassVar[str] = "rebalance"
    change: str = ""
    source: str = ""
    target: str = ""
    keys: int = 0
    segments_done: int = 0
    segments: int = 0

    def describe(self) -> str:
        return (f"{self.change}: {self.source} -> {self.target} {plural(self.keys, 'key')} "
                f"({self.segments_done}/{self.segments} {noun(self.segments, 'range')})")


# -- anti-entropy (node/antientropy.py) -------------------------------------------

NodeHashes = tuple[tuple[tuple[int, int], str], ...]
"""``((level, index), first 8 hex digits of the hash)`` for drawing a tree."""


@dataclass(frozen=True, slots=True)
class AntiEntropyExchange(Event):
    """One completed range session (emitted by the initiator): enough to draw both
    trees side by side with the differing path highlighted, and the keys exchanged."""

    kind: ClassVar[str] = "antientropy"
    a: str = ""
    b: str = ""
    range_index: int = 0
    lo: int = 0
    hi: int = 0
    hashes_compared: int = 0
    path: tuple[tuple[int, int], ...] = ()
    leaves: tuple[int, ...] = ()
    keys_sent_by_a: tuple[bytes, ...] = ()
    keys_sent_by_b: tuple[bytes, ...] = ()
    bytes_moved: int = 0
    key_digests: int = 0
    tree_a: NodeHashes = ()
    tree_b: NodeHashes = ()

    def describe(self) -> str:
        head = f"anti-entropy {self.a} <-> {self.b} range {self.range_index}"
        if not self.path:
            return f"{head}: in sync (1 hash compared)"
        keys = sorted(set(self.keys_sent_by_a) | set(self.keys_sent_by_b))
        shown = ", ".join(_text_or_hex(k) for k in keys[:3]) + (", ..." if len(keys) > 3 else "")
        return (
            f"{head}: {plural(self.hashes_compared, 'hash', 'hashes')}, {leaves_differ(len(self.leaves))}, "
            f"{plural(len(keys), 'key')} exchanged" + (f" ({shown})" if keys else "")
            + f", {plural(self.bytes_moved, 'byte')}"
        )


@dataclass(frozen=True, slots=True)
class AntiEntropyAbandoned(Event):
    """A range session that did not finish (timeout, crash, refusal, ring change)."""

    kind: ClassVar[str] = "antientropy"
    a: str = ""
    b: str = ""
    range_index: int = 0
    status: str = ""
    reason: str = ""

    def describe(self) -> str:
        return f"anti-entropy {self.a} <-> {self.b} range {self.range_index} {self.status}: {self.reason}"


def leaves_differ(leaves: int) -> str:
    """"1 leaf differs", "3 leaves differ": the verb agrees with the count too (shared
    with the anti-entropy session report's own text)."""
    return f"{plural(leaves, 'leaf', 'leaves')} {'differs' if leaves == 1 else 'differ'}"


def _text_or_hex(key: bytes) -> str:
    try:
        return key.decode("utf-8")
    except UnicodeDecodeError:
        return key.hex()


# -- the DynamoDB wire endpoint (dynviz.wire) ---------------------------------------


@dataclass(frozen=True, slots=True)
class WireRequest(Event):
    """One HTTP request the DynamoDB endpoint answered (issue 19): who sent it (the
    client's User-Agent product, ``boto3``), the operation, its table, the item's
    cluster key when the request names one item (so the app can select it and draw its
    preference list), the HTTP status and a short detail (the key's words, or the
    error's code). Emitted after the reply is made: the quorum read or write it caused
    is already on the bus as the request's own events."""

    kind: ClassVar[str] = "wire"
    client: str = ""
    operation: str = ""
    table: str = ""
    key: bytes | None = None
    status: int = 0
    detail: str = ""

    def describe(self) -> str:
        words = " ".join(w for w in (self.client, self.operation, self.table, self.detail) if w)
        return f"{words} → {self.status}"


# -- narration ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Narration(Event):
    kind: ClassVar[str] = "say"
    text: str = ""

    def describe(self) -> str:
        return self.text


def _k(key: bytes | None) -> str:
    return "" if key is None else show_key(key)


# -- the registry ------------------------------------------------------------------

EVENT_TYPES: dict[str, type[Event]] = {cls.__name__: cls for cls in (
    MessageSent, MessageDelivered, MessageDropped,
    NodeDown, NodeUp, NetworkChanged,
    RequestStarted, RequestForwarded, CoordinatorState, RequestDone, ClientAnswered,
    VersionStored, VersionCreated, HintStored, HintDelivered, ReadRepair, Suspected,
    Learned, GossipRound, RingChange, TransferProgress,
    AntiEntropyExchange, AntiEntropyAbandoned,
    WireRequest, Narration,
)}
"""Every event type by class name: what a reader rebuilds events from (the TCP nodes'
event feed, ``dynviz/net/eventcodec.py``). An explicit list, so that finding a type
never depends on which modules happen to be imported; tests/test_events.py checks that
every ``Event`` subclass is defined here and listed once."""


# -- the bus and the trace -----------------------------------------------------------


class Trace:
    """An incremental digest over a canonical record of the run.

    Records are tuples of ints, floats, strs, bytes, bools and None (whose reprs are the
    same in every process: never a set, a dict built in hash order or an object's
    default repr). Each is kept as its ``repr`` (the digest hashes the reprs, one a
    line), buffered and folded into sha256 in chunks to keep the hot path to one list
    append. Rendering as records come lets the hottest caller (a delivery per message)
    write its line from cached parts, which costs about a third of a tuple's repr.
    """

    __slots__ = ("lines", "_hash", "count", "write")

    def __init__(self) -> None:
        self.lines: list[str] = []
        """Records rendered and not yet folded. The hottest callers append a record
        already rendered (exactly its ``repr``) with ``lines.append`` (a call CPython
        3.11 specializes, where ``write``, the same append kept as an attribute, is
        not), and call ``maybe_fold`` now and then."""
        self._hash = hashlib.sha256()
        self.count = 0
        self.write = self.lines.append
        """The bare append of a record already rendered, for callers that keep it."""

    def append(self, record: tuple[object, ...]) -> None:
        """Record ``record`` without folding (the caller calls ``maybe_fold`` soon)."""
        self.lines.append(repr(record))

    def add(self, record: tuple[object, ...]) -> None:
        buf = self.lines
        buf.append(repr(record))
        if len(buf) >= 4096:
            self._fold()

    def maybe_fold(self) -> None:
        if len(self.lines) >= 4096:
            self._fold()

    def _fold(self) -> None:
        if self.lines:
            self.count += len(self.lines)
            self._hash.update("\n".join(self.lines).encode())
            self._hash.update(b"\n")
            self.lines.clear()

    def digest(self) -> str:
        self._fold()
        return self._hash.hexdigest()


@dataclass(slots=True)
class EventBus:
    """Fan-out of events to subscribers; ``active`` is false when nobody listens."""

    subscribers: list[Callable[[Event], None]] = field(default_factory=list)
    active: bool = False

    def subscribe(self, fn: Callable[[Event], None]) -> Callable[[], None]:
        self.subscribers.append(fn)
        self.active = True

        def unsubscribe() -> None:
            if fn in self.subscribers:
                self.subscribers.remove(fn)
            self.active = bool(self.subscribers)

        return unsubscribe

    def emit(self, event: Event) -> None:
        for fn in self.subscribers:
            fn(event)
