"""The network as the learner's: holds keep messages, choices deliver, drop, duplicate
and delay any one of them, and timers fire early (issue 16)."""

from random import Random

import pytest
from test_network import make  # the same three endpoints a, b, c

from dynviz.events import EventBus, MessageDropped, MessageSent, Trace
from dynviz.sim.choices import fire, pending_messages, pending_timers
from dynviz.sim.network import Hold, NoSuchMessage
from dynviz.sim.runtime import SimRuntime


def test_holding_everything_keeps_every_message_until_chosen() -> None:
    sched, net, got, _ = make()
    net.hold(Hold())
    net.send("a", "b", "one")
    net.send("b", "c", "two")
    sched.run_until_idle()
    assert got == []
    assert [(m.id, m.held) for m in pending_messages(net)] == [("m1", True), ("m2", True)]
    net.deliver_now(2)
    assert got == [("c", "b", "two")]
    assert [m.id for m in pending_messages(net)] == ["m1"]


def test_a_hold_stops_what_is_already_on_the_wire_and_release_lets_it_go_in_order() -> None:
    sched, net, got, _ = make()
    net.send("a", "b", "one")
    net.send("a", "b", "two")
    assert net.hold(Hold("a", "b")) == 2
    sched.run_until_idle()
    assert got == []
    assert net.release(Hold("a", "b")) == 2
    sched.run_until_idle()
    assert got == [("b", "a", "one"), ("b", "a", "two")]


def test_a_link_or_inbox_hold_leaves_the_rest_of_the_network_alone() -> None:
    sched, net, got, _ = make()
    net.hold(Hold("a", "b"))
    net.hold(Hold(None, "c"))
    net.send("a", "b", 1)
    net.send("b", "a", 2)
    net.send("a", "c", 3)
    net.send("b", "c", 4)
    sched.run_until_idle()
    assert got == [("a", "b", 2)]
    assert net.release(Hold(None, "c")) == 2
    sched.run_until_idle()
    assert sorted(m for _, _, m in got) == [2, 3, 4]


def test_drop_duplicate_and_delay_work_on_messages_on_the_wire_too() -> None:
    sched, net, got, events = make()
    net.send("a", "b", "lost")
    net.send("a", "b", "twice")
    net.send("a", "b", "late")
    net.drop_now(1)
    copy = net.duplicate(2)
    assert copy == 4
    due = net.delay(3, 50_000)
    sched.run_until(10_000)
    assert got == [("b", "a", "twice"), ("b", "a", "twice")]
    sched.run_until(due)
    assert got[-1] == ("b", "a", "late")
    assert any(isinstance(e, MessageDropped) and e.reason == "dropped by hand" for e in events)
    assert any(isinstance(e, MessageSent) and e.id == 4 for e in events)


def test_a_duplicate_of_a_held_message_is_held_and_a_delayed_one_escapes_the_hold() -> None:
    sched, net, got, _ = make()
    net.hold(Hold())
    net.send("a", "b", "x")
    net.duplicate(1)
    assert [m.held for m in pending_messages(net)] == [True, True]
    net.delay(2, 5_000)
    sched.run_until_idle()
    assert got == [("b", "a", "x")]
    assert [m.id for m in pending_messages(net)] == ["m1"]


def test_a_message_delivered_by_hand_still_cannot_cross_a_partition_or_reach_a_dead_node() -> None:
    sched, net, got, events = make()
    net.hold(Hold())
    net.send("a", "b", 1)
    net.send("a", "c", 2)
    net.partition([["a"], ["b", "c"]])
    assert net.deliver_now(1) == "partition"
    net.heal()
    net.down.add("c")
    assert net.deliver_now(2) == "receiver down"
    assert got == []


def test_naming_a_message_that_is_not_pending_raises() -> None:
    sched, net, _, _ = make()
    net.send("a", "b", 1)
    sched.run_until_idle()
    with pytest.raises(NoSuchMessage):
        net.deliver_now(1)


def test_timers_are_named_by_their_node_and_fire_early() -> None:
    sched, net, _, _ = make()
    fired: list[str] = []
    rt = SimRuntime("a", sched, net, Random(2), EventBus(), Trace())
    rt.set_timer(1_000_000, fired.append, "first")
    rt.set_timer(2_000_000, fired.append, "second")
    assert [(t.id, t.due) for t in pending_timers(sched)] == [("a.t1", 1_000_000), ("a.t2", 2_000_000)]
    timer = fire(sched, {"a": rt}, "a.t2")
    # It runs at its own moment: the clock moves to it (a deadline it checks has passed);
    # the earlier timer is late now, due at once, and has not run.
    assert (fired, timer.id, sched.now) == (["second"], "a.t2", 2_000_000)
    assert [(t.id, t.due) for t in pending_timers(sched)] == [("a.t1", 2_000_000)]
    sched.run_until(2_000_000)
    assert fired == ["second", "first"] and sched.now == 2_000_000
    with pytest.raises(LookupError, match="no pending timer a.t2"):
        fire(sched, {"a": rt}, "a.t2")
    rt.crash()
    assert pending_timers(sched) == []  # a crashed node's timers are dead
