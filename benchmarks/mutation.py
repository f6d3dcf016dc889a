"""Mutation testing of the pure layers: how many machine-made bugs the tests and
``dynviz check`` each kill, over one seeded sample of mutants.

    python -m benchmarks mutation [--sample N] [--seed S] [--against tests|check|both]
                                  [--timeout SEC] [--modules core,node,sim] [--json]

``benchmarks planted`` measures the checker on fifteen bugs chosen by hand; this is the
unbiased complement. cosmic-ray (``pip install -e '.[mutation]'``) generates every
mutant its operators allow over ``dynviz/core``, ``dynviz/node`` and ``dynviz/sim``
into a session database (``cosmic-ray init``'s work items, kept in the copy as
``session.sqlite``), a seeded random sample of them is drawn, and each sampled mutant
is applied with cosmic-ray's own ``use_mutation`` and judged twice, by the same rule
cosmic-ray uses (a non-zero exit kills), with the commands in pyproject.toml's
``[tool.cosmic-ray]``:

- *tests*: ``pytest -x`` over ``tests/core tests/node tests/sim tests/check``;
- *check*: ``dynviz check --seeds 200 --ops 150 --jobs 1 --no-repro`` (exit 1 on any
  finding).

Both judges see the same sample, so the two scores compare. A judge that runs past
``--timeout`` is killed and counts as killing the mutant (an infinite loop is a caught
bug), but is reported apart. Everything happens in a temporary copy of the working
tree (``git ls-files``, as ``benchmarks planted`` copies it): the working tree, which
others are editing, is never touched. Before any mutant the unmutated copy runs once
under both judges as a control (the two judges of a mutant run side by side); a judge that fails on the real code cannot be credited
with kills, so the run stops there.

The full suite is minutes per mutant, hence sampling: the score is an estimate, and
``--seed`` makes the sample reproducible (same tree, same seed, same mutants).
"""

from __future__ import annotations

import argparse
import json
import random
import shlex
import sys
import tempfile
import time
import tomllib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.planted import ROOT, Run, copy_tree, run

CONFIG: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["cosmic-ray"]
"""pyproject.toml's [tool.cosmic-ray]: the layers mutated and the two judges' commands."""

LAYERS = tuple(Path(p).name for p in CONFIG["module-path"])
JUDGES = ("tests", "check")


def _argv(command: str) -> list[str]:
    words = shlex.split(command)
    return [sys.executable, *words[1:]] if words[0] == "python" else words


ARGV = {"tests": _argv(CONFIG["test-command"]), "check": _argv(CONFIG["check-command"])}


@dataclass(frozen=True, slots=True)
class Mutant:
    """One cosmic-ray work item: operator ``operator`` at its ``occurrence``-th place in
    ``path`` (relative to the tree), which is at ``line``."""

    path: str
    line: int
    operator: str
    occurrence: int
    job_id: str

    def describe(self) -> str:
        return f"{self.path}:{self.line} {self.operator}"


@dataclass(frozen=True, slots=True)
class Verdict:
    """One judge on one mutant: ``killed`` (non-zero exit or time-out), ``timed_out``."""

    killed: bool
    timed_out: bool
    seconds: float
    tail: str


def _verdict(result: Run) -> Verdict:
    lines = [ln for ln in (result.stdout + result.stderr).splitlines() if ln.strip()]
    return Verdict(result.code != 0, result.timed_out, round(result.seconds, 1), lines[-1] if lines else "")


def generate(tree: Path, layers: Sequence[str]) -> list[Mutant]:
    """Every mutant cosmic-ray's operators make over ``dynviz/<layer>`` in ``tree``,
    stored as a cosmic-ray session in ``tree/session.sqlite``."""
    from cosmic_ray.commands.init import init
    from cosmic_ray.modules import find_modules
    from cosmic_ray.work_db import WorkDB, use_db

    modules = sorted(p for layer in layers for p in find_modules([tree / "dynviz" / layer]))
    with use_db(str(tree / "session.sqlite"), WorkDB.Mode.create) as db:
        init(modules, db, {})
        items = list(db.work_items)
    out = []
    for item in items:
        m = item.mutations[0]
        out.append(Mutant(str(Path(m.module_path).relative_to(tree)), m.start_pos[0], m.operator_name,
                          m.occurrence, item.job_id))
    return sorted(out, key=lambda m: (m.path, m.line, m.operator, m.occurrence))


