"""The lesson list and the lesson picker, driven with the keyboard: the marks for
done, started and not started, the current lesson highlighted, and what the picker
returns."""

from __future__ import annotations

from pathlib import Path

import pytest
from screenhost import Host
from textual.app import App, ComposeResult
from textual.widget import Widget
from textual.widgets import Static

from dynviz.session.lesson import list_lessons
from dynviz.tui.progress import Progress
from dynviz.tui.screens.lessons import LessonPickerScreen
from dynviz.tui.widgets.lessonlist import LessonList, suggested_lesson

SIZES = [(80, 24), (160, 50), (60, 14)]
LESSONS = [
    ("01-first", "The first lesson"),
    ("02-second", "The second lesson, with a title long enough to need cutting at eighty "
                  "columns because it goes on and on about the subject"),
    ("03-third", "The third lesson"),
]




class ListHost(App[None]):
    """A lesson list alone, collecting what it posts."""

    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self.progress = progress
        self.chosen: list[str] = []

    def compose(self) -> ComposeResult:
        yield LessonList(LESSONS, self.progress)

    def on_lesson_list_chosen(self, event: LessonList.Chosen) -> None:
        self.chosen.append(event.name)


@pytest.fixture
def progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Progress:
    monkeypatch.setenv("DYNVIZ_DATA_DIR", str(tmp_path))
    return Progress.load()


def lines_of(widget: Widget) -> list[str]:
    return [widget.render_line(y).text.rstrip() for y in range(widget.size.height)]


async def test_marks_and_columns(progress: Progress) -> None:
    progress.record("01-first", 3, 3)
    progress.record("02-second", 4, 9)
    app = ListHost(progress)
    async with app.run_test(size=(80, 10)) as pilot:
        await pilot.pause()
        lessons = app.query_one(LessonList)
        shown = [line.strip() for line in lines_of(lessons) if line.strip()]
        # Names (with how far) padded to the widest, then two spaces, then the title.
        assert shown[0] == "✓ 01-first" + " " * 7 + "The first lesson"
        assert shown[1].startswith("◐ 02-second 4/9  The second lesson, with")
        assert shown[1].endswith("…")
        assert shown[2] == "· 03-third" + " " * 7 + "The third lesson"
        assert lessons.virtual_size.height == len(LESSONS)


async def test_show_progress_updates_the_marks_and_keeps_the_cursor(progress: Progress) -> None:
    app = ListHost(progress)
    async with app.run_test(size=(80, 10)) as pilot:
        await pilot.pause()
        lessons = app.query_one(LessonList)
        await pilot.press("down")
        progress.record("03-third", 1, 2)
        lessons.show_progress(progress)
        await pilot.pause()
        assert lessons.highlighted_name == "02-second"
        assert any(line.strip().startswith("◐ 03-third 1/2") for line in lines_of(lessons))


async def test_enter_posts_chosen(progress: Progress) -> None:
    app = ListHost(progress)
    async with app.run_test(size=(80, 10)) as pilot:
        await pilot.pause()
        await pilot.press("down", "down", "enter", "up", "enter")
        await pilot.pause()
        assert app.chosen == ["03-third", "02-second"]


def test_suggested_lesson(progress: Progress) -> None:
    assert suggested_lesson(LESSONS, progress) == "01-first"
    progress.record("01-first", 3, 3)
    assert suggested_lesson(LESSONS, progress) == "02-second"
    progress.record("03-third", 1, 5)
    assert suggested_lesson(LESSONS, progress) == "03-third"
    progress.record("02-second", 2, 2)
    progress.record("03-third", 5, 5)
    assert suggested_lesson(LESSONS, progress) == "01-first"
    assert suggested_lesson([], progress) is None


@pytest.mark.parametrize("size", SIZES)
async def test_picker_highlights_current_and_returns_choice(progress: Progress,
                                                            size: tuple[int, int]) -> None:
    app = Host(lambda: LessonPickerScreen(list_lessons(), progress, current="14-tables"))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = app.screen
        header = screen.query_one("#lessons-header", Static)
        assert "Lessons — enter starts one, escape closes" in " ".join(lines_of(header))
        lessons = screen.query_one(LessonList)
        assert lessons.has_focus
        assert lessons.highlighted_name == "14-tables"
        assert any("14-tables" in line for line in lines_of(lessons)), "scrolled into view"
        assert screen.region.contains_region(lessons.region)
        await pilot.press("up", "enter")
        await pilot.pause()
        assert app.result == "13-handoff-substitute-dies"


@pytest.mark.parametrize("size", SIZES)
async def test_picker_escape_returns_none(progress: Progress, size: tuple[int, int]) -> None:
    app = Host(lambda: LessonPickerScreen(list_lessons(), progress))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert app.screen.query_one(LessonList).highlighted_name == "01-consistent-hashing"
        await pilot.press("escape")
        await pilot.pause()
        assert app.result is None
