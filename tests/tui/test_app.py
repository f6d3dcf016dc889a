"""The terminal app driven as a user would, with the Pilot, asserting on what the
widgets show. Every app here is paused, without the background workload, on a fixed
seed, so the runs are deterministic; virtual time moves only when a test moves it."""

from __future__ import annotations

import asyncio

from textual.widgets import TabbedContent

from dynviz.core.units import MS, SECOND
from dynviz.tui.app import DynvizApp
from dynviz.tui.palette import palette_entries
from dynviz.tui.screens.help import HelpScreen
from dynviz.tui.screens.partition import PartitionScreen
from dynviz.tui.widgets.commandline import CommandLine
from dynviz.tui.widgets.eventlog import EventLog
from dynviz.tui.widgets.history import VersionHistory
from dynviz.tui.widgets.nodes import NodesTable
from dynviz.tui.widgets.preflist import PreferenceList
from dynviz.tui.widgets.ring import RingView

SIZE = (120, 36)


def quiet_app() -> DynvizApp:
    return DynvizApp.live(seed=3, workload=False, playing=False)


async def type_command(pilot, text: str) -> None:
    await pilot.press("slash")
    await pilot.press(*text)
    await pilot.press("enter")


async def until(check, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    """Let the app run until ``check()`` holds (a deadline, not a fixed sleep)."""
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.02)


async def show_tab(app: DynvizApp, pilot, name: str) -> None:
    app.screen.query_one("#tabs", TabbedContent).active = f"tab-{name}"
    await pilot.pause()
    app.refresh_views()
    await pilot.pause()


async def test_put_reaches_log_and_history() -> None:
    app = quiet_app()
    async with app.run_test(size=SIZE) as pilot:
        await type_command(pilot, "put cart:alice milk")
        assert app.selected_key == b"cart:alice"
        app.run_for(200 * MS)
        app.refresh_views()
        await pilot.pause()
        log = app.screen.query_one(EventLog).visible_text()
        assert any("> put cart:alice milk" in line for line in log)
        assert any("put cart:alice ok: coordinator" in line for line in log)
        await show_tab(app, pilot, "versions")
        history = app.screen.query_one(VersionHistory).plain_lines()
        assert any("milk" in line for line in history), history


async def test_kill_shows_node_down_in_table_and_ring() -> None:
    app = quiet_app()
    async with app.run_test(size=SIZE) as pilot:
        await type_command(pilot, "kill n3")
        await show_tab(app, pilot, "nodes")
        table = app.screen.query_one(NodesTable)
        assert "down" in table.rows_text["n3"][1]
        assert "up" in table.rows_text["n2"][1]
        ring = "\n".join(app.screen.query_one(RingView).plain_lines())
        assert "n3○" in ring and "n2●" in ring


async def test_partition_then_writes_on_both_sides_make_siblings() -> None:
    app = quiet_app()
    async with app.run_test(size=SIZE) as pilot:
        for line in ("as alice get cart:alice", "as bob get cart:alice"):
            app.run_line(line)
        app.run_for(300 * MS)
        await type_command(pilot, "partition n1,n2,n5,n6 | n3,n4,n7,n8")
        app.run_line("as alice put cart:alice milk via=n2")
        app.run_line("as bob put cart:alice eggs via=n3")
        app.run_for(1 * SECOND)
        app.run_line("heal")
        app.run_for(2 * SECOND)
        app.run_line("get cart:alice")
        app.run_for(500 * MS)
        app.refresh_views()
        await pilot.pause()
        preflist = "\n".join(app.screen.query_one(PreferenceList).last_lines)
        assert "2 siblings: milk, eggs" in preflist or "2 siblings: eggs, milk" in preflist, preflist
        await show_tab(app, pilot, "versions")
        history = "\n".join(app.screen.query_one(VersionHistory).plain_lines())
        assert "milk" in history and "eggs" in history


async def test_bad_command_shows_inline_error_and_app_keeps_running() -> None:
    app = quiet_app()
    async with app.run_test(size=SIZE) as pilot:
        await type_command(pilot, "frobnicate n1")
        line = app.screen.query_one(CommandLine)
        assert line.has_class("-error")
        assert "unknown command" in line.error
        await pilot.press("ctrl+a", "ctrl+k")  # clear the input (the error clears as you type)
        await pilot.press(*"kill n99", "enter")
        app.refresh_views()
        await pilot.pause()
        log = app.screen.query_one(EventLog).visible_text()
        assert any("unknown node 'n99'" in text for text in log)
        await pilot.press(*"get cart:alice", "enter")
        app.run_for(100 * MS)
        app.refresh_views()
        await pilot.pause()
        assert any("get cart:alice: book" in text for text in app.screen.query_one(EventLog).visible_text())


async def test_step_and_play_move_virtual_time() -> None:
    app = quiet_app()
    async with app.run_test(size=SIZE) as pilot:
        cluster = app.cluster
        start = cluster.now
        upcoming = cluster.scheduler.next_time()
        await pilot.press("full_stop")
        assert cluster.now == upcoming and not app.driver.playing
        frames = len(app.frame_times)
        await until(lambda: len(app.frame_times) >= frames + 5)  # five frames go by
        assert cluster.now == upcoming  # paused: time stands still
        await pilot.press("space")
        assert app.driver.playing
        await until(lambda: cluster.now > start + 100 * MS)  # playing: it moves
        await pilot.press("space")
        moved = cluster.now
        frames = len(app.frame_times)
        await until(lambda: len(app.frame_times) >= frames + 5)
        assert cluster.now == moved
        await pilot.press("plus")
        assert app.driver.speed == 2
        await pilot.press("minus", "minus")
        assert app.driver.speed == 0.5


async def test_step_to_end_of_request() -> None:
    app = quiet_app()
    async with app.run_test(size=SIZE) as pilot:
        app.run_line("get cart:alice")
        assert app.cluster.busy()
        await pilot.press("greater_than_sign")
        assert not app.cluster.busy()
        assert any("get cart:alice: book" in line.text for line in app.journal.lines)


async def test_partition_editor_help_and_palette() -> None:
    app = quiet_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        assert isinstance(app.screen, PartitionScreen)
        await pilot.press("enter")
        assert app.cluster.network.groups  # n1-n4 | n5-n8 applied
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        titles = [title for title, _, _ in palette_entries(app)]
        assert "Kill n3" in titles and "Get cart:alice" in titles and "Maximise Ring" in titles
        app.maximize_panel("gossip")
        assert app.screen.maximized is not None
        await pilot.press("m")
        assert app.screen.maximized is None
