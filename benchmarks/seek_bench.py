"""Seek in a 10k-command session: time per seek (target <= 1 s) and digest equality.

A session of about 10,000 commands (a seeded workload of gets and puts plus crashes,
a partition and a heal) is recorded through the Recorder on a real cluster. A Timeline
over it runs it once straight (making checkpoints), then seeks to random times,
forwards and backwards, timing each seek; after some seeks it continues to the end and
checks the trace and state digests equal the straight run's. The naive baseline is
re-simulating from the start for each seek (what the timeline does when checkpoints are
off), printed side by side as a ratio.

Run: ``python -m benchmarks.seek_bench [--seeks 20] [--commands 10000]``.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from dynviz.core.units import SECOND
from dynviz.session.recording import load_session
from dynviz.session.replay import replay_session
from dynviz.session.shipped import Scenario, record
from dynviz.session.timeline import Timeline
from dynviz.sim.tuning import tune_for_simulation


def bench_scenario(commands: int) -> Scenario:
    rate = 50.0
    end = int(commands / rate * SECOND)
    faults = ((end // 5, "kill n3"), (end // 5 * 2, "recover n3"), (end // 2, "partition n1,n2 | n3,n4,n5,n6,n7,n8"),
              (end // 2 + 10 * SECOND, "heal"), (end // 5 * 4, "kill n6"))
    return Scenario("seek-bench", "cluster nodes=8 n=3 r=2 w=2", faults, end, rate=rate, keys=300)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="seek_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=10_000, help="about how many commands (default 10000)")
    parser.add_argument("--seeks", type=int, default=20, help="random seeks to time (default 20)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--baseline", type=int, default=3, help="naive from-start seeks to time (default 3)")
    args = parser.parse_args(argv)
    tune_for_simulation()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.jsonl"
        t0 = time.perf_counter()
        record(bench_scenario(args.commands), path, seed=args.seed)
        session = load_session(path)
        print(f"recorded {len(session.commands)} commands over {session.end_time / SECOND:.0f}s virtual "
              f"in {time.perf_counter() - t0:.2f}s")
    t0 = time.perf_counter()
    straight = replay_session(session)
    print(f"straight replay: {time.perf_counter() - t0:.2f}s, verified={straight.verified}")
    timeline = Timeline(session)
    t0 = time.perf_counter()
    timeline.prepare()
    cps = timeline.branch_data.checkpoints
    size = sum(len(cp.snapshot.data) for cp in cps)
    print(f"timeline prepared in {time.perf_counter() - t0:.2f}s: {len(cps)} checkpoints, "
          f"{size / 1e6:.1f} MB")
    rng = random.Random(args.seed)
    times = []
    ok = straight.verified
    for i in range(args.seeks):
        target = rng.randrange(0, timeline.end)
        direction = "back" if target < timeline.now else "fwd "
        t0 = time.perf_counter()
        timeline.seek(target)
        took = time.perf_counter() - t0
        times.append(took)
        print(f"  seek {direction} to {target / SECOND:8.3f}s: {took * 1000:7.1f} ms")
        if i % 5 == 4:
            timeline.play_to_end()
            same = (timeline.cluster.digest() == straight.digest
                    and timeline.cluster.state_digest() == straight.state_digest)
            print(f"  seek + continue to the end reproduces the straight run: {same}")
            ok = ok and same
    worst, mean = max(times), sum(times) / len(times)
    naive = Timeline(session)
    naive.checkpoints_enabled = False
    naive._start = None  # noqa: SLF001 - the baseline re-simulates from a fresh cluster
    naive_times = []
    for _ in range(args.baseline):
        target = rng.randrange(timeline.end // 2, timeline.end)
        naive.seek(timeline.end)
        t0 = time.perf_counter()
        naive.seek(target)
        naive_times.append(time.perf_counter() - t0)
    naive_mean = sum(naive_times) / len(naive_times) if naive_times else float("nan")
    print(f"seek: mean {mean * 1000:.1f} ms, worst {worst * 1000:.1f} ms (target <= 1000 ms); "
          f"from-start baseline mean {naive_mean * 1000:.1f} ms: {naive_mean / mean:.0f}x faster")
    print(f"digests after seeking: {'OK' if ok else 'MISMATCH'}")
    return 0 if ok and worst <= 1.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
