"""What one experiment of ``dynviz paper`` hands back: ours beside the paper's."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dynviz.metrics.figure import Figure


@dataclass(frozen=True)
class Experiment:
    """One reproduced result. ``ours`` and ``paper`` are plain JSON data; ``rows`` is the
    printed table (first row the header); ``differs`` says where and why ours and the
    paper's differ; ``checks`` are the issue's acceptance orderings (name -> held)."""

    key: str
    title: str
    ours: dict[str, Any]
    paper: dict[str, Any]
    model: str
    differs: str
    rows: tuple[tuple[str, ...], ...]
    figures: tuple[Figure, ...]
    checks: dict[str, bool] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"ours": self.ours, "paper": self.paper, "model": self.model, "differs": self.differs,
                "checks": self.checks}


def pct(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{100 * value:.{digits}f}%"


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} ms"
