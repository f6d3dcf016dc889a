"""``dynviz paper``: run the four experiments, print ours beside the paper's.

Exit status 0 (the figures are printed whatever they show; ``checks`` in the JSON says
whether each acceptance ordering held); 2 for options that cannot be run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from dynviz.paper.result import Experiment

EXPERIMENTS = ("figure8", "divergence", "table2", "pbs")


def _seed(text: str) -> int:
    if not text.isdigit() or len(text) > 18:
        raise argparse.ArgumentTypeError(f"expected a whole number 0 or more, got {text!r}")
    return int(text)


def add_paper_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object with figure8, divergence, table2 and pbs, each with ours and paper")
    parser.add_argument("--plot", metavar="DIR", default=None, help="write each experiment's plot to DIR as SVG")
    parser.add_argument("--quick", action="store_true", help="small trials (seconds, for tests): coarse figures")
    parser.add_argument("--seed", type=_seed, default=1, help="the seed of every run (default 1)")


def _table(rows: tuple[tuple[str, ...], ...]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render(experiment: Experiment) -> str:
    checks = "; ".join(f"{name}: {'yes' if ok else 'NO'}" for name, ok in experiment.checks.items())
    return (f"== {experiment.title} ==\n{_table(experiment.rows)}\n\nModel: {experiment.model}\n"
            f"Where and why ours differs: {experiment.differs}\nChecks: {checks}\n")


def run_all(quick: bool, seed: int, progress: Callable[[str], None]) -> list[Experiment]:
    from dynviz.paper import divergence, figure8, pbs, table2

    return [module.run(quick, seed, progress) for module in (figure8, divergence, table2, pbs)]


def main_paper(args: argparse.Namespace) -> int:
    plot_dir = None
    if args.plot is not None:
        plot_dir = Path(args.plot)
        if plot_dir.exists() and not plot_dir.is_dir():
            raise ValueError(f"--plot {args.plot!r} is a file, not a directory")
    started = time.perf_counter()

    def progress(line: str) -> None:
        if not args.json:
            print(f"[{time.perf_counter() - started:5.1f}s] {line}", file=sys.stderr, flush=True)

    experiments = run_all(args.quick, args.seed, progress)
    written: list[Path] = []
    if plot_dir is not None:
        from dynviz.tui.plotfile import save_figures

        plot_dir.mkdir(parents=True, exist_ok=True)
        written = save_figures([f for e in experiments for f in e.figures], plot_dir)
    if args.json:
        out = {e.key: e.to_json() for e in experiments}
        out["run"] = {"seed": args.seed, "quick": args.quick, "plots": [str(p) for p in written]}
        print(json.dumps(out, indent=1, sort_keys=False, default=str))
        return 0
    for e in experiments:
        print(render(e))
    for path in written:
        print(f"wrote {path}")
    return 0
