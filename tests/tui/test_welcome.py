"""The welcome screen driven with the keyboard only, at 80x24 and at 160x50: what it
shows, that nothing is cut off, and the ``WelcomeChoice`` each way out dismisses with."""

from __future__ import annotations

from pathlib import Path

import pytest
from screenhost import Host
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, OptionList, Static

from dynviz.session.lesson import list_lessons
from dynviz.tui.progress import FILE_NAME, Progress
from dynviz.tui.screens.welcome import TITLE, WelcomeChoice, WelcomeScreen, cut_at_word
from dynviz.tui.widgets.lessonlist import LessonList

SIZES = [(80, 24), (160, 50)]

PANELS = [
    ("Ring", "the hash ring: vnodes coloured by node, the selected key ◆ and its replicas"),
    ("Preference list",
     "the selected key's N replicas in order, who is down, who holds a hint for whom"),
    ("Versions", "the selected key's versions: what supersedes what, siblings side by side"),
    ("Log", "what the cluster did, line by line; enter on a line shows it in full"),
    ("Nodes", "every node: up or down, keys and hints held, partition group, suspicions"),
    ("Messages", "a space-time diagram of the messages of recent requests"),
    ("Gossip", "who knows what about whom, and how a rumour spread round by round"),
    ("Merkle", "the latest anti-entropy exchange: two replicas' trees, the differing paths"),
]
ACTIONS = [
    ("get cart:alice", "read a key: see its replicas answer"),
    ("kill n3", "stop a node, then read again: the quorum copes"),
    ("put cart:alice milk", "write a key: watch the coordinator gather W acknowledgements"),
]




@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DYNVIZ_DATA_DIR", str(tmp_path))
    return tmp_path


def welcome_host() -> Host:
    return Host(lambda: WelcomeScreen(PANELS, ACTIONS, list_lessons(), Progress.load()))


def lines_of(widget: Widget) -> list[str]:
    """What ``widget`` shows, line by line (its scrolled-to part)."""
    return [widget.render_line(y).text for y in range(widget.size.height)]


def on_screen(widget: Widget, screen: Screen[object]) -> bool:
    return screen.region.contains_region(widget.region) and widget.region.area > 0


@pytest.mark.parametrize("size", SIZES)
async def test_shows_title_panels_actions_lessons(data_dir: Path, size: tuple[int, int]) -> None:
    progress = Progress.load()
    progress.record("01-consistent-hashing", 6, 6)
    progress.record("03-vector-clocks", 4, 9)
    progress.save()
    app = welcome_host()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, WelcomeScreen)
        assert str(screen.query_one("#welcome-title", Static).render()) == TITLE
        panels = [line.strip() for line in lines_of(screen.query_one("#welcome-panels"))]
        assert len(panels) == len(PANELS), "one line a panel"
        for line, (title, about) in zip(panels, PANELS, strict=True):
            assert line.startswith(title)
            shown = line[len(title):].strip()
            if size == (160, 50):
                assert shown == about
            else:  # whole words, then an ellipsis
                assert shown == about or (shown.endswith("…")
                                          and about.startswith(shown[:-1])
                                          and about[len(shown) - 1] in " ,;:"), line
        actions = screen.query_one("#welcome-actions", OptionList)
        assert actions.has_focus
        assert actions.highlighted == 0
        # What enter would do is in view when the screen opens, below the panels.
        body = screen.query_one("#welcome-body")
        assert body.scroll_y == 0
        assert body.region.contains_region(actions.region)
        lessons = screen.query_one(LessonList)
        shown = lines_of(lessons)
        assert any(line.strip().startswith("✓ 01-consistent-hashing") for line in shown)
        assert any(line.strip().startswith("◐ 03-vector-clocks 4/9") for line in shown)
        assert any(line.strip().startswith("· 02-quorums") for line in shown)
        # The lesson to continue is where the cursor starts.
        assert lessons.highlighted_name == "03-vector-clocks"
        # One line a lesson: titles are cut, never wrapped.
        assert lessons.virtual_size.height == len(list_lessons())
        # The way out and the setting are always in view, never scrolled away.
        for widget in (screen.query_one(Checkbox), screen.query_one(Button),
                       screen.query_one("#welcome-title")):
            assert on_screen(widget, screen), widget
        assert screen.query_one(Checkbox).value is True


