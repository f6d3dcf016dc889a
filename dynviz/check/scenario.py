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
    ``heal``, ``loss 0``, ``recover`` every node that is down (and not removed),
    ``settle``, ``run`` out the failure detectors' suspicion (``suspect_for`` + 100 ms),
    ``settle``; then ``as checker get KEY r=N`` for every key, one at a time, each run
    to its answer (read repair brings the key's replicas up to date; a read that fails
    is tried twice more, and a key no read answered is judged by what the first node of
    its preference list stores); then ``settle``.

The verdict
    The judge's (:mod:`dynviz.check.judge`) over the history and the final reads, and
    **converged**: after the final reads and settling, every node on each key's
    preference list holds the same sibling set for the key, and no node holds a hint.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from dynviz import commands as c
from dynviz.check.history import History
from dynviz.check.judge import Item, items, judge
from dynviz.client import GetResult
from dynviz.cluster import ClusterConfig, ClusterError, Pending
from dynviz.core.units import MS, SECOND
from dynviz.core.versions import Siblings
from dynviz.executor import Executor
from dynviz.session.recording import Recorder
from dynviz.storage.base import StorageError
from dynviz.wording import plural

Recording = list[tuple[int, str]]
"""A recorded workload: each command's text with the virtual time it was issued at."""

CHECKER = "checker"
"""The client that makes the final reads."""

FINAL_READ_TRIES = 3


class CheckError(RuntimeError):
    """One of the checker's own commands was refused: a bug in the checker or the cluster."""


@dataclass(frozen=True, slots=True)
class SeedVerdict:
    """What the end of a run found (the values as bytes, the keys as text)."""

    lost: tuple[bytes, ...]
    phantoms: tuple[bytes, ...]
    unconverged: tuple[str, ...]  # keys whose replicas differ, and "(N hints left)"

    @property
    def failed(self) -> bool:
        return bool(self.lost or self.phantoms or self.unconverged)


class Scenario:
    """A fresh cluster for one run, driven by commands, with its clients' history."""

    __slots__ = ("executor", "cluster", "keys", "history", "recorder")

    def __init__(self, config: ClusterConfig, keys: Iterable[bytes], recorder: Recorder | None = None) -> None:
        self.executor = Executor(config=config)
        self.cluster = self.executor.cluster
        self.keys: tuple[bytes, ...] = tuple(keys)
        self.history = History(self.cluster)
        self.recorder = recorder

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
                                       command.w, command.pw)
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
        for text in ("heal", "loss 0", *(f"recover {name}" for name in down),
                     "settle", f"run {cluster.config.suspect_for + 100 * MS}us", "settle"):
            self.issue(text, strict=True)
        final = {key: self._final_read(key) for key in self.keys}
        self.issue("settle", strict=True)
        judged = judge(self.history.writes, final, self.history.reads)
        return SeedVerdict(judged.lost_values, judged.phantom_values, self._unconverged())

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
