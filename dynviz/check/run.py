"""One check seed, start to end: a fresh cluster, the seed's workload under faults, the
ending, and the report (DESIGN §7).

:func:`check_seed` is what every worker of a campaign runs; with a list to fill it also
hands back the recorded workload, which is how the shrinker starts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from dynviz.check.invariants import RULES, Violation
from dynviz.check.scenario import Recording, Scenario
from dynviz.check.workload import FAULTS, INJECTORS, Workload, workload_keys
from dynviz.cluster import ClusterConfig
from dynviz.metrics.series import histogram

VERSIONINGS = ("dvv", "vclock")
RESOLVERS = ("siblings", "lww")
BOTH = "both"
READREPAIR = ("on", "off", BOTH)
"""``both``: even seeds with read repair, odd seeds with anti-entropy alone."""
RINGS = ("equal", "random", BOTH)
"""``both``: seeds alternate in pairs between equal partitions and random tokens."""


@dataclass(frozen=True, slots=True)
class CheckConfig:
    """One seed's run: the cluster under test and the workload run on it."""

    seed: int
    ops: int = 200
    nodes: int = 5
    faults: tuple[str, ...] = FAULTS
    versioning: str = "dvv"
    resolver: str = "siblings"
    keys: int = 32
    clients: int = 4
    readrepair: str = BOTH
    ring: str = BOTH
    invariants: bool = True

    def __post_init__(self) -> None:
        if self.ops < 1:
            raise ValueError(f"--ops must be at least 1, got {self.ops}")
        if self.nodes < 3:
            raise ValueError(f"--nodes must be at least 3 (the checker replicates with n=3), got {self.nodes}")
        unknown = [f for f in self.faults if f not in INJECTORS]
        if unknown:
            raise ValueError(f"unknown fault {unknown[0]!r}; choose from {', '.join(INJECTORS)} or 'all'")
        if self.versioning not in VERSIONINGS:
            raise ValueError(f"--versioning must be dvv or vclock, not {self.versioning!r}")
        if self.resolver not in RESOLVERS:
            raise ValueError(f"--resolver must be siblings or lww, not {self.resolver!r}")
        if self.keys < 1 or self.clients < 1:
            raise ValueError("need at least one key and one client")
        if self.readrepair not in READREPAIR:
            raise ValueError(f"--readrepair must be on, off or both, not {self.readrepair!r}")
        if self.ring not in RINGS:
            raise ValueError(f"--ring must be equal, random or both, not {self.ring!r}")

    def with_seed(self, seed: int) -> CheckConfig:
        """The same run on another seed."""
        return replace(self, seed=seed)

    def cluster(self) -> ClusterConfig:
        """The cluster a seed runs on: ``nodes`` nodes ``n1``... with N=3, R=W=2 (requests
        choose their own quorums), read repair and the ring as the seed's mode says."""
        readrepair = self.readrepair == "on" or (self.readrepair == BOTH and self.seed % 2 == 0)
        random_ring = self.ring == "random" or (self.ring == BOTH and self.seed // 2 % 2 == 1)
        return ClusterConfig(nodes=tuple(f"n{i}" for i in range(1, self.nodes + 1)), seed=self.seed,
                             versioning=self.versioning, resolver=self.resolver, n=3, r=2, w=2,
                             readrepair=readrepair, strategy="random" if random_ring else "equal")

    def key_names(self) -> tuple[bytes, ...]:
        return workload_keys(self.keys)


@dataclass(frozen=True, slots=True)
class SeedReport:
    seed: int
    acked: int
    lost: int
    lost_values: tuple[str, ...]
    phantoms: int
    phantom_values: tuple[str, ...]
    converged: bool
    unconverged_keys: tuple[str, ...]
    ops: int
    failed_ops: int
    digest: str
    superseded: tuple[str, ...] = ()
    replicas: tuple[str, ...] = ()  # "KEY on NODE: ..." (read repair off: each copy judged)
    violations: tuple[str, ...] = ()  # run-time invariants broken, one line each
    violation_counts: tuple[tuple[str, int], ...] = ()  # per rule
    error: str = ""  # the run raised this (one line): the seed failed without a verdict
    latency_bins: tuple[tuple[str, tuple[int, ...]], ...] = ()  # op -> answers per LATENCY_EDGES bin
    faults: tuple[tuple[str, int], ...] = ()  # fault -> times injected

    @property
    def ok(self) -> bool:
        return (self.lost == 0 and self.phantoms == 0 and self.converged and not self.superseded
                and not self.replicas and not self.violations and not self.error)


def check_seed(config: CheckConfig, recording: Recording | None = None) -> SeedReport:
    """Run one seed's workload under faults, end the run, and judge it. With
    ``recording``, the workload's commands are appended to it."""
    scenario = Scenario(config.cluster(), config.key_names(), invariants=config.invariants)
    workload = Workload(scenario, config.seed, config.ops, config.clients, config.faults)
    try:
        workload.run()
        if recording is not None:
            recording.extend(workload.recording)
        verdict = scenario.end()
    except Exception as exc:  # noqa: BLE001 - the protocol under test raised: that seed failed
        # A seed whose run raises is a finding like any other (a planted preference-list
        # bug once took a whole campaign down with "every node is down"): reported with
        # the error, and the campaign goes on.
        if recording is not None and not recording:
            recording.extend(workload.recording)
        report = SeedReport(seed=config.seed, acked=scenario.history.acked(), lost=0, lost_values=(), phantoms=0,
                            phantom_values=(), converged=False, unconverged_keys=(), ops=workload.ops,
                            failed_ops=workload.failed_ops, digest="",
                            error=f"{type(exc).__name__}: {exc}".splitlines()[0][:300],
                            latency_bins=tuple((op, histogram(v)) for op, v in sorted(workload.latencies.items())),
                            faults=tuple(sorted(workload.injected.items())))
        scenario.close()
        return report
    cluster = scenario.cluster
    report = SeedReport(
        seed=config.seed,
        acked=scenario.history.acked(),
        lost=len(verdict.lost),
        lost_values=tuple(v.decode() for v in verdict.lost),
        phantoms=len(verdict.phantoms),
        phantom_values=tuple(v.decode("latin-1") for v in verdict.phantoms),
        converged=not verdict.unconverged,
        unconverged_keys=verdict.unconverged,
        ops=workload.ops,
        failed_ops=workload.failed_ops,
        digest=cluster.digest(),
        superseded=tuple(v.decode("latin-1") for v in verdict.superseded),
        replicas=verdict.replicas,
        violations=tuple(v.describe() for v in verdict.violations),
        violation_counts=tuple((rule, count) for rule, count in _per_rule(verdict.violations).items() if count),
        latency_bins=tuple((op, histogram(values)) for op, values in sorted(workload.latencies.items())),
        faults=tuple(sorted(workload.injected.items())),
    )
    scenario.close()
    return report


def _per_rule(violations: Iterable[Violation]) -> dict[str, int]:
    found = dict.fromkeys(RULES, 0)
    for v in violations:
        found[v.rule] += 1
    return found