def test_cut_at_word() -> None:
    assert cut_at_word("read a key", 20) == "read a key"
    assert cut_at_word("read a key", 10) == "read a key"
    assert cut_at_word("read a key: see its replicas", 14) == "read a key…"
    assert cut_at_word("read a key: see its replicas", 16) == "read a key: see…"
    assert cut_at_word("unbreakable", 6) == "unbre…"
    assert cut_at_word("anything", 1) == "…"
    assert cut_at_word("anything", 0) == ""


async def test_titles_are_cut_with_an_ellipsis_at_80_columns_and_whole_at_160(
        data_dir: Path) -> None:
    longest = max(list_lessons(), key=lambda lesson: len(lesson[1]))
    for size, cut in (((80, 24), True), ((160, 50), False)):
        app = welcome_host()
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            lessons = app.screen.query_one(LessonList)
            lessons.highlight_lesson(longest[0])
            await pilot.pause()
            line = next(line for line in lines_of(lessons) if longest[0] in line)
            assert ("…" in line) is cut, line
            if not cut:
                assert longest[1] in line


@pytest.mark.parametrize("size", SIZES)
async def test_enter_runs_the_first_action(data_dir: Path, size: tuple[int, int]) -> None:
    app = welcome_host()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.result == WelcomeChoice("command", "get cart:alice")


@pytest.mark.parametrize("size", SIZES)
async def test_arrows_choose_another_action(data_dir: Path, size: tuple[int, int]) -> None:
    app = welcome_host()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert app.result == WelcomeChoice("command", "put cart:alice milk")


@pytest.mark.parametrize("size", SIZES)
async def test_tab_to_the_lessons_and_start_one(data_dir: Path, size: tuple[int, int]) -> None:
    app = welcome_host()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press("tab")
        await pilot.pause()
        lessons = app.screen.query_one(LessonList)
        assert lessons.has_focus
        assert on_screen(lessons, app.screen)
        assert lessons.highlighted_name == "01-consistent-hashing"  # nothing started yet
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.result == WelcomeChoice("lesson", "02-quorums")


@pytest.mark.parametrize("size", SIZES)
async def test_escape_explores(data_dir: Path, size: tuple[int, int]) -> None:
    app = welcome_host()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.result == WelcomeChoice("explore", "")


@pytest.mark.parametrize("size", SIZES)
async def test_checkbox_is_saved_and_the_button_explores(data_dir: Path,
                                                         size: tuple[int, int]) -> None:
    app = welcome_host()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press("tab", "tab")
        await pilot.pause()
        checkbox = app.screen.query_one(Checkbox)
        assert checkbox.has_focus
        await pilot.press("space")
        await pilot.pause()
        assert checkbox.value is False
        assert Progress.load().show_welcome is False
        await pilot.press("enter")
        await pilot.pause()
        assert checkbox.value is True
        assert Progress.load().show_welcome is True
        await pilot.press("tab")
        await pilot.pause()
        assert app.screen.query_one(Button).has_focus
        await pilot.press("enter")
        await pilot.pause()
        assert app.result == WelcomeChoice("explore", "")


@pytest.mark.parametrize("size", SIZES)
async def test_tab_cycles_back_to_the_actions(data_dir: Path, size: tuple[int, int]) -> None:
    app = welcome_host()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press("tab", "tab", "tab", "tab")
        await pilot.pause()
        actions = app.screen.query_one("#welcome-actions", OptionList)
        assert actions.has_focus
        assert on_screen(actions, app.screen)
        await pilot.press("shift+tab")
        await pilot.pause()
        assert app.screen.query_one(Button).has_focus


async def test_a_broken_progress_file_is_shown_not_raised(data_dir: Path) -> None:
    (data_dir / FILE_NAME).write_text("{broken")
    app = welcome_host()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        problem = app.screen.query_one("#welcome-problem", Static)
        assert problem.display
        assert "not valid JSON" in "".join(lines_of(problem))
        assert on_screen(app.screen.query_one(Button), app.screen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.result == WelcomeChoice("explore", "")


async def test_an_unsavable_setting_is_shown(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("DYNVIZ_DATA_DIR", str(blocker / "dynviz"))
    app = welcome_host()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        problem = app.screen.query_one("#welcome-problem", Static)
        assert "Could not read" in " ".join(lines_of(problem))
        await pilot.press("tab", "tab", "space")
        await pilot.pause()
        assert problem.display
        assert "not saved" in " ".join(lines_of(problem))
        assert on_screen(app.screen.query_one(Checkbox), app.screen)
