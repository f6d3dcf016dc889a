"""The Network panel (issue 16): hold the network, see the queue, deliver one by one in
a chosen order, drop one and duplicate another, all from the keyboard, at 80x24 and
160x50; every choice is a recorded command."""

from __future__ import annotations

import asyncio

import pytest

from dynviz.events import MessageDropped, MessageSent
from dynviz.tui.app import DynvizApp
from dynviz.tui.widgets.network import NetworkPanel


async def until(pilot, check, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not check():
            await pilot.pause(0.05)


async def fresh(app: DynvizApp, pilot) -> None:  # type: ignore[no-untyped-def]
    app.refresh_views()
    await pilot.pause()


async def held_put(app: DynvizApp, pilot, *keys: str):  # type: ignore[no-untyped-def]
    """H (hold everything), then type a put: returns the cluster view and the put's request,
    held in the network."""
    await pilot.press("H", "slash", *"put cart milk", "enter", *keys)
    cluster = app.driver.view
    await until(pilot, lambda: any(m.kind == "ClientPut" for m in cluster.choices().messages))
    return cluster, next(m for m in cluster.choices().messages if m.kind == "ClientPut")


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
async def test_a_learner_holds_the_network_and_chooses_each_delivery(size: tuple[int, int]) -> None:
    app = DynvizApp.live(seed=3, workload=False, playing=True)
    sent: list[MessageSent] = []
    dropped: list[MessageDropped] = []
    app.driver.bus.subscribe(lambda e: sent.append(e) if isinstance(e, MessageSent) else
                             dropped.append(e) if isinstance(e, MessageDropped) else None)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press("H")  # hold everything: the clock stops, the panel comes forward
        await until(pilot, lambda: bool(app.driver.view.choices().holds))
        assert not app.driver.clock().playing
        panel = app.query_one(NetworkPanel)
        assert panel.has_focus
        await pilot.press("slash", *"put cart milk", "enter")
        cluster = app.driver.view
        await until(pilot, lambda: any(m.held for m in cluster.choices().messages))
        await fresh(app, pilot)
        # Messages on the wire when the hold began (gossip, say) are held too: find the
        # put's request among them, by kind, wherever the clock stopped.
        request = next(m for m in cluster.choices().messages if m.kind == "ClientPut")
        panel.focus()
        panel.move_cursor(row=list(panel.rows_text).index(request.id))
        assert panel.selected_id() == request.id
        await pilot.press("enter")  # deliver the client's request to its coordinator
        await until(pilot, lambda: sum(m.kind == "ReplicaPut" for m in cluster.choices().messages) == 2)
        await fresh(app, pilot)
        assert [r for r in panel.rows_text if r.startswith("m")] == [m.id for m in cluster.choices().messages]
        first, second = [m for m in cluster.choices().messages if m.kind == "ReplicaPut"]
        # Choose the order: the second replica's copy first, then drop the first one's.
        panel.move_cursor(row=list(panel.rows_text).index(first.id))
        await pilot.press("down")
        assert panel.selected_id() == second.id
        await pilot.press("d")
        await until(pilot, lambda: cluster.network.find(second.number) is None)
        await fresh(app, pilot)
        panel.move_cursor(row=list(panel.rows_text).index(first.id))
        await pilot.press("x")
        await until(pilot, lambda: any(e.id == first.number and e.reason == "dropped by hand" for e in dropped))
        await fresh(app, pilot)
        ack = next(m for m in cluster.choices().messages if m.kind == "ReplicaPutAck")
        panel.move_cursor(row=list(panel.rows_text).index(ack.id))
        await pilot.press("u")  # duplicate the ack: the copy is held beside it
        await until(pilot, lambda: sum(m.kind == "ReplicaPutAck" for m in cluster.choices().messages) == 2)
        assert any(e.kind == "send" and e.message == "ReplicaPutAck" and e.id > ack.number for e in sent)
        await pilot.press("H")  # release: everything held goes, and the put answers
        await until(pilot, lambda: not cluster.choices().holds)
        await pilot.press("space")
        await until(pilot, lambda: any("put cart ok" in line for line in _journal(app)))
        texts = [c for c in _commands(app)]
        assert texts[:2] == ["hold", "put cart milk"] and texts[-1] == "release"
        assert f"deliver {second.id}" in texts and f"drop {first.id}" in texts and f"duplicate {ack.id}" in texts


def _journal(app: DynvizApp) -> list[str]:
    return [entry.text for entry in app.journal.lines]


def _commands(app: DynvizApp) -> list[str]:
    return [text.removeprefix("> ") for text in _journal(app) if text.startswith("> ")]


async def test_the_message_under_the_cursor_is_drawn_on_the_ring() -> None:
    from dynviz.tui.widgets.ring import RingView
    from dynviz.tui.widgets.spacetime import SpaceTime

    app = DynvizApp.live(seed=5, workload=False, playing=False)
    async with app.run_test(size=(160, 50)) as pilot:
        cluster, request = await held_put(app, pilot)
        await fresh(app, pilot)
        panel = app.query_one(NetworkPanel)
        panel.move_cursor(row=list(panel.rows_text).index(request.id))
        await until(pilot, lambda: app.selected_choice == request.id)
        assert RingView._chosen(app.frame()) == request
        screen = app.main_screen()
        assert screen is not None
        screen.bring_forward("messages")  # the diagram shares the tabs with the panel
        diagram = app.query_one(SpaceTime)

        def named() -> bool:  # the tab needs a frame or two to give the diagram its size
            app.refresh_views()
            header = diagram._header
            return header is not None and f"{request.id} clients->{request.dst}" in "".join(t for t, _ in header)

        await until(pilot, named)
        ring = app.query_one(RingView)
        before = ring.plain_lines()
        panel.move_cursor(row=len(panel.rows_text) - 1)  # a timer: nothing drawn for it
        await until(pilot, lambda: app.selected_choice != request.id)
        await fresh(app, pilot)
        assert RingView._chosen(app.frame()) is None and ring.plain_lines() != before


async def test_the_palette_offers_the_next_choices() -> None:
    app = DynvizApp.live(seed=5, workload=False, playing=False)
    async with app.run_test(size=(80, 24)) as pilot:
        titles = [title for title, _, _ in app.palette_entries()]
        assert "Hold every message" in titles  # (messages on the wire are choices too, held or not)
        cluster, request = await held_put(app, pilot)
        entries = {title: callback for title, callback, _ in app.palette_entries()}
        assert "Release every hold" in entries
        title = next(t for t in entries if t.startswith(f"Deliver {request.id} "))
        entries[title]()  # as choosing it in the palette does
        await until(pilot, lambda: cluster.network.find(request.number) is None)
        assert any(t.startswith("Fire ") for t in entries)


async def test_on_the_ring_c_points_at_a_pending_message_and_d_delivers_it() -> None:
    from dynviz.tui.widgets.ring import RingView

    app = DynvizApp.live(seed=5, workload=False, playing=False)
    async with app.run_test(size=(80, 24)) as pilot:
        cluster, _ = await held_put(app, pilot, "escape")
        app.query_one(RingView).focus()
        await fresh(app, pilot)
        ids = [m.id for m in cluster.choices().messages]
        # c moves to the message after the one pointed at (the Network panel's cursor
        # points at its first row as soon as it is filled), or to the first one.
        at = ids.index(app.selected_choice) if app.selected_choice in ids else -1
        first = cluster.choices().messages[(at + 1) % len(ids)]
        await pilot.press("c")
        await until(pilot, lambda: app.selected_choice == first.id)
        await fresh(app, pilot)
        await pilot.press("d")
        await until(pilot, lambda: cluster.network.find(first.number) is None)
        assert any(line.text == f"> deliver {first.id}" for line in app.journal.lines)


async def test_o_filters_by_node_key_and_the_kind_under_the_cursor() -> None:
    app = DynvizApp.live(seed=5, workload=False, playing=False)
    async with app.run_test(size=(160, 50)) as pilot:
        cluster, request = await held_put(app, pilot, "escape")
        app.run_line(f"deliver {request.id}")
        await until(pilot, lambda: sum(m.kind == "ReplicaPut" for m in cluster.choices().messages) == 2)
        panel = app.query_one(NetworkPanel)
        panel.focus()
        await fresh(app, pilot)
        copy = next(m for m in cluster.choices().messages if m.kind == "ReplicaPut")
        panel.move_cursor(row=list(panel.rows_text).index(copy.id))
        app.select_node(copy.dst)
        await pilot.press("o")  # the selected node's messages and timers
        await fresh(app, pilot)
        assert panel.filter == "node" and copy.id in panel.rows_text
        assert all(copy.dst in text[1] or text[1] == copy.dst for text in panel.rows_text.values())
        app.select_key("cart")
        await pilot.press("o")  # the selected key's messages: the put's two copies
        await fresh(app, pilot)
        assert panel.filter == "key"
        assert sorted(panel.rows_text) == sorted(m.id for m in cluster.choices().messages if m.key == b"cart")
        panel.move_cursor(row=list(panel.rows_text).index(copy.id))
        await pilot.press("o")  # the kind under the cursor
        await fresh(app, pilot)
        assert panel.filter == "kind" and panel.kind == "ReplicaPut"
        assert sorted(panel.rows_text) == sorted(m.id for m in cluster.choices().messages if m.kind == "ReplicaPut")
