"""``dynviz check``: a Jepsen-style checker over seeded random workloads (DESIGN §6, §7).

Each seed builds a cluster, runs several clients against it while faults are injected at
random virtual times, then heals everything, lets the cluster settle and checks what the
clients saw. Everything random comes from ``stream(seed, "checker")`` and the cluster's
own seeded streams, so a seed is a complete, reproducible bug report.

The workload
    ``clients`` clients, each with at most one operation in flight, over ``keys`` keys.
    Operations: read-modify-write (get, then put a fresh value over the get's context),
    blind write (the client forgets the key first: no context), delete (get, then
    delete over the get's context) and plain get. Every value written is unique
    (``"<client>-<i>"``). Between operations a client thinks for 0-20 ms of virtual time.
    Half the clients are partition-aware (they send to a replica), half go through a
    load balancer (any node, which coordinates itself if it can, as a stand-in or not).

The faults (``INJECTORS``, a dict so later faults plug in by name)
    crash a node and recover it later (never more than a minority down at once);
    partition the nodes into two groups and heal later; message loss 5% for a while;
    clock skew of one node by up to ±5 s. At the end: heal, recover every node, loss 0,
    settle, wait out the failure detectors, then read every key with ``r = n`` (read
    repair brings all its replicas up to date) and settle again.

What the checker knows
    Only what clients saw. A write records, at submission, what its context observed:
    the sibling values of the get it was made over, and the *dots* of the tombstones
    that get returned (a tombstone has no value; its dot names the delete that made
    it — the checker learns each delete's dot from the coordinator that created it).
    A blind write observed nothing.

The rules
    * Observed-by edges: ``v -> w`` when write ``w`` observed ``v`` (``v`` a value, or a
      delete whose tombstone ``w``'s get returned).
    * A write is *present* when its value is in the key's final read, or, for a delete,
      when its tombstone is among the final read's siblings.
    * An acknowledged put ``v`` is **lost** unless some write reachable from ``v`` along
      observed-by edges (``v`` itself included) is present: a later write that saw ``v``
      superseded it on purpose, and a delete that saw it removed it on purpose, as long
      as that later write or delete (or one that saw it, transitively) survived.
      Writes that were never acknowledged may be present or not; they still count as
      observers (a failed put can have been stored and seen).
    * A **phantom** is a value in any read (the final reads included) that no client
      ever tried to write to that key.
    * **Converged**: after the final reads and settling, every node on each key's
      preference list holds the same sibling set for the key, and no node holds a hint.

In ``dvv`` mode with sibling resolution nothing may be lost. ``lww`` drops concurrent
writes (and later ones, under skew), and ``vclock`` loses one of two writes made over
the same context through the same coordinator (they get equal clocks): the checker
reports both, which is how it proves it can see loss.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from random import Random
from typing import Any

from dynviz.client import GetResult, PutResult
from dynviz.cluster import Cluster, ClusterConfig, Pending
from dynviz.core.versions import Dot, Version
from dynviz.node.node import MS, SECOND
from dynviz.sim.rng import stream
from dynviz.wording import plural

VERSIONINGS = ("dvv", "vclock")
RESOLVERS = ("siblings", "lww")

Item = bytes | tuple[str, int]
"""What a write observed: a sibling value, or the dot of a tombstone sibling."""


# --------------------------------------------------------------------------- history


@dataclass(frozen=True, slots=True)
class Write:
    """One attempted put (``value`` set) or delete (``value`` None) of ``key``."""

    key: bytes
    value: bytes | None
    observed: tuple[Item, ...] = ()
    acked: bool = False
    dot: Dot | None = None  # a delete's tombstone dot, when the coordinator made one


@dataclass(frozen=True, slots=True)
class Verdict:
    lost_values: tuple[bytes, ...]
    phantom_values: tuple[bytes, ...]


def judge(writes: Sequence[Write], final: Mapping[bytes, Sequence[Item]],
          reads: Mapping[bytes, Iterable[bytes]] | None = None) -> Verdict:
    """Apply the rules of the module docstring to a history.

    ``final`` maps each key to its final read: sibling values (bytes) and tombstone dots
    (``(actor, counter)``). ``reads`` maps keys to every value any read returned (for
    phantoms; the final read is always included).
    """
    by_key: dict[bytes, list[int]] = {}
    for i, w in enumerate(writes):
        by_key.setdefault(w.key, []).append(i)
    lost: list[bytes] = []
    phantoms: list[bytes] = []
    keys = sorted(set(by_key) | set(final) | set(reads or ()))
    for key in keys:
        ids = by_key.get(key, [])
        by_value: dict[bytes, int] = {}
        by_dot: dict[Dot, list[int]] = {}
        for i in ids:
            w = writes[i]
            if w.value is not None:
                by_value[w.value] = i
            elif w.dot is not None:
                by_dot.setdefault(w.dot, []).append(i)
        # Reverse observed-by edges: observer -> the writes it observed.
        observed_by_writer: dict[int, list[int]] = {}
        for i in ids:
            targets: list[int] = []
            for item in writes[i].observed:
                if isinstance(item, bytes):
                    j = by_value.get(item)
                    if j is not None:
                        targets.append(j)
                else:
                    targets.extend(by_dot.get(item, ()))
            observed_by_writer[i] = targets
        state = final.get(key, ())
        present: list[int] = []
        for item in state:
            if isinstance(item, bytes):
                j = by_value.get(item)
                if j is not None:
                    present.append(j)
            else:
                present.extend(by_dot.get(item, ()))
        safe = set(present)
        stack = list(present)
        while stack:
            for j in observed_by_writer.get(stack.pop(), ()):
                if j not in safe:
                    safe.add(j)
                    stack.append(j)
        for i in ids:
            w = writes[i]
            if w.acked and w.value is not None and i not in safe:
                lost.append(w.value)
        seen = {v for v in state if isinstance(v, bytes)}
        if reads is not None:
            seen.update(reads.get(key, ()))
        phantoms.extend(v for v in sorted(seen) if v not in by_value)
    return Verdict(tuple(lost), tuple(phantoms))


# ----------------------------------------------------------------------------- config


@dataclass(frozen=True, slots=True)
class CheckConfig:
    seed: int
    ops: int = 200
    nodes: int = 5
    faults: tuple[str, ...] = ("crash", "partition", "loss", "skew", "join", "leave", "wipe")  # == FAULTS
    versioning: str = "dvv"
    resolver: str = "siblings"
    keys: int = 8
    clients: int = 4

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

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.phantoms == 0 and self.converged


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

    def add(self, report: SeedReport) -> None:
        self.reports.append(report)
        self.seeds += 1
        self.acked += report.acked
        self.lost += report.lost
        self.phantoms += report.phantoms
        self.converged += report.converged
        self.ops += report.ops
        self.failed_ops += report.failed_ops
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
            "failing_seeds": list(self.failing_seeds),
            "failures": [
                {"seed": r.seed, "lost": r.lost, "lost_values": list(r.lost_values[:20]),
                 "phantoms": r.phantoms, "phantom_values": list(r.phantom_values[:20]),
                 "converged": r.converged, "unconverged_keys": list(r.unconverged_keys)}
                for r in self.reports if not r.ok
            ],
        }


# ----------------------------------------------------------------------------- faults


class _Run:
    """One seed's run: the cluster, the checker's rng, and the history being recorded."""

    def __init__(self, config: CheckConfig) -> None:
        self.config = config
        names = tuple(f"n{i}" for i in range(1, config.nodes + 1))
        self.cluster = Cluster(ClusterConfig(
            nodes=names, seed=config.seed, versioning=config.versioning,
            resolver=config.resolver, n=3, r=2, w=2,
        ))
        self.rng: Random = stream(config.seed, "checker")
        self.keys = [f"k{i}".encode() for i in range(config.keys)]
        self.writes: list[Write] = []
        self.reads: dict[bytes, set[bytes]] = {}
        self.delete_dots: dict[int, Dot] = {}  # cluster request id -> tombstone dot
        self.budget = config.ops
        self.ops = 0
        self.failed_ops = 0
        self.busy = 0  # clients with an operation in flight
        self.ending = False
        self.partitioned = False
        self.lossy = False
        self.joins = 0
        self.leaves = 0
        self.wipes = 0
        self.script: list[tuple[int, str]] | None = None  # set to record the run as commands
        self._watch_deletes()

    def note(self, text: str) -> None:
        """Record what just happened as a command (for minimal reproductions)."""
        if self.script is not None:
            self.script.append((self.cluster.now, text))

    # -- learning each delete's tombstone dot ---------------------------------------

    def _watch_deletes(self) -> None:
        """Record the dot of every tombstone a coordinator creates against the request
        that made it, through the nodes' observer hook (they are not otherwise touched)."""

        def observe(req: int, version: Version) -> None:
            if version.value is None:
                self.delete_dots[req] = version.dot

        self.cluster.observe_versions(observe)

    # -- fault helpers ------------------------------------------------------------------

    def later(self, lo: int, hi: int, fn: Callable[[], None]) -> None:
        self.cluster.scheduler.after(self.rng.randint(lo, hi), self._unless_ended, fn)

    def _unless_ended(self, fn: Callable[[], None]) -> None:
        if not self.ending:
            fn()


