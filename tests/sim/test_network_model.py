"""``Network.model``: per-message latencies (PBS's W, A, R, S legs) instead of the range."""

from __future__ import annotations

from random import Random
from typing import Any

from dynviz.events import EventBus, Trace
from dynviz.sim.network import Network
from dynviz.sim.scheduler import Scheduler


def make(seed: int = 1) -> tuple[Scheduler, Network, list[tuple[int, str, Any]]]:
    sched = Scheduler()
    net = Network(sched, Random(seed), EventBus(), Trace(), latency=(1000, 2000))
    got: list[tuple[int, str, Any]] = []
    for name in ("a", "b"):
        net.register(name, lambda src, msg, name=name: got.append((sched.now, name, msg)))
    return sched, net, got


def test_without_a_model_the_range_is_used() -> None:
    sched, net, got = make()
    assert net.model is None
    net.send("a", "b", "x")
    sched.run_until_idle()
    assert 1000 <= got[0][0] <= 2000


def test_the_model_decides_each_messages_latency_by_kind() -> None:
    sched, net, got = make()
    seen: list[tuple[str, str, Any]] = []

    def model(src: str, dst: str, msg: Any, rng: Random) -> int:
        seen.append((src, dst, msg))
        return 50_000 if msg == "slow" else 10

    net.model = model
    net.send("a", "b", "slow")
    net.send("b", "a", "fast")
    sched.run_until_idle()
    assert got == [(10, "a", "fast"), (50_000, "b", "slow")]
    assert seen == [("a", "b", "slow"), ("b", "a", "fast")]


def test_a_model_drawing_from_the_networks_rng_is_deterministic() -> None:
    def model(src: str, dst: str, msg: Any, rng: Random) -> int:
        return int(rng.expovariate(1 / 1000))

    runs = []
    for _ in range(2):
        sched, net, got = make(seed=9)
        net.model = model
        for i in range(20):
            net.send("a", "b", i)
        sched.run_until_idle()
        runs.append(got)
    assert runs[0] == runs[1]
