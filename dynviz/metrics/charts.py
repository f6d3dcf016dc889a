"""The metrics as figures: what the Metrics screen shows and its export writes.

Pure functions from a :class:`~dynviz.metrics.observer.MetricsSnapshot` to
:class:`~dynviz.metrics.figure.Figure` values; nothing here draws.
"""

from __future__ import annotations

from dynviz.metrics.figure import Figure, Series, points
from dynviz.metrics.observer import MetricsSnapshot
from dynviz.metrics.series import PERCENTILES, edge_label


def latency(snap: MetricsSnapshot, op: str) -> Figure:
    """p50, p99 and p99.9 of ``op``'s latency over the sliding window, on virtual time."""
    lines = snap.latency.get(op, {})
    series = tuple(Series(name, *points(snap.times, lines.get(name, (None,) * len(snap.times))))
                   for name, _ in PERCENTILES)
    return Figure(f"latency-{op}", f"{op} latency (each point: the last {snap.window / 1e6:g}s)",
                  "virtual time (s)", "ms", series, y_min=0.0,
                  note="as the client saw it, every hop included; p99.9 is the paper's SLA percentile")


def throughput(snap: MetricsSnapshot) -> Figure:
    xs, ok = points(snap.times, tuple(None if s is None else 100 * s for s in snap.success))
    return Figure("throughput", "requests answered per virtual second, and the share answered ok",
                  "virtual time (s)", "per s / %",
                  (Series("answered/s", snap.times, snap.throughput), Series("ok %", xs, ok)), y_min=0.0)


def hints(snap: MetricsSnapshot) -> Figure:
    xs, ys = points(snap.times, tuple(None if h is None else float(h) for h in snap.hints))
    return Figure("hints", "hints held, over all nodes", "virtual time (s)", "hints",
                  (Series("hints held", xs, ys),), y_min=0.0,
                  note="a substitute holds a hint for a replica that is down; handoff drains them on recovery")


def antientropy(snap: MetricsSnapshot) -> Figure:
    return Figure("antientropy", "anti-entropy: keys exchanged and kilobytes moved per point",
                  "virtual time (s)", "keys / kB",
                  (Series("keys", snap.times, tuple(float(k) for k in snap.ae_keys)),
                   Series("kB", snap.times, tuple(b / 1000 for b in snap.ae_bytes))), y_min=0.0)


def load(snap: MetricsSnapshot) -> Figure:
    nodes = sorted({n for n, _ in snap.coordinated} | {n for n, _ in snap.keys_held},
                   key=lambda n: (len(n), n))
    coordinated, held = dict(snap.coordinated), dict(snap.keys_held)
    xs = tuple(float(i) for i in range(1, len(nodes) + 1))
    return Figure("load", "per node: requests coordinated (all time) and keys held (now)", "node", "count",
                  (Series("coordinated", xs, tuple(float(coordinated.get(n, 0)) for n in nodes), kind="bar"),
                   Series("keys held", xs, tuple(float(held.get(n, 0)) for n in nodes), kind="bar")),
                  categories=tuple(nodes))


def staleness(snap: MetricsSnapshot) -> Figure:
    """PBS t-visibility, measured: per bucket of time since the latest acknowledged
    write, the share of reads that returned it (or newer)."""
    rows = [r for r in snap.staleness if r.reads]
    xs = tuple(float(i) for i in range(1, len(rows) + 1))
    shares = tuple(100 * r.fresh / r.reads for r in rows)
    reads = sum(r.reads for r in rows)
    return Figure("staleness", "reads that saw the latest acknowledged write, by time since it was acknowledged",
                  "time since the write was acknowledged (at least)", "% fresh",
                  (Series("% fresh", xs, shares, kind="bar"),), categories=tuple(edge_label(r.edge) for r in rows),
                  y_min=0.0, y_max=100.0, note=f"{reads} reads of keys with an acknowledged write")


def versions(snap: MetricsSnapshot) -> Figure:
    total = sum(n for _, n in snap.versions_seen)
    cats = tuple(str(k) for k, _ in snap.versions_seen)
    xs = tuple(float(i) for i in range(1, len(cats) + 1))
    return Figure("versions", "versions a read saw (the paper's section 6.3 measure)", "versions", "% of reads",
                  (Series("% of reads", xs, tuple(100 * n / total for _, n in snap.versions_seen), kind="bar"),),
                  categories=cats, y_min=0.0,
                  note=f"{total} successful reads; 2+ means siblings (concurrent writes, or a replica behind)")


def all_figures(snap: MetricsSnapshot) -> list[Figure]:
    """Every figure of the Metrics screen (the latency of each operation seen)."""
    return ([latency(snap, op) for op in snap.latency] + [throughput(snap), hints(snap), antientropy(snap),
                                                         load(snap), staleness(snap), versions(snap)])