def _crash(run: _Run) -> None:
    cluster = run.cluster
    names = list(cluster.nodes)
    down = cluster.network.down
    if len(down) + 1 > (len(names) - 1) // 2:
        return
    up = [n for n in names if n not in down]
    victim = up[run.rng.randrange(len(up))]
    run.note(f"kill {victim}")
    cluster.kill(victim)

    def recover() -> None:
        if not cluster.is_up(victim):
            run.note(f"recover {victim}")
            cluster.recover(victim)

    run.later(100 * MS, 1500 * MS, recover)


def _partition(run: _Run) -> None:
    if run.partitioned:
        return
    cluster = run.cluster
    names = list(cluster.nodes)
    run.rng.shuffle(names)
    cut = run.rng.randint(1, len(names) - 1)
    groups = [sorted(names[:cut]), sorted(names[cut:])]
    run.note(f"partition {','.join(groups[0])} | {','.join(groups[1])}")
    cluster.partition(groups)
    run.partitioned = True

    def heal() -> None:
        run.note("heal")
        cluster.heal()
        run.partitioned = False

    run.later(100 * MS, 1000 * MS, heal)


def _loss(run: _Run) -> None:
    if run.lossy:
        return
    run.note("loss 0.05")
    run.cluster.set_loss(0.05)
    run.lossy = True

    def clear() -> None:
        run.note("loss 0")
        run.cluster.set_loss(0.0)
        run.lossy = False

    run.later(100 * MS, 1000 * MS, clear)


