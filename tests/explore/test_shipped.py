"""The scenarios shipped in sessions/explore/ run, with small bounds, to the verdicts
their comments state (the README gives the figures at their own bounds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynviz.explore.search import explore
from dynviz.explore.spec import load_spec

SCENARIOS = Path(__file__).resolve().parents[2] / "sessions" / "explore"

# scenario, depth for CI, the property it must violate (None: none within the bound)
CASES = [
    ("vclock-lost-update.dyn", 7, "lost"),
    ("dvv-lost-update.dyn", 7, None),
    ("sloppy-stale-read.dyn", 10, "always acked lamp and alice read implies alice read lamp"),
    ("handoff-substitute-crash-w1.dyn", 8, "always acked lamp and alice read implies alice read lamp"),
    ("handoff-substitute-crash-w2.dyn", 6, None),
    ("figure3.dyn", 6, None),
    ("drop-crash.dyn", 5, None),
]


def test_every_shipped_scenario_is_covered() -> None:
    assert {name for name, _, _ in CASES} == {p.name for p in SCENARIOS.glob("*.dyn")}


@pytest.mark.parametrize(("name", "depth", "violated"), CASES)
def test_a_shipped_scenario_reaches_its_verdict(name: str, depth: int, violated: str | None) -> None:
    path = SCENARIOS / name
    spec = load_spec(path, {"depth": depth})
    report = explore(spec, path.read_text(encoding="utf-8"), overrides={"depth": depth})
    found = {f.property for f in report.violations}
    if violated is None:
        assert not found, report.violations
    else:
        assert violated in found
        assert next(f for f in report.violations if f.property == violated).path
