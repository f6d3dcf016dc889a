"""``dynviz attach``: the app drawn from a live cluster of node processes on loopback.

A 4-node cluster is started with the launcher (``tests/net/netcluster.py``: every
process is SIGKILLed at the end whatever happens); the attached app is driven with
the Pilot like the simulator's app, and every wait is bounded.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.widgets import TabbedContent

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "net"))
from netcluster import SECRET, LocalCluster  # noqa: E402

from dynviz.events import NodeDown, VersionCreated  # noqa: E402
from dynviz.tui.app import DynvizApp  # noqa: E402
from dynviz.tui.attach import open_attached  # noqa: E402
from dynviz.tui.drivers.attached import AttachedDriver  # noqa: E402
from dynviz.tui.widgets.commandline import CommandLine  # noqa: E402
from dynviz.tui.widgets.eventlog import EventLog  # noqa: E402
from dynviz.tui.widgets.nodes import NodesTable  # noqa: E402
from dynviz.tui.widgets.preflist import PreferenceList  # noqa: E402
from dynviz.tui.widgets.ring import RingView  # noqa: E402

SIZE = (120, 36)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LocalCluster]:
    cluster = LocalCluster(tmp_path / "cluster")
    try:
        cluster.start(4)
        yield cluster
    finally:
        cluster.cleanup()


async def type_command(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("escape", "slash")
    await pilot.press(*text)
    await pilot.press("enter")


async def until(pilot, app: DynvizApp, check: Callable[[], bool], timeout: float = 8.0) -> None:  # type: ignore[no-untyped-def]
    """Let the app poll and redraw until ``check()`` holds (bounded)."""
    async with asyncio.timeout(timeout):
        while True:
            app.refresh_views()
            await pilot.pause()
            if check():
                return
            await asyncio.sleep(0.1)


async def show_tab(app: DynvizApp, pilot, name: str) -> None:  # type: ignore[no-untyped-def]
    app.screen.query_one("#tabs", TabbedContent).active = f"tab-{name}"
    await pilot.pause()
    app.refresh_views()
    await pilot.pause()


def log_lines(app: DynvizApp) -> list[str]:
    return app.screen.query_one(EventLog).visible_text()


async def test_attach_shows_the_live_cluster_and_acts_on_it(live: LocalCluster, tmp_path: Path) -> None:
    async with asyncio.timeout(60):
        cluster = await open_attached(live.address("n1"), SECRET, data=str(live.data))
        assert list(cluster.nodes) == ["n1", "n2", "n3", "n4"]
        driver = AttachedDriver(cluster, SECRET, interval=0.2)
        app = DynvizApp(driver)
        async with app.run_test(size=SIZE) as pilot:
            # The nodes table: every node up, from the processes' snapshots.
            await show_tab(app, pilot, "nodes")
            table = app.screen.query_one(NodesTable)
            await until(pilot, app, lambda: set(table.rows_text) == {"n1", "n2", "n3", "n4"}
                        and all("up" in row[1] for row in table.rows_text.values()))

            # The ring: the cluster's own vnodes, every node labelled.
            ring = app.screen.query_one(RingView)
            vnodes = sum(len(t) for t in cluster.nodes["n1"].snapshot.ring.values())  # type: ignore[union-attr]
            assert len(cluster.ring) == vnodes > 4
            drawn = "\n".join(ring.plain_lines())
            assert f"{vnodes} vnodes" in drawn
            assert all(f"n{i}●" in drawn for i in range(1, 5))

            # A typed put then get, for real: results in the log, replicas in the
            # preference list, the version (rebuilt from the node's event) on the tape.
            await show_tab(app, pilot, "log")
            await type_command(pilot, "put cart:alice milk")
            await driver.settle()
            await type_command(pilot, "get cart:alice")
            await driver.settle()
            await until(pilot, app, lambda: any("get cart:alice: milk" in line for line in log_lines(app)))
            assert any("put cart:alice ok: coordinator" in line for line in log_lines(app))
            assert app.selected_key == b"cart:alice"
            plist = app.screen.query_one(PreferenceList)
            await until(pilot, app, lambda: sum("milk" in line for line in plist.last_lines) >= 2)
            assert any(isinstance(e, VersionCreated) and e.key == b"cart:alice" for e in app.tape.versions)

            shot = Path(app.save_screenshot("attach.svg", str(tmp_path)))
            assert "attached&#160;to&#160;" in shot.read_text() or "attached to" in shot.read_text()

            # A simulator-only command is refused under the command line, and stays there.
            await type_command(pilot, "run 5s")
            line = app.screen.query_one(CommandLine)
            assert "not available when attached to a live cluster" in line.error
            assert line.input.value == "run 5s"
            line.input.value = ""

            # kill n2: its process gets SIGKILL; the table and the ring show it down.
            await show_tab(app, pilot, "nodes")
            await type_command(pilot, "kill n2")
            await driver.settle()
            await until(pilot, app, lambda: "down" in table.rows_text["n2"][1], timeout=5)
            assert "up" in table.rows_text["n1"][1]
            assert any(isinstance(e, NodeDown) and e.node == "n2" for e in app.tape.log)
            assert any("n2 killed: SIGKILL" in line.text for line in app.journal.lines)
            assert "n2○" in "\n".join(ring.plain_lines())

            # recover n2 from the cluster directory: it comes back up as itself.
            await type_command(pilot, "recover n2")
            await driver.settle(timeout=20)
            await until(pilot, app, lambda: "up" in table.rows_text["n2"][1], timeout=10)
            live.pids.add(cluster.nodes["n2"].snapshot.pid)  # type: ignore[union-attr]


async def test_partition_heal_and_antientropy_act_on_the_nodes(live: LocalCluster) -> None:
    async with asyncio.timeout(60):
        cluster = await open_attached(live.address("n3"), SECRET)
        driver = AttachedDriver(cluster, SECRET, interval=0.2)
        app = DynvizApp(driver)
        async with app.run_test(size=SIZE) as pilot:
            await show_tab(app, pilot, "log")
            app.run_line("partition n1,n2 | n3,n4")
            await driver.settle()
            await until(pilot, app, lambda: cluster.groups.get("n1") is not None
                        and cluster.groups["n1"] != cluster.groups["n3"])
            assert set(cluster.nodes["n1"].snapshot.blocked) == {"n3", "n4"}  # type: ignore[union-attr]
            app.run_line("heal")
            await driver.settle()
            await until(pilot, app, lambda: not cluster.groups)

            app.run_line("put k1 v1")
            await driver.settle()
            app.run_line("antientropy n1 n2")
            await driver.settle(timeout=20)
            await until(pilot, app, lambda: any("anti-entropy n1 <-> n2:" in line for line in log_lines(app)))

            # Without --data, kill asks the node to stop (admin stop) and recover cannot
            # restart a process: it says so.
            app.run_line("kill n4")
            await driver.settle()
            await until(pilot, app, lambda: not cluster.is_up("n4"), timeout=5)
            assert any("n4 asked to stop" in line.text for line in app.journal.lines)
            app.run_line("recover n4")
            await driver.settle()
            await until(pilot, app, lambda: any("attach with --data DIR" in line for line in log_lines(app)))
            app.run_line("skew n1 +1s")
            await driver.settle()
            await until(pilot, app, lambda: any("not available when attached" in line for line in log_lines(app)))


def test_events_cross_the_admin_feed_as_the_simulators_dataclasses() -> None:
    """Every event a simulated run emits survives the feed's encoding exactly (versions,
    Merkle trees, keys as bytes), so the panels read live events as they read simulated ones."""
    import json

    from dynviz.cluster import Cluster
    from dynviz.events import EventBus
    from dynviz.net.eventcodec import decode_event, encode_event

    bus = EventBus()
    events: list = []
    bus.subscribe(events.append)
    sim = Cluster(bus=bus)
    replica = sim.ring.preference_list(b"cart:alice", 3)[1]
    sim.put("cart:alice", "milk")
    sim.kill(replica)
    sim.put("cart:alice", "eggs")
    sim.run(3_000_000)
    sim.recover(replica)
    sim.antientropy("n1", "n3")
    sim.run(2_000_000)
    kinds = {type(e).__name__ for e in events}
    assert {"VersionCreated", "AntiEntropyExchange", "HintStored", "Learned", "NodeDown"} <= kinds
    for i, event in enumerate(events):
        assert decode_event(json.loads(json.dumps(encode_event(i, event)))) == (i, event)
    assert decode_event([1, "NoSuchEvent", []]) is None
    assert decode_event([1, "NodeDown", ["x"]]) is None


def test_attach_command_says_why_it_cannot_attach(capsys: pytest.CaptureFixture[str]) -> None:
    from dynviz.cli import main
    from dynviz.net.launcher import free_ports

    port = free_ports(1)[0]
    assert main(["attach", f"127.0.0.1:{port}", "--secret", "s"]) == 2
    assert "cannot attach to 127.0.0.1" in capsys.readouterr().err
    assert main(["attach", "nowhere", "--secret", "s"]) == 2
    assert main(["attach", f"127.0.0.1:{port}", "--secret", "s", "--interval", "0"]) == 2