def _skew(run: _Run) -> None:
    cluster = run.cluster
    names = list(cluster.nodes)
    node = names[run.rng.randrange(len(names))]
    micros = run.rng.randint(-5 * SECOND, 5 * SECOND)
    run.note(f"skew {node} {micros:+d}us")
    cluster.skew(node, micros)


def _join(run: _Run) -> None:
    cluster = run.cluster
    if cluster.ring_change_in_progress() or run.joins >= 2:
        return
    run.joins += 1
    name = f"n{len(cluster.nodes) + 1}"
    run.note(f"join {name}")
    cluster.join(name)


def _live_members(run: _Run) -> list[str]:
    cluster = run.cluster
    return [n for n in cluster.nodes
            if cluster.is_up(n) and n not in cluster.departed
            and cluster.gossip_of(n).view.members[n].status == "up"]


def _leave(run: _Run) -> None:
    cluster = run.cluster
    live = _live_members(run)
    if cluster.ring_change_in_progress() or run.leaves >= 1 or len(live) <= 4:
        return
    candidates = [n for n in live if n not in cluster.config.seed_nodes]
    if candidates:
        run.leaves += 1
        leaver = candidates[run.rng.randrange(len(candidates))]
        run.note(f"leave {leaver}")
        cluster.leave(leaver)


def _wipe(run: _Run) -> None:
    """The kv679 fault: a node loses its disk and comes back empty, as a new actor."""
    # One disk lost per run: with N=3 and W=2 every acknowledged write has two copies,
    # so one wipe can never destroy the last; two wipes before repair could (that is
    # data loss by the fault schedule, not by the protocol, and proves nothing).
    if run.wipes >= 1:
        return
    run.wipes += 1
    cluster = run.cluster
    live = [n for n in cluster.nodes if n not in cluster.departed]
    victim = live[run.rng.randrange(len(live))]
    run.note(f"wipe {victim}")
    cluster.wipe(victim)


INJECTORS: dict[str, Callable[[_Run], None]] = {
    "crash": _crash,
    "partition": _partition,
    "loss": _loss,
    "skew": _skew,
    "join": _join,
    "leave": _leave,
    "wipe": _wipe,
}
"""Fault name -> injector. An injector applies one fault now and schedules its undo
(``run.later``); undos are skipped once the run ends, which heals everything itself."""

FAULTS: tuple[str, ...] = tuple(INJECTORS)


# --------------------------------------------------------------------------- workload


def observed_items(result: GetResult) -> tuple[Item, ...]:
    """What a read showed its client: sibling values, and the dots of deleted siblings."""
    return tuple(v.value if v.value is not None else v.dot for v in result.versions)


