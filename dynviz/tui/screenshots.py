"""Scripted scenes of the app, run headless, saved as SVG screenshots.

``dynviz screenshots [--out DIR]`` runs each scene through ``App.run_test()``: a fresh
app on the default cluster (fixed seed, paused, so the pictures are the same each
run), commands typed into the real command line or run through ``run_line`` exactly as
the palette does, virtual time advanced with ``DynvizApp.run_for``. Nothing is staged:
what the SVGs show is what the cluster did.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot

from dynviz.core.units import MS, SECOND
from dynviz.tui.app import DynvizApp
from dynviz.tui.panels import PANELS
from dynviz.tui.screens.tables import TablesScreen

Scene = Callable[[DynvizApp, Pilot[None], Callable[[str], Awaitable[str]]], Awaitable[None]]


async def _settle(app: DynvizApp, pilot: Pilot[None]) -> None:
    app.refresh_views()
    await pilot.pause()
    app.refresh_views()
    await pilot.pause()


async def _type(pilot: Pilot[None], text: str) -> None:
    await pilot.press("slash")
    await pilot.press(*text)
    await pilot.press("enter")
    await pilot.press("escape")


async def scene_main(app: DynvizApp, pilot: Pilot[None], shot: Callable[[str], Awaitable[str]]) -> None:
    app.run_for(3 * SECOND)
    await _type(pilot, "put cart:alice milk")
    app.run_for(200 * MS)
    app.select_node("n3")
    app.run_line("get cart:alice")
    app.cluster.step(4)  # a read in flight: messages on the ring and in the space-time view
    await shot("main")
    for panel in PANELS:
        app.maximize_panel(panel.name)
        await shot(f"panel-{panel.name}")
        app.restore_panels()


async def scene_partition(app: DynvizApp, pilot: Pilot[None], shot: Callable[[str], Awaitable[str]]) -> None:
    for line in ("as alice get cart:alice", "as bob get cart:alice"):
        app.run_line(line)
    app.run_for(300 * MS)
    app.run_line("partition n1,n2,n5,n6 | n3,n4,n7,n8")
    app.run_for(100 * MS)
    app.run_line("as alice put cart:alice milk via=n2")
    app.run_line("as bob put cart:alice eggs via=n3")
    app.run_for(1 * SECOND)
    app.run_line("heal")
    app.run_for(2 * SECOND)
    app.run_line("get cart:alice")
    app.run_for(500 * MS)
    app.select_key("cart:alice")
    await shot("partition-siblings")
    app.maximize_panel("versions")
    await shot("partition-siblings-history")


async def scene_handoff(app: DynvizApp, pilot: Pilot[None], shot: Callable[[str], Awaitable[str]]) -> None:
    app.select_node("n3")
    await pilot.press("k")  # kill the selected node through the binding
    app.run_for(100 * MS)
    await _type(pilot, "put cart:alice milk")
    app.run_for(300 * MS)
    await shot("hinted-handoff")
    await pilot.press("k")  # recover it
    app.run_for(3 * SECOND)
    await shot("hint-delivered")


async def scene_antientropy(app: DynvizApp, pilot: Pilot[None], shot: Callable[[str], Awaitable[str]]) -> None:
    app.run_line("kill n4")
    app.run_for(100 * MS)
    for i in range(6):
        app.run_line(f"put user:{i} v{i}")
    app.run_for(500 * MS)
    app.run_line("recover n4")
    app.run_line("antientropy n3 n4")
    app.run_for(1 * SECOND)
    await shot("antientropy")
    app.maximize_panel("merkle")
    await shot("antientropy-merkle")


async def scene_join(app: DynvizApp, pilot: Pilot[None], shot: Callable[[str], Awaitable[str]]) -> None:
    await pilot.press("j")  # join the next node through the binding
    app.run_for(3 * SECOND)
    app.maximize_panel("gossip")
    await shot("gossip-join")
    app.restore_panels()
    await shot("join-ring")


async def scene_tables(app: DynvizApp, pilot: Pilot[None], shot: Callable[[str], Awaitable[str]]) -> None:
    app.run_line("table create orders pk=customer sk=ts:N gsi=bystatus:status:S:ts:N rcu=4 wcu=4"
                 " stream=NEW_AND_OLD_IMAGES accelerator=on")
    app.run_for(3 * SECOND)  # bank some burst capacity
    for i in range(14):
        status = "open" if i % 3 else "shipped"
        app.run_line(f"table put orders customer=c{i % 5} ts={i} status={status} total={i * 7}")
        app.run_for(50 * MS)
    for i in range(14, 26):  # a burst past the banked capacity: throttled writes
        app.run_line(f"table put orders customer=c{i % 5} ts={i} status=open total={i * 7}")
    app.run_for(500 * MS)
    await pilot.press("T")  # the Tables screen through its binding
    await pilot.press("n")  # the first page of items: table scan orders limit=8
    await pilot.press("slash")
    await pilot.press(*"customer=c1 ts>=2 where total>10")
    await pilot.press("enter")
    await pilot.press("escape")
    screen = app.screen
    assert isinstance(screen, TablesScreen)  # opened by the T above
    screen.run_query("customer=c1 ts>=2 where total>10")  # again: a cache hit
    await pilot.press("s")  # read the stream
    await pilot.press("n")  # and the next page of items: the Items tab again
    await shot("tables")


async def scene_by_hand(app: DynvizApp, pilot: Pilot[None], shot: Callable[[str], Awaitable[str]]) -> None:
    await pilot.press("H")  # hold every message: the Network panel comes forward
    await _type(pilot, "put cart:alice milk")
    cluster = app.cluster
    request = next(m for m in cluster.choices().messages if m.kind == "ClientPut")
    app.run_line(f"deliver {request.id}")  # the coordinator makes the version and holds its copies
    await _settle(app, pilot)
    copies = [m.id for m in cluster.choices().messages if m.kind == "ReplicaPut"]
    app.run_line(f"drop {copies[0]}")
    app.run_line(f"deliver {copies[1]}")
    await _settle(app, pilot)
    screen = app.main_screen()
    panel = screen.bring_forward("network") if screen is not None else None
    if panel is not None:
        panel.view.focus()
    await shot("network-by-hand")


async def scene_metrics(app: DynvizApp, pilot: Pilot[None], shot: Callable[[str], Awaitable[str]]) -> None:
    """The Metrics screen after slow links and a crash: its own app, with the workload on."""
    app.run_for(8 * SECOND)
    app.run_line("latency 1ms..50ms")
    app.run_for(6 * SECOND)
    app.run_line("latency 1ms..5ms")
    app.run_line("kill n3")
    app.run_for(3 * SECOND)
    for i in range(4):
        app.run_line(f"put cart:alice v{i}")
        app.run_line(f"put user:42 v{i}")
        app.run_for(500 * MS)
    app.run_for(2 * SECOND)
    app.run_line("recover n3")
    app.run_for(8 * SECOND)
    await pilot.press("M")
    await shot("metrics-latency")
    await pilot.press("3")
    await shot("metrics-hints")


SCENES: tuple[tuple[str, Scene], ...] = (
    ("main", scene_main),
    ("partition", scene_partition),
    ("handoff", scene_handoff),
    ("antientropy", scene_antientropy),
    ("join", scene_join),
    ("tables", scene_tables),
    ("by-hand", scene_by_hand),
)


async def run_scene(scene: Scene, out: Path, seed: int, nodes: int, size: tuple[int, int],
                    prefix: str = "", app: DynvizApp | None = None) -> list[Path]:
    app = app or DynvizApp.live(seed=seed, nodes=nodes, workload=False, playing=False)
    written: list[Path] = []
    async with app.run_test(size=size) as pilot:
        await _settle(app, pilot)

        async def shot(name: str) -> str:
            await _settle(app, pilot)
            path = app.save_screenshot(filename=f"{prefix}{name}.svg", path=str(out))
            written.append(Path(path))
            return path

        await scene(app, pilot, shot)
    return written


async def _all(out: Path, seed: int, nodes: int, size: tuple[int, int]) -> list[Path]:
    written: list[Path] = []
    for _, scene in SCENES:
        written += await run_scene(scene, out, seed, nodes, size)

    async def small(app: DynvizApp, pilot: Pilot[None], shot: Callable[[str], Awaitable[str]]) -> None:
        app.run_for(2 * SECOND)
        await _type(pilot, "as bob put cart:alice eggs")
        await _type(pilot, "get cart:alice")
        app.run_for(300 * MS)
        await shot("main-80x24")

    async def wide(app: DynvizApp, pilot: Pilot[None], shot: Callable[[str], Awaitable[str]]) -> None:
        app.run_for(2 * SECOND)
        await _type(pilot, "put cart:alice milk")
        app.run_for(100 * MS)
        await shot("main-200x60")

    written += await run_scene(small, out, seed, nodes, (80, 24))
    written += await metrics_scene(out, seed, nodes)
    written += await run_scene(wide, out, seed, nodes, (200, 60))
    written += await _session_scenes(out, seed, nodes, size)
    return written


async def metrics_scene(out: Path, seed: int, nodes: int, size: tuple[int, int] = (100, 30)) -> list[Path]:
    app = DynvizApp.live(seed=seed, nodes=nodes, workload=True, playing=False)
    return await run_scene(scene_metrics, out, seed, nodes, size, app=app)


REPLAYED = Path(__file__).resolve().parents[2] / "sessions" / "recorded" / "partition-heal.jsonl"
LESSON = "04-hinted-handoff"


async def _session_scenes(out: Path, seed: int, nodes: int, size: tuple[int, int]) -> list[Path]:
    """``replay.svg``: a shipped session replayed to the middle of its partition;
    ``lesson.svg`` and ``lesson-80x24.svg``: the hinted-handoff lesson at its second
    narration; ``welcome.svg``: what a plain ``dynviz`` opens on."""
    from dynviz.session.lesson import load_lesson
    from dynviz.session.recording import load_session
    from dynviz.tui.drivers.lesson import LessonDriver
    from dynviz.tui.drivers.replay import ReplayDriver

    written: list[Path] = []
    if REPLAYED.exists():
        async def replay(app: DynvizApp, pilot: Pilot[None], shot: Callable[[str], Awaitable[str]]) -> None:
            await _type(pilot, "seek 5s")
            app.select_key("k1")
            await shot("replay")

        written += await run_scene(replay, out, seed, nodes, size,
                                   app=DynvizApp(ReplayDriver(load_session(REPLAYED), playing=False)))

    async def lesson(app: DynvizApp, pilot: Pilot[None], shot: Callable[[str], Awaitable[str]]) -> None:
        await pilot.press("n", "n")  # into the wait, then to its end: the second narration
        await shot("lesson")

    async def lesson_small(app: DynvizApp, pilot: Pilot[None], shot: Callable[[str], Awaitable[str]]) -> None:
        await pilot.press("n", "n")
        await shot("lesson-80x24")

    async def welcome(app: DynvizApp, pilot: Pilot[None], shot: Callable[[str], Awaitable[str]]) -> None:
        await shot("welcome")

    written += await run_scene(welcome, out, seed, nodes, (100, 32),
                               app=DynvizApp.live(seed=seed, nodes=nodes, workload=False, playing=False,
                                                  welcome=True))
    written += await run_scene(lesson_small, out, seed, nodes, (80, 24),
                               app=DynvizApp(LessonDriver(load_lesson(LESSON), playing=False)))

    written += await run_scene(lesson, out, seed, nodes, size,
                               app=DynvizApp(LessonDriver(load_lesson(LESSON), playing=False)))
    return written


def write_screenshots(out: str | Path = "screenshots", seed: int = 0, nodes: int = 8,
                      size: tuple[int, int] = (120, 36)) -> list[Path]:
    """Run every scene; returns the SVG files written."""
    directory = Path(out)
    directory.mkdir(parents=True, exist_ok=True)
    return asyncio.run(_all(directory, seed, nodes, size))
