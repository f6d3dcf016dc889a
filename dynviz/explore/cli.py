"""``dynviz explore FILE``: the options, the search, and what it prints.

Exit status: 0 when no property is violated, 1 when one is (like ``dynviz check``),
2 for a scenario or option that cannot be run (a one-line message, no traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from dynviz.explore.repro import file_name, write_repro
from dynviz.explore.search import Report, Stats, explore
from dynviz.explore.spec import BUDGETS, MAX_DEPTH, Spec, SpecError, load_spec
from dynviz.wording import plural


def _count(text: str) -> int:
    if not text.isdigit() or len(text) > 9:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
    return int(text)


def _positive(text: str) -> int:
    value = _count(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def add_explore_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="a scenario: setup commands, an 'explore ...' line, client requests, "
                                     "properties (see 'Model checking' in the README and sessions/explore/)")
    parser.add_argument("--depth", type=_positive, help=f"most choices on one path (1..{MAX_DEPTH}); "
                                                        "overrides the explore line's depth=")
    for name in BUDGETS:
        parser.add_argument(f"--{name}", type=_count, metavar="N", help=f"budget of {name}; overrides the "
                                                                          "explore line's")
    parser.add_argument("--no-por", action="store_true", help="turn off the partial-order reduction (sleep sets)")
    parser.add_argument("--no-symmetry", action="store_true", help="turn off client symmetry")
    parser.add_argument("--max-states", type=_count, default=0, metavar="N",
                        help="stop after N distinct states (default: no limit)")
    parser.add_argument("--memory-states", type=_positive, default=20_000, metavar="N",
                        help="keep at most N frontier states (pickled clusters, tens of KB each) and 50 N "
                             "seen hashes in memory, the rest in a temporary SQLite file (default 20000)")
    parser.add_argument("--first", action="store_true", help="stop at the first violation (the explore line's "
                                                              "stop=first)")
    parser.add_argument("--jobs", type=_positive, default=1, metavar="N",
                        help="expand each level on N worker processes (default 1: this process)")
    parser.add_argument("--dask", default=None, metavar="ADDRESS",
                        help="expand on a Dask distributed cluster: tcp://HOST:PORT of a running scheduler, "
                             "or local[:N] to start one here; needs the dask extra")
    parser.add_argument("--repro-dir", default="dynviz-explore-findings", metavar="DIR",
                        help="where each violation's shortest path is written as a session file "
                             "(default dynviz-explore-findings)")
    parser.add_argument("--no-repro", action="store_true", help="do not write session files")
    parser.add_argument("--json", action="store_true", help="print one JSON summary object")
    parser.add_argument("--plot", default=None, metavar="DIR",
                        help="also write the summary's plots as SVG into DIR: states per depth and the "
                             "shortest path to each violation")


def overrides_of(args: argparse.Namespace) -> dict[str, int | bool]:
    found: dict[str, int | bool] = {}
    for name in ("depth", *BUDGETS):
        value = getattr(args, name, None)
        if value is not None:
            found[name] = value
    if getattr(args, "no_por", False):
        found["por"] = False
    if getattr(args, "no_symmetry", False):
        found["symmetry"] = False
    return found


def main_explore(args: argparse.Namespace) -> int:
    overrides = overrides_of(args)
    try:
        spec = load_spec(args.file, overrides)
        text = Path(args.file).read_text(encoding="utf-8")
    except SpecError as exc:
        raise ValueError(f"{args.file}: {exc}") from None
    backend: Any = None
    if args.dask is not None or args.jobs > 1:
        from dynviz.scale import open_backend

        backend = open_backend(args.jobs, args.dask)
    err = sys.stderr
    show = err.isatty() and not args.json

    def progress(stats: Stats) -> None:
        if show:
            err.write(f"\r  depth {stats.depth + 1}: {stats.level_done}/{stats.level_states} of the level, "
                      f"{stats.states} states, {stats.transitions} transitions, {stats.rate:.0f} states/s   ")
            err.flush()

    if not args.json:
        where = backend.describe() if backend is not None else "this process"
        print(f"exploring {args.file} ({spec.bounds.describe()}; {where})")
    try:
        report = explore(spec, text, overrides=overrides, backend=backend, max_states=args.max_states,
                         memory_states=args.memory_states, progress=progress, first_only=args.first)
    finally:
        if show:
            err.write("\r" + " " * 100 + "\r")
        if backend is not None:
            backend.close()
    written = [] if args.no_repro else _write_repros(spec, report, args.repro_dir)
    plots = _plots(report, args.plot) if getattr(args, "plot", None) else []
    if args.json:
        summary = report.as_json()
        for finding, path in written:
            for entry in summary["violations"]:
                if entry["property"] == finding.property:
                    entry["session"] = str(path)
        if plots:
            summary["plots"] = [str(p) for p in plots]
        print(json.dumps(summary, indent=2))
    else:
        print_report(report, written)
        for plot in plots:
            print(f"plot: {plot}")
    return 0 if report.ok else 1


def _plots(report: Report, directory: str) -> list[Path]:
    """Write the exploration's figures; a directory that cannot be written is said on
    stderr and the verdict stands."""
    from dynviz.explore.plots import report_figures
    from dynviz.tui.plotfile import PlotFileError, save_figures  # the app's own plot widget

    try:
        return save_figures(report_figures(report), Path(directory))
    except PlotFileError as exc:
        print(f"dynviz explore: plots not written: {exc}", file=sys.stderr)
        return []


def _write_repros(spec: Spec, report: Report, directory: str) -> list[tuple[Any, Path]]:
    written = []
    for number, finding in enumerate(report.violations, 1):
        if not finding.path:  # a 'sometimes' never met has no path
            continue
        written.append((finding, write_repro(spec, finding, Path(directory) / file_name(finding, number))))
    return written


def print_report(report: Report, written: list[tuple[Any, Path]]) -> None:
    s = report.stats
    spec = report.spec
    if report.complete:
        scope = f"the whole space within the bound ({spec.bounds.describe()}) was explored"
    elif report.stopped:
        scope = f"stopped early ({report.stopped}): a partial search within {spec.bounds.describe()}"
    else:
        scope = (f"{plural(s.cut, 'state')} at the depth bound still had choices: the space is larger than "
                 f"depth {spec.bounds.depth}")
    print(f"{plural(s.states, 'state')}, {plural(s.transitions, 'transition')}, depth {s.depth}, "
          f"{plural(s.ends, 'end state')} played out, {s.seconds:.1f} s ({s.rate:.0f} states/s)")
    print(scope)
    sessions = {finding.property: path for finding, path in written}
    for finding in report.findings:
        mark = "VIOLATED" if finding.violated else "example"
        print(f"{mark}: {finding.property}: {finding.text}")
        if finding.path:
            print(f"  shortest path ({plural(finding.depth, 'choice')}): " + "; ".join(finding.path))
        if finding.property in sessions:
            print(f"  session: dynviz replay {sessions[finding.property]}   (--verify checks it)")
    if report.ok:
        print("no property violated" + ("" if report.complete else " in the states explored"))
