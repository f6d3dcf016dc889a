"""Soak: the app headless at x1000 for minutes of wall time, with random faults and the
workload on (issue 9). Reports peak RSS, frame time p50/p99, events processed, virtual
time covered, and fails on any exception or unbounded growth.

    python -m benchmarks soak --minutes 10
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import time

from dynviz.sim.rng import stream
from dynviz.sim.tuning import tune_for_app

FAULTS = (
    "kill {a}", "recover {a}", "partition {a},{b} | {c},{d}", "heal", "loss 0.05", "loss 0",
    "skew {a} +2s", "skew {a} 0", "antientropy {a} {b}", "gossip {a}", "wipe {a}",
)


def rss_mb() -> float:
    """Current resident set size (Linux /proc), else the peak so far."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize() / (1 << 20)
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def soak(minutes: float, seed: int = 1, wipes: bool = True) -> dict[str, float]:
    from dynviz.tui.app import DynvizApp

    app = DynvizApp.live(seed=seed, nodes=8, workload=True, playing=True, speed=1000)
    rng = stream(seed, "soak")
    errors: list[str] = []
    rss_samples: list[float] = []
    async with app.run_test(size=(160, 48)) as pilot:
        start = time.perf_counter()
        end = start + minutes * 60
        next_fault = start
        frames_before = 0
        while time.perf_counter() < end:
            await pilot.pause(0.2)
            if time.perf_counter() >= next_fault:
                nodes = list(app.cluster.nodes)
                rng.shuffle(nodes)
                faults = FAULTS if wipes else tuple(f for f in FAULTS if not f.startswith("wipe"))
                line = faults[rng.randrange(len(faults))].format(a=nodes[0], b=nodes[1], c=nodes[2], d=nodes[3])
                error = app.run_line(line)
                if error and "already" not in error and "not down" not in error:
                    errors.append(f"{line}: {error}")
                next_fault = time.perf_counter() + 0.5 + rng.random()
            rss_samples.append(rss_mb())
            frames_before = len(app.frame_times)
        cluster = app.cluster
        frames = list(app.frame_times)
        stats = {
            "minutes": minutes,
            "virtual_seconds": cluster.now / 1e6,
            "events": cluster.scheduler.events_run,
            "frame_p50_ms": statistics.median(frames) * 1e3 if frames else 0.0,
            "frame_p99_ms": sorted(frames)[max(0, int(len(frames) * 0.99) - 1)] * 1e3 if frames else 0.0,
            "rss_first_mb": rss_samples[0] if rss_samples else 0.0,
            "rss_peak_mb": max(rss_samples) if rss_samples else 0.0,
            "rss_quarters_mb": [rss_samples[min(len(rss_samples) - 1, len(rss_samples) * q // 4)]
                                for q in (1, 2, 3, 4)] if rss_samples else [],
            "tape_log": len(app.tape.log),
            "tape_messages": len(app.tape.messages),
            "command_errors": len(errors),
            "actors": len({a for node in cluster.nodes.values() for _, siblings in node.store.items()
                           for v in siblings.versions for a, _ in v.past.vv}),
        }
        del frames_before
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks soak")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-wipes", action="store_true",
                        help="leave out wipe faults (each wipe adds a new actor to every version vector)")
    args = parser.parse_args(argv or [])
    tune_for_app()
    stats = asyncio.run(soak(args.minutes, args.seed, wipes=not args.no_wipes))
    print(f"soak: {stats['minutes']:g} min wall at x1000 (8 nodes, workload on, a random fault every ~1 s)")
    print(f"  virtual time {stats['virtual_seconds']:,.0f} s, {stats['events']:,} events processed")
    print(f"  frame time p50 {stats['frame_p50_ms']:.1f} ms, p99 {stats['frame_p99_ms']:.1f} ms")
    print(f"  RSS {stats['rss_first_mb']:.0f} MB at start of play, peak {stats['rss_peak_mb']:.0f} MB; "
          f"at each quarter of the run: {', '.join(f'{v:.0f}' for v in stats['rss_quarters_mb'])} MB")
    print(f"  event tape held {stats['tape_log']:,} log events and {stats['tape_messages']:,} messages (bounded)")
    print(f"  commands refused: {stats['command_errors']}; actors in version vectors at the end: "
          f"{stats['actors']}")
    return 0
