"""A campaign: many check seeds, in worker processes, summed into one report.

Each seed is its own deterministic simulation (:func:`dynviz.check.run.check_seed`), so
the reports are the same whatever the parallelism, and a failing seed is printed with
the one command that re-runs exactly it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from dynviz.check.invariants import RULES
from dynviz.check.run import CheckConfig, SeedReport, check_seed
from dynviz.check.workload import FAULTS


@dataclass(slots=True)
class CampaignReport:
    seeds: int = 0
    acked: int = 0
    lost: int = 0
    phantoms: int = 0
    converged: int = 0
    failing_seeds: list[int] = field(default_factory=list)
    reports: list[SeedReport] = field(default_factory=list)
    ops: int = 0
    failed_ops: int = 0
    superseded: int = 0
    replicas: int = 0  # replica findings (read repair off: each copy judged)
    violations: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RULES, 0))

    def add(self, report: SeedReport) -> None:
        self.reports.append(report)
        self.seeds += 1
        self.acked += report.acked
        self.lost += report.lost
        self.phantoms += report.phantoms
        self.converged += report.converged
        self.ops += report.ops
        self.failed_ops += report.failed_ops
        self.superseded += len(report.superseded)
        self.replicas += len(report.replicas)
        for rule, count in report.violation_counts:
            self.violations[rule] += count
        if not report.ok:
            self.failing_seeds.append(report.seed)

    @property
    def ok(self) -> bool:
        return not self.failing_seeds

    def as_json(self) -> dict[str, Any]:
        return {
            "seeds": self.seeds,
            "ops": self.ops,
            "failed_ops": self.failed_ops,
            "acked": self.acked,
            "lost": self.lost,
            "phantoms": self.phantoms,
            "converged": self.converged,
            "superseded": self.superseded,
            "replicas": self.replicas,
            "invariant_violations": sum(self.violations.values()),
            "errors": sum(1 for r in self.reports if r.error),
            "violations": dict(self.violations),
            "failing_seeds": list(self.failing_seeds),
            "failures": [
                {"seed": r.seed, "lost": r.lost, "lost_values": list(r.lost_values[:20]),
                 "phantoms": r.phantoms, "phantom_values": list(r.phantom_values[:20]),
                 "converged": r.converged, "unconverged_keys": list(r.unconverged_keys),
                 "superseded": list(r.superseded[:20]), "replicas": list(r.replicas[:20]),
                 "violations": list(r.violations[:20]), "error": r.error}
                for r in self.reports if not r.ok
            ],
        }


def run_campaign(seeds: Iterable[int], base: CheckConfig,
                 progress: Callable[[int, SeedReport], None] | None = None, jobs: int = 1) -> CampaignReport:
    """Check every seed with ``base``'s other settings; ``progress(seed, report)`` after each.

    With ``jobs`` > 1 the seeds run in that many worker processes. Each seed is its own
    deterministic simulation, so the reports are the same whatever the parallelism;
    they are collected in seed order."""
    campaign = CampaignReport()
    configs = [base.with_seed(seed) for seed in seeds]
    if jobs > 1 and len(configs) > 1:
        import multiprocessing
        import signal

        context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
        # A Pool, not a ProcessPoolExecutor: leaving its block for any reason (Ctrl+C
        # included) terminates the workers instead of waiting for their chunks. Workers
        # ignore SIGINT (Ctrl+C reaches the whole process group): only this process
        # reacts, so the stop is one line, not a traceback per worker, and no worker dies
        # holding the task queue's lock (which would hang the pool's terminate). While
        # the pool starts, a Ctrl+C is only noted (a forked worker inherits that handler
        # until it ignores SIGINT), then acted on once the pool can be terminated.
        caught: list[int] = []
        previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
        try:
            pool = context.Pool(jobs, initializer=_ignore_interrupts)
        finally:
            signal.signal(signal.SIGINT, previous)
        with pool:
            if caught:
                raise KeyboardInterrupt
            results = pool.imap(check_seed, configs, chunksize=max(1, min(16, len(configs) // (jobs * 8))))
            for config, report in zip(configs, results, strict=True):
                campaign.add(report)
                if progress is not None:
                    progress(config.seed, report)
        return campaign
    for config in configs:
        report = check_seed(config)
        campaign.add(report)
        if progress is not None:
            progress(config.seed, report)
    return campaign


def _ignore_interrupts() -> None:
    """A check worker's first act: leave Ctrl+C to the parent (see ``run_campaign``)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def reproduce_command(seed: int, base: CheckConfig) -> str:
    """The one command that re-runs exactly this seed."""
    faults = ",".join(base.faults) if base.faults else "none"
    if tuple(base.faults) == FAULTS:
        faults = "all"
    cmd = (f"dynviz check --seeds 1 --first-seed {seed} --ops {base.ops} --nodes {base.nodes} "
           f"--faults {faults} --versioning {base.versioning}")
    if base.resolver != "siblings":
        cmd += f" --resolver {base.resolver}"
    defaults = CheckConfig(seed=seed)
    for option, value, default in (("keys", base.keys, defaults.keys), ("readrepair", base.readrepair,
                                   defaults.readrepair), ("ring", base.ring, defaults.ring)):
        if value != default:
            cmd += f" --{option} {value}"
    if not base.invariants:
        cmd += " --no-invariants"
    return cmd