class _ClientLoop:
    """One client: issues its next operation only after the previous one completed."""

    __slots__ = ("run", "name", "count", "failed")

    def __init__(self, run: _Run, name: str) -> None:
        self.run = run
        self.name = name
        self.count = 0
        self.failed = False

    def schedule(self) -> None:
        run = self.run
        if run.budget <= 0:
            return
        run.budget -= 1
        run.busy += 1
        run.cluster.scheduler.after(run.rng.randint(0, 20 * MS), self.start)

    def start(self) -> None:
        run = self.run
        rng = run.rng
        key = run.keys[rng.randrange(len(run.keys))]
        roll = rng.random()
        run.ops += 1
        self.failed = False
        if roll < 0.45:
            self._get(key, then="put")
        elif roll < 0.65:
            run.cluster.client(self.name).forget(key)
            self._write(key, self._value(), ())
        elif roll < 0.75:
            self._get(key, then="delete")
        else:
            self._get(key, then=None)

    def _value(self) -> bytes:
        self.count += 1
        return f"{self.name}-{self.count}".encode()

    def _get(self, key: bytes, then: str | None) -> None:
        pending = self.run.cluster.submit_get(key, client=self.name)
        self.run.note(f"as {self.name} get {key.decode()} via={pending.entry}")
        pending.callbacks.append(lambda p: self._got(p, then))

    def _got(self, pending: Pending, then: str | None) -> None:
        run = self.run
        result = pending.result
        assert isinstance(result, GetResult)
        if result.ok:
            if result.values:
                run.reads.setdefault(result.key, set()).update(result.values)
            observed = observed_items(result)
        else:
            self.failed = True
            # The client's remembered context is older than this failed read: write
            # blind rather than over a context the checker cannot attribute.
            run.cluster.client(self.name).forget(result.key)
            observed = ()
        if then == "put":
            self._write(result.key, self._value(), observed)
        elif then == "delete":
            self._write(result.key, None, observed)
        else:
            self._done()

    def _write(self, key: bytes, value: bytes | None, observed: tuple[Item, ...]) -> None:
        run = self.run
        cluster = run.cluster
        if value is None:
            pending = cluster.submit_delete(key, client=self.name)
            run.note(f"as {self.name} delete {key.decode()} via={pending.entry}")
        else:
            pending = cluster.submit_put(key, value, client=self.name)
            # A blind write (no context) is a fresh client in the script.
            writer = self.name if observed or cluster.client(self.name).contexts.get(key) else \
                f"{self.name}b{self.count}"
            run.note(f"as {writer} put {key.decode()} {value.decode()} via={pending.entry}")
        index = len(run.writes)
        run.writes.append(Write(key, value, observed))

        def written(p: Pending) -> None:
            result = p.result
            assert isinstance(result, PutResult)
            w = run.writes[index]
            run.writes[index] = Write(w.key, w.value, w.observed, result.ok, run.delete_dots.get(p.req))
            if not result.ok:
                self.failed = True
            self._done()

        pending.callbacks.append(written)

    def _done(self) -> None:
        self.run.failed_ops += self.failed
        self.run.busy -= 1
        self.schedule()


def _fault_loop(run: _Run, faults: Sequence[str]) -> None:
    def tick() -> None:
        if run.ending or (run.budget <= 0 and run.busy == 0):
            return
        INJECTORS[faults[run.rng.randrange(len(faults))]](run)
        run.cluster.scheduler.after(run.rng.randint(20 * MS, 250 * MS), tick)

    run.cluster.scheduler.after(run.rng.randint(0, 100 * MS), tick)


