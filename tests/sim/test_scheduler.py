"""The scheduler orders events by time, then by scheduling order; cancel works."""

from dynviz.sim.scheduler import Scheduler


def test_events_run_in_time_then_sequence_order() -> None:
    sched = Scheduler()
    seen: list[str] = []
    sched.at(20, seen.append, "c")
    sched.at(10, seen.append, "a")
    sched.at(10, seen.append, "b")
    sched.run_until_idle()
    assert seen == ["a", "b", "c"]
    assert sched.now == 20


def test_cancel_and_run_until() -> None:
    sched = Scheduler()
    seen: list[int] = []
    entry = sched.after(5, seen.append, 1)
    sched.after(15, seen.append, 2)
    sched.cancel(entry)
    sched.run_until(10)
    assert seen == [] and sched.now == 10
    assert sched.step() and seen == [2]
    assert not sched.step()
