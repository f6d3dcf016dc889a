"""A plot as data: what the Metrics screen draws and what ``--plot DIR`` writes.

A :class:`Figure` names its axes and holds its series as plain numbers, so whoever
measured them (the metrics observer, ``dynviz paper``, a check or explore summary)
need not know how plots are drawn; :mod:`dynviz.tui.plotfile` draws figures with the
same plotting widget as the app and saves them as SVG.
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("line", "scatter", "bar")
LEGENDS = ("", "top-left", "top-right", "bottom-left", "bottom-right")


@dataclass(frozen=True, slots=True)
class Series:
    """One line (or set of points, or bars) of a figure. With ``Figure.categories``,
    ``x`` are category positions 1, 2, 3, ... (the first category is at 1); bar series
    are drawn side by side within each position."""

    label: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    kind: str = "line"
    style: str = ""  # a Rich colour; empty: the figure's palette in order

    def __post_init__(self) -> None:
        if len(self.x) != len(self.y):
            raise ValueError(f"series {self.label!r}: {len(self.x)} x values but {len(self.y)} y values")
        if self.kind not in KINDS:
            raise ValueError(f"series {self.label!r}: kind must be one of {', '.join(KINDS)}")


@dataclass(frozen=True, slots=True)
class Figure:
    """A titled plot: its series, axis labels and optional fixed limits."""

    name: str  # a file name stem: letters, digits, '-' and '_'
    title: str
    x_label: str
    y_label: str
    series: tuple[Series, ...]
    categories: tuple[str, ...] = ()  # names of x positions 1, 2, 3, ...
    y_min: float | None = None
    y_max: float | None = None
    x_min: float | None = None
    x_max: float | None = None
    note: str = ""  # one line under the plot: the model, the source of the paper's figures
    legend: str = ""  # top-left, top-right, bottom-left, bottom-right; empty: where the series' kind suits

    def __post_init__(self) -> None:
        if not self.name or not all(ch.isalnum() or ch in "-_" for ch in self.name):
            raise ValueError(f"figure name {self.name!r}: use letters, digits, '-' and '_'")
        if self.legend not in LEGENDS:
            raise ValueError(f"figure {self.name!r}: legend must be one of {', '.join(LEGENDS[1:])}")

    @property
    def empty(self) -> bool:
        return not any(s.x for s in self.series)


def points(xs: tuple[float, ...], ys: tuple[float | None, ...]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The pairs of a series with a value (gaps in a time series are left out)."""
    pairs = [(x, y) for x, y in zip(xs, ys, strict=True) if y is not None]
    return tuple(x for x, _ in pairs), tuple(y for _, y in pairs)
