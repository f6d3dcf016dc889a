"""Percentiles and buckets of virtual time: the arithmetic the metrics share.

Percentiles are nearest-rank (the smallest value with at least ``q`` of the sample at
or below it), so p99.9 of a thousand latencies is the largest but one, and of ten it is
the largest: a figure that comes from a request that happened, never an interpolation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

PERCENTILES: tuple[tuple[str, float], ...] = (("p50", 0.50), ("p99", 0.99), ("p99.9", 0.999))
"""The lines of the latency plot: the median, and the paper's SLA percentile with its
neighbour (Dynamo section 2.2 states its SLAs at the 99.9th percentile)."""


def percentile(ordered: Sequence[int], q: float) -> int | None:
    """Nearest-rank percentile of an ascending sequence; None when it is empty."""
    if not ordered:
        return None
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


STALENESS_EDGES: tuple[int, ...] = (
    0, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000, 2_000_000, 5_000_000,
)
"""Lower edges (µs since the write was acknowledged) of the staleness buckets: a read
started ``t`` after the latest acknowledged write falls in the last edge <= t."""


def edge_index(t: int, edges: Sequence[int] = STALENESS_EDGES) -> int:
    """The bucket of ``t``: the last edge at or below it (the first for negative t)."""
    lo, hi = 0, len(edges)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if edges[mid] <= t:
            lo = mid
        else:
            hi = mid
    return lo


def edge_label(edge: int) -> str:
    """``0``, ``1ms``, ``1.5s``: an edge as an axis label."""
    if edge == 0:
        return "0"
    if edge < 1_000_000:
        return f"{edge / 1000:g}ms"
    return f"{edge / 1_000_000:g}s"


LATENCY_EDGES: tuple[int, ...] = (
    0, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000, 2_000_000, 5_000_000,
)
"""Lower edges (µs) of the latency histogram's bins (the last is open above)."""


def histogram(values: Sequence[int], edges: Sequence[int] = LATENCY_EDGES) -> tuple[int, ...]:
    """How many of ``values`` fall in each bin (a value below the first edge counts in it)."""
    counts = [0] * len(edges)
    for value in values:
        counts[edge_index(value, edges)] += 1
    return tuple(counts)
