"""Record the sessions shipped in ``sessions/recorded/``, by really running them.

Each scenario drives a real cluster the way the app does: virtual time advances in
frames (``Cluster.advance`` with the app's per-frame event cap), a seeded background
workload issues gets and puts (origin ``workload``), and the scenario's fault commands
are issued at their times (origin ``typed``). Every command goes through the
:class:`~dynviz.session.recording.Recorder` and then ``Executor.submit``, exactly as the
app records and issues it. Run ``python -m dynviz.session.shipped [DIR]`` to
re-record them; the files are deterministic (same seed, same bytes).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from dynviz.commands import Command, parse_line
from dynviz.core.units import MS, SECOND
from dynviz.events import EventBus
from dynviz.executor import Executor
from dynviz.session.recording import Recorder, header_config
from dynviz.sim.rng import stream

FRAME = 33 * MS
FRAME_EVENTS = 500


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    cluster: str
    steps: tuple[tuple[int, str], ...]  # (virtual time, command)
    end: int
    rate: float = 4.0  # workload operations per virtual second
    keys: int = 12


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("crash-recover", "cluster nodes=5 n=3 r=2 w=2", (
        (2 * SECOND, "kill n3"), (7 * SECOND, "recover n3")), 12 * SECOND),
    Scenario("partition-heal", "cluster nodes=5 n=3 r=2 w=2", (
        (2 * SECOND, "partition n1,n2 | n3,n4,n5"), (7 * SECOND, "heal"),
        (9 * SECOND, "get k1 r=3")), 12 * SECOND),
    Scenario("loss-latency", "cluster nodes=5 n=3 r=2 w=2", (
        (1 * SECOND, "loss 0.1"), (1 * SECOND, "latency 5ms..60ms"), (8 * SECOND, "loss 0"),
        (8 * SECOND, "latency 1ms..5ms")), 12 * SECOND),
    Scenario("skew-lww", "cluster nodes=5 n=3 r=2 w=2 resolver=lww", (
        (1 * SECOND, "skew n2 +5s"), (1 * SECOND, "skew n4 -3s"), (6 * SECOND, "get k2 r=3")), 10 * SECOND),
    Scenario("join-leave", "cluster nodes=5 n=3 r=2 w=2", (
        (1 * SECOND, "join n6"), (9 * SECOND, "leave n2")), 18 * SECOND),
    Scenario("wipe-antientropy", "cluster nodes=5 n=3 r=2 w=2 handoff=off", (
        (3 * SECOND, "wipe n3"), (5 * SECOND, "antientropy n3 n4"), (6 * SECOND, "antientropy n3 n5"),
        (7 * SECOND, "antientropy n3 n1"), (8 * SECOND, "antientropy n3 n2")), 10 * SECOND),
)


def _command(text: str) -> Command:
    """One of this module's own command lines: never blank, so never None."""
    command = parse_line(text)
    assert command is not None, text
    return command


def record(scenario: Scenario, path: Path, seed: int = 7) -> Path:
    """Run ``scenario`` on a real cluster, recording every command to ``path``."""
    config = header_config(scenario.cluster, seed)  # the config the recording's header will name

    bus = EventBus()
    bus.subscribe(lambda event: None)  # the app always watches: record with events on
    executor = Executor(config=config, bus=bus)
    cluster = executor.cluster
    rng = stream(seed, "shipped", scenario.name)
    keys = [f"k{i}" for i in range(scenario.keys)]
    next_op = int(rng.expovariate(scenario.rate) * SECOND)
    steps = list(scenario.steps)
    counter = 0
    with Recorder.for_executor(path, executor) as recorder:

        def issue(text: str, origin: str) -> None:
            recorder.record(cluster, text, origin)
            executor.submit(_command(text), lambda outcome: None)

        for key in keys[:4]:  # the app's synchronous preload
            recorder.record(cluster, f"as setup put {key} start", "setup")
            executor.execute(_command(f"as setup put {key} start"))
        while cluster.now < scenario.end:
            frame_end = min(scenario.end, cluster.now + FRAME)
            while True:
                due = min([next_op] + [t for t, _ in steps[:1]])
                target = min(due, frame_end)
                _, reached = cluster.advance(max(0, target - cluster.now), FRAME_EVENTS)
                if not reached:
                    break  # the frame's event budget ran out: time falls behind, as in the app
                if target == due and due <= frame_end:
                    if steps and steps[0][0] == due:
                        issue(steps.pop(0)[1], "typed")
                    else:
                        key = keys[rng.randrange(len(keys))]
                        if rng.random() < 0.6:
                            issue(f"as workload get {key}", "workload")
                        else:
                            counter += 1
                            issue(f"as workload put {key} w{counter}", "workload")
                        next_op = cluster.now + max(1, int(rng.expovariate(scenario.rate) * SECOND))
                    continue
                if cluster.now >= frame_end:
                    break
        recorder.close(cluster)
    return path


def main(argv: list[str] | None = None) -> int:
    from dynviz.sim.tuning import tune_for_simulation

    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else Path(__file__).resolve().parents[2] / "sessions" / "recorded"
    out.mkdir(parents=True, exist_ok=True)
    tune_for_simulation()
    for scenario in SCENARIOS:
        print(record(scenario, out / f"{scenario.name}.jsonl"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
