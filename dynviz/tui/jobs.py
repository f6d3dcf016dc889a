"""Long ``step``, ``run`` and ``settle`` in bounded slices (DESIGN §8: long work never
blocks a frame).

Headless (``dynviz run``), ``step 5000000`` simply runs. In the app it must not freeze
the screen: the command becomes a :class:`TimeJob` that each frame advances by at most
a slice of events and of wall-clock time, shows its progress, and can be aborted with
escape. A job does exactly what the headless command does, event for event (``settle``
checks for quiet at the same 100 ms ticks as ``Cluster.settle``), so its outcome reads
the same; an aborted job leaves the cluster consistent, between two events.

Replays do not re-run a job: a recorded ``step``/``run``/``settle`` is a marker and
the next recorded command's instant (time and event count) carries its effect, aborted
or not (:func:`dynviz.session.replay.issue`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from dynviz import commands as c
from dynviz.cluster import Cluster
from dynviz.core.units import MS, SECOND
from dynviz.executor import Outcome

LONG_COMMANDS = (c.Run, c.Step, c.Settle)
SETTLE_TICK = 100 * MS
"""The tick at which ``settle`` looks for quiet (``Cluster.settle``'s default)."""
DEFAULT_SETTLE = 60 * SECOND


@dataclass(slots=True)
class TimeJob:
    """One long command being carried out on ``cluster`` a slice at a time."""

    text: str
    command: c.Run | c.Step | c.Settle
    cluster: Cluster
    start_time: int = 0
    start_events: int = 0
    done_events: int = 0
    finished: bool = False
    aborted: bool = False
    settled: bool = False
    _tick_end: int = field(default=-1)

    def __post_init__(self) -> None:
        self.start_time = self.cluster.now
        self.start_events = self.cluster.scheduler.events_run

    @property
    def target_time(self) -> int:
        command = self.command
        if isinstance(command, c.Run):
            return self.start_time + command.micros
        if isinstance(command, c.Settle):
            return self.start_time + (command.limit or DEFAULT_SETTLE)
        return -1

    def run_slice(self, max_events: int, deadline: float) -> bool:
        """Advance by at most ``max_events`` events, stopping at the wall-clock
        ``deadline`` (``time.perf_counter()``); True when the job is finished."""
        if self.finished:
            return True
        cluster = self.cluster
        command = self.command
        budget = max_events
        while budget > 0 and not self.finished:
            if isinstance(command, c.Step):
                want = min(budget, 256, command.count - self.done_events)
                ran = cluster.step(want)
                self.done_events += ran
                budget -= max(ran, 1)
                if self.done_events >= command.count or ran < want:
                    self.finished = True
            elif isinstance(command, c.Run):
                ran, reached = cluster.advance(max(0, self.target_time - cluster.now), min(budget, 512))
                budget -= max(ran, 1)
                self.finished = reached
            else:
                self._settle_slice(min(budget, 512))
                budget -= 512
            if time.perf_counter() > deadline:
                break
        self.done_events = cluster.scheduler.events_run - self.start_events
        return self.finished

    def _settle_slice(self, max_events: int) -> None:
        cluster = self.cluster
        end = self.target_time
        if self._tick_end < 0 or cluster.now >= self._tick_end:
            # a tick boundary: the same checks, in the same order, as Cluster.settle
            if cluster.now >= end or cluster.quiet():
                self.settled = cluster.quiet()
                self.finished = True
                return
            self._tick_end = min(end, cluster.now + SETTLE_TICK)
        ran, reached = cluster.advance(self._tick_end - cluster.now, max_events)
        if reached and cluster.now >= end:
            self.settled = cluster.quiet()
            self.finished = True

    def abort(self) -> None:
        self.aborted = True
        self.finished = True

    # -- what the user sees ------------------------------------------------------------

    def progress(self) -> tuple[float, str]:
        """(fraction done, what is done as text)."""
        command = self.command
        if isinstance(command, c.Step):
            return (self.done_events / max(1, command.count),
                    f"{self.done_events:,}/{command.count:,} events")
        span = max(1, self.target_time - self.start_time)
        ran = self.cluster.now - self.start_time
        return min(1.0, ran / span), f"{ran / SECOND:,.1f}s/{span / SECOND:,.0f}s ({self.done_events:,} events)"

    def outcome(self) -> Outcome:
        """The outcome, worded as the headless command's (with how far it got if aborted)."""
        command = self.command
        cluster = self.cluster
        ran = cluster.now - self.start_time
        events = self.done_events
        data: dict[str, object] = {"events": events, "took_us": ran, "aborted": self.aborted}
        stopped = " (stopped by escape)" if self.aborted else ""
        ok = True
        error = ""
        if isinstance(command, c.Step):
            text = f"stepped {events:,} event{'s' if events != 1 else ''}{stopped}"
        elif isinstance(command, c.Run):
            text = f"ran {ran / SECOND:g}s{stopped}" if self.aborted else f"ran {command.micros / SECOND:g}s"
        else:
            data["settled"] = self.settled
            ok = self.settled
            text = (f"settled after {ran / SECOND:g}s" if self.settled else
                    f"not settled after {ran / SECOND:g}s{stopped}")
            error = "" if self.settled else ("stopped before it settled" if self.aborted
                                             else "the cluster did not settle in time")
        return Outcome(command.source or command.name, command.line, ok, cluster.now, data, text, error)