def judge(mutant: Mutant | None, tree: Path, against: Sequence[str], timeout: float) -> dict[str, Verdict]:
    """Apply ``mutant`` (None: the control) in ``tree``, run each judge, put the file back.
    A mutation cosmic-ray declines to make (None mutated code) raises: it is a bug here."""
    from cosmic_ray.mutating import use_mutation
    from cosmic_ray.plugins import get_operator

    def verdicts() -> dict[str, Verdict]:
        # The two judges run side by side: one process each, on the same mutated file.
        with ThreadPoolExecutor(len(against)) as pool:
            runs = {name: pool.submit(run, ARGV[name], tree, timeout) for name in against}
            return {name: _verdict(f.result()) for name, f in runs.items()}

    if mutant is None:
        return verdicts()
    operator = get_operator(mutant.operator)()
    with use_mutation(tree / mutant.path, operator, mutant.occurrence) as (_, mutated):
        if mutated is None:
            raise RuntimeError(f"cosmic-ray made no mutation for {mutant.describe()}")
        return verdicts()


def score(results: list[tuple[Mutant, dict[str, Verdict]]], name: str) -> dict[str, Any]:
    judged = [(m, v[name]) for m, v in results if name in v]
    killed = [m for m, v in judged if v.killed]
    return {
        "sampled": len(judged),
        "killed": len(killed),
        "timed_out": sum(v.timed_out for _, v in judged),
        "score": round(len(killed) / len(judged), 3) if judged else None,
        "survivors": [m.describe() for m, v in judged if not v.killed],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks mutation", description=__doc__.split("\n")[0])
    parser.add_argument("--sample", type=int, default=40, help="mutants to judge (default 40)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the sample (default 1)")
    parser.add_argument("--against", choices=("tests", "check", "both"), default="both")
    parser.add_argument("--timeout", type=float, default=CONFIG["timeout"],
                        help="seconds per judge per mutant; past it the mutant counts as killed")
    parser.add_argument("--modules", default=",".join(LAYERS), help="layers of dynviz to mutate (default core,node,sim)")
    parser.add_argument("--json", action="store_true", help="print one JSON object at the end")
    args = parser.parse_args(argv)
    layers = [x for x in args.modules.split(",") if x]
    if bad := [x for x in layers if x not in LAYERS]:
        parser.error(f"unknown layer(s) {bad}: choose among {','.join(LAYERS)}")
    against = JUDGES if args.against == "both" else (args.against,)
    say = (lambda *a: print(*a, file=sys.stderr, flush=True)) if args.json else (lambda *a: print(*a, flush=True))

    with tempfile.TemporaryDirectory(prefix="dynviz-mutation-") as work:
        tree = Path(work)
        copy_tree(tree, ROOT)
        mutants = generate(tree, layers)
        sample = sorted(random.Random(args.seed).sample(mutants, min(args.sample, len(mutants))),
                        key=lambda m: (m.path, m.line, m.operator))
        say(f"cosmic-ray: {len(mutants)} mutants over dynviz/{{{','.join(layers)}}}; "
            f"sample of {len(sample)}, seed {args.seed}; judges: {', '.join(against)}")
        start = time.perf_counter()
        control = judge(None, tree, against, args.timeout)
        for name, v in control.items():
            say(f"  control {name:5} {'FAILS' if v.killed else 'passes'} ({v.seconds} s) {v.tail}")
        if any(v.killed for v in control.values()):
            say("a judge fails on the unmutated tree: no score")
            return 1
        results: list[tuple[Mutant, dict[str, Verdict]]] = []
        for i, mutant in enumerate(sample, 1):
            verdicts = judge(mutant, tree, against, args.timeout)
            results.append((mutant, verdicts))
            marks = "  ".join(f"{n}:{'T' if v.timed_out else 'K' if v.killed else '-'}({v.seconds:.0f}s)"
                              for n, v in verdicts.items())
            say(f"  [{i:3}/{len(sample)}] {mutant.describe():55} {marks}")
        elapsed = time.perf_counter() - start

    cr_version = metadata.version("cosmic-ray")
    scores = {name: score(results, name) for name in against}
    if args.json:
        print(json.dumps({
            "tool": f"cosmic-ray {cr_version}", "layers": layers, "mutants": len(mutants),
            "sample": len(sample), "seed": args.seed, "timeout": args.timeout, "seconds": round(elapsed),
            "control": {n: asdict(v) for n, v in control.items()}, "scores": scores,
            "mutants_judged": [{**asdict(m), **{n: asdict(v) for n, v in vs.items()}} for m, vs in results],
        }, indent=2))
        return 0
    print(f"\ncosmic-ray {cr_version}, {len(sample)} of {len(mutants)} mutants (seed {args.seed}), "
          f"{elapsed / 60:.1f} min")
    for name, s in scores.items():
        print(f"  {name:5} killed {s['killed']}/{s['sampled']} ({s['score']:.0%}), "
              f"{s['timed_out']} of them by time-out")
    for name, s in scores.items():
        print(f"\nsurvived {name} ({len(s['survivors'])}):")
        for line in s["survivors"]:
            print(f"  {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
