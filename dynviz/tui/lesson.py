"""``dynviz lesson NAME``: the app running a lesson, with a lesson panel.

:class:`LessonApp` runs a :class:`~dynviz.session.lesson.LessonRunner` on the app's
screen: the lesson's steps run until a ``pause`` (the learner reads the narration and
looks at the panel it names: that panel is highlighted and its tab brought forward),
``n`` or ``enter`` continues, ``b`` goes back to the previous pause (the lesson re-run
from its start: deterministic, so the same state). A ``wait until`` lets virtual time
flow on screen (at the app's speed; space pauses it, ``n`` skips to the end of the
wait) until its predicate holds. Every ``expect`` is shown with ✓ or ✗. Virtual time
stands still between waits, so what the learner sees is what ``--check`` checks.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import TabbedContent, TabPane

from dynviz import commands as c
from dynviz.core.hashing import as_key
from dynviz.events import EventBus
from dynviz.session.lesson import Lesson, LessonRunner, Step, StepResult
from dynviz.tui.app import PANELS, DynvizApp
from dynviz.tui.widgets.lesson import LessonPanel, panels_mentioned
from dynviz.tui.widgets.panel import Panel


class LessonApp(DynvizApp):
    """The app stepping through ``lesson`` (see the module docstring)."""

    BINDINGS = [
        *DynvizApp.BINDINGS,
        Binding("n", "lesson_next", "Next", tooltip="Lesson: the next step (to the next pause)"),
        Binding("enter", "lesson_enter", "Next", show=False, tooltip="Lesson: continue after a pause"),
        Binding("b", "lesson_back", "Back", tooltip="Lesson: back to the previous pause"),
    ]

    def __init__(self, lesson: Lesson, *, playing: bool = True, speed: float = 1.0,
                 start: bool = True) -> None:
        self.lesson = lesson
        self.runner = LessonRunner(lesson, EventBus())
        self._wire(self.runner)
        self._pointed: tuple[str, ...] = ()
        super().__init__(seed=0, workload=False, playing=playing, preload_keys=False, speed=speed,
                         record=None, executor=self.runner.executor)
        self.title = f"dynviz lesson {lesson.name}"
        if start:
            self.lesson_continue()

    def _wire(self, runner: LessonRunner) -> None:
        own = runner._on_cluster  # noqa: SLF001 - the runner's hook, kept and chained

        def on_cluster(cluster):  # type: ignore[no-untyped-def]
            own(cluster)
            self._on_cluster(cluster)

        runner.executor.on_cluster = on_cluster

    def compose_extra(self) -> Iterable[Widget]:
        panel = LessonPanel(id="lesson")
        panel.add_class("view")
        return (panel,)

    # -- stepping -------------------------------------------------------------------------

    def step_at(self, line: int) -> Step | None:
        return next((s for s in self.lesson.steps if s.line == line), None)

    def slide_results(self) -> list[StepResult]:
        """Results since the last pause passed (what the current narration is about)."""
        runner = self.runner
        steps = self.lesson.steps
        last_pause = 0
        for step in steps[: runner.position]:
            if isinstance(step.command, c.Pause) and step is not runner.current_step:
                last_pause = step.line
        if runner.is_paused and runner.position:
            # paused: the slide is what ran before this pause
            before = [s.line for s in steps[: runner.position - 1] if isinstance(s.command, c.Pause)]
            last_pause = before[-1] if before else 0
        return [r for r in runner.results if r.line > last_pause]

    def _journal_step(self, step: Step, result: StepResult | None) -> None:
        command = step.command
        now = self.cluster.now
        if isinstance(command, (c.Pause, c.Say)):
            return
        key = getattr(command, "key", None)
        if isinstance(key, (str, bytes)) and key:  # the key the lesson works on: its panels show it
            if self.is_running:
                self.select_key(key)
            else:
                self.set_reactive(DynvizApp.selected_key, as_key(key))
        if isinstance(command, c.WaitUntil):
            if result is None:
                self.journal.add(now, "command", f"> {step.text}", rank=0)
                return
        elif not isinstance(command, c.Expect):
            self.journal.add(now, "command", f"> {step.text}", rank=0)
        if result is not None:
            text = result.message.splitlines()[0] if result.message else ""
            if isinstance(command, (c.Expect, c.WaitUntil)):
                text = f"{'✓' if result.ok else '✗'} {step.text}" + (f": {text}" if text else "")
            if text:
                self.journal.add(now, "result" if result.ok else "error", text, rank=2)

    def lesson_continue(self) -> None:
        """Run steps until a pause, a wait (which the frames then play) or the end."""
        runner = self.runner
        for _ in range(100_000):
            if runner.done:
                break
            step = runner.current_step
            result = runner.next()
            if step is not None:
                self._journal_step(step, result)
            if runner.is_waiting or runner.is_paused or runner.done:
                break
        self.point_at(panels_mentioned(runner.narration))
        if self.is_running:
            self.refresh_views()

    def advance(self, duration: int) -> None:
        runner = self.runner
        if not runner.is_waiting:
            return  # time stands still between waits: the screen is what --check checks
        step = runner.current_step
        if runner.advance(duration):
            if step is not None and runner.results:
                self._journal_step(step, runner.results[-1])
            self.lesson_continue()

    def run_for(self, duration: int) -> None:
        self.advance(duration)

    def action_lesson_next(self) -> None:
        runner = self.runner
        if runner.is_waiting:
            step = runner.current_step
            result = runner.finish_wait()
            if step is not None:
                self._journal_step(step, result)
        elif runner.done:
            self.notify("the lesson is over: b goes back, q quits", timeout=3)
            return
        self.lesson_continue()

    def action_lesson_enter(self) -> None:
        if self.runner.is_paused:
            self.action_lesson_next()

    def action_lesson_back(self) -> None:
        runner = self.runner
        steps = self.lesson.steps
        pauses = [i for i, s in enumerate(steps[: runner.position]) if isinstance(s.command, c.Pause)]
        if runner.is_paused and pauses:
            pauses = pauses[:-1]  # paused at one: back to the one before
        self.restart_at(pauses[-1] + 1 if pauses else 0)

    def restart_at(self, position: int) -> None:
        """Re-run the lesson from its start to ``position`` steps (a pause ends there
        paused); position 0 runs to the first pause, as at the start."""
        old = self.runner
        old.close()
        runner = LessonRunner(self.lesson, old.bus)
        self._wire(runner)
        self.runner = runner
        self.executor = runner.executor
        self.tape.clear()
        self.journal.clear()
        while runner.position < position and not runner.done:
            step = runner.current_step
            result = runner.next()
            if step is not None:
                self._journal_step(step, result)
            if runner.is_waiting:
                result = runner.finish_wait()
                if step is not None:
                    self._journal_step(step, result)
        if position == 0:
            self.lesson_continue()
        else:
            self.point_at(panels_mentioned(runner.narration))
            self.refresh_views()

    # -- pointing at panels -----------------------------------------------------------------

    def panel_title(self, name: str) -> str:
        titles = {pname: title for pname, title, _ in PANELS}
        return f"{titles.get(name, name)} panel"

    def point_at(self, names: list[str]) -> None:
        """Highlight the panels the narration names and bring the first hidden one's tab
        forward."""
        if not self.is_running:
            self._pointed = tuple(names)
            return
        screen = self.screen
        for panel in screen.query(Panel):
            panel.set_class(bool(panel.id) and panel.id.removeprefix("panel-") in names, "-pointed")
        if tuple(names) == self._pointed:
            return
        self._pointed = tuple(names)
        for name in names:
            try:
                panel = screen.query_one(f"#panel-{name}", Panel)
            except Exception:  # noqa: BLE001 - not on this screen (a dialog is open)
                continue
            pane = panel.parent
            if not isinstance(pane, TabPane):
                continue  # always on screen
            tabs = pane.parent
            while tabs is not None and not isinstance(tabs, TabbedContent):
                tabs = tabs.parent
            if tabs is not None and pane.id:
                tabs.active = pane.id
            break

    def on_mount(self) -> None:
        super().on_mount()
        pointed, self._pointed = self._pointed, ()
        self.call_after_refresh(self.point_at, list(pointed))
