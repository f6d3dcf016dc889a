"""This tree's simulated cluster against another checkout's, side by side in one run.

``python -m benchmarks compare --against DIR [--rounds 5]`` where DIR is a checkout of
another commit (``git worktree add /tmp/prev <commit>``). Each round runs the cluster
benchmark's throughput measurement (5 nodes, zero latency, 20,000 puts then 20,000
gets) once in a child process on each tree, alternating which goes first, so both see
the same machine load; it prints every round, the medians and the ratio. A redesign is
meant to be within 3% of the tree it replaces, or faster.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
PROBE = ("import json, sys; from benchmarks.cluster_bench import dynviz_rates; "
         "from dynviz.sim.tuning import tune_for_simulation; tune_for_simulation(); "
         "print(json.dumps(dynviz_rates()))")


def measure(tree: Path) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0"}
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=tree, env=env, capture_output=True, text=True,
                         check=True, timeout=600).stdout
    puts, gets = json.loads(out.strip().splitlines()[-1])
    return puts, gets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks compare")
    parser.add_argument("--against", required=True, help="another checkout (git worktree add DIR COMMIT)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    other = Path(args.against).resolve()
    if not (other / "dynviz").is_dir():
        print(f"compare: {other} is not a dynviz checkout", file=sys.stderr)
        return 2
    ours: list[tuple[float, float]] = []
    theirs: list[tuple[float, float]] = []
    for i in range(args.rounds):
        order = [(HERE, ours), (other, theirs)] if i % 2 == 0 else [(other, theirs), (HERE, ours)]
        for tree, into in order:
            into.append(measure(tree))
        print(f"round {i + 1}: this tree {ours[-1][0]:,.0f} puts/s {ours[-1][1]:,.0f} gets/s; "
              f"{other.name} {theirs[-1][0]:,.0f} puts/s {theirs[-1][1]:,.0f} gets/s", flush=True)
    for what, index in (("puts/s", 0), ("gets/s", 1)):
        a = statistics.median(r[index] for r in ours)
        b = statistics.median(r[index] for r in theirs)
        print(f"{what}: this tree {a:,.0f}, {other.name} {b:,.0f}: ratio {a / b:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
