"""The lesson picker: the lessons with the learner's progress, to start one.

The welcome screen shows the same list among other things; this is the list alone,
for when the learner already knows the app and wants another lesson (or to go back
to one). The current lesson, if any, starts highlighted so enter restarts it and the
arrows move to its neighbours.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Static

from dynviz.tui.progress import Progress
from dynviz.tui.widgets.lessonlist import LessonList


def fit_flexible_child(box: Widget, flexible: Widget, height: int) -> None:
    """Cap ``flexible`` (a scrolling child of ``box``) at what ``box``'s other children
    leave of ``height`` lines. For a modal box whose height follows its content but must
    not exceed the screen: CSS cannot say "the rest" there (``1fr`` would make the box
    fill the screen at any size), so the screen calls this on resize."""
    others = sum(child.outer_size.height + child.styles.margin.height
                 for child in box.children if child is not flexible and child.display)
    room = height - box.styles.gutter.height - box.styles.margin.height - others
    flexible.styles.max_height = max(room, 3)


class LessonPickerScreen(ModalScreen[str | None]):
    """Dismisses with the chosen lesson's name, or None on escape.

    ``lessons``: (name, title), as ``dynviz.session.lesson.list_lessons()`` gives.
    ``progress``: marks each lesson done, started or not.
    ``current``: the lesson being played, highlighted at the start.
    """

    DEFAULT_CSS = """
    LessonPickerScreen { align: center middle; }
    LessonPickerScreen > Vertical {
        width: 100%;
        max-width: 128;
        height: auto;
        max-height: 100%;
        border: round $accent;
        border-title-color: $text-accent;
        background: $surface;
        padding: 0 1;
    }
    LessonPickerScreen #lessons-header { color: $text-muted; }
    LessonPickerScreen LessonList { height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "close")]

    def __init__(self, lessons: Sequence[tuple[str, str]], progress: Progress,
                 current: str | None = None) -> None:
        super().__init__()
        self.lessons = list(lessons)
        self.progress = progress
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="lessons-box"):
            yield Static("Lessons — enter starts one, escape closes  (✓ done, ◐ started, · not yet)",
                        id="lessons-header")
            yield LessonList(self.lessons, self.progress, current=self.current,
                             id="lessons-list")

    def on_mount(self) -> None:
        self.query_one(LessonList).focus()

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit)

    def _fit(self) -> None:
        fit_flexible_child(self.query_one("#lessons-box"), self.query_one(LessonList),
                           self.size.height)

    @on(LessonList.Chosen)
    def _chosen(self, event: LessonList.Chosen) -> None:
        event.stop()
        self.dismiss(event.name)

    def action_cancel(self) -> None:
        self.dismiss(None)
