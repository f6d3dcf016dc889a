"""One check run: a cluster driven by commands of the command language, what its clients
saw, and the ending every run shares.

A run is either live (the workload of :mod:`dynviz.check.workload` decides each
operation and fault as it goes) or a replay of a recorded workload (the shrinker's
candidates, :mod:`dynviz.check.shrink`). Either way the faults and the ending are
commands applied through the :class:`~dynviz.executor.Executor`, client requests go
through :meth:`Scenario.issue` or the workload's own submission, and the history is kept
by one :class:`~dynviz.check.history.History`. With a
:class:`~dynviz.session.recording.Recorder`, every command issued is written to a
session file as well, so the run can be replayed and verified (``dynviz replay``).

The ending, written once (:meth:`Scenario.end`), as commands
    ``heal``, ``loss 0``, ``latency`` back to the cluster's, ``recover`` every node that is down (and not removed),
    ``settle``, ``run`` out the failure detectors' suspicion (``suspect_for`` + 100 ms),
    ``settle``; then, while some live node still holds keys its ring no longer gives it
    (ownership handoff waits a grace period after a ring change or a restart),
    ``run`` one grace period and ``settle`` again (a few times at most). Then it depends
    on who is to repair the replicas:

    * **read repair on** (the cluster's default): ``as checker get KEY r=N`` for every
      key, one at a time, each run to its answer (read repair brings the key's replicas
      up to date; a read that fails is tried twice more, and a key no read answered is
      judged by what the first node of its preference list stores); then ``settle``;
      then the replicas are judged (below).
    * **read repair off** (``readrepair=off``): anti-entropy alone must make the
      replicas whole. ``antientropy A B`` for every pair of live nodes that share a
      range (one pass in name order: each exchange is two-way, so after it every
      replica of a range holds what any held), ``settle``; the replicas are judged
      *before any read touches them*; then the final reads as above.

The verdict
    The judge's (:mod:`dynviz.check.judge`) over the history and the final reads (lost
    writes, phantoms, and superseded siblings: a sibling that another sibling of the same
    answer observed, in the final reads or in any get of the run), and the replicas': every node on each key's preference list
    holds the same sibling set (**converged**), no node holds a hint, and, with read
    repair off, each replica on its own passes the judge (**replicas**: an acknowledged
    write missing from one copy is a finding even when another copy still has it).
    The run-time invariants (:mod:`dynviz.check.invariants`) add what they saw.

    Why the replicas are judged one by one only with read repair off: with it on, an
    acknowledged write may rightly sit on W copies only until some repair runs (its
    coordinator crashed before the last replica answered, and no hint was made), so
    there the final reads' repair is part of the protocol under test, and the replicas
    are judged after it (a replica it did not fix leaves the key unconverged).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from dynviz import commands as c
from dynviz.check.history import History
from dynviz.check.invariants import Invariants, Violation
from dynviz.check.judge import Item, Write, items, judge, superseded_in
from dynviz.client import GetResult
from dynviz.cluster import ClusterConfig, ClusterError, Pending
from dynviz.core.units import MS, SECOND
from dynviz.core.versions import Siblings
from dynviz.executor import Executor
from dynviz.node.rebalance import GRACE
from dynviz.session.recording import Recorder
from dynviz.storage.base import StorageError
from dynviz.wording import plural

Recording = list[tuple[int, str]]
"""A recorded workload: each command's text with the virtual time it was issued at."""

CHECKER = "checker"
"""The client that makes the final reads."""

FINAL_READ_TRIES = 3
OWNERSHIP_ROUNDS = 5
"""How many grace periods the ending waits for ownership handoff at most."""


class CheckError(RuntimeError):
    """One of the checker's own commands was refused: a bug in the checker or the cluster."""


