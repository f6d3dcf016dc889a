"""The lesson panel: the narration, the step, what the lesson waits for, its checks
(✓/✗) and which panel to look at. Read from the app's ``LessonRunner``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widget import Widget

from dynviz import commands as c

if TYPE_CHECKING:
    from dynviz.tui.lesson import LessonApp

_PANEL_WORDS = re.compile(
    r"\b(Ring|Preference list|Version history|Versions|Event log|Log|Nodes|Messages|Gossip|Merkle)"
    r"(?: panel| view| tab)", re.IGNORECASE)
PANEL_NAMES = {
    "ring": "ring", "preference list": "preflist", "version history": "history", "versions": "history",
    "event log": "log", "log": "log", "nodes": "nodes", "messages": "messages", "gossip": "gossip",
    "merkle": "merkle",
}


def panels_mentioned(text: str) -> list[str]:
    """The app's panel names a narration points at, in the order it mentions them."""
    found: list[str] = []
    for m in _PANEL_WORDS.finditer(text):
        name = PANEL_NAMES[m.group(1).lower()]
        if name not in found:
            found.append(name)
    return found


class LessonPanel(Widget):
    """The lesson's narration and progress, above the command line."""

    DEFAULT_CSS = """
    LessonPanel {
        height: auto;
        max-height: 14;
        border: round $warning;
        border-title-color: $text-warning;
        border-title-style: bold;
        background: $surface;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._key: tuple | None = None
        self._text = Text()

    @property
    def lesson_app(self) -> LessonApp:
        return self.app  # type: ignore[return-value]

    def refresh_view(self) -> None:
        app = self.lesson_app
        runner = app.runner
        key = (id(runner), runner.position, runner.state, len(runner.results), runner.narration,
               runner.cluster.now if runner.is_waiting else 0, self.size.width, app.playing)
        if key == self._key:
            return
        self._key = key
        lesson = app.lesson
        self.border_title = f"lesson {lesson.name}" + (f": {lesson.title}" if lesson.title else "")
        total = len(lesson.steps)
        self.border_subtitle = f"step {min(runner.position, total)}/{total}"
        self._text = self.build()
        self.refresh(layout=True)

    def build(self) -> Text:
        app = self.lesson_app
        runner = app.runner
        t = Text()
        t.append((runner.narration or "(no narration yet)") + "\n", style="bold")
        panels = panels_mentioned(runner.narration)
        if panels:
            titles = [app.panel_title(p) for p in panels]
            t.append("look at: ", style="dim")
            t.append(" · ".join(titles) + "\n", style="bold yellow")
        for result in app.slide_results():
            step = app.step_at(result.line)
            if step is None or not isinstance(step.command, (c.Expect, c.WaitUntil)) and result.ok:
                continue
            mark, style = ("✓", "bold green") if result.ok else ("✗", "bold red")
            t.append(f"{mark} ", style=style)
            t.append(result.text, style="green" if result.ok else "red")
            if result.message and (not result.ok or isinstance(step.command, c.WaitUntil)):
                t.append(f"  ({result.message.splitlines()[0]})", style="dim")
            t.append("\n")
        step = runner.current_step
        if runner.is_waiting and step is not None:
            t.append("⏳ waiting until ", style="bold cyan")
            t.append(step.command.predicate, style="bold")  # type: ignore[attr-defined]
            t.append(f"  t={runner.cluster.now / 1e6:.3f}s", style="cyan")
            t.append("  (virtual time runs; space pauses it, n skips to the end of the wait)"
                     if app.playing else "  (paused: space plays)", style="dim")
        elif runner.is_paused:
            t.append("▮▮ ", style="bold yellow")
            t.append("n or enter: Next · b: Back", style="bold")
        elif runner.done:
            failed = len(runner.failures)
            t.append("✓ lesson finished" if not failed else f"✗ lesson finished, {failed} step(s) failed",
                     style="bold green" if not failed else "bold red")
            t.append("  · b: Back · q: quit", style="dim")
        else:
            t.append("n: Next · b: Back", style="bold")
        return t

    def render(self) -> Text:
        return self._text
