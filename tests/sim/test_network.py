"""The simulated network: latency, loss, partitions and crashes drop what they should."""

from random import Random

from dynviz.events import EventBus, MessageDropped, Trace
from dynviz.sim.network import Network
from dynviz.sim.scheduler import Scheduler


def make(loss: float = 0.0) -> tuple[Scheduler, Network, list, list]:
    sched = Scheduler()
    bus = EventBus()
    events: list = []
    bus.subscribe(events.append)
    net = Network(sched, Random(1), bus, Trace(), latency=(1000, 2000), loss=loss)
    got: list = []
    for name in ("a", "b", "c"):
        net.register(name, lambda src, msg, name=name: got.append((name, src, msg)))
    return sched, net, got, events


def test_delivery_after_latency_and_in_flight_listing() -> None:
    sched, net, got, _ = make()
    net.send("a", "b", "hello")
    assert [f.dst for f in net.flights()] == ["b"]
    sched.run_until(999)
    assert got == []
    sched.run_until(2000)
    assert got == [("b", "a", "hello")]
    assert net.flights() == []


def test_partition_drops_across_groups_including_in_flight() -> None:
    sched, net, got, events = make()
    net.send("a", "b", 1)
    net.partition([["a"], ["b", "c"]])
    net.send("b", "c", 2)
    net.send("a", "c", 3)
    sched.run_until_idle()
    assert got == [("c", "b", 2)]
    reasons = sorted(e.reason for e in events if isinstance(e, MessageDropped))
    assert reasons == ["partition", "partition"]


def test_crashed_receiver_drops() -> None:
    sched, net, got, events = make()
    net.send("a", "b", 1)
    net.down.add("b")
    sched.run_until_idle()
    assert got == []
    assert any(isinstance(e, MessageDropped) and e.reason == "receiver down" for e in events)


def test_loss_rate_is_roughly_honoured() -> None:
    sched, net, got, _ = make(loss=0.3)
    for i in range(1000):
        net.send("a", "b", i)
    sched.run_until_idle()
    assert 600 < len(got) < 800