@dataclass(frozen=True, slots=True)
class SeedVerdict:
    """What the end of a run found (the values as bytes, the keys as text)."""

    lost: tuple[bytes, ...]
    phantoms: tuple[bytes, ...]
    unconverged: tuple[str, ...]  # keys whose replicas differ, and "(N hints left)"
    superseded: tuple[bytes, ...] = ()  # returned siblings another returned sibling observed
    replicas: tuple[str, ...] = ()  # "KEY on NODE: what the judge found" (read repair off)
    violations: tuple[Violation, ...] = ()  # run-time invariants broken

    @property
    def failed(self) -> bool:
        return bool(self.lost or self.phantoms or self.unconverged or self.superseded or self.replicas
                    or self.violations)


class Scenario:
    """A fresh cluster for one run, driven by commands, with its clients' history."""

    __slots__ = ("executor", "cluster", "keys", "history", "recorder", "invariants")

    def __init__(self, config: ClusterConfig, keys: Iterable[bytes], recorder: Recorder | None = None,
                 invariants: bool = True) -> None:
        self.executor = Executor(config=config)
        self.cluster = self.executor.cluster
        self.keys: tuple[bytes, ...] = tuple(keys)
        self.history = History(self.cluster)
        self.recorder = recorder
        self.invariants = Invariants(self.cluster) if invariants else None

    def issue(self, text: str, *, strict: bool = False) -> Pending[Any] | None:
        """Carry out one command now, as a session replay would: a request (get, put,
        delete) is submitted and returned, its answer followed by the history; anything
        else runs to completion. A command the cluster refuses (a shrunk workload can
        name a node whose ``join`` was cut) is skipped, as a replay skips it, unless
        ``strict``: the checker's own commands are never wrong."""
        if self.recorder is not None:
            self.recorder.record(self.cluster, text, "typed")
        command = c.parse_line(text)
        assert command is not None, text
        if isinstance(command, (c.Get, c.Put, c.Delete)):
            try:
                return self._submit(command)
            except (ClusterError, StorageError):
                if strict:
                    raise
                return None
        outcome = self.executor.execute(command)
        if strict and outcome.invalid:
            raise CheckError(f"the checker's command {text!r} failed: {outcome.error}")
        return None

    def _submit(self, command: c.Get | c.Put | c.Delete) -> Pending[Any]:
        """Submit a request exactly as ``Executor.submit`` does, and follow it."""
        cluster = self.cluster
        client = command.client or "client"  # the cluster's name for a request without one
        if isinstance(command, c.Get):
            read = cluster.submit_get(command.key, command.client, command.via, command.n, command.r, command.pr)
            self.history.track_get(client, read)
            return read
        if isinstance(command, c.Put):
            write = cluster.submit_put(command.key, command.value, command.client, command.via, command.n,
                                       command.w, command.pw, command.context)
        else:
            write = cluster.submit_delete(command.key, command.client, command.via, None, command.w)
        self.history.track_write(client, write)
        return write

    def play(self, recording: Sequence[tuple[int, str]]) -> None:
        """Issue each recorded command at its time (or now, when the run is already past
        it), then give the last requests a second to be answered."""
        cluster = self.cluster
        for time, text in recording:
            cluster.run_until(max(time, cluster.now))
            self.issue(text)
        cluster.run(SECOND)

    # -- the ending --------------------------------------------------------------------

    def end(self) -> SeedVerdict:
        """Undo every fault, settle, read every key at R=N, settle, and judge (see the
        module docstring)."""
        cluster = self.cluster
        down = [name for name in cluster.nodes if not cluster.is_up(name) and name not in cluster.departed]
        lo, hi = cluster.config.latency
        if cluster.network.holds:  # a reorder fault's hold the workload's end cut short
            self.issue("release", strict=True)
        for text in ("heal", "loss 0", f"latency {lo}us..{hi}us", *(f"recover {name}" for name in down),
                     "settle", f"run {cluster.config.suspect_for + 100 * MS}us", "settle"):
            self.issue(text, strict=True)
        self._await_ownership_handoff()
        replicas: tuple[str, ...] = ()
        if not cluster.config.readrepair:
            self._antientropy_sweep()
            self.issue("settle", strict=True)
            replicas = self._judge_replicas()
            unconverged = self._unconverged()
        final = {key: self._final_read(key) for key in self.keys}
        self.issue("settle", strict=True)
        if cluster.config.readrepair:
            unconverged = self._unconverged()
        judged = judge(self.history.writes, final, self.history.reads)
        superseded = tuple(dict.fromkeys(judged.superseded_values
                                         + superseded_in(self.history.writes, self.history.answers)))
        violations = tuple(self.invariants.violations) if self.invariants is not None else ()
        return SeedVerdict(judged.lost_values, judged.phantom_values, unconverged, superseded, replicas, violations)

    def _await_ownership_handoff(self) -> None:
        """Wait while some live node still holds keys its ring no longer gives it: it
        hands them to their new replicas a grace period after it learnt the ring (and
        again after a restart), and until then it may hold the only copy of a write."""
        cluster = self.cluster
        for _ in range(OWNERSHIP_ROUNDS):
            if not any(cluster.is_up(name) and node.rebalance.unowned_keys() for name, node in cluster.nodes.items()):
                return
            self.issue(f"run {GRACE + 100 * MS}us", strict=True)
            self.issue("settle", strict=True)

    def _antientropy_sweep(self) -> None:
        """One anti-entropy exchange between every pair of live nodes sharing a range."""
        cluster = self.cluster
        live = sorted(name for name in cluster.nodes if cluster.is_up(name) and name not in cluster.departed)
        for i, a in enumerate(live):
            for b in live[i + 1:]:
                if cluster.nodes[a].antientropy.shared_ranges(b):
                    self.issue(f"antientropy {a} {b}", strict=True)

    def _judge_replicas(self) -> tuple[str, ...]:
        """Each replica of each key, judged on its own as if it were the final read."""
        cluster = self.cluster
        n = cluster.config.n
        writes: dict[bytes, list[Write]] = {}
        for w in self.history.writes:
            writes.setdefault(w.key, []).append(w)
        found = []
        for key in self.keys:
            for name in cluster.ring.preference_list(key, n):
                stored = cluster.nodes[name].store.get(key)
                assert stored is None or isinstance(stored, Siblings)
                verdict = judge(writes.get(key, []), {key: items(stored)})
                what = [f"{label} {', '.join(v.decode('latin-1') for v in values)}"
                        for label, values in (("lacks", verdict.lost_values), ("phantom", verdict.phantom_values),
                                              ("superseded", verdict.superseded_values)) if values]
                if what:
                    found.append(f"{key.decode('latin-1')} on {name}: {'; '.join(what)}")
        return tuple(found)

    def _final_read(self, key: bytes) -> tuple[Item, ...]:
        cluster = self.cluster
        n = cluster.config.n
        for _ in range(FINAL_READ_TRIES):
            pending = self.issue(f"as {CHECKER} get {key.decode()} r={n}", strict=True)
            assert pending is not None
            result = cluster.wait(pending)
            assert isinstance(result, GetResult)
            if result.ok:
                return items(result.siblings)
        stored = cluster.nodes[cluster.ring.preference_list(key, n)[0]].store.get(key)
        assert stored is None or isinstance(stored, Siblings)
        return items(stored)

    def _unconverged(self) -> tuple[str, ...]:
        """The keys whose preference-list replicas differ, then the hints left, if any."""
        cluster = self.cluster
        n = cluster.config.n
        found = []
        for key in self.keys:
            held = [cluster.nodes[name].store.get(key) for name in cluster.ring.preference_list(key, n)]
            if any(h != held[0] for h in held[1:]):
                found.append(key.decode())
        hints = sum(len(node.hints) for node in cluster.nodes.values())
        if hints:
            found.append(f"({plural(hints, 'hint')} left)")
        return tuple(found)

    def close(self) -> None:
        self.cluster.close()
