"""A lesson in the app: narration that waits for the reader (``dynviz lesson NAME``, ``L``).

Every ``say`` is a stop (:mod:`dynviz.session.lesson`): when the lesson reaches one, the
narration stays on screen until Next (``n`` or enter), the panel it names is brought on
screen at any size and the key or node it is about is selected (:class:`~dynviz.tui.
driver.Cue`). Between stops virtual time stands still, except while a ``wait until``
plays out on screen (at the app's speed; space pauses it, ``n`` skips to its end), so
what the learner sees is what ``--check`` checks.

Back (``b``) returns to the previous narration with the cluster exactly as it was then:
at every stop the driver keeps a checkpoint (a snapshot of the cluster, the runner's
state, the event tape and the log), so going back costs a restore, not a re-run. ``h``
lists every narration so far. Reaching a stop is written to the learner's progress.

Commands the learner types run at once (``Executor.execute``, as the lesson's own do),
and long ones run as sliced jobs; they change the lesson's cluster, which Back undoes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dynviz import commands as c
from dynviz.core.hashing import as_key
from dynviz.core.units import SECOND
from dynviz.events import EventBus
from dynviz.executor import Outcome
from dynviz.session.lesson import Lesson, LessonRunner, RunnerCheckpoint, Step, StepResult
from dynviz.session.scripts import ScriptRun
from dynviz.tui.driver import Cue
from dynviz.tui.drivers.sim import SimDriver
from dynviz.tui.journal import LogLine
from dynviz.tui.panels import panels_mentioned
from dynviz.tui.screens.reading import narration_history
from dynviz.tui.view import Clock
from dynviz.tui.widgets.lesson import LessonPanel

if TYPE_CHECKING:
    from textual.widget import Widget

    from dynviz.events import Event
    from dynviz.tui.progress import Progress


@dataclass(frozen=True, slots=True)
class _Stop:
    """A checkpoint at a stop, with what the screen showed then."""

    runner: RunnerCheckpoint
    tape: tuple[tuple[Event, ...], ...]
    journal: tuple[LogLine, ...]


class LessonDriver(SimDriver):
    """The app stepping through ``lesson`` (see the module docstring)."""

    kind = "lesson"

    def __init__(self, lesson: Lesson, *, progress: Progress | None = None, playing: bool = True,
                 speed: float = 1.0) -> None:
        self.lesson = lesson
        self.runner = LessonRunner(lesson, EventBus(), scripts=self._start_script)
        super().__init__(self.runner.executor, playing=playing, speed=speed)
        self.progress = progress
        self._own_on_cluster = self.runner.executor.on_cluster
        self.runner.executor.on_cluster = self._on_cluster
        self._stops: dict[int, _Stop] = {}
        self._started = False

    def _start_script(self, path: Path, seconds: float) -> ScriptRun:
        """A lesson's script, against the app's own endpoint: its requests are served
        between frames and drawn like any other (dynviz/tui/dynamodb.py)."""
        if self.host is None:
            raise OSError("the app has not started")
        url = self.host.dynamodb_url()
        run = ScriptRun(path, url, seconds)
        # In the log as it starts, before the requests it sends (not when it ends).
        self.host.journal.add(self.cluster.now, "command", f"> script {path.name} (python {path.name} {url})",
                              rank=0)
        return run

    @property
    def title(self) -> str:
        return f"dynviz lesson {self.lesson.name}"

    @property
    def total(self) -> int:
        """Stops in the lesson (narrations the learner reads)."""
        return len(self.lesson.stops)

    def _on_cluster(self, cluster: Any) -> None:
        if self._own_on_cluster is not None:
            self._own_on_cluster(cluster)
        if self.host is not None:
            self.host.cluster_replaced()

    # -- starting and stopping ---------------------------------------------------------------

    def start(self, host: Any) -> None:
        super().start(host)
        if not self._started:
            self._started = True
            self._forward()
        else:
            self._arrive(checkpoint=False)

    def close(self) -> None:
        super().close()
        self.runner.close()

    def widgets(self) -> Sequence[Widget]:
        panel = LessonPanel(self, id="lesson")
        panel.add_class("view")
        return (panel,)

    def known_keys(self) -> Iterable[str]:
        keys = []
        for step in self.lesson.steps:
            key = getattr(step.command, "key", None)
            if isinstance(key, str) and key and key not in keys:
                keys.append(key)
        return keys

    # -- what the app offers -----------------------------------------------------------------

    def supports(self, action: str) -> bool:
        if action in ("next", "back", "history"):
            return True
        if action == "play":
            return self.runner.is_waiting
        if action in ("step", "step_request", "save"):
            return False  # time stands still between waits: the screen is what --check checks
        if action == "explore":
            return False  # a path applied under the narration would leave the lesson's script
        return super().supports(action)

    def _actions(self) -> dict[str, Callable[[], object]]:
        return {**super()._actions(), "next": self.next, "back": self.back, "history": self.history}

    def clock(self) -> Clock:
        if self.job is not None:
            return super().clock()
        runner = self.runner
        if runner.is_waiting:
            step = runner.current_step
            what = step.command.predicate if step is not None and isinstance(step.command, c.WaitUntil) else ""
            return Clock("playing" if self.playing else "paused", self.speed, f"lesson: waiting until {what}")
        if runner.done:
            return Clock("waiting", self.speed, "lesson finished · b: Back · L: another lesson")
        return Clock("waiting", self.speed, f"lesson {runner.stop_number}/{self.total} · n: Next")

    # -- moving through the lesson ----------------------------------------------------------

    def _journal_since(self, before: int) -> None:
        """Journal the steps run since result ``before`` (the log tells the story)."""
        if self.host is None:
            return
        steps = {s.line: s for s in self.lesson.steps}
        for result in self.runner.results[before:]:
            self._journal(steps[result.line], result)

    def _journal(self, step: Step, result: StepResult) -> None:
        """A step's command at the instant it began, its result at the instant it ended,
        so they sit among the events they caused."""
        assert self.host is not None
        journal = self.host.journal
        command = step.command
        if isinstance(command, c.Say):
            return  # the narration is on screen (and a Narration event is in the log)
        if not isinstance(command, (c.Expect, c.WaitUntil, c.Script)):
            journal.add(result.started, "command", f"> {step.text}", rank=0)
        if isinstance(command, c.Script):  # its start is journaled already; here its output
            for line in result.message.splitlines():
                journal.add(result.time, "result" if result.ok else "error", line, rank=2)
            return
        text = result.message.splitlines()[0] if result.message else ""
        if isinstance(command, (c.Expect, c.WaitUntil)):
            text = f"{'✓' if result.ok else '✗'} {step.text}" + (f": {text}" if text else "")
        if text:
            journal.add(result.time, "result" if result.ok else "error", text, rank=2)

    def _forward(self) -> None:
        """Run to the next stop (or into a wait, which the frames then play)."""
        runner = self.runner
        before = len(runner.results)
        runner.run_to_stop()
        self._journal_since(before)
        if runner.is_stopped:
            self._arrive()
        elif runner.done:
            self._finished()
        self.redraw()

    def _arrive(self, checkpoint: bool = True) -> None:
        """At a stop: keep a checkpoint, note the progress, point at what it is about."""
        runner = self.runner
        number = runner.stop_number
        if checkpoint and self.host is not None:
            self._stops[number] = _Stop(runner.checkpoint(), self.host.tape.save(), self.host.journal.save())
        if self.progress is not None:
            self.progress.record(self.lesson.name, number, self.total)
            self.progress.save()  # never raises; a problem is kept in progress.problem
        if self.host is not None:
            self.host.point_at(self.cue())

    def _finished(self) -> None:
        if self.progress is not None:
            self.progress.record(self.lesson.name, self.total, self.total)
            self.progress.save()
        # The lesson panel says it is finished (a toast would cover the narration at 80x24).

    def cue(self) -> Cue:
        """What the current narration is about: its cue, else the panels its text names
        and the key the lesson last used."""
        runner = self.runner
        said = runner.said
        command = said.command if said is not None else None
        panels: tuple[str, ...] = ()
        key: str | None = runner.subject
        node: str | None = None
        if isinstance(command, c.Say):
            panels = (command.panel,) if command.panel else tuple(panels_mentioned(command.text))
            key = command.key or key
            node = command.node
        return Cue(panels, as_key(key) if key else None, node)

    def next(self) -> None:
        runner = self.runner
        if self.job is not None:
            self.tell("a command is still running: escape stops it", "warning")
            return
        if runner.waiting_for_script:
            self.tell("the lesson's script is still running: its requests appear in the log as they are "
                      "served", timeout=3)
            return
        if runner.is_waiting:
            before = len(runner.results)
            runner.finish_wait()  # skip to the end of the wait
            self._journal_since(before)
        elif runner.done:
            self.tell("the lesson is over: b goes back, L picks another lesson", timeout=4)
            return
        self._forward()

    def back(self) -> None:
        """Back to the previous narration, the cluster as it was then."""
        runner = self.runner
        current = runner.stop_number
        target = current - 1 if runner.is_stopped else current
        if self.job is not None:
            self.abort_job()
        if target < 1:
            self.tell("this is the first narration", timeout=3)
            return
        stop = self._stops.get(target)
        if stop is None or not runner.restore(stop.runner):
            self._rerun_to(target)
            return
        if self.host is not None:
            self.host.cluster_replaced()
            self.host.tape.load(stop.tape)
            self.host.journal.load(stop.journal)
        self._arrive(checkpoint=False)
        self.redraw()

    def _rerun_to(self, target: int) -> None:
        """Without a checkpoint (a cluster that cannot be copied): the lesson again from
        its start to stop ``target``. Deterministic, so the same state."""
        self.runner.close()
        self.runner = LessonRunner(self.lesson, self.executor.bus)
        self.executor = self.runner.executor
        self._own_on_cluster = self.runner.executor.on_cluster
        self.runner.executor.on_cluster = self._on_cluster
        if self.host is not None:
            self.host.cluster_replaced()
            self.host.journal.clear()
        while self.runner.stop_number < target and not self.runner.done:
            before = len(self.runner.results)
            self.runner.run_to_stop()
            if self.runner.is_waiting:
                self.runner.finish_wait()
            self._journal_since(before)
        # Scripts ran headless on the way (a wait that cannot be skipped would stall the
        # re-run); from here on they run against the app's endpoint again.
        self.runner.scripts = self._start_script
        self._arrive()
        self.redraw()

    def history(self) -> None:
        if self.host is not None:
            texts = [s.command.text for s in self.runner.narrations() if isinstance(s.command, c.Say)]
            self.host.open_screen(narration_history(self.lesson.title or self.lesson.name, texts))

    # -- time: only a wait lets it flow -------------------------------------------------------

    def tick(self, elapsed: float) -> None:
        if self.job is not None:
            self._run_job()
            return
        runner = self.runner
        if runner.waiting_for_script:  # whether playing or not: the script is a real process
            if runner.advance(0):
                self._journal_since(len(runner.results) - 1)
                self._forward()
            return
        if not runner.is_waiting or not self.playing:
            return
        before = len(runner.results)
        if runner.advance(max(1, int(elapsed * self.speed * SECOND))):
            self._journal_since(before)
            self._forward()

    def advance(self, duration: int) -> None:
        before = len(self.runner.results)
        if self.runner.is_waiting and self.runner.advance(duration):
            self._journal_since(before)
            self._forward()

    def run_for(self, duration: int) -> None:
        self.advance(duration)

    # -- the learner's own commands -------------------------------------------------------------

    def execute(self, command: c.Command, done: Callable[[Outcome], None]) -> None:
        """Synchronously, as the lesson's own commands run (time stands still here)."""
        done(self.executor.execute(command))
