"""The welcome screen: what dynviz is, what each panel shows, three things to try
first, and the lessons with the learner's progress.

A newcomer facing eight live panels does not know where to look or what to type; this
screen answers both in one page and then gets out of the way. Every way out is one
choice (a ``WelcomeChoice``) so the app decides what to do with it: run a command,
start a lesson, or nothing ("explore on my own", also escape). It is keyboard-first:
focus starts on the first suggestion (enter runs it), tab moves between the
suggestions, the lessons, the checkbox and the button. At 80x24 the middle part
scrolls; the title, the checkbox and the way out stay in view.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, OptionList, Static
from textual.widgets.option_list import Option

from dynviz.tui.progress import Progress
from dynviz.tui.screens.lessons import fit_flexible_child
from dynviz.tui.widgets.lessonlist import LessonList, suggested_lesson

TITLE = "dynviz — Amazon's Dynamo, running, for you to poke at"
INTRO = "A Dynamo cluster runs in this program; every panel shows it at work."


@dataclass(frozen=True)
class WelcomeChoice:
    """How the learner left the welcome screen: start lesson ``value``, run command
    line ``value``, or explore on their own (``value`` is empty)."""

    kind: Literal["lesson", "command", "explore"]
    value: str


def cut_at_word(text: str, width: int) -> str:
    """``text`` if it fits in ``width`` cells, else as many whole words as fit and "…"
    (a word cut in half reads as a typo; a trailing ellipsis reads as "there is more")."""
    if len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    head = text[:width - 1]
    if text[width - 1] != " " and " " in head:
        head = head[:head.rindex(" ")]
    return head.rstrip(" ,;:—-") + "…"


class PanelLines:
    """The panels, one a line: title, then what it shows, cut at a word to the width
    it is drawn at. One line each so the whole list and the first suggestions fit at
    80x24; the help screen and the panels themselves have the rest."""

    def __init__(self, panels: Sequence[tuple[str, str]]) -> None:
        self.panels = list(panels)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        title_width = max((len(title) for title, _ in self.panels), default=0)
        room = max(options.max_width - title_width - 2, 0)
        for title, about in self.panels:
            line = Text(no_wrap=True, overflow="crop")
            line.append(title.ljust(title_width), style="bold")
            line.append("  " + cut_at_word(about, room))
            line.truncate(options.max_width)
            yield line


def action_prompt(command: str, why: str, command_width: int) -> Table:
    """One suggested action: the command line as typed, then why to try it (a grid so
    a wrapped reason stays under its column instead of under the command)."""
    table = Table.grid(padding=(0, 2), expand=True)
    table.add_column(width=command_width, no_wrap=True)
    table.add_column(ratio=1)
    table.add_row(Text(command, style="bold green"), why)
    return table


class WelcomeScreen(ModalScreen[WelcomeChoice | None]):
    """Dismisses with a ``WelcomeChoice``: ``command`` (one of ``actions`` was chosen),
    ``lesson`` (one of ``lessons``) or ``explore`` (escape or the button).

    ``panels``: (panel title, one-line description) for the app's panels.
    ``actions``: suggested first commands as (command line, why).
    ``lessons``: (name, title), as ``dynviz.session.lesson.list_lessons()`` gives.
    ``progress``: marks the lessons; the "show this welcome" checkbox is saved to it.
    """

    DEFAULT_CSS = """
    WelcomeScreen { align: center middle; }
    WelcomeScreen > #welcome-box {
        width: 100%;
        max-width: 128;
        height: auto;
        max-height: 100%;
        border: round $accent;
        border-subtitle-color: $text-muted;
        background: $surface;
        padding: 0 1;
    }
    WelcomeScreen #welcome-title { text-style: bold; color: $text-accent; }
    WelcomeScreen #welcome-body { height: auto; }
    WelcomeScreen .welcome-intro { color: $text-muted; }
    WelcomeScreen .welcome-heading { text-style: bold; margin-top: 1; }
    WelcomeScreen #welcome-panels { padding-left: 2; }
    WelcomeScreen #welcome-actions { height: auto; }
    WelcomeScreen #welcome-lessons { height: auto; max-height: 50vh; }
    WelcomeScreen #welcome-problem { color: $text-warning; display: none; }
    WelcomeScreen #welcome-problem.-shown { display: block; }
    WelcomeScreen #welcome-bottom { height: 1; margin-top: 1; }
    WelcomeScreen #welcome-bottom Checkbox { width: 1fr; }
    WelcomeScreen #welcome-bottom Button {
        width: auto;
        min-width: 0;
        padding: 0 2;
        background: $primary-muted;
    }
    WelcomeScreen #welcome-bottom Button:focus {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
    }
    """
    BINDINGS = [Binding("escape", "explore", "explore on my own")]

    def __init__(self, panels: Sequence[tuple[str, str]], actions: Sequence[tuple[str, str]],
                 lessons: Sequence[tuple[str, str]], progress: Progress) -> None:
        super().__init__()
        self.panels = list(panels)
        self.actions = list(actions)
        self.lessons = list(lessons)
        self.progress = progress

    def compose(self) -> ComposeResult:
        with Vertical(id="welcome-box") as box:
            box.border_subtitle = "tab: next · enter: choose · esc: explore on my own"
            yield Static(TITLE, id="welcome-title")
            with VerticalScroll(id="welcome-body", can_focus=False):
                yield Static(INTRO, classes="welcome-intro")
                yield Static("The panels", classes="welcome-heading")
                yield Static(PanelLines(self.panels), id="welcome-panels")
                yield Static("Try one of these first (enter runs it)", classes="welcome-heading")
                width = max((len(command) for command, _ in self.actions), default=0)
                yield OptionList(*[Option(action_prompt(command, why, width), id=str(i))
                                   for i, (command, why) in enumerate(self.actions)],
                                 id="welcome-actions")
                yield Static("Or follow a lesson (✓ done, ◐ started, · not yet)",
                            classes="welcome-heading")
                yield LessonList(self.lessons, self.progress, id="welcome-lessons",
                                 current=suggested_lesson(self.lessons, self.progress))
            yield Static(id="welcome-problem")
            with Horizontal(id="welcome-bottom"):
                yield Checkbox("Show this welcome at start", self.progress.show_welcome,
                               id="welcome-show", compact=True)
                yield Button("Explore on my own", id="welcome-explore", compact=True)

    def on_mount(self) -> None:
        self._show_problem()
        # Focus without scrolling: the top of the page (what the panels are) is what
        # to read first; the first suggestion is still one enter away.
        self.query_one("#welcome-actions", OptionList).focus(scroll_visible=False)

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit_body)

    def _fit_body(self) -> None:
        fit_flexible_child(self.query_one("#welcome-box"), self.query_one("#welcome-body"),
                           self.size.height)

    def _show_problem(self) -> None:
        problem = self.query_one("#welcome-problem", Static)
        problem.update(self.progress.problem)
        problem.set_class(bool(self.progress.problem), "-shown")
        self.call_after_refresh(self._fit_body)

    @on(OptionList.OptionSelected, "#welcome-actions")
    def _run_action(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            command, _ = self.actions[int(event.option.id)]
            self.dismiss(WelcomeChoice("command", command))

    @on(LessonList.Chosen)
    def _start_lesson(self, event: LessonList.Chosen) -> None:
        event.stop()
        self.dismiss(WelcomeChoice("lesson", event.name))

    @on(Checkbox.Changed, "#welcome-show")
    def _remember_show(self, event: Checkbox.Changed) -> None:
        event.stop()
        self.progress.set_show_welcome(event.value)
        self.progress.save()
        self._show_problem()

    @on(Button.Pressed, "#welcome-explore")
    def _explore_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_explore()

    def action_explore(self) -> None:
        self.dismiss(WelcomeChoice("explore", ""))