def check_seed(config: CheckConfig, script: list[tuple[int, str]] | None = None) -> SeedReport:
    """Run one seed's workload under faults, heal, settle, and judge the history.
    With ``script``, every operation and fault is appended to it as a command."""
    run = _Run(config)
    run.script = script
    cluster = run.cluster
    sched = cluster.scheduler
    for i in range(config.clients):
        name = f"c{i + 1}"
        # Both routing paths (DESIGN §3): odd clients hold the ring (zero-hop to a
        # replica), even ones go through a load balancer to any node, which then
        # coordinates as a stand-in or forwards.
        cluster.client(name).routing = "aware" if i % 2 == 0 else "lb"
        _ClientLoop(run, name).schedule()
    if config.faults:
        _fault_loop(run, config.faults)
    while run.busy:
        sched.run_until(sched.now + 50 * MS, stop=lambda: run.busy == 0)

    # The end: undo every fault, let hints drain and suspicions expire, then read
    # every key at r=n so read repair brings each replica up to date.
    run.ending = True
    cluster.heal()
    cluster.set_loss(0.0)
    for name in list(cluster.nodes):
        if not cluster.is_up(name) and name not in cluster.departed:
            cluster.recover(name)
    cluster.settle()
    cluster.run(cluster.config.suspect_for + 100 * MS)
    cluster.settle()
    n = cluster.config.n
    final: dict[bytes, tuple[Item, ...]] = {}
    for key in run.keys:
        result: GetResult | None = None
        for _ in range(3):
            got = cluster.get(key, client="checker", r=n)
            assert isinstance(got, GetResult)
            if got.ok:
                result = got
                break
        if result is None:
            stored = cluster.nodes[cluster.ring.preference_list(key, n)[0]].store.get(key)
            final[key] = tuple(v.value if v.value is not None else v.dot for v in (stored or ()))
        else:
            final[key] = observed_items(result)
    cluster.settle()
    unconverged = []
    for key in run.keys:
        plist = cluster.ring.preference_list(key, n)
        held = [cluster.nodes[name].store.get(key) for name in plist]
        if any(h != held[0] for h in held[1:]):
            unconverged.append(key.decode())
    hints = sum(len(node.hints) for node in cluster.nodes.values())
    if hints:
        unconverged.append(f"({plural(hints, 'hint')} left)")
    verdict = judge(run.writes, final, run.reads)
    report = SeedReport(
        seed=config.seed,
        acked=sum(1 for w in run.writes if w.acked and w.value is not None),
        lost=len(verdict.lost_values),
        lost_values=tuple(v.decode() for v in verdict.lost_values),
        phantoms=len(verdict.phantom_values),
        phantom_values=tuple(v.decode("latin-1") for v in verdict.phantom_values),
        converged=not unconverged,
        unconverged_keys=tuple(unconverged),
        ops=run.ops,
        failed_ops=run.failed_ops,
        digest=cluster.digest(),
    )
    cluster.close()
    return report


def run_campaign(seeds: Iterable[int], base: CheckConfig,
                 progress: Callable[[int, SeedReport], None] | None = None, jobs: int = 1) -> CampaignReport:
    """Check every seed with ``base``'s other settings; ``progress(seed, report)`` after each.

    With ``jobs`` > 1 the seeds run in that many worker processes. Each seed is its own
    deterministic simulation, so the reports are the same whatever the parallelism;
    they are collected in seed order."""
    campaign = CampaignReport()
    configs = [_with_seed(base, seed) for seed in seeds]
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


def _with_seed(base: CheckConfig, seed: int) -> CheckConfig:
    return CheckConfig(seed, base.ops, base.nodes, base.faults, base.versioning, base.resolver,
                       base.keys, base.clients)


def reproduce_command(seed: int, base: CheckConfig) -> str:
    """The one command that re-runs exactly this seed."""
    faults = ",".join(base.faults) if base.faults else "none"
    if tuple(base.faults) == FAULTS:
        faults = "all"
    cmd = (f"dynviz check --seeds 1 --first-seed {seed} --ops {base.ops} --nodes {base.nodes} "
           f"--faults {faults} --versioning {base.versioning}")
    if base.resolver != "siblings":
        cmd += f" --resolver {base.resolver}"
    return cmd


# -------------------------------------------------------------------------------- CLI


def parse_faults(text: str) -> tuple[str, ...]:
    """``all``, ``none`` or a comma-separated list of fault names."""
    text = text.strip()
    if text == "all":
        return FAULTS
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
                        help=f"'all', 'none' or a comma list of {','.join(INJECTORS)} (default all)")
    parser.add_argument("--versioning", default="dvv", choices=list(VERSIONINGS),
                        help="dvv (dotted version vectors, default) or vclock (the paper's clocks)")
    parser.add_argument("--resolver", default="siblings", choices=list(RESOLVERS),
                        help="siblings (keep concurrent writes, default) or lww (last write wins)")
    parser.add_argument("--repro-dir", default="dynviz-check-failures",
                        help="where minimal reproductions of failing seeds are written as session files "
                             "(default ./dynviz-check-failures; at most 10)")
    parser.add_argument("--no-repro", action="store_true", help="do not shrink failing seeds")
    parser.add_argument("--jobs", type=_jobs, default=None, metavar="N",
                        help="worker processes, a whole number >= 1 (default: one per core; "
                             "1 runs in this process)")
    parser.add_argument("--json", action="store_true", help="print one JSON summary object")


