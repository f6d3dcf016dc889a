"""What every simulator-backed mode shares: an executor, play/pause and speed, stepping,
and long commands run as sliced, abortable jobs.

:class:`SimDriver` is the base of the live, lesson and replay drivers. It owns an
:class:`~dynviz.executor.Executor` (and through it the :class:`~dynviz.cluster.Cluster`),
moves virtual time each frame within the frame budget, and turns ``run``/``step``/
``settle`` into a :class:`~dynviz.tui.jobs.TimeJob` so that no command freezes the
screen. Subclasses decide where commands go (recorded, branched, synchronous) and how
time moves (a workload, a timeline, a lesson's waits).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from dynviz import commands as c
from dynviz.cluster import Cluster
from dynviz.core.units import SECOND
from dynviz.events import EventBus
from dynviz.executor import Executor, Outcome
from dynviz.explore import here
from dynviz.tui.driver import FRAME_BUDGET_S, MAX_EVENTS_PER_FRAME, SPEEDS, Host
from dynviz.tui.jobs import LONG_COMMANDS, TimeJob
from dynviz.tui.view import Clock

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel
    from textual.widget import Widget

    from dynviz.explore.world import World

JOB_EVENTS_PER_FRAME = 1_000_000
"""A job is bounded by the frame's wall-clock budget; this only caps a pathological frame."""
STEP_REQUEST_LIMIT = 20_000


def ignore(outcome: Outcome) -> None:
    return None


