"""The lesson panel: the narration, where the lesson is (narration 3 of 9), what it waits
for, its checks (✓/✗) and which panel to look at.

It reads a :class:`LessonState` (the lesson driver) handed to it when the driver makes
it, and the frame the app hands every panel; it never reaches into the app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from rich.text import Text
from textual.widget import Widget

from dynviz import commands as c
from dynviz.tui.panels import TITLES
from dynviz.wording import plural

if TYPE_CHECKING:
    from dynviz.session.lesson import Lesson, LessonRunner
    from dynviz.tui.driver import Cue
    from dynviz.tui.view import Frame


class LessonState(Protocol):
    """What the panel reads of the lesson being played."""

    lesson: Lesson
    runner: LessonRunner
    playing: bool

    @property
    def total(self) -> int: ...

    def cue(self) -> Cue: ...


class LessonPanel(Widget, can_focus=True):
    """The lesson's narration and progress, above the command line. It takes the focus
    at each narration, so the lesson's keys reach the app whatever panel is shown."""

    DEFAULT_CSS = """
    LessonPanel {
        height: auto;
        max-height: 12;
        border: round $warning;
        border-title-color: $text-warning;
        border-title-style: bold;
        border-subtitle-color: $text-warning;
        background: $surface;
        padding: 0 1;
        &:focus { border: round $warning; background-tint: $foreground 3%; }
    }
    """

    def __init__(self, state: LessonState, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.state = state
        self._key: tuple[object, ...] | None = None
        self._text = Text()

    def refresh_view(self, frame: Frame) -> None:
        state = self.state
        runner = state.runner
        key = (id(runner), runner.position, runner.state, len(runner.results), runner.narration,
               runner.cluster.now if runner.is_waiting else 0, self.size.width, state.playing)
        if key == self._key:
            return
        self._key = key
        lesson = state.lesson
        self.border_title = f"lesson {lesson.name}" + (f": {lesson.title}" if lesson.title else "")
        self.border_subtitle = (f"narration {runner.stop_number} of {state.total}" if not runner.done
                                else "finished")
        self._text = self.build()
        self.refresh(layout=True)

    def plain(self) -> str:
        """What the panel shows, as text (tests)."""
        return self._text.plain

    def build(self) -> Text:
        state = self.state
        runner = state.runner
        t = Text()
        t.append((runner.narration or "(the lesson is setting up)") + "\n", style="bold")
        titles = [f"{TITLES.get(p, p)} panel" for p in state.cue().panels]
        if titles:
            t.append("look at: ", style="dim")
            t.append(" · ".join(titles) + "\n", style="bold yellow")
        passed: list[str] = []
        steps = {s.line: s for s in state.lesson.steps}
        for result in runner.results_since_stop():
            step = steps.get(result.line)
            if result.ok:
                if step is not None and isinstance(step.command, (c.Expect, c.WaitUntil)):
                    passed.append(result.text.removeprefix("expect ").removeprefix("wait until "))
                continue
            t.append("✗ ", style="bold red")
            t.append(result.text, style="red")
            if result.message:
                t.append(f"  ({result.message.splitlines()[0]})", style="dim")
            t.append("\n")
        if passed:
            t.append("✓ ", style="bold green")
            t.append(" · ".join(passed) + "\n", style="green")
        step = runner.current_step
        if runner.waiting_for_script and step is not None:
            assert isinstance(step.command, c.Script)
            t.append("◔ running ", style="bold cyan")
            t.append(step.command.path, style="bold")
            t.append("  (its requests appear in the Log panel as they are served)", style="dim")
        elif runner.is_waiting and step is not None:
            assert isinstance(step.command, c.WaitUntil)  # a runner waits on a wait until or a script
            t.append("◔ waiting until ", style="bold cyan")
            t.append(step.command.predicate, style="bold")
            t.append(f"  t={runner.cluster.now / 1e6:.3f}s", style="cyan")
            t.append("  (time runs: space pauses, n skips to the end)" if state.playing
                     else "  (paused: space plays)", style="dim")
        elif runner.done:
            failed = len(runner.failures)
            t.append("✓ lesson finished" if not failed else f"✗ lesson finished, {plural(failed, 'check')} failed",
                     style="bold green" if not failed else "bold red")
            t.append("  · b: Back · L: another lesson · q: quit", style="dim")
        else:
            t.append("n or enter: Next", style="bold")
            t.append(" · b: Back · h: every narration", style="dim")
        return t

    def render(self) -> Text:
        return self._text