def main_check(args: argparse.Namespace) -> int:
    """What ``dynviz check`` runs: 0 when every seed passed, 1 otherwise.

    Bad option values raise ``ValueError`` with a one-line message."""
    if args.seeds < 1:
        raise ValueError(f"--seeds must be at least 1, got {args.seeds}")
    base = CheckConfig(
        seed=args.first_seed, ops=args.ops, nodes=args.nodes, faults=parse_faults(args.faults),
        versioning=args.versioning, resolver=args.resolver,
    )
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    jobs = getattr(args, "jobs", None)
    if jobs is None:
        jobs = os.cpu_count() or 1
    elif isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"--jobs must be a whole number of worker processes, at least 1; got {jobs!r}")
    finished = 0

    def count(seed: int, report: SeedReport) -> None:
        nonlocal finished
        finished += 1

    def stopped() -> KeyboardInterrupt:
        return KeyboardInterrupt(f"check interrupted after {finished} of {plural(args.seeds, 'seed')}; "
                                 f"nothing reported")

    if args.json:
        try:
            campaign = run_campaign(seeds, base, count, jobs=jobs)
        except KeyboardInterrupt:
            raise stopped() from None
        out = campaign.as_json()
        out["reproduce"] = {str(s): reproduce_command(s, base) for s in campaign.failing_seeds}
        out["sessions"] = {str(seed): path for seed, path in _shrink_failures(campaign, base, args)}
        print(json.dumps(out))
        return 0 if campaign.ok else 1

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    err = Console(stderr=True)
    with Progress(TextColumn("checking"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[status]}"),
                  TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("check", total=args.seeds, status="")
        failed = 0

        def progress(seed: int, report: SeedReport) -> None:
            nonlocal failed
            failed += not report.ok
            count(seed, report)
            bar.update(task, advance=1, status=f"seed {seed}, {failed} failing")

        try:
            campaign = run_campaign(seeds, base, progress, jobs=jobs)
        except KeyboardInterrupt:
            raise stopped() from None
    out = Console()
    faults = ",".join(base.faults) or "none"
    table = Table(title=f"dynviz check: {base.versioning}/{base.resolver}, {plural(base.nodes, 'node')}, "
                        f"{plural(base.ops, 'op')} per seed, faults {faults}")
    table.add_column("seeds", justify="right")
    table.add_column("ops", justify="right")
    table.add_column("acked writes", justify="right")
    table.add_column("lost", justify="right")
    table.add_column("phantoms", justify="right")
    table.add_column("converged", justify="right")
    table.add_column("failing seeds", justify="right")
    table.add_row(str(campaign.seeds), str(campaign.ops), str(campaign.acked),
                  _mark(campaign.lost), _mark(campaign.phantoms),
                  f"{campaign.converged}/{campaign.seeds}", _mark(len(campaign.failing_seeds)))
    out.print(table)
    for report in campaign.reports:
        if report.ok:
            continue
        what = []
        if report.lost:
            what.append(f"{report.lost} lost ({', '.join(report.lost_values[:5])}{', ...' if report.lost > 5 else ''})")
        if report.phantoms:
            what.append(plural(report.phantoms, "phantom"))
        if not report.converged:
            what.append(f"not converged: {', '.join(report.unconverged_keys)}")
        out.print(f"seed {report.seed}: {'; '.join(what)}", markup=False, highlight=False, soft_wrap=True)
        out.print(f"  reproduce: {reproduce_command(report.seed, base)}", markup=False, highlight=False, soft_wrap=True)
    if not campaign.ok and not getattr(args, "no_repro", False):
        with err.status("shrinking failing seeds to minimal reproductions..."):
            shrunk = _shrink_failures(campaign, base, args)
        for seed, path in shrunk:
            out.print(f"seed {seed}: minimal reproduction: dynviz replay {path}", markup=False, highlight=False,
                      soft_wrap=True)
    return 0 if campaign.ok else 1


def _shrink_failures(campaign: CampaignReport, base: CheckConfig, args: argparse.Namespace,
                     limit: int = 10) -> list[tuple[int, str]]:
    """Minimal session files for the first failing seeds (see ``dynviz.reproduce``)."""
    if getattr(args, "no_repro", False) or not campaign.failing_seeds:
        return []
    from dynviz.reproduce import reproduce

    made = []
    for seed in campaign.failing_seeds[:limit]:
        found = reproduce(_with_seed(base, seed), getattr(args, "repro_dir", "dynviz-check-failures"))
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