class SimDriver:
    """The simulator-backed part of every driver (see the module docstring)."""

    kind = "sim"
    TIME_ACTIONS = frozenset({"play", "faster", "slower", "step", "step_request"})
    COMMAND_ACTIONS = frozenset({"kill", "join", "leave", "partition", "antientropy", "tables", "hold", "explore"})

    def __init__(self, executor: Executor, *, playing: bool = True, speed: float = 1.0) -> None:
        self.executor = executor
        self.playing = playing
        self.speed = speed
        self.job: TimeJob | None = None
        self._job_done: Callable[[Outcome], None] = ignore
        self._host: Host | None = None

    # -- what the app reads ----------------------------------------------------------------

    @property
    def title(self) -> str:
        return "dynviz"

    @property
    def cluster(self) -> Cluster:
        """The current cluster (a ``cluster`` command replaces it: read it fresh)."""
        return self.executor.cluster

    @property
    def view(self) -> Cluster:
        return self.executor.cluster

    @property
    def bus(self) -> EventBus:
        return self.executor.bus

    @property
    def host(self) -> Host | None:
        return self._host

    def start(self, host: Host) -> None:
        self._host = host

    def close(self) -> None:
        self.job = None

    def widgets(self) -> Sequence[Widget]:
        return ()

    def known_keys(self) -> Iterable[str]:
        return ()

    def world_here(self) -> World:
        """A private copy of the cluster as it is now, for "explore from here"."""
        return here.world_here(self.cluster)

    def clock(self) -> Clock:
        if self.job is not None:
            fraction, done = self.job.progress()
            return Clock("working", self.speed, f"{self.job.text}: {fraction:.0%} ({done}) · escape stops it")
        return Clock("playing" if self.playing else "paused", self.speed)

    def supports(self, action: str) -> bool:
        if action == "abort":
            return self.job is not None
        return action in self.TIME_ACTIONS or action in self.COMMAND_ACTIONS or action == "lessons"

    def perform(self, action: str, argument: str = "") -> None:
        handler = self._actions().get(action)
        if handler is not None:
            handler()

    def _actions(self) -> dict[str, Callable[[], object]]:
        return {
            "play": self.toggle_play, "faster": lambda: self.change_speed(1),
            "slower": lambda: self.change_speed(-1), "step": self.step_event,
            "step_request": self.step_request, "abort": self.abort_job,
        }

    def refusal(self, command: c.Command) -> str | None:
        return None

    # -- telling the user ----------------------------------------------------------------

    def tell(self, message: str, severity: SeverityLevel = "information", timeout: float = 3) -> None:
        if self._host is not None and self._host.is_running:
            self._host.tell(message, severity, timeout)

    def redraw(self) -> None:
        if self._host is not None and self._host.is_running:
            self._host.redraw()

    # -- time ------------------------------------------------------------------------------

    def toggle_play(self) -> None:
        self.playing = not self.playing

    def change_speed(self, delta: int) -> None:
        index = min(range(len(SPEEDS)), key=lambda i: abs(math.log(SPEEDS[i]) - math.log(self.speed)))
        self.speed = SPEEDS[max(0, min(len(SPEEDS) - 1, index + delta))]

    def tick(self, elapsed: float) -> None:
        if self.job is not None:
            self._run_job()
        elif self.playing:
            self.advance(int(elapsed * self.speed * SECOND))

    def advance(self, duration: int) -> None:
        """Run ``duration`` µs of virtual time within this frame's event and wall-clock
        budget (when it runs out, virtual time simply falls behind)."""
        cluster = self.cluster
        end = cluster.now + duration
        budget = MAX_EVENTS_PER_FRAME
        deadline = time.perf_counter() + FRAME_BUDGET_S
        while budget > 0:
            ran, reached = cluster.advance(max(0, end - cluster.now), min(budget, 500))
            budget -= ran
            if reached or time.perf_counter() > deadline:
                return

    def run_for(self, duration: int) -> None:
        """Advance exactly ``duration`` µs with no frame budget (scripted scenes, tests)."""
        end = self.cluster.now + duration
        while self.cluster.now < end:
            self.advance(end - self.cluster.now)

    def step_event(self) -> None:
        """Process the next event and pause."""
        self.playing = False
        if not self.cluster.step():
            self.tell("nothing left to run", timeout=2)
        self.redraw()

    def step_request(self) -> None:
        """Run events until no request is in progress (bounded) and pause."""
        self.playing = False
        cluster = self.cluster
        if not cluster.busy():
            self.tell("no request in progress", timeout=2)
            return
        start = cluster.now
        ran = 0
        while cluster.busy() and ran < STEP_REQUEST_LIMIT and cluster.step():
            ran += 1
        if self._host is not None:
            self._host.journal.add(cluster.now, "result",
                                   f"stepped {ran} events ({(cluster.now - start) / 1e3:.1f}ms) "
                                   "to the end of the request")
        self.redraw()

    # -- commands --------------------------------------------------------------------------

    def submit(self, text: str, command: c.Command, origin: str, done: Callable[[Outcome], None]) -> None:
        if isinstance(command, LONG_COMMANDS) and self.job is not None:
            done(self._refused(command, f"'{self.job.text}' is still running: escape stops it"))
            return
        if isinstance(command, c.Abort):
            self.record(text, command, origin)
            running = self.job.text if self.job is not None else None
            self.abort_job(record=False)
            done(Outcome(command.source or "abort", command.line, True, self.cluster.now, {},
                         f"stopped '{running}'" if running else "nothing to abort"))
            return
        self.record(text, command, origin)
        if isinstance(command, LONG_COMMANDS):
            self.start_job(text, command, done)
            return
        if isinstance(command, c.Hold):
            # Playing on, the timers the learner did not choose would fire (requests
            # time out while their messages wait): time stops; space plays it again.
            self.playing = False
        self.execute(command, done)

    def execute(self, command: c.Command, done: Callable[[Outcome], None]) -> None:
        """Carry out a command that is not a long one (requests complete as time flows)."""
        self.executor.submit(command, done)

    def record(self, text: str, command: c.Command, origin: str) -> None:
        """Keep the command in this mode's history (a recording, a branch); none here."""

    def _refused(self, command: c.Command, why: str) -> Outcome:
        return Outcome(command.source or command.name, command.line, False, self.cluster.now, {},
                       f"error: {why}", why, invalid=True)

    # -- long jobs -------------------------------------------------------------------------

    def start_job(self, text: str, command: Any, done: Callable[[Outcome], None]) -> None:
        self.job = TimeJob(text.strip(), command, self.cluster)
        self._job_done = done
        self._run_job()

    def _run_job(self) -> None:
        job = self.job
        assert job is not None
        if job.cluster is not self.cluster:  # a cluster command replaced it meanwhile
            job.abort()
        elif not job.run_slice(JOB_EVENTS_PER_FRAME, time.perf_counter() + FRAME_BUDGET_S):
            return
        self._finish_job()

    def _finish_job(self) -> Outcome:
        job = self.job
        assert job is not None
        self.job = None
        outcome = job.outcome()
        done, self._job_done = self._job_done, ignore
        done(outcome)
        self.redraw()
        return outcome

    def abort_job(self, record: bool = True) -> Outcome:
        """Stop the running job where it is (between two events); recorded as ``abort``
        so the recording says so."""
        if self.job is None:
            return Outcome("abort", 1, True, self.cluster.now, {}, "nothing to abort")
        if record:
            command = c.parse_line("abort")
            assert command is not None
            self.record("abort", command, "key")
        self.job.abort()
        return self._finish_job()
