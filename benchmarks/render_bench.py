"""Render cost of the terminal app's frame (issue 5).

64 nodes x 16 vnodes (equal strategy, 1,024 partitions) holding 10,000 keys, the app
headless at 200x60 with the workload on and the simulation playing at x1000. Each
frame's work is timed as the app does it: ``advance`` (bounded simulation work), then
each panel's ``refresh_view`` plus rendering its lines (``render_lines``), printed per
panel. Targets: a full frame renders in <= 20 ms; the app holds >= 10 frames/s while
the simulation runs at x1000 (the frame loop's own timing over a few seconds).
"""

from __future__ import annotations

import asyncio
import statistics
import time

from dynviz.cluster import ClusterConfig
from dynviz.core.ring import node_names
from dynviz.sim.tuning import tune_for_simulation


async def measure(frames: int = 60) -> tuple[dict[str, list[float]], list[float], float, float]:
    from dynviz.tui.app import DynvizApp

    config = ClusterConfig(nodes=tuple(node_names(64)), n=3, r=2, w=2, partitions=1024, seed=1)
    app = DynvizApp.live(seed=1, nodes=64, workload=True, playing=False, config=config, speed=1000)
    cluster = app.cluster
    batch = []
    for i in range(10_000):
        batch.append(cluster.submit_put(f"key:{i}", f"value-{i}"))
        if len(batch) == 256:
            for p in batch:
                cluster.wait(p)
            batch.clear()
    for p in batch:
        cluster.wait(p)
    per_panel: dict[str, list[float]] = {}
    whole: list[float] = []
    async with app.run_test(size=(200, 60)) as pilot:
        app.select_key("key:42")
        await pilot.pause()
        for _ in range(frames):
            start = time.perf_counter()
            app.driver.advance(int(0.05 * 1000 * 1_000_000))  # one frame of x1000
            sim = time.perf_counter() - start
            frame = app.frame()
            for widget in app.screen.query(".view, StatusBar"):
                if not (widget.display and widget.size.area):
                    continue
                t0 = time.perf_counter()
                widget.refresh_view(frame)  # type: ignore[attr-defined]
                widget.render_lines(widget.region.reset_offset)
                per_panel.setdefault(type(widget).__name__, []).append(time.perf_counter() - t0)
            whole.append(time.perf_counter() - start - sim)
            await pilot.pause()
        # The app's own loop for a few seconds at x1000: frames per second it holds.
        app.driver.playing = True
        app.frame_times.clear()
        t0 = time.perf_counter()
        await asyncio.sleep(3)
        elapsed = time.perf_counter() - t0
        ticks = len(app.frame_times)
        virtual = cluster.now
    return per_panel, whole, ticks / elapsed, virtual / 1e6


def main(argv: list[str] | None = None) -> int:
    tune_for_simulation()
    per_panel, whole, fps, virtual = asyncio.run(measure())
    print("frame render cost at 200x60, 64 nodes x 16 vnodes, 10,000 keys, sim at x1000")
    for name, times in sorted(per_panel.items(), key=lambda kv: -statistics.median(kv[1])):
        print(f"  {name:16} median {statistics.median(times) * 1e3:7.2f} ms   max {max(times) * 1e3:7.2f} ms")
    p50 = statistics.median(whole) * 1e3
    p95 = sorted(whole)[int(len(whole) * 0.95) - 1] * 1e3
    print(f"  {'full frame':16} median {p50:7.2f} ms   p95 {p95:7.2f} ms   (target <= 20 ms: "
          f"{'ok' if p50 <= 20 else 'ABOVE TARGET'})")
    print(f"app loop at x1000: {fps:.1f} frames/s (target >= 10: {'ok' if fps >= 10 else 'BELOW TARGET'})")
    return 0
