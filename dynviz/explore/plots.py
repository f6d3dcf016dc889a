"""An exploration's summary as figures (``dynviz explore --plot DIR``): how the state
space grew with depth, and how short each violation's shortest path is.

The growth curve is what the reductions and the bounds act on: a level that stops
adding states is a space the search covered; a curve still rising at the depth bound
is why "no violation" holds only within that bound.
"""

from __future__ import annotations

from dynviz.explore.search import Report
from dynviz.metrics.figure import Figure, Series


def growth(report: Report) -> Figure:
    counts = report.stats.per_depth
    xs = tuple(float(d) for d in range(len(counts)))
    total = tuple(float(sum(counts[: d + 1])) for d in range(len(counts)))
    return Figure("explore-states", f"new states at each depth ({report.stats.states:,} in all; "
                                    f"{report.spec.bounds.describe()})",
                  "depth (choices made)", "states",
                  (Series("new at this depth", xs, tuple(float(c) for c in counts)),
                   Series("explored so far", xs, total)), y_min=0.0,
                  legend="top-left", note="a curve still rising at the depth bound is space left unexplored")


def findings(report: Report) -> Figure:
    shown = report.violations
    xs = tuple(float(i) for i in range(1, len(shown) + 1))
    return Figure("explore-violations", f"shortest path to each violation ({len(shown)} found)", "property",
                  "choices on the path",
                  (Series("choices", xs, tuple(float(len(f.path)) for f in shown), kind="bar"),),
                  categories=tuple(f.property for f in shown), note="each path is a session file dynviz replay opens")


def report_figures(report: Report) -> list[Figure]:
    return [growth(report)] + ([findings(report)] if report.violations else [])
