"""Headless replay of a recorded session, and verification by digest (DESIGN §2).

Replay builds the cluster from the header, then for each recorded command moves the
simulation to the instant it was issued and issues it exactly as the app did
(``Executor.submit``: requests complete later; ``setup`` commands with
``Executor.execute``), runs to the footer's end and compares the trace digest and the
state digest. Same seed + same commands = same trace, in any process.

Placing a command: when the recording has the event count (``events``), the simulation
runs exactly that many events and then its clock is set to the recorded time; without
it, the simulation runs every event due up to the recorded time. The first is exact
even when a command came between two events of the same microsecond.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from dynviz import commands as c
from dynviz.cluster import Cluster
from dynviz.events import EventBus
from dynviz.executor import Executor, Outcome
from dynviz.session.recording import RecordedCommand, Session, SessionError


class ReplayDiverged(SessionError):
    """The replay cannot reach a recorded instant: the run went another way."""


@dataclass(frozen=True, slots=True)
class ReplayResult:
    commands: int
    time: int
    events: int
    digest: str
    state_digest: str
    expected_digest: str | None
    expected_state_digest: str | None
    outcomes: list[Outcome] = field(default_factory=list, repr=False)
    error: str = ""

    @property
    def verified(self) -> bool:
        return (not self.error and self.expected_digest is not None and self.digest == self.expected_digest
                and self.state_digest == self.expected_state_digest)


def new_executor(session: Session, bus: EventBus | None = None,
                 on_cluster: Callable[[Cluster], None] | None = None) -> Executor:
    """An executor on the session's starting cluster (header config and seed)."""
    executor = Executor(config=session.header.config(), bus=bus, on_cluster=on_cluster)
    executor.cluster  # noqa: B018 - build it now, at time zero
    return executor


def move_to(cluster: Cluster, time: int, events: int | None) -> None:
    """Run ``cluster`` to the instant (``time``, ``events``) a command was recorded at."""
    sched = cluster.scheduler
    if events is None:
        cluster.run_until(time)
        cluster.trace.maybe_fold()
        return
    if sched.events_run < events:
        cluster.step(events - sched.events_run)  # folds the trace as it goes
    if sched.events_run < events:
        raise ReplayDiverged(f"the simulation ran out of events at {sched.events_run}, "
                             f"before event {events}")
    if sched.events_run != events or sched.now > time:
        raise ReplayDiverged(f"the recorded instant (event {events} at {time} µs) does not match "
                             f"the replay (event {sched.events_run} at {sched.now} µs)")
    upcoming = sched.next_time()
    if upcoming is not None and upcoming < time:
        raise ReplayDiverged(f"an event at {upcoming} µs is due before the recorded time {time} µs")
    sched.advance_to(max(time, sched.now))  # nothing is due before it: time simply passes


def place(cluster: Cluster, recorded: RecordedCommand, number: int) -> None:
    """Run ``cluster`` to the instant command #``number`` (counted from 1) was recorded
    at; a ``cluster`` command needs no placing (it starts a new cluster at time 0). A
    divergence names the command as ``seek #N`` would."""
    if isinstance(recorded.command, c.Cluster):
        return
    try:
        move_to(cluster, recorded.time, recorded.events)
    except ReplayDiverged as exc:
        raise ReplayDiverged(f"{command_label(recorded, number)}: {exc}") from None


def issue(executor: Executor, recorded: RecordedCommand,
          on_done: Callable[[Outcome], None] | None = None) -> None:
    """Issue a recorded command the way it was issued when it was recorded.

    ``run``, ``step`` and ``settle`` are markers: the app runs them in slices that the
    user may stop (``abort``), so how far one got is not in the command; it is in the
    instant (time and event count) of the next recorded command, or the footer, which
    the replay moves to anyway. Re-running them here would overshoot that instant."""
    done = on_done or _ignore
    if isinstance(recorded.command, _MARKERS):
        return
    if recorded.origin == "setup":
        done(executor.execute(recorded.command))
    else:
        executor.submit(recorded.command, done)


_MARKERS = (c.Run, c.Step, c.Settle)


def command_label(recorded: RecordedCommand, number: int) -> str:
    """How messages name a recorded command: ``command #N``, ``number`` counted from 1 as
    ``seek #N`` takes it, with its file line when it was read from a file."""
    where = f" (line {recorded.line})" if recorded.line else ""
    return f"command #{number}{where}"


def _ignore(outcome: Outcome) -> None:
    return None


def run_to_end(executor: Executor, session: Session) -> None:
    footer = session.footer
    if footer is not None:
        move_to(executor.cluster, footer.time, footer.events)
    else:
        move_to(executor.cluster, session.end_time, None)


def replay_session(session: Session, executor: Executor | None = None,
                   keep_outcomes: bool = False) -> ReplayResult:
    """Replay ``session`` headless and compare its digests with the footer's."""
    executor = executor or new_executor(session)
    outcomes: list[Outcome] = []
    on_done = outcomes.append if keep_outcomes else None
    error = ""
    try:
        for number, recorded in enumerate(session.commands, start=1):
            place(executor.cluster, recorded, number)
            issue(executor, recorded, on_done)
        try:
            run_to_end(executor, session)
        except ReplayDiverged as exc:
            raise ReplayDiverged(f"at the footer: {exc}") from None
    except ReplayDiverged as exc:
        error = str(exc)
    cluster = executor.cluster
    footer = session.footer
    return ReplayResult(
        len(session.commands), cluster.now, cluster.scheduler.events_run, cluster.digest(),
        cluster.state_digest(), footer.digest if footer else None, footer.state_digest if footer else None,
        outcomes, error,
    )


def verify_report(result: ReplayResult) -> list[str]:
    """Lines saying what a verification found (both digests when they differ)."""
    if result.expected_digest is None:
        return ["cannot verify: the session has no footer (the recording was cut short)"]
    lines = []
    if result.error:
        lines.append(f"replay diverged: {result.error}")
    for what, got, want in (("trace digest", result.digest, result.expected_digest),
                            ("state digest", result.state_digest, result.expected_state_digest)):
        if got == want:
            lines.append(f"{what} matches: {got}")
        else:
            lines.append(f"{what} DIFFERS: recorded {want}, replayed {got}")
    return lines
