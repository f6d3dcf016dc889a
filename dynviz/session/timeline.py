"""Seek anywhere in a session, rewind, and branch without losing the old future.

A :class:`Timeline` replays a session on an :class:`~dynviz.executor.Executor` (the app's,
or its own) and keeps **checkpoints**: a snapshot of the cluster taken right after a
command was issued, every ``every_commands`` commands or ``every_events`` simulation
events, whichever comes first. ``seek(t)`` restores the nearest checkpoint at or before
``t`` (or simply continues when ``t`` is ahead) and re-simulates forward: the recorded
commands are issued again exactly as in :mod:`dynviz.session.replay`, so the state after a
seek is the state a straight run has at ``t``, and continuing from it gives the same
trace digest (DESIGN §2).

How a snapshot is made. ``copy.deepcopy`` of a cluster does *not* work: the trace keeps
a bound ``list.append`` of its buffer (``Trace.append``), which ``deepcopy`` treats as
atomic, so a copy keeps writing into the original's trace (its digest diverged in our
measurement), and the trace's ``hashlib`` object cannot be deep-copied at all. A
snapshot is therefore an in-memory ``pickle`` of the cluster made with a pickler that
keeps aside what must not be copied: the event bus (shared, so the app keeps receiving
events), the trace's running hash (copied with ``hash.copy()``) and local functions
(request callbacks, shared as ``deepcopy`` would). Bound methods in the scheduler's heap
pickle as (object, name) pairs and are rebound to the copies. Snapshots never leave the
process and are never read from a file; session files stay pure data. On the default
8-node cluster a snapshot takes about 10 ms and 200-300 KB. A cluster that cannot be
pickled (``storage=sqlite`` holds database connections) makes the timeline fall back to
re-simulating from the start for every backward seek (``checkpoints_enabled`` is then
false, and ``checkpoint_problem`` says why).

Time on a timeline is *session time*: virtual time that keeps counting across a
``cluster`` command (whose new cluster's clock starts again at zero).

Branches. Seeking back and then acting (:meth:`Timeline.branch`) starts a new branch:
the commands before the current position, then the new one. The old future stays as
its own branch; :meth:`branches` lists them, :meth:`switch` moves to one (at the same
session time), :meth:`save` writes one as a session file with its own footer.
"""

from __future__ import annotations

import bisect
import hashlib
import io
import os
import pickle
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dynviz import commands as c
from dynviz.cluster import Cluster
from dynviz.events import EventBus
from dynviz.executor import Executor, Outcome
from dynviz.session.recording import (
    Footer,
    RecordedCommand,
    Session,
    SessionError,
    check_command,
    write_session,
)
from dynviz.session.replay import issue, move_to, new_executor, place
from dynviz.wording import plural

_HASH_TYPE = type(hashlib.sha256())


class _SnapshotPickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, aside: list[Any]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.aside = aside

    def persistent_id(self, obj: Any) -> int | None:
        if isinstance(obj, (EventBus, _HASH_TYPE)) or (
                isinstance(obj, types.FunctionType) and "<" in obj.__qualname__):
            self.aside.append(obj.copy() if isinstance(obj, _HASH_TYPE) else obj)
            return len(self.aside) - 1
        return None


