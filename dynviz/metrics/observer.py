"""The metrics observer: bounded time series on virtual time, from the cluster's events.

A :class:`Metrics` is an event-bus subscriber (DESIGN §8, "metrics are observers too").
It reads what clients saw (:class:`~dynviz.events.ClientAnswered`: latency, outcome,
versions, values) and what anti-entropy moved (:class:`~dynviz.events.AntiEntropyExchange`),
and, when the app calls :meth:`Metrics.sample` each frame, the gauges only a snapshot
shows (hints held, keys per node). Everything lands in buckets of virtual time (a
quarter second by default), of which the last ``keep`` are kept: the app plots them and
``dynviz paper`` reads the same figures over a whole experiment.

Staleness is measured the way PBS defines t-visibility: for each read, the latest write
to its key acknowledged before the read began, and ``t``, how long before; the read is
*fresh* if it returned that write's value or a value written after it (a value never
seen acknowledged counts as newer: it is a write still in flight). Reads of keys with no
acknowledged write are not counted.

Nothing here touches the cluster: a metrics object can be thrown away at any moment,
and a cluster nobody measures pays nothing (its bus stays inactive).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from dynviz.core.units import MS, SECOND
from dynviz.events import AntiEntropyExchange, ClientAnswered, Event
from dynviz.metrics.series import PERCENTILES, STALENESS_EDGES, edge_index, mean, percentile

OPS: tuple[str, ...] = ("get", "put", "delete")

RAW_LIMIT = 500_000
"""All-time latencies kept per operation (the overall percentiles); past this, only the
buckets' own. ``dynviz paper``'s experiments stay under it."""

WRITES_REMEMBERED = 64
"""Values remembered per key (to tell an old value from a new one in a read)."""


class Gauges(Protocol):
    """What :meth:`Metrics.sample` reads: the cluster view's clock and node summaries."""

    @property
    def now(self) -> int: ...

    def node_views(self) -> Iterable[Any]:
        """Objects with ``name``, ``keys`` and ``hints`` (:class:`dynviz.cluster.NodeView`)."""
        ...


@dataclass(slots=True)
class Bucket:
    """What happened in one slice of virtual time ``[start, start + width)``."""

    start: int
    latencies: dict[str, list[int]] = field(default_factory=dict)
    answered: int = 0
    ok: int = 0
    versions: list[int] = field(default_factory=list)
    ae_keys: int = 0
    ae_bytes: int = 0
    hints: int | None = None  # the last sample taken in this bucket


@dataclass(frozen=True, slots=True)
class StalenessRow:
    """Reads that started ``edge`` µs or more (up to the next edge) after the latest
    acknowledged write of their key, and how many of them returned it (or newer)."""

    edge: int
    reads: int
    fresh: int

    @property
    def share(self) -> float | None:
        return self.fresh / self.reads if self.reads else None


@dataclass(frozen=True)
class MetricsSnapshot:
    """The metrics at one instant, for drawing and exporting (no reference back)."""

    now: int
    bucket: int
    window: int
    times: tuple[float, ...]  # each bucket's end, virtual seconds
    latency: dict[str, dict[str, tuple[float | None, ...]]]  # op -> p50/p99/p99.9 -> ms, over the window
    throughput: tuple[float, ...]  # answers per virtual second
    success: tuple[float | None, ...]  # share answered ok
    versions_mean: tuple[float | None, ...]  # versions per ok read
    hints: tuple[int | None, ...]
    ae_keys: tuple[int, ...]
    ae_bytes: tuple[int, ...]
    coordinated: tuple[tuple[str, int], ...]  # node -> requests it coordinated, all time
    keys_held: tuple[tuple[str, int], ...]  # node -> keys stored, at the last sample
    versions_seen: tuple[tuple[int, int], ...]  # versions a read saw -> reads, all time
    staleness: tuple[StalenessRow, ...]
    totals: dict[str, dict[str, float]]  # op -> count, ok, mean_ms and each percentile in ms, all time

    def latest(self, op: str, name: str) -> float | None:
        """The last plotted value of a latency line (None if it has none yet)."""
        line = self.latency.get(op, {}).get(name, ())
        return next((v for v in reversed(line) if v is not None), None)

    def to_json(self) -> dict[str, Any]:
        """Every series, plainly (the Metrics screen's export)."""
        return {
            "now_us": self.now, "bucket_us": self.bucket, "window_us": self.window,
            "times_s": list(self.times),
            "latency_ms": {op: {name: list(line) for name, line in lines.items()} for op, lines in self.latency.items()},
            "throughput_per_s": list(self.throughput), "success": list(self.success),
            "versions_per_read": list(self.versions_mean), "hints": list(self.hints),
            "antientropy_keys": list(self.ae_keys), "antientropy_bytes": list(self.ae_bytes),
            "coordinated": dict(self.coordinated), "keys_held": dict(self.keys_held),
            "versions_seen": {str(k): n for k, n in self.versions_seen},
            "staleness": [{"after_us": r.edge, "reads": r.reads, "fresh": r.fresh} for r in self.staleness],
            "totals": self.totals,
        }


