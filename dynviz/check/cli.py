"""``dynviz check``: the options, the campaign they start, and what it prints.

Bad option values raise ``ValueError`` with a one-line message; ``dynviz.cli`` shows it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from dynviz.check.campaign import CampaignReport, reproduce_command, run_campaign
from dynviz.check.run import (
    BOTH,
    READREPAIR,
    RESOLVERS,
    RINGS,
    VERSIONINGS,
    CheckConfig,
    SeedReport,
)
from dynviz.check.workload import FAULTS, INJECTORS, OPT_IN
from dynviz.scale import open_backend, parse_dask_address
from dynviz.wording import plural

if TYPE_CHECKING:
    from rich.table import Table

REPRO_LIMIT = 10
"""At most this many failing seeds are shrunk to session files."""


def parse_faults(text: str) -> tuple[str, ...]:
    """``all``, ``none`` or a comma-separated list of fault names."""
    text = text.strip()
    if text == "all":
        return FAULTS
    if text.startswith("all,"):  # "all,delay": every fault of 'all' and the opt-in ones named
        return FAULTS + tuple(name for name in parse_faults(text[4:]) if name not in FAULTS)
    if text in ("none", ""):
        return ()
    names = tuple(dict.fromkeys(p.strip() for p in text.split(",") if p.strip()))
    for name in names:
        if name not in INJECTORS:
            raise ValueError(f"unknown fault {name!r}; choose from {', '.join(INJECTORS)}, 'all' or 'none'")
    return names


def _jobs(text: str) -> int:
    """``--jobs``: a whole number of worker processes, at least 1. No "0 means one per
    core": leaving the option out means that, and a 0 typed by mistake must not quietly
    start every core."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of worker processes (>= 1), got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1 worker process, got {value} "
                                         f"(leave --jobs out for one per core)")
    return value


def add_check_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``dynviz check``'s options to a (sub)parser."""
    parser.add_argument("--seeds", type=int, default=20, help="how many seeds to run (default 20)")
    parser.add_argument("--first-seed", type=int, default=1, help="the first seed (default 1)")
    parser.add_argument("--ops", type=int, default=200, help="client operations per seed (default 200)")
    parser.add_argument("--nodes", type=int, default=5, help="nodes in the cluster (default 5)")
    parser.add_argument("--faults", default="all",
                        help=f"'all', 'none' or a comma list of {','.join(INJECTORS)} (default all"
                             + (f": every fault but {','.join(OPT_IN)}, which 'all,NAME' adds)" if OPT_IN else ")"))
    parser.add_argument("--versioning", default="dvv", choices=list(VERSIONINGS),
                        help="dvv (dotted version vectors, default) or vclock (the paper's clocks)")
    parser.add_argument("--resolver", default="siblings", choices=list(RESOLVERS),
                        help="siblings (keep concurrent writes, default) or lww (last write wins)")
    parser.add_argument("--keys", type=int, default=32,
                        help="keys the clients use, spread over the ring (default 32)")
    parser.add_argument("--readrepair", default=BOTH, choices=list(READREPAIR),
                        help="on: read repair and the final reads repair replicas; off: anti-entropy alone must "
                             "make every copy whole, each judged before any read; both (default): even seeds on, "
                             "odd seeds off")
    parser.add_argument("--ring", default=BOTH, choices=list(RINGS),
                        help="equal partitions, random tokens, or both (default; seeds alternate in pairs)")
    parser.add_argument("--no-invariants", action="store_true",
                        help="do not check the run-time invariants (quorum, context, dot, preference, hint, drop)")
    parser.add_argument("--repro-dir", default="dynviz-check-failures",
                        help="where minimal reproductions of failing seeds are written as session files "
                             f"(default ./dynviz-check-failures; at most {REPRO_LIMIT})")
    parser.add_argument("--no-repro", action="store_true", help="do not shrink failing seeds")
    parser.add_argument("--jobs", type=_jobs, default=None, metavar="N",
                        help="worker processes, a whole number >= 1 (default: one per core; "
                             "1 runs in this process; with --dask local, the number of Dask workers)")
    parser.add_argument("--dask", default=None, metavar="ADDRESS",
                        help="run the seeds on a Dask distributed cluster: tcp://HOST:PORT of a running scheduler, "
                             "or local[:N] to start one here; needs the dask extra")
    parser.add_argument("--json", action="store_true", help="print one JSON summary object")
    parser.add_argument("--plot", default=None, metavar="DIR",
                        help="also write the summary's plots as SVG into DIR: the latency histogram and "
                             "lost writes by fault kind")


