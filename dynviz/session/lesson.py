"""Lessons: narrated ``.dyn`` scripts a class can step through, or check headless.

A lesson is a command file (the one command language) that also uses ``say "..."``
(narration, with an optional cue: ``key=``, ``node=``, ``panel=``), ``wait until
PREDICATE [timeout=DURATION]`` (let virtual time run until something happens),
``pause`` (wait for the learner) and ``expect CHECK`` (assert what the lesson claims);
predicates and checks are :mod:`dynviz.session.predicates`. Its name is the file name
without ``.dyn``; its title is its first ``#`` comment line.

**Stops.** In the app a lesson is read one narration at a time, like The Secret Lives of
Data: every ``say`` is a *stop*. Everything before it has run when the learner reads
it, and so have the ``expect`` lines right after it (they check what it claims); the
player then waits for Next. A ``pause`` that does not follow a ``say`` is a stop of its
own. :attr:`Lesson.stops` lists them; the narration describes what is on screen.

:class:`LessonRunner` runs one step (one line) at a time so the app can drive it:
``run_to_stop()`` runs to the next stop (or until a ``wait until`` starts: the app then
lets virtual time flow on screen through ``advance(µs)``), and ``checkpoint()`` /
``restore()`` let the app go back to an earlier stop with the cluster exactly as it was.
``check_lesson`` runs it headless: stops are passed, waits run virtual time until the
predicate holds or their timeout (60 s by default) and every unmet ``expect`` or
timed-out wait is a failure naming its line. Requests in lessons run synchronously
(``Executor.execute``), as in ``dynviz run``.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from dynviz import commands as c
from dynviz.cluster import Cluster
from dynviz.core.units import MS, SECOND
from dynviz.events import Event, EventBus
from dynviz.executor import Executor
from dynviz.session.predicates import Check, Context, Predicate, parse_check, parse_predicate
from dynviz.session.scripts import DEFAULT_TIMEOUT as SCRIPT_TIMEOUT
from dynviz.session.scripts import ScriptRun, missing, resolve, run_headless
from dynviz.session.timeline import Snapshot

LESSONS_DIR = Path(__file__).resolve().parents[2] / "sessions" / "lessons"
DEFAULT_TIMEOUT = 60 * SECOND
WAIT_SLICE = 10 * MS
_KEPT_KINDS = frozenset({"hint", "repair", "rebalance", "antientropy", "detector"})


class LessonError(ValueError):
    """A lesson that cannot be loaded; ``str`` is one line (``file:line:column: ...``)."""


@dataclass(frozen=True, slots=True)
class Step:
    command: c.Command
    line: int
    text: str
    predicate: Predicate | None = None
    check: Check | None = None


@dataclass(frozen=True, slots=True)
class Lesson:
    name: str
    title: str
    path: str
    steps: tuple[Step, ...]

    @property
    def stops(self) -> tuple[int, ...]:
        """Where the player stops: the number of steps run at each stop (see the
        module docstring)."""
        return lesson_stops(self.steps)


def lesson_stops(steps: tuple[Step, ...]) -> tuple[int, ...]:
    """A stop after every ``say`` and the ``expect`` lines (and one ``pause``) that
    follow it, and at every other ``pause``."""
    stops: list[int] = []
    i, n = 0, len(steps)
    while i < n:
        command = steps[i].command
        if isinstance(command, c.Say):
            j = i + 1
            while j < n and isinstance(steps[j].command, c.Expect):
                j += 1
            if j < n and isinstance(steps[j].command, c.Pause):
                j += 1
            stops.append(j)
            i = j
            continue
        if isinstance(command, c.Pause):
            stops.append(i + 1)
        i += 1
    return tuple(stops)


@dataclass(frozen=True, slots=True)
class StepResult:
    """What one step came to. ``started`` and ``time`` are the virtual times it began and
    ended (a synchronous put takes a few ms), so a log can place it among its events."""

    line: int
    text: str
    ok: bool
    message: str = ""
    started: int = 0
    time: int = 0


def lesson_title(text: str) -> str:
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#"):
            return stripped.lstrip("#").strip()
        if stripped:
            break
    return ""


def parse_lesson(text: str, name: str = "lesson", path: str = "") -> Lesson:
    """Parse lesson text; a mistake anywhere is a :class:`~dynviz.commands.CommandError`."""
    lines = text.split("\n")
    steps = []
    for command in c.parse_script(text):
        raw = lines[command.line - 1].removesuffix("\r")
        predicate = check = None
        if isinstance(command, c.WaitUntil):
            column = raw.find(command.predicate, raw.find("until") + 5) + 1
            predicate = parse_predicate(command.predicate, command.line, column)
        elif isinstance(command, c.Expect):
            column = raw.find(command.check, raw.find("expect") + 6) + 1
            check = parse_check(command.check, command.line, column)
        elif isinstance(command, c.Cluster) and (command.get("storage") == "sqlite" or command.get("dir")):
            raise c.CommandError(command.line, 1, "lessons run in memory; storage=sqlite and dir= are not allowed")
        steps.append(Step(command, command.line, raw.strip(), predicate, check))
    return Lesson(name, lesson_title(text), path, tuple(steps))


def lesson_path(name: str, directory: Path | None = None) -> Path:
    """The file of lesson ``name`` (or ``name`` itself when it is a path to a .dyn file)."""
    given = Path(name)
    if name.endswith(".dyn") and given.is_file():
        return given
    directory = directory or LESSONS_DIR
    path = directory / f"{name}.dyn"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in directory.glob("*.dyn"))) or "none"
        raise LessonError(f"no lesson named {name!r}; the lessons are: {known}")
    return path


def load_lesson(name: str, directory: Path | None = None) -> Lesson:
    path = lesson_path(name, directory)
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LessonError(f"{path}: not UTF-8 text (bad byte at offset {exc.start})") from None
    except OSError as exc:
        raise LessonError(f"{path}: cannot read it: {exc.strerror}") from None
    try:
        return parse_lesson(text, path.stem, str(path))
    except c.CommandError as exc:
        raise LessonError(f"{path}:{exc.line}:{exc.column}: {exc.message}") from None


def list_lessons(directory: Path | None = None) -> list[tuple[str, str]]:
    """(name, title) of every lesson, sorted by name."""
    directory = directory or LESSONS_DIR
    out = []
    for path in sorted(directory.glob("*.dyn")):
        try:
            title = lesson_title(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            title = "(unreadable)"
        out.append((path.stem, title))
    return out


@dataclass(frozen=True, slots=True)
class RunnerCheckpoint:
    """A runner and its cluster as they were at a stop (:meth:`LessonRunner.checkpoint`)."""

    position: int
    state: str
    narration: str
    said: Step | None
    subject: str | None
    results: tuple[StepResult, ...]
    events: tuple[Event, ...]
    cluster: Snapshot | None  # None: a cluster that cannot be copied (never in memory)


_TRANSITIONS: dict[str, frozenset[str]] = {
    "ready": frozenset({"ready", "waiting", "stopped", "done"}),
    "waiting": frozenset({"ready", "stopped", "done"}),
    "stopped": frozenset({"ready", "waiting", "stopped", "done"}),
    "done": frozenset({"done"}),
}
"""The runner's states and the moves between them: ``ready`` (the next step can run),
``waiting`` (a ``wait until`` holds the lesson while virtual time flows), ``stopped`` (at a
stop, for the reader) and ``done``."""


class _Wait(NamedTuple):
    """The ``wait until`` being played out: its step, what it waits for, its timeout and
    the virtual time it gives up at; or a ``script`` the app runs (``script``: its run,
    which keeps its own wall-clock timeout; virtual time stands still meanwhile)."""

    step: Step
    predicate: Predicate
    timeout: int
    deadline: int
    script: ScriptRun | None = None


ScriptStarter = Callable[[Path, float], ScriptRun]
"""How the app starts a lesson's script against its own endpoint (the file, the
timeout in seconds); without one, a runner runs scripts headless (scripts.py)."""
_SCRIPT_WAIT = 24 * 3600 * SECOND
"""A script wait's virtual deadline: none to speak of, its run has a wall-clock one."""


