"""The list of lessons with the learner's progress in each, for picking one.

One line a lesson::

    ✓ 01-consistent-hashing       Consistent hashing and preference lists
    ◐ 03-vector-clocks 4/9        Vector clocks and the shopping cart (paper Figure 3)
    · 04-hinted-handoff           Sloppy quorum and hinted handoff

(✓ done, ◐ started with how far, · not started). Names and titles are columns so the
eye can run down either; how far goes beside the name rather than in a column of its
own, which would take title room from every line at 80 columns. A line never wraps
(two-line entries in a list of fifteen are hard to scan): what does not fit is cut at
the end with an ellipsis. The widget
is shared by the welcome screen and the lesson picker, which is why it posts its own
``Chosen`` message rather than leaving each screen to decode option ids.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from dynviz.tui.progress import LessonProgress, Progress

DONE = "✓"
STARTED = "◐"
NOT_STARTED = "·"


def _status(progress: LessonProgress | None) -> tuple[str, str, str]:
    """(glyph, its style, how far) for one lesson."""
    if progress is None or not progress.started:
        return NOT_STARTED, "$text-muted", ""
    if progress.done:
        return DONE, "$text-success", ""
    return STARTED, "$text-warning", f"{progress.furthest}/{progress.total}"


def _label_width(name: str, step: str) -> int:
    return len(name) + (len(step) + 1 if step else 0)


def lesson_prompt(name: str, title: str, progress: LessonProgress | None,
                  name_width: int) -> Content:
    """One lesson's line: glyph, name and how far (padded together to ``name_width``),
    title."""
    glyph, style, step = _status(progress)
    parts: list[str | tuple[str, str]] = [(glyph, style), " ", (name, "bold")]
    if step:
        parts += [" ", (step, "$text-warning")]
    parts += [" " * (name_width - _label_width(name, step) + 2), title]
    return Content.assemble(*parts)


class LessonList(OptionList):
    """The lessons, one line each with ✓ ◐ · for the learner's progress; enter or a
    click posts ``LessonList.Chosen``. ``lessons`` is what
    ``dynviz.session.lesson.list_lessons()`` returns: (name, title) pairs."""

    DEFAULT_CSS = """
    LessonList {
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    class Chosen(Message):
        """The learner chose lesson ``name`` (enter or click)."""

        def __init__(self, lesson_list: LessonList, name: str) -> None:
            super().__init__()
            self.lesson_list = lesson_list
            self.name = name

        @property
        def control(self) -> LessonList:
            """The list it came from (for ``@on(LessonList.Chosen, "#id")``)."""
            return self.lesson_list

    def __init__(self, lessons: Sequence[tuple[str, str]], progress: Progress, *,
                 current: str | None = None, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes, markup=False)
        self.lessons = list(lessons)
        self.progress = progress
        self.show_progress(progress)
        if current is not None:
            self.highlight_lesson(current)

    def show_progress(self, progress: Progress) -> None:
        """Rebuild the lines from ``progress`` (after a lesson moved on), keeping the
        highlighted lesson."""
        self.progress = progress
        highlighted = self.highlighted_name
        records = [progress.lesson(name) for name, _ in self.lessons]
        name_width = max((_label_width(name, _status(record)[2])
                          for (name, _), record in zip(self.lessons, records, strict=True)),
                         default=0)
        self.set_options(
            Option(lesson_prompt(name, title, record, name_width), id=name)
            for (name, title), record in zip(self.lessons, records, strict=True)
        )
        if highlighted is not None:
            self.highlight_lesson(highlighted)
        elif self.option_count:
            self.highlighted = 0

    @property
    def highlighted_name(self) -> str | None:
        """The name of the highlighted lesson, if any."""
        option = self.highlighted_option
        return option.id if option is not None else None

    def highlight_lesson(self, name: str) -> None:
        """Put the cursor on lesson ``name`` (ignored if there is no such lesson)."""
        for index, (lesson, _) in enumerate(self.lessons):
            if lesson == name:
                self.highlighted = index
                return

    def on_resize(self) -> None:
        # A screen may shrink the list to fit after it was shown; keep the cursor in view.
        self.call_after_refresh(self.scroll_to_highlight)

    def _on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.Chosen(self, event.option.id))


def suggested_lesson(lessons: Sequence[tuple[str, str]], progress: Progress) -> str | None:
    """Where a returning learner most likely wants to be: the first lesson started but
    not finished, else the first not started, else the first."""
    records = [(name, progress.lesson(name)) for name, _ in lessons]
    for name, record in records:
        if record is not None and record.started and not record.done:
            return name
    for name, record in records:
        if record is None or not record.started:
            return name
    return lessons[0][0] if lessons else None