def _plots(campaign: CampaignReport, directory: str) -> list[Path]:
    """Write the campaign's figures; a directory that cannot be written is said on
    stderr and the check's verdict stands (the run is not lost for a plot)."""
    from dynviz.check.plots import campaign_figures
    from dynviz.tui.plotfile import (  # drawn by the app's own plot widget
        PlotFileError,
        save_figures,
    )

    try:
        return save_figures(campaign_figures(campaign), Path(directory))
    except PlotFileError as exc:
        print(f"dynviz check: plots not written: {exc}", file=sys.stderr)
        return []


def main_check(args: argparse.Namespace) -> int:
    """What ``dynviz check`` runs: 0 when every seed passed, 1 otherwise.

    Bad option values raise ``ValueError`` with a one-line message."""
    if args.seeds < 1:
        raise ValueError(f"--seeds must be at least 1, got {args.seeds}")
    base = CheckConfig(
        seed=args.first_seed, ops=args.ops, nodes=args.nodes, faults=parse_faults(args.faults),
        versioning=args.versioning, resolver=args.resolver, keys=getattr(args, "keys", 32),
        readrepair=getattr(args, "readrepair", BOTH), ring=getattr(args, "ring", BOTH),
        invariants=not getattr(args, "no_invariants", False),
    )
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    jobs = getattr(args, "jobs", None)
    if jobs is None:
        jobs = os.cpu_count() or 1
    elif isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"--jobs must be a whole number of worker processes, at least 1; got {jobs!r}")
    dask = getattr(args, "dask", None)
    if dask is not None:
        parse_dask_address(dask)  # a bad address is an error before anything starts
    finished = 0

    def count(seed: int, report: SeedReport) -> None:
        nonlocal finished
        finished += 1

    def stopped() -> KeyboardInterrupt:
        return KeyboardInterrupt(f"check interrupted after {finished} of {plural(args.seeds, 'seed')}; "
                                 f"nothing reported")

    if args.json:
        try:
            with open_backend(jobs, dask) as backend:
                campaign = run_campaign(seeds, base, count, jobs=jobs, backend=backend)
        except KeyboardInterrupt:
            raise stopped() from None
        summary = campaign.as_json()
        summary["reproduce"] = {str(s): reproduce_command(s, base) for s in campaign.failing_seeds}
        summary["sessions"] = {str(seed): path for seed, path in _shrink_failures(campaign, base, args)}
        if getattr(args, "plot", None):
            summary["plots"] = [str(p) for p in _plots(campaign, args.plot)]
        print(json.dumps(summary))
        return 0 if campaign.ok else 1

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    err = Console(stderr=True)
    try:
        with (nullcontext() if dask is None else
              err.status(f"starting a Dask cluster ({dask})..." if dask.startswith("local")
                         else f"connecting to the Dask scheduler at {dask}...")):
            backend = open_backend(jobs, dask)
        if err.is_terminal:  # above the bar, and left in the scrollback: where the seeds ran
            err.print(f"checking {plural(args.seeds, 'seed')} on {backend.describe()}", style="dim",
                      markup=False, highlight=False)
        with backend, Progress(TextColumn("checking"), BarColumn(), MofNCompleteColumn(),
                               TextColumn("{task.fields[status]}"), TimeElapsedColumn(), console=err,
                               transient=True, disable=not err.is_terminal) as bar:
            task = bar.add_task("check", total=args.seeds, status="")
            failed = 0

            def progress(seed: int, report: SeedReport) -> None:
                nonlocal failed
                failed += not report.ok
                count(seed, report)
                bar.update(task, advance=1, status=f"seed {seed}, {failed} failing")

            campaign = run_campaign(seeds, base, progress, jobs=jobs, backend=backend)
    except KeyboardInterrupt:
        raise stopped() from None
    out = Console()
    out.print(_summary(campaign, base))
    if getattr(args, "plot", None):
        for written in _plots(campaign, args.plot):
            out.print(f"plot: {written}", markup=False, highlight=False, soft_wrap=True)
    for report in campaign.reports:
        if report.ok:
            continue
        what = []
        if report.error:
            what.append(f"the run raised {report.error}")
        if report.lost:
            what.append(f"{report.lost} lost ({', '.join(report.lost_values[:5])}{', ...' if report.lost > 5 else ''})")
        if report.phantoms:
            what.append(plural(report.phantoms, "phantom"))
        if not report.converged and not report.error:
            what.append(f"not converged: {', '.join(report.unconverged_keys)}")
        if report.superseded:
            what.append(f"superseded siblings returned: {', '.join(report.superseded[:5])}")
        if report.replicas:
            what.append(f"{plural(len(report.replicas), 'replica finding')}: {report.replicas[0]}")
        if report.violations:
            what.append(f"{plural(len(report.violations), 'invariant violation')}: {report.violations[0]}")
        out.print(f"seed {report.seed}: {'; '.join(what)}", markup=False, highlight=False, soft_wrap=True)
        out.print(f"  reproduce: {reproduce_command(report.seed, base)}", markup=False, highlight=False, soft_wrap=True)
    if not campaign.ok and not getattr(args, "no_repro", False):
        with err.status("shrinking failing seeds to minimal reproductions..."):
            shrunk = _shrink_failures(campaign, base, args)
        for seed, path in shrunk:
            out.print(f"seed {seed}: minimal reproduction: dynviz replay {path}", markup=False, highlight=False,
                      soft_wrap=True)
    return 0 if campaign.ok else 1