class Metrics:
    """Bounded series of what a cluster's clients saw (see the module docstring).

    ``bucket`` is the width of one point in µs of virtual time, ``keep`` how many points
    are kept, ``window`` how far back each latency percentile looks (a percentile of a
    quarter second's few requests would say little).
    """

    def __init__(self, bucket: int = 250 * MS, keep: int = 480, window: int = 4 * SECOND) -> None:
        if bucket <= 0 or keep <= 0 or window < bucket:
            raise ValueError("metrics: bucket and keep must be positive, window at least a bucket")
        self.bucket = bucket
        self.keep = keep
        self.window = window
        self.reset()

    def reset(self) -> None:
        """Forget everything (the app's cluster was replaced, or the user asked)."""
        self.buckets: deque[Bucket] = deque(maxlen=self.keep)
        self.raw: dict[str, list[int]] = {op: [] for op in OPS}
        self.counts: Counter[str] = Counter()
        self.oks: Counter[str] = Counter()
        self.coordinated: Counter[str] = Counter()
        self.versions_seen: Counter[int] = Counter()
        self.keys_held: dict[str, int] = {}
        self.stale_reads = [0] * len(STALENESS_EDGES)
        self.fresh_reads = [0] * len(STALENESS_EDGES)
        self._acks: dict[bytes, deque[tuple[int, int]]] = {}  # key -> (req, acknowledged at), oldest first
        self._written: dict[bytes, dict[bytes, int]] = {}  # key -> value -> req of a write of it
        self.last = 0

    def watch(self, bus: Any) -> Any:
        """Subscribe to ``bus`` (an :class:`~dynviz.events.EventBus`); returns the
        unsubscribe function."""
        return bus.subscribe(self)

    # -- input ---------------------------------------------------------------------

    def __call__(self, event: Event) -> None:
        if isinstance(event, ClientAnswered):
            self._answered(event)
        elif isinstance(event, AntiEntropyExchange):
            b = self._at(event.time)
            b.ae_keys += len(set(event.keys_sent_by_a) | set(event.keys_sent_by_b))
            b.ae_bytes += event.bytes_moved

    def _at(self, time: int) -> Bucket:
        """The bucket of ``time``, opening it (and empty ones before it) as needed.
        Time going back means a new cluster (or a seek): start again."""
        if time < self.last:
            self.reset()
        self.last = time
        start = time - time % self.bucket
        buckets = self.buckets
        if not buckets:
            buckets.append(Bucket(start))
        elif buckets[-1].start < start:
            first = max(buckets[-1].start + self.bucket, start - (self.keep - 1) * self.bucket)
            for at in range(first, start + 1, self.bucket):
                buckets.append(Bucket(at))
        return buckets[-1]

    def _answered(self, event: ClientAnswered) -> None:
        b = self._at(event.time)
        op = event.op
        latency = event.time - event.started
        b.answered += 1
        self.counts[op] += 1
        b.latencies.setdefault(op, []).append(latency)
        raw = self.raw.setdefault(op, [])
        if len(raw) < RAW_LIMIT:
            raw.append(latency)
        if event.coordinator:
            self.coordinated[event.coordinator] += 1
        if not event.ok:
            return
        b.ok += 1
        self.oks[op] += 1
        if op == "get":
            b.versions.append(event.versions)
            self.versions_seen[event.versions] += 1
            self._read(event)
        elif op == "put" and event.values:
            self._written_by(event.key, event.values[0], event.req)
            acks = self._acks.setdefault(event.key, deque(maxlen=16))
            acks.append((event.req, event.time))

    def _written_by(self, key: bytes, value: bytes, req: int) -> None:
        written = self._written.setdefault(key, {})
        written[value] = max(req, written.get(value, req))
        if len(written) > WRITES_REMEMBERED:
            del written[min(written, key=written.__getitem__)]

    def _read(self, event: ClientAnswered) -> None:
        acks = self._acks.get(event.key)
        if not acks:
            return
        latest = None
        for req, at in acks:  # oldest first: the last one acknowledged before the read began
            if at <= event.started and (latest is None or req > latest[0]):
                latest = (req, at)
        if latest is None:
            return
        written = self._written.get(event.key, {})
        fresh = any(written.get(value, latest[0]) >= latest[0] for value in event.values)
        i = edge_index(event.started - latest[1])
        self.stale_reads[i] += 1
        if fresh:
            self.fresh_reads[i] += 1

    def sample(self, view: Gauges) -> None:
        """Read the gauges (hints held over all nodes, keys per node), once per bucket:
        the app calls this every frame."""
        now = view.now
        if self.buckets and now >= self.last and self.buckets[-1].hints is not None \
                and now - now % self.bucket == self.buckets[-1].start:
            return
        b = self._at(now)
        nodes = list(view.node_views())
        b.hints = sum(v.hints for v in nodes)
        self.keys_held = {v.name: v.keys for v in nodes}

    # -- output --------------------------------------------------------------------

    def overall(self, op: str) -> dict[str, float]:
        """All-time figures for ``op``: count, ok, mean and percentiles in ms."""
        raw = sorted(self.raw.get(op, ()))
        out: dict[str, float] = {"count": self.counts[op], "ok": self.oks[op]}
        if raw:
            out["mean_ms"] = sum(raw) / len(raw) / MS
            for name, q in PERCENTILES:
                value = percentile(raw, q)
                assert value is not None
                out[f"{name}_ms"] = value / MS
        return out

    def staleness(self) -> tuple[StalenessRow, ...]:
        return tuple(StalenessRow(edge, n, f)
                     for edge, n, f in zip(STALENESS_EDGES, self.stale_reads, self.fresh_reads, strict=True))

    def snapshot(self, now: int | None = None) -> MetricsSnapshot:
        """The series as they stand (``now`` opens buckets up to it, so a quiet
        cluster's plot still moves on)."""
        if now is not None and now >= self.last:
            self._at(now)
        buckets = list(self.buckets)
        per_window = max(1, self.window // self.bucket)
        latency: dict[str, dict[str, tuple[float | None, ...]]] = {}
        for op in OPS:
            if not self.counts[op]:
                continue
            lines: dict[str, list[float | None]] = {name: [] for name, _ in PERCENTILES}
            for i in range(len(buckets)):
                window = sorted(x for b in buckets[max(0, i - per_window + 1): i + 1] for x in b.latencies.get(op, ()))
                for name, q in PERCENTILES:
                    value = percentile(window, q)
                    lines[name].append(None if value is None else value / MS)
            latency[op] = {name: tuple(line) for name, line in lines.items()}
        seconds = self.bucket / SECOND
        return MetricsSnapshot(
            now=self.last, bucket=self.bucket, window=self.window,
            times=tuple((b.start + self.bucket) / SECOND for b in buckets),
            latency=latency,
            throughput=tuple(b.answered / seconds for b in buckets),
            success=tuple(b.ok / b.answered if b.answered else None for b in buckets),
            versions_mean=tuple(mean(b.versions) for b in buckets),
            hints=_carried(b.hints for b in buckets),
            ae_keys=tuple(b.ae_keys for b in buckets),
            ae_bytes=tuple(b.ae_bytes for b in buckets),
            coordinated=tuple(sorted(self.coordinated.items())),
            keys_held=tuple(sorted(self.keys_held.items())),
            versions_seen=tuple(sorted(self.versions_seen.items())),
            staleness=self.staleness(),
            totals={op: self.overall(op) for op in OPS if self.counts[op]},
        )


def _carried(samples: Iterable[int | None]) -> tuple[int | None, ...]:
    """A gauge's points with buckets nobody sampled given the previous value (a gauge
    holds until read again)."""
    out: list[int | None] = []
    for value in samples:
        out.append(value if value is not None else (out[-1] if out else None))
    return tuple(out)


def versions_shares(seen: Mapping[int, int]) -> dict[int, float]:
    """Versions a read saw -> share of reads (the paper's section 6.3 figures)."""
    total = sum(seen.values())
    return {k: n / total for k, n in sorted(seen.items())} if total else {}
