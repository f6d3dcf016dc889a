"""States explored with and without each reduction of the model checker, side by side.

``python -m benchmarks explore [--scenario FILE ...] [--depth N]`` runs each scenario
(default ``sessions/explore/drop-crash.dyn``: 3 nodes, 2 clients, 3 operations, one drop
and one crash; and ``dvv-lost-update.dyn``, whose two clients are interchangeable) with
every reduction, then without the partial-order reduction, without client symmetry,
and without both, and prints the distinct states, transitions, time and verdict of
each. Deduplication by the canonical state hash stays on in every row:
without it the search is a tree, whose size is the number of paths (printed as the
transitions of the row without reductions are a lower bound of it).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from dynviz.explore.search import explore
from dynviz.explore.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]
ROWS = (
    ("every reduction", {}),
    ("no partial-order reduction", {"por": False}),
    ("no symmetry", {"symmetry": False}),
    ("neither", {"por": False, "symmetry": False}),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks explore")
    parser.add_argument("--scenario", nargs="+", default=[str(ROOT / "sessions" / "explore" / name)
                                                          for name in ("drop-crash.dyn", "dvv-lost-update.dyn")])
    parser.add_argument("--depth", type=int, default=None)
    args = parser.parse_args(argv)
    for scenario in args.scenario:
        compare(scenario, args.depth)
    return 0


def compare(scenario: str, depth: int | None) -> None:
    text = Path(scenario).read_text(encoding="utf-8")
    print(f"\n{scenario}" + (f" (depth {depth})" if depth is not None else ""))
    print(f"{'reductions':28} {'states':>9} {'transitions':>12} {'seconds':>9} {'states/s':>9}  verdict")
    base = None
    for label, options in ROWS:
        overrides: dict[str, int | bool] = dict(options)
        if depth is not None:
            overrides["depth"] = depth
        spec = load_spec(scenario, overrides)
        report = explore(spec, text, overrides=overrides)
        s = report.stats
        verdict = "ok" if report.ok else "violated: " + ", ".join(f.property for f in report.violations)
        if not report.complete:
            verdict += " (bound reached)"
        base = base or s.states
        print(f"{label:28} {s.states:9d} {s.transitions:12d} {s.seconds:9.1f} {s.rate:9.0f}  {verdict}"
              f"  x{s.states / base:.2f} states")


if __name__ == "__main__":
    raise SystemExit(main())
