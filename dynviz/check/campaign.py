"""A campaign: many check seeds, run on a backend (worker processes by default), summed
into one report.

Each seed is its own deterministic simulation (:func:`dynviz.check.run.check_seed`), so
the reports are the same whatever the parallelism, and a failing seed is printed with
the one command that re-runs exactly it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from dynviz.check.invariants import RULES
from dynviz.check.run import CheckConfig, SeedReport, check_seed
from dynviz.check.workload import FAULTS
from dynviz.scale import Backend, LocalBackend


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
                 progress: Callable[[int, SeedReport], None] | None = None, jobs: int = 1,
                 backend: Backend | None = None) -> CampaignReport:
    """Check every seed with ``base``'s other settings; ``progress(seed, report)`` after each.

    The seeds run on ``backend`` (see :mod:`dynviz.scale`; the caller opens and closes
    it), else in ``jobs`` local worker processes (1: in this process). Each seed is its
    own deterministic simulation, so the reports are the same whatever ran them; they are
    collected in seed order."""
    campaign = CampaignReport()
    configs = [base.with_seed(seed) for seed in seeds]
    with ExitStack() as stack:
        if backend is None:
            backend = stack.enter_context(LocalBackend(jobs))
        for config, report in zip(configs, backend.map(check_seed, configs), strict=True):
            campaign.add(report)
            if progress is not None:
                progress(config.seed, report)
    return campaign


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