class LessonRunner:
    """Runs a lesson step by step (see the module docstring and :data:`_TRANSITIONS`).

    ``narration`` is the text of the last ``say`` and ``said`` its step (with its cue);
    ``subject`` is the key of the last step that named one (what the narration is most
    likely about). ``results`` holds one entry per step run; failures are those not ok.
    """

    def __init__(self, lesson: Lesson, bus: EventBus | None = None, scripts: ScriptStarter | None = None) -> None:
        self.lesson = lesson
        self.scripts = scripts
        self.bus = bus or EventBus()
        self.events: list[Event] = []
        self._unsubscribe = self.bus.subscribe(self._on_event)
        self.executor = Executor(bus=self.bus, on_cluster=self._on_cluster)
        self.position = 0
        self.state = "ready"
        self.narration = ""
        self.said: Step | None = None
        self.subject: str | None = None
        self.results: list[StepResult] = []
        self._stops = frozenset(lesson.stops)
        self._wait: _Wait | None = None

    def _move(self, state: str) -> None:
        if state not in _TRANSITIONS[self.state]:
            raise AssertionError(f"lesson runner: {self.state} -> {state} is not a move it makes")
        self.state = state

    # -- plumbing ------------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        if event.kind in _KEPT_KINDS:
            self.events.append(event)

    def _on_cluster(self, cluster: Cluster) -> None:
        self.events.clear()  # predicates look at the events of the current cluster only

    def close(self) -> None:
        self._stop_script()
        self._unsubscribe()

    def _stop_script(self) -> None:
        if self._wait is not None and self._wait.script is not None:
            self._wait.script.stop()

    @property
    def cluster(self) -> Cluster:
        return self.executor.cluster

    @property
    def context(self) -> Context:
        return Context(self.cluster, self.events, self.executor)

    @property
    def is_waiting(self) -> bool:
        return self.state == "waiting"

    @property
    def waiting_for_script(self) -> bool:
        """A ``script`` is running (in the app): its requests are being served."""
        return self._wait is not None and self._wait.script is not None

    @property
    def is_stopped(self) -> bool:
        return self.state == "stopped"

    @property
    def done(self) -> bool:
        return self.state == "done"

    @property
    def stop_number(self) -> int:
        """How many stops have been reached (1 at the first narration)."""
        return sum(1 for stop in self.lesson.stops if stop <= self.position)

    @property
    def current_step(self) -> Step | None:
        """The step that runs next (or is being waited on)."""
        if self._wait is not None:
            return self._wait.step
        steps = self.lesson.steps
        return steps[self.position] if self.position < len(steps) else None

    @property
    def failures(self) -> list[StepResult]:
        return [r for r in self.results if not r.ok]

    def results_since_stop(self) -> list[StepResult]:
        """What ran since the stop before the current one (the current narration's checks)."""
        earlier = [stop for stop in self.lesson.stops if stop < self.position]
        since = earlier[-1] if earlier else 0
        first_line = self.lesson.steps[since].line if since < len(self.lesson.steps) else 1 << 30
        return [r for r in self.results if r.line >= first_line]

    def narrations(self) -> list[Step]:
        """Every ``say`` run so far, in order (the narration history)."""
        return [s for s in self.lesson.steps[: self.position] if isinstance(s.command, c.Say)]

    # -- stepping --------------------------------------------------------------------------

    def next(self) -> StepResult | None:
        """Run the next step (or finish the pending wait). Returns its result, if any."""
        if self._wait is not None:
            return self.finish_wait()
        steps = self.lesson.steps
        if self.position >= len(steps):
            self._move("done")
            return None
        step = steps[self.position]
        self.position += 1
        self._move("ready")
        started = self.cluster.now
        command = step.command
        key = getattr(command, "key", None)
        if isinstance(key, str) and key and not isinstance(command, c.Say):
            self.subject = key
        result: StepResult | None
        if isinstance(command, c.Pause):
            result = None
        elif isinstance(command, c.WaitUntil):
            assert step.predicate is not None  # parse_lesson gives every wait its predicate
            problem = step.predicate.unknown_node(self.cluster, step.line)
            if problem is not None:
                result = StepResult(step.line, step.text, False, str(problem), started, started)
            else:
                timeout = command.timeout or DEFAULT_TIMEOUT
                self._wait = _Wait(step, step.predicate, timeout, self.cluster.now + timeout)
                self._move("waiting")
                if step.predicate.holds(self.context):
                    return self._end_wait(True)
                return None
        elif isinstance(command, c.Script):
            path = resolve(command.path, self.lesson.path)
            seconds = command.timeout / SECOND if command.timeout else SCRIPT_TIMEOUT
            absent = missing(path)
            if absent is not None:
                result = StepResult(step.line, step.text, False, absent, started, started)
            elif self.scripts is None:
                ran = run_headless(self.cluster, path, seconds)
                result = StepResult(step.line, step.text, ran.ok, ran.message, started, self.cluster.now)
            else:
                try:
                    run = self.scripts(path, seconds)
                except OSError as exc:
                    result = StepResult(step.line, step.text, False, f"script {path.name} did not start: "
                                        f"{exc.strerror or exc}", started, started)
                else:
                    done = Predicate(step.text, lambda ctx: run.poll() is not None)
                    self._wait = _Wait(step, done, _SCRIPT_WAIT, self.cluster.now + _SCRIPT_WAIT, run)
                    self._move("waiting")
                    return None
        elif isinstance(command, c.Expect):
            assert step.check is not None
            problem = step.check.unknown_node(self.cluster, step.line)
            if problem is not None:
                result = StepResult(step.line, step.text, False, str(problem), started, started)
            else:
                checked = step.check(self.context)
                result = StepResult(step.line, step.text, checked.ok, checked.message, started, self.cluster.now)
        else:
            if isinstance(command, c.Say):
                self.narration = command.text
                self.said = step
            outcome = self.executor.execute(command)
            ok = not outcome.invalid
            said = outcome.text if ok else outcome.error
            if not ok and _chosen_already(self.cluster, command):
                # The narration asked the learner to make this choice and they did, in
                # the Network panel: the lesson's own step has nothing left to do.
                ok, said = True, f"{command.source or command.name}: you chose it already"
            result = StepResult(step.line, step.text, ok, said, started, self.cluster.now)
        if result is not None:
            self.results.append(result)
        self._settle_state()
        return result

    def _settle_state(self) -> None:
        if self.position in self._stops:
            self._move("stopped")
        elif self.position >= len(self.lesson.steps):
            self._move("done")

    def run_to_stop(self) -> None:
        """Run steps until the next stop, the end, or a wait that has to play out
        (``advance`` it, then call this again)."""
        while True:
            if self.done or self.is_waiting:
                return
            self.next()
            if self.is_waiting or self.is_stopped or self.done:
                return

    def advance(self, duration: int) -> bool:
        """Let up to ``duration`` µs of virtual time pass while waiting; True when the
        wait is over (the predicate held or the timeout passed)."""
        if self._wait is None:
            return True
        if self._wait.script is not None:
            # Virtual time stands still for a script, as for any other step: each of its
            # requests runs the cluster to its own answer, so the app ends where a
            # headless run ends, whatever the frames did meanwhile.
            if self._wait.script.poll() is None:
                return False
            self._end_wait(True)
            return True
        predicate, deadline = self._wait.predicate, self._wait.deadline
        cluster = self.cluster
        end = min(deadline, cluster.now + duration)
        while cluster.now < end:
            cluster.run(min(WAIT_SLICE, end - cluster.now))
            if predicate.holds(self.context):
                self._end_wait(True)
                return True
        if cluster.now >= deadline:
            self._end_wait(False)
            return True
        return False

    def finish_wait(self) -> StepResult | None:
        """Skip to the end of the wait. A script is not skipped: it is a process whose
        requests the app serves between frames (None while it runs)."""
        if self._wait is None or self._wait.script is not None:
            return None
        step, deadline = self._wait.step, self._wait.deadline
        self.advance(max(0, deadline - self.cluster.now))
        return self.results[-1] if self.results and self.results[-1].line == step.line else None

    def _end_wait(self, held: bool) -> StepResult:
        assert self._wait is not None
        step, _, timeout, deadline, script = self._wait
        self._wait = None
        message = (f"held at {self.cluster.now / SECOND:.3f}s" if held else
                   f"timed out after {timeout / SECOND:g}s of virtual time")
        if script is not None:
            ran = script.poll()
            assert ran is not None  # the wait ends when the script has
            held, message = ran.ok, ran.message
        result = StepResult(step.line, step.text, held, message, deadline - timeout, self.cluster.now)
        self.results.append(result)
        self._move("ready")
        self._settle_state()
        return result

    def run_all(self) -> list[StepResult]:
        """Run the whole lesson headless (stops passed, waits run to completion)."""
        while not self.done:
            self.next()
            if self._wait is not None:
                self.finish_wait()
        return self.results

    # -- going back --------------------------------------------------------------------------

    def checkpoint(self) -> RunnerCheckpoint:
        """The runner and its cluster now (at a stop: never in the middle of a wait)."""
        assert self._wait is None, "checkpoints are taken at stops"
        try:
            snapshot: Snapshot | None = Snapshot.take(self.cluster)
        except (TypeError, AttributeError, pickle.PicklingError):
            snapshot = None
        return RunnerCheckpoint(self.position, self.state, self.narration, self.said, self.subject,
                                tuple(self.results), tuple(self.events), snapshot)

    def restore(self, point: RunnerCheckpoint) -> bool:
        """Put the runner and the cluster back as they were at ``point``; False when the
        cluster could not be copied (the caller re-runs the lesson instead)."""
        if point.cluster is None:
            return False
        self._stop_script()
        self.executor.adopt(point.cluster.restore(), announce=False)
        self.events[:] = point.events  # after the swap: on_cluster is not told of a restore
        self.position = point.position
        self.state = point.state
        self.narration = point.narration
        self.said = point.said
        self.subject = point.subject
        self.results[:] = point.results
        self._wait = None
        return True


@dataclass(frozen=True, slots=True)
class LessonCheck:
    lesson: Lesson
    results: list[StepResult] = field(default_factory=list)

    @property
    def failures(self) -> list[StepResult]:
        return [r for r in self.results if not r.ok]

    @property
    def ok(self) -> bool:
        return not self.failures


def check_lesson(lesson: Lesson) -> LessonCheck:
    runner = LessonRunner(lesson)
    try:
        results = runner.run_all()
    finally:
        runner.close()
    return LessonCheck(lesson, list(results))


def _chosen_already(cluster: Cluster, command: c.Command) -> bool:
    """A choice about a message that was sent and is no longer pending: someone (the
    learner, following the narration) delivered or dropped it before this step; or a
    release of every hold when nothing is held any more (they pressed H)."""
    if isinstance(command, c.Release):
        return command.src is None and command.dst is None and not cluster.network.holds
    if not isinstance(command, (c.Deliver, c.DropMessage, c.Duplicate, c.Delay)):
        return False
    number = int(command.message.removeprefix("m"))
    return number <= cluster.network.sent_count and cluster.network.find(number) is None
