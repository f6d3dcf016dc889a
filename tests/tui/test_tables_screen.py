"""The Tables screen and the ring's table overlay, driven with the Pilot: what they
show after real table commands."""

from __future__ import annotations

from textual.widgets import DataTable

from dynviz.core.hashing import token_of
from dynviz.core.units import SECOND
from dynviz.tui.app import DynvizApp
from dynviz.tui.palette import palette_entries
from dynviz.tui.screens.tables import TablesScreen
from dynviz.tui.widgets.ring import RingView

SIZE = (130, 40)


def quiet_app() -> DynvizApp:
    return DynvizApp.live(seed=3, workload=False, playing=False, preload=False)


async def type_command(pilot, text: str) -> None:
    await pilot.press("slash")
    await pilot.press(*text)
    await pilot.press("enter")
    await pilot.pause()
    await pilot.press("escape")
    await pilot.pause()


def pane(app: DynvizApp, name: str) -> str:
    return app.screen.query_one(f"#{name}").plain  # type: ignore[attr-defined]


async def test_table_commands_typed_show_in_the_log_and_select_the_table() -> None:
    app = quiet_app()
    async with app.run_test(size=SIZE) as pilot:
        await type_command(pilot, "table create users pk=id:N")
        await type_command(pilot, 'table put users id=7 name="Ada"')
        await type_command(pilot, "table get users id=7")
        assert app.selected_table == "users"
        log = "\n".join(line.text for line in app.journal.lines)
        assert "table users created" in log
        assert 'table get users id=7: {id: 7, name: "Ada"}' in log


async def test_tables_screen_browses_pages_queries_and_tails_the_stream() -> None:
    app = quiet_app()
    async with app.run_test(size=SIZE) as pilot:
        app.run_line("table create orders pk=customer sk=ts:N stream=NEW_AND_OLD_IMAGES accelerator=on")
        for i in range(12):
            app.run_line(f"table put orders customer=c{i % 2} ts={i} total={i * 10}")
        await pilot.press("T")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TablesScreen)
        listing = screen.query_one("#tables-list", DataTable)
        assert listing.row_count == 1
        assert listing.get_row_at(0)[:5] == ["orders", "customer,ts", "on-demand", "12", "2"]

        await pilot.press("n")  # the first page: table scan orders limit=8
        await pilot.pause()
        first = pane(app, "items-view")
        assert "page 1" in first and "Count 8  ScannedCount 8" in first and "LastEvaluatedKey" in first
        await pilot.press("n")  # the next page, from the LastEvaluatedKey
        await pilot.pause()
        second = pane(app, "items-view")
        assert "page 2" in second and "Count 4" in second and "this is the last page" in second
        assert "after customer=" in second  # the real command that fetched it
        await pilot.press("b")
        await pilot.pause()
        assert "page 1" in pane(app, "items-view")

        await pilot.press("slash")
        await pilot.press(*"customer=c1 ts>=4 where total<100 limit=10")
        await pilot.press("enter")
        await pilot.pause()
        query = pane(app, "query-view")
        assert "Count 3  ScannedCount 4" in query  # ts 5, 7, 9 pass the filter of 5, 7, 9, 11
        assert "consumed 0.5 RCU" in query
        await pilot.press(*" ")  # the query line keeps letters for itself
        await pilot.press("escape")
        await pilot.pause()
        screen.run_query("customer=c1 ts>=4 where total<100 limit=10")  # the same query again: a cache hit
        await pilot.pause()
        assert "accelerator cache hit" in pane(app, "query-view")
        assert "query cache" in pane(app, "tables-gauges") and "40% (2 hit, 3 miss)" in pane(app, "tables-gauges")  # page 1 again was a hit too
        bad = screen.run_query("customer=c1 ts ~ 4")
        assert bad is not None and "expected an operator" in bad

        await pilot.press("s")
        await pilot.pause()
        stream = pane(app, "stream-view")
        assert "stream NEW_AND_OLD_IMAGES: 12 records" in stream
        assert "read 12 records" in stream and "INSERT {customer: \"c0\", ts: 0}" in stream
        app.run_line("table delete orders customer=c0 ts=0")
        screen.refresh_view()
        assert "REMOVE {customer: \"c0\", ts: 0}" in pane(app, "stream-view")  # as it arrives

        placement = pane(app, "placement-view")
        assert "2 partitions" in placement
        places = app.driver.executor.tables.placement("orders")
        assert sum(p.items for p in places) == 11  # 12 written, one deleted: one object each
        for p in places:
            assert ", ".join(p.preference_list) in placement
            assert f"{p.items} items" in placement

        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, TablesScreen)


async def test_capacity_gauges_and_throttle_events() -> None:
    app = quiet_app()
    async with app.run_test(size=SIZE) as pilot:
        app.run_line("table create hot pk=id rcu=1 wcu=1")
        for i in range(4):
            app.run_line(f"table put hot id={i}")
        await pilot.press("T")
        await pilot.pause()
        gauges = pane(app, "tables-gauges")
        assert "table write" in gauges and "/300 WCU (1/s)" in gauges
        assert "throttled 3" in gauges and "throttle events: 3" in gauges and "PutItem throttled" in gauges
        log = [line.text for line in app.journal.lines]
        assert sum("ProvisionedThroughputExceededException" in t for t in log) == 3
        app.run_for(10 * SECOND)  # the bucket refills on virtual time
        app.screen.refresh_view()  # type: ignore[attr-defined]
        assert "throttle events: 3" in pane(app, "tables-gauges")


async def test_ring_marks_the_selected_tables_partitions() -> None:
    app = quiet_app()
    async with app.run_test(size=SIZE) as pilot:
        ring = app.screen.query_one(RingView)
        app.run_line("table create where pk=id")
        for i in range(3):
            app.run_line(f"table put where id=k{i}")
        app.refresh_views()
        await pilot.pause()
        marked = ring.table_tokens(app.frame())
        assert marked is not None and marked[0] == "where"
        desk = app.driver.executor.tables
        assert sorted(marked[1]) == sorted(token_of(p.group) for p in desk.placement("where"))
        text = "\n".join(ring.plain_lines())
        assert text.count("▲") >= 1
        app.selected_table = None
        app.refresh_views()
        await pilot.pause()
        assert "▲" not in "\n".join(ring.plain_lines())


async def test_tables_word_and_palette_open_the_screen() -> None:
    app = quiet_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"tables", "enter")
        await pilot.pause()
        assert isinstance(app.screen, TablesScreen)
        assert "no tables yet" in pane(app, "tables-gauges")
        await pilot.press("escape")
        app.run_line("table create ptab pk=id")
        titles = [t for t, _, _ in palette_entries(app)]
        assert "Tables screen" in titles and "Scan table ptab" in titles and "Select table ptab" in titles