def _summary(campaign: CampaignReport, base: CheckConfig) -> Table:
    """The campaign's totals as a rich table."""
    from rich.table import Table

    faults = ",".join(base.faults) or "none"
    table = Table(title=f"dynviz check: {base.versioning}/{base.resolver}, {plural(base.nodes, 'node')}",
                  caption=f"{plural(base.ops, 'op')} per seed; faults: {faults}; read repair: {base.readrepair}; "
                          f"ring: {base.ring}; {base.keys} keys")
    # One row per measure: readable at 80 columns, however many measures there are.
    table.add_column("measure")
    table.add_column("value", justify="right")
    broken = ", ".join(f"{rule} {count}" for rule, count in campaign.violations.items() if count)
    for measure, value in (
        ("seeds", str(campaign.seeds)), ("operations", str(campaign.ops)),
        ("acknowledged writes", str(campaign.acked)), ("lost", _mark(campaign.lost)),
        ("phantoms", _mark(campaign.phantoms)), ("superseded siblings", _mark(campaign.superseded)),
        ("replica findings", _mark(campaign.replicas)),
        ("invariants broken", _mark(sum(campaign.violations.values())) + (f" ({broken})" if broken else "")),
        ("converged", f"{campaign.converged}/{campaign.seeds}"),
        ("failing seeds", _mark(len(campaign.failing_seeds))),
    ):
        table.add_row(measure, value)
    return table


def _shrink_failures(campaign: CampaignReport, base: CheckConfig, args: argparse.Namespace,
                     limit: int = REPRO_LIMIT) -> list[tuple[int, str]]:
    """Minimal session files for the first failing seeds (see :mod:`dynviz.check.shrink`)."""
    if getattr(args, "no_repro", False) or not campaign.failing_seeds:
        return []
    from dynviz.check.shrink import reproduce

    made = []
    for seed in campaign.failing_seeds[:limit]:
        found = reproduce(base.with_seed(seed), getattr(args, "repro_dir", "dynviz-check-failures"))
        if found is not None:
            made.append((seed, str(found.path)))
    return made


def _mark(count: int) -> str:
    return f"[bold red]{count}[/]" if count else "0"


if __name__ == "__main__":  # a convenience for running the checker without the CLI
    _parser = argparse.ArgumentParser(prog="dynviz check")
    add_check_arguments(_parser)
    try:
        raise SystemExit(main_check(_parser.parse_args()))
    except ValueError as exc:
        print(f"dynviz: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
