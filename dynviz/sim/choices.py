"""Choice points: the messages and timers a learner can point at, and what they can do
to each (issue 16).

A message is named ``m<id>`` (the network's count of messages sent) and a timer
``<node>.t<n>`` (its node's count of timers set): both counts follow from the trace
alone, so a session replayed lists the same names at the same points, whichever
snapshots were taken on the way. The views read :class:`PendingMessage` and
:class:`PendingTimer`; commands act through :func:`fire`, and through the network's
``deliver_now``/``drop_now``/``duplicate``/``delay``/``hold``/``release``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dynviz.sim.network import Network
from dynviz.sim.runtime import SimRuntime
from dynviz.sim.scheduler import Scheduler

MESSAGE_ID = re.compile(r"m?([0-9]{1,12})")
TIMER_ID = re.compile(r"([A-Za-z0-9_:-]+)\.t([0-9]{1,12})")


@dataclass(frozen=True, slots=True)
class PendingMessage:
    """A message not yet delivered: on the wire (due at ``due``) or ``held``."""

    id: str
    number: int
    src: str
    dst: str
    kind: str
    key: bytes | None
    sent: int
    due: int
    held: bool


@dataclass(frozen=True, slots=True)
class PendingTimer:
    """A timer a live node has set and that has not fired: ``purpose`` is the name of
    what it will run (``tick``, ``replica_timeout``...)."""

    id: str
    node: str
    purpose: str
    due: int


@dataclass(frozen=True, slots=True)
class Choices:
    """Everything pending that a learner could choose, and the holds that are on."""

    messages: tuple[PendingMessage, ...] = ()
    timers: tuple[PendingTimer, ...] = ()
    holds: tuple[str, ...] = ()


def message_id(number: int) -> str:
    return f"m{number}"


def pending_messages(network: Network) -> list[PendingMessage]:
    return [PendingMessage(message_id(mid), mid, src, dst, type(msg).__name__, getattr(msg, "key", None),
                           sent, due, held)
            for mid, src, dst, msg, sent, due, held in network.pending()]


def _purpose(fn: Any) -> str:
    """What a timer runs, in words: ``gossip tick``, ``handoff_tick``, ``putcoordinator
    replica_timeout``: the method's name, after its part's class unless it is the node."""
    name = getattr(fn, "__name__", None) or getattr(getattr(fn, "func", None), "__name__", None)
    name = (name or type(fn).__name__).strip("_")
    part = type(getattr(fn, "__self__", None)).__name__
    return name if part in ("Node", "NoneType") else f"{part.lower()} {name}"


def _timer_entries(scheduler: Scheduler) -> Iterable[tuple[SimRuntime, list[Any]]]:
    for entry in scheduler.live():
        owner = getattr(entry[2], "__self__", None)
        if isinstance(owner, SimRuntime) and entry[3][0] == owner.incarnation:
            yield owner, entry


def pending_timers(scheduler: Scheduler) -> list[PendingTimer]:
    """Every live node's pending timers, soonest first (a crashed node's old timers are
    dead: its incarnation changed)."""
    return [PendingTimer(f"{rt.name}.t{entry[3][3]}", rt.name, _purpose(entry[3][1]), entry[0])
            for rt, entry in _timer_entries(scheduler)]


def fire(scheduler: Scheduler, runtimes: Mapping[str, SimRuntime], timer: str) -> PendingTimer:
    """Fire timer ``timer`` (``n1.t42``) now; raises LookupError naming what is wrong.

    Virtual time first moves to the timer's moment (a timer that checks a deadline,
    like a coordinator's replica deadline, would otherwise find it not yet passed and
    do nothing); whatever else was due before then is late and runs when time next
    runs (:meth:`Scheduler.jump_to`)."""
    match = TIMER_ID.fullmatch(timer)
    if match is None:
        raise LookupError(f"{timer!r} is not a timer id (like n1.t42; 'network' lists them)")
    node, number = match[1], int(match[2])
    if node not in runtimes:
        raise LookupError(f"no node {node!r} (timer {timer})")
    for rt, entry in _timer_entries(scheduler):
        if rt.name == node and entry[3][3] == number:
            found = PendingTimer(timer, node, _purpose(entry[3][1]), entry[0])
            scheduler.jump_to(entry[0])  # at its own moment: a deadline it checks has passed
            scheduler.run_now(entry)
            return found
    raise LookupError(f"no pending timer {timer} (it fired, was cancelled, or its node crashed; "
                      "'network' lists the pending ones)")
