"""The first hour in the app, as a learner lives it (issue 13): a way in, results that
stay on screen, a quiet start, a UI that never freezes, and the keyboard for
everything. Driven with the Pilot at 80x24 unless a test says otherwise."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from dynviz.core.units import MS, SECOND
from dynviz.session.recording import load_session
from dynviz.session.replay import replay_session
from dynviz.tui.app import DynvizApp
from dynviz.tui.drivers.lesson import LessonDriver
from dynviz.tui.progress import Progress
from dynviz.tui.screens.reading import ReadingScreen
from dynviz.tui.screens.select import SelectScreen
from dynviz.tui.screens.welcome import WelcomeScreen
from dynviz.tui.widgets.commandline import CommandLine
from dynviz.tui.widgets.eventlog import EventLog
from dynviz.tui.widgets.lesson import LessonPanel
from dynviz.tui.widgets.result import ResultPane
from dynviz.tui.widgets.statusbar import StatusBar
from dynviz.tui.workload import PRELOAD, WORKLOAD_KEYS

SMALL = (80, 24)


def quiet(**options: object) -> DynvizApp:
    return DynvizApp.live(seed=3, workload=False, playing=False, **options)  # type: ignore[arg-type]


async def settle(app: DynvizApp, pilot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):
        app.refresh_views()
        await pilot.pause()


async def type_line(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("slash", *text, "enter")


async def until(pilot, check, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    """Let frames run until ``check()`` holds (bounded: a deadline, not a sleep)."""
    async with asyncio.timeout(timeout):
        while not check():
            await pilot.pause(0.05)


# -- a way in ------------------------------------------------------------------------------


async def test_welcome_then_a_lesson_starts_at_its_first_narration(_own_data_dir: Path) -> None:
    app = DynvizApp.live(seed=0, workload=False, playing=False, welcome=True)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)
        await pilot.press("tab")  # from the suggested actions to the lessons
        await pilot.press("home", "enter")  # the first lesson
        await settle(app, pilot)
        driver = app.driver
        assert isinstance(driver, LessonDriver) and driver.lesson.name == "01-consistent-hashing"
        assert driver.runner.stop_number == 1 and driver.runner.is_stopped
        panel = app.screen.query_one(LessonPanel)
        assert driver.runner.narration.split()[0] in panel.plain()
        assert "waiting for you" in app.screen.query_one(StatusBar).plain()
        await pilot.press("n")
        await settle(app, pilot)
        assert driver.runner.stop_number == 2
    saved = Progress.load(_own_data_dir).lesson("01-consistent-hashing")
    assert saved is not None and saved.furthest == 2 and not saved.done


async def test_the_welcome_can_be_turned_off_and_l_opens_the_lessons(_own_data_dir: Path) -> None:
    progress = Progress.load(_own_data_dir)
    progress.set_show_welcome(False)
    assert progress.save()
    app = DynvizApp.live(seed=0, workload=False, playing=False, welcome=True)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        assert not isinstance(app.screen, WelcomeScreen)
        await pilot.press("L")
        await pilot.pause()
        assert type(app.screen).__name__ == "LessonPickerScreen"
        await pilot.press("escape")
        titles = [title for title, _, _ in app.palette_entries()]
        assert "Lessons" in titles and "Lesson 04-hinted-handoff" in titles
        help_rows = dict(app.help_bindings())
        assert "L" in help_rows


async def test_leaving_a_lesson_returns_to_the_live_cluster_as_it_was() -> None:
    app = quiet()
    async with app.run_test(size=SMALL) as pilot:
        home = app.driver
        app.run_line("put cart:alice milk")
        app.run_for(200 * MS)
        digest = app.cluster.state_digest()
        app.start_lesson("02-quorums")
        await settle(app, pilot)
        assert app.driver.kind == "lesson"
        app.leave_lesson()
        await settle(app, pilot)
        assert app.driver is home and app.cluster.state_digest() == digest


# -- results you can see ---------------------------------------------------------------------


async def test_an_error_stays_readable_until_the_next_command() -> None:
    app = quiet()
    async with app.run_test(size=SMALL) as pilot:
        await type_line(pilot, "kill n99")
        pane = app.screen.query_one(ResultPane)
        assert pane.is_on_screen
        assert "unknown node 'n99'" in pane.plain() and "n1, n2" in pane.plain()
        app.run_for(5 * SECOND)  # gossip and anti-entropy flood the log meanwhile
        await settle(app, pilot)
        assert "unknown node 'n99'" in pane.plain(), "still there"
        await type_line(pilot, "get cart:alice")
        app.run_for(200 * MS)
        await settle(app, pilot)
        shown = pane.plain()
        assert "n99" not in shown and "> get cart:alice" in shown
        assert "cart:alice: 1 value" in shown and "book" in shown and "coordinator" in shown
        assert "replies" in shown


async def test_a_get_shows_every_sibling_and_a_put_its_acks_and_hints() -> None:
    app = quiet()
    async with app.run_test(size=SMALL) as pilot:
        app.run_line("as alice put cart:bob milk")
        app.run_line("as bob put cart:bob eggs")  # blind: siblings
        app.run_for(300 * MS)
        await type_line(pilot, "get cart:bob")
        app.run_for(300 * MS)
        await settle(app, pilot)
        shown = app.result_text()
        assert "3 siblings" in shown
        for value in ("lamp", "milk", "eggs"):
            assert value in shown
        plist = app.cluster.ring.preference_list(b"cart:bob", 3)
        await type_line(pilot, f"kill {plist[0]}")
        app.run_for(6 * SECOND)
        await type_line(pilot, "put cart:bob ham")
        app.run_for(300 * MS)
        await settle(app, pilot)
        shown = app.result_text()
        assert "put cart:bob ok" in shown and "acks" in shown and f"for {plist[0]}" in shown, shown


async def test_a_log_line_can_be_read_in_full_from_the_keyboard() -> None:
    app = quiet()
    async with app.run_test(size=SMALL) as pilot:
        app.run_line("inspect cart:alice")
        await settle(app, pilot)
        log = app.screen.query_one(EventLog)
        log.focus()
        await pilot.press("end", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ReadingScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, ReadingScreen)


# -- a quiet start -----------------------------------------------------------------------------


async def test_the_workload_never_writes_the_users_keys() -> None:
    assert not {k for k, _ in PRELOAD} & set(WORKLOAD_KEYS)
    app = DynvizApp.live(seed=5, workload=True, playing=False)
    async with app.run_test(size=SMALL):
        start = app.cluster.now  # the starter keys are written by now
        app.run_for(60 * SECOND)
        written = {e.key for e in app.tape.versions if e.time > start}
        assert written & {k.encode() for k in WORKLOAD_KEYS}, "the workload did write its own keys"
        assert not written & {k.encode() for k, _ in PRELOAD}
        assert [v.value for v in app.cluster.get("cart:alice", client="x").versions] == [b"book"]


# -- never freeze --------------------------------------------------------------------------------


async def test_a_long_step_shows_progress_and_escape_stops_it_and_is_recorded(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    app = DynvizApp.live(seed=2, workload=True, playing=True, record=path)
    async with app.run_test(size=SMALL) as pilot:
        await type_line(pilot, "step 99999999")
        status = app.screen.query_one(StatusBar)
        await until(pilot, lambda: "working" in status.plain() and "/99,999,999 events" in status.plain())
        await until(pilot, lambda: app.driver.job is not None and app.driver.job.done_events > 10_000)
        events = app.cluster.scheduler.events_run
        await pilot.press("escape")
        assert app.driver.job is None  # type: ignore[attr-defined]
        assert "stopped by escape" in app.result_text()
        assert app.cluster.scheduler.events_run >= events
        app.run_line("put after the step")
        app.run_for(300 * MS)
        await pilot.press("q")
    session = load_session(path)
    texts = [r.text for r in session.commands]
    assert "step 99999999" in texts and texts[texts.index("step 99999999") + 1] == "abort"
    assert replay_session(session).verified, "a replay stops where the escape did"


async def test_a_command_over_the_bounds_says_so() -> None:
    app = quiet()
    async with app.run_test(size=SMALL) as pilot:
        await type_line(pilot, "step 100000001")
        line = app.screen.query_one(CommandLine)
        assert "at most 100,000,000" in line.error
        await pilot.press("ctrl+a", "ctrl+k", *"run 1441m", "enter")
        assert "1440m" in line.error


# -- keyboard first ------------------------------------------------------------------------------


async def test_nodes_and_keys_are_selected_without_a_mouse() -> None:
    app = quiet()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        assert app.screen.focused is not None and app.screen.focused.id == "ring"
        await pilot.press("right")
        assert app.selected_node == "n1"
        await pilot.press("right", "right")
        assert app.selected_node == "n3"
        await pilot.press("left")
        assert app.selected_node == "n2"
        key = app.selected_key
        await pilot.press("down")
        assert app.selected_key != key
        await pilot.press("s")
        assert isinstance(app.screen, SelectScreen)
        await pilot.press("escape")
        await type_line(pilot, "select node n5")
        assert app.selected_node == "n5"
        await type_line(pilot, "select user:42")
        assert app.selected_key == b"user:42"
        await pilot.press("escape", "k")  # k kills the selected node
        app.run_for(10 * MS)
        assert not app.cluster.is_up("n5")


async def test_tab_completes_only_what_was_started_and_slash_opens_a_clean_line() -> None:
    app = quiet()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("slash", *"clu", "tab", "tab", "tab")
        line = app.screen.query_one(CommandLine)
        assert line.input.value == "cluster ", "no node appended to cluster"
        await pilot.press("ctrl+a", "ctrl+k", *"kil", "tab", "tab")
        assert line.input.value == "kill ", "the node is not chosen for the user"
        await pilot.press("n", "tab")
        assert line.input.value == "kill n", "eight nodes start with n: none is picked"
        await pilot.press("3", "tab")
        assert line.input.value == "kill n3"
        await pilot.press("ctrl+a", "ctrl+k", *"get cart:a", "tab")
        assert line.input.value == "get cart:alice "
        await pilot.press("escape", "slash")
        assert line.input.value == "" and line.input.has_focus
        await pilot.press("slash")
        assert line.input.value == "", "a second / is not text"


async def test_the_recording_stays_data_after_these_changes(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    app = quiet(record=path)
    async with app.run_test(size=SMALL) as pilot:
        await type_line(pilot, "select node n2")
        await type_line(pilot, "put k v")
        app.run_for(200 * MS)
        await pilot.press("q")
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert all("select" not in str(row.get("text", "")) for row in rows), "selection is not a command"


async def test_the_palettes_screenshot_says_where_it_went_without_a_downloads_dir(
        tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import platformdirs

    monkeypatch.setattr(platformdirs, "user_downloads_dir", lambda: str(tmp_path / "no-such-dir"))
    monkeypatch.chdir(tmp_path)
    app = quiet()
    async with app.run_test(size=SMALL) as pilot:
        app.action_screenshot()
        await pilot.pause()
        shots = list(tmp_path.glob("*.svg"))
        assert len(shots) == 1
        assert any(f"saved to {shots[0]}" in n.message for n in app._notifications)