class _SnapshotUnpickler(pickle.Unpickler):
    def __init__(self, data: bytes, aside: list[Any]) -> None:
        super().__init__(io.BytesIO(data))
        self.aside = aside

    def persistent_load(self, pid: Any) -> Any:
        obj = self.aside[pid]
        return obj.copy() if isinstance(obj, _HASH_TYPE) else obj


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A frozen copy of a cluster; :meth:`restore` can be called any number of times."""

    data: bytes
    aside: tuple[Any, ...]

    @classmethod
    def take(cls, cluster: Cluster) -> Snapshot:
        buffer = io.BytesIO()
        aside: list[Any] = []
        _SnapshotPickler(buffer, aside).dump(cluster)
        return cls(buffer.getvalue(), tuple(aside))

    def restore(self) -> Cluster:
        cluster: Cluster = _SnapshotUnpickler(self.data, list(self.aside)).load()  # take() pickled a Cluster
        return cluster


@dataclass(slots=True)
class Checkpoint:
    index: int  # commands issued
    time: int  # session time when it was taken
    offset: int  # session time at which the current cluster's clock was zero
    snapshot: Snapshot


@dataclass(slots=True)
class Branch:
    id: int
    parent: int | None
    fork: int  # commands shared with the parent
    commands: list[RecordedCommand]
    starts: list[int]  # session time of each command
    offsets: list[int]  # session time at which each command's cluster started
    end: int  # session time where the branch ends
    footer: Footer | None = None  # the recording's, for the original branch
    checkpoints: list[Checkpoint] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class BranchInfo:
    id: int
    parent: int | None
    fork: int
    commands: int
    end: int
    current: bool
    first: str = ""  # the command that starts the branch (the choice made differently)


def _session_times(commands: list[RecordedCommand]) -> tuple[list[int], list[int]]:
    starts: list[int] = []
    offsets: list[int] = []
    offset = 0
    for rc in commands:
        starts.append(offset + rc.time)
        offsets.append(offset)
        if isinstance(rc.command, c.Cluster):
            offset = offset + rc.time
    return starts, offsets


class Timeline:
    """Seekable, branchable replay of a session (see the module docstring)."""

    def __init__(self, session: Session, executor: Executor | None = None, *, bus: EventBus | None = None,
                 on_outcome: Callable[[Outcome], None] | None = None, every_commands: int = 100,
                 every_events: int = 50_000) -> None:
        self.session = session
        self.executor = executor or new_executor(session, bus=bus)
        self.on_outcome = on_outcome
        self.every_commands = every_commands
        self.every_events = every_events
        starts, offsets = _session_times(session.commands)
        last_offset = 0
        if session.commands:
            last = session.commands[-1]
            last_offset = starts[-1] if isinstance(last.command, c.Cluster) else offsets[-1]
        end = max([last_offset + session.end_time, *starts])
        self._branches: dict[int, Branch] = {
            0: Branch(0, None, 0, list(session.commands), starts, offsets, end, session.footer)}
        self.current = 0
        self.index = 0  # commands of the current branch issued so far
        self.offset = 0
        self.checkpoints_enabled = True
        self.checkpoint_problem = ""
        self._start = self._snapshot()
        self._since_events = 0

    # -- state ---------------------------------------------------------------------------

    @property
    def cluster(self) -> Cluster:
        return self.executor.cluster

    @property
    def now(self) -> int:
        """Session time (see the module docstring)."""
        return self.offset + self.cluster.now

    @property
    def branch_data(self) -> Branch:
        return self._branches[self.current]

    @property
    def end(self) -> int:
        return self.branch_data.end

    def _snapshot(self) -> Snapshot | None:
        if not self.checkpoints_enabled:
            return None
        try:
            return Snapshot.take(self.cluster)
        except (TypeError, AttributeError, pickle.PicklingError) as exc:
            self.checkpoints_enabled = False
            self.checkpoint_problem = f"the cluster cannot be snapshotted ({exc}); seeking back re-simulates from the start"
            return None

    def _adopt(self, cluster: Cluster) -> None:
        self.executor.adopt(cluster)

    def _outcome(self, outcome: Outcome) -> None:
        if self.on_outcome is not None:
            self.on_outcome(outcome)

    # -- moving ----------------------------------------------------------------------------

    def _restart(self, branch: Branch, target_index: int) -> None:
        """Restore the latest checkpoint with at most ``target_index`` commands issued."""
        best = None
        for cp in branch.checkpoints:
            if cp.index <= target_index and (best is None or cp.index > best.index):
                best = cp
        if best is not None:
            self._adopt(best.snapshot.restore())
            self.index, self.offset = best.index, best.offset
        elif self._start is not None:
            self._adopt(self._start.restore())
            self.index, self.offset = 0, 0
        else:
            fresh = new_executor(self.session)
            self._adopt(fresh.cluster)
            self.index, self.offset = 0, 0
        self._since_events = 0

    def _issue_next(self, branch: Branch) -> None:
        rc = branch.commands[self.index]
        place(self.cluster, rc, self.index + 1)
        before = self.cluster.scheduler.events_run
        issue(self.executor, rc, self._outcome)
        if isinstance(rc.command, c.Cluster):
            self.offset = branch.starts[self.index]
        self.index += 1
        self._since_events += self.cluster.scheduler.events_run - before
        self._maybe_checkpoint(branch)

    def _maybe_checkpoint(self, branch: Branch) -> None:
        if not self.checkpoints_enabled:
            return
        last = branch.checkpoints[-1].index if branch.checkpoints else 0
        if self.index <= last:
            return
        if self.index - last >= self.every_commands or self._since_events >= self.every_events:
            snap = self._snapshot()
            if snap is not None:
                branch.checkpoints.append(Checkpoint(self.index, self.now, self.offset, snap))
                self._since_events = 0

    def _run_time_to(self, time: int) -> None:
        local = time - self.offset
        cluster = self.cluster
        if local > cluster.now:
            before = cluster.scheduler.events_run
            cluster.run(local - cluster.now)
            self._since_events += cluster.scheduler.events_run - before
        branch = self.branch_data
        if branch.footer is None:  # a branch made here lasts as long as it was played
            branch.end = max(branch.end, self.now)

    def seek(self, time: int) -> int:
        """Go to session time ``time``: every command recorded at or before it issued and
        every event due by then run. Returns the session time reached (later than asked
        only when a synchronous command such as ``run 2s`` carried the clock past it)."""
        if time < 0:
            raise ValueError(f"cannot seek to a negative time ({time} µs)")
        branch = self.branch_data
        target = bisect.bisect_right(branch.starts, time)
        ahead = max((cp.index for cp in branch.checkpoints if cp.index <= target), default=0)
        if time < self.now or self.index > target or ahead > self.index:
            self._restart(branch, target)  # back, or a checkpoint is closer than simulating
        while self.index < target:
            self._issue_next(branch)
        self._run_time_to(time)
        return self.now

    def seek_command(self, index: int) -> int:
        """Go to just after command ``index`` (0-based) of the current branch was issued.

        The index is 0-based like every list here, but a person counts commands from 1
        (``seek #42`` is index 41): messages say ``#N`` = ``index + 1``, never the index."""
        branch = self.branch_data
        if not 0 <= index < len(branch.commands):
            count = len(branch.commands)
            have = f"{plural(count, 'command')} (#1..#{count})" if count else "no commands"
            raise ValueError(f"no command #{index + 1}; the branch has {have}")
        if self.index > index + 1 or (self.index == index + 1 and self.now > branch.starts[index]):
            self._restart(branch, index + 1)
        while self.index <= index:
            self._issue_next(branch)
        return self.now

    def play(self, time: int, max_events: int) -> bool:
        """Move forward toward session time ``time`` running at most ``max_events``
        simulation events (issuing the recorded commands at their instants), for a front
        end that plays a session frame by frame. True when ``time`` was reached; false
        when the budget ran out first (call again: nothing is skipped, the run is the
        same as one :meth:`seek`). Never goes back. On a branch with the recording's
        footer, time at or past its end stops exactly at the footer's instant."""
        branch = self.branch_data
        budget = max_events
        while budget > 0:
            cluster = self.cluster
            sched = cluster.scheduler
            if self.index < len(branch.commands) and branch.starts[self.index] <= time:
                rc = branch.commands[self.index]
                if not isinstance(rc.command, c.Cluster):
                    if rc.events is not None:
                        need = rc.events - sched.events_run
                        if need > budget:
                            ran = cluster.step(budget)
                            cluster.trace.maybe_fold()
                            self._since_events += ran
                            return False
                        budget -= max(0, need)
                    else:
                        ran, reached = cluster.advance(max(0, rc.time - cluster.now), budget)
                        budget -= ran
                        self._since_events += ran
                        if not reached:
                            return False
                self._issue_next(branch)
                continue
            footer = branch.footer
            if (footer is not None and self.index >= len(branch.commands) and time >= branch.end
                    and footer.events is not None):
                need = footer.events - sched.events_run
                if need > budget:
                    self._since_events += cluster.step(budget)
                    cluster.trace.maybe_fold()
                    return False
                move_to(cluster, footer.time, footer.events)
                return True
            local = time - self.offset
            ran, reached = cluster.advance(max(0, local - cluster.now), budget)
            self._since_events += ran
            if reached:
                if footer is None:  # a branch made here lasts as long as it was played
                    branch.end = max(branch.end, self.now)
                return True
            return False
        return False

    def play_to_end(self) -> None:
        self.seek(max(self.end, self.now))

    def prepare(self) -> None:
        """Run the whole current branch once (making its checkpoints), then go back to
        the start."""
        self.play_to_end()
        self.seek(0)

    # -- branches ------------------------------------------------------------------------

    def branch(self, command: str | c.Command, origin: str = "typed") -> int:
        """Act now. With recorded commands still ahead on this branch, this starts a new
        branch (the old future is kept as the old branch) and makes it current; at the
        end of a branch it simply extends it. Returns the current branch's id."""
        if isinstance(command, str):
            text = command
            parsed = check_command(command)
        else:
            text = command.source or ""
            if not text:
                raise SessionError("a command given to branch() needs its source text")
            parsed = check_command(text)
        branch = self.branch_data
        cluster = self.cluster
        if isinstance(parsed, c.Cluster):
            local = 0
            events = None
        else:
            local, events = cluster.now, cluster.scheduler.events_run
        if local < 0:
            raise SessionError("bad time")
        recorded = RecordedCommand(local if not isinstance(parsed, c.Cluster) else cluster.now, text.strip(),
                                   origin, parsed, events)
        if self.index < len(branch.commands):
            new_id = max(self._branches) + 1
            kept = [cp for cp in branch.checkpoints if cp.index <= self.index]
            new = Branch(new_id, branch.id, self.index, branch.commands[: self.index],
                         branch.starts[: self.index], branch.offsets[: self.index], self.now, None, kept)
            self._branches[new_id] = new
            self.current = new_id
            branch = new
        branch.commands.append(recorded)
        branch.starts.append(self.now)
        branch.offsets.append(self.offset)
        branch.footer = None
        self._issue_next(branch)
        branch.end = max(branch.end, self.now)
        return self.current

    def branches(self) -> list[BranchInfo]:
        return [BranchInfo(b.id, b.parent, b.fork, len(b.commands), b.end, b.id == self.current,
                           b.commands[b.fork].text if b.parent is not None and len(b.commands) > b.fork else "")
                for b in self._branches.values()]

    def switch(self, branch_id: int) -> int:
        """Make ``branch_id`` current, at the same session time (clamped to its end)."""
        if branch_id not in self._branches:
            raise ValueError(f"no branch {branch_id}; the branches are {sorted(self._branches)}")
        time = self.now
        self.current = branch_id
        self._restart(self.branch_data, 0)  # positions are per branch: start from a safe point
        return self.seek(time)

    def session_of(self, branch_id: int) -> Session:
        """The branch as a session, with a footer from simulating it to its end (on a
        separate copy: the timeline's own position does not move)."""
        if branch_id not in self._branches:
            raise ValueError(f"no branch {branch_id}; the branches are {sorted(self._branches)}")
        branch = self._branches[branch_id]
        start = max((cp for cp in branch.checkpoints), key=lambda cp: cp.index, default=None)
        executor = new_executor(self.session)
        index, offset = 0, 0
        if start is not None:
            executor.adopt(start.snapshot.restore(), announce=False)
            index, offset = start.index, start.offset
        for i in range(index, len(branch.commands)):
            rc = branch.commands[i]
            place(executor.cluster, rc, i + 1)
            issue(executor, rc)
            if isinstance(rc.command, c.Cluster):
                offset = branch.starts[i]
        cluster = executor.cluster
        if branch.footer is not None:
            move_to(cluster, branch.footer.time, branch.footer.events)
        elif branch.end - offset > cluster.now:
            cluster.run(branch.end - offset - cluster.now)
        footer = Footer(cluster.now, cluster.scheduler.events_run, len(branch.commands), cluster.digest(),
                        cluster.state_digest())
        return Session(self.session.header, list(branch.commands), footer)

    def save(self, branch_id: int, path: str | os.PathLike[str]) -> Session:
        session = self.session_of(branch_id)
        write_session(session, path)
        return session
