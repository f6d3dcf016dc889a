"""The simulator's implementation of the node runtime interface (node/runtime.py).

Timers carry the node's incarnation: when a node crashes its incarnation changes, so
every timer it had set silently does nothing when it fires (a crashed process loses
its timers). ``wall_clock`` adds the node's skew, which is what LWW timestamps read.

Each timer is numbered by its node (``timers``, counted like the network counts
messages): ``n1.t42`` names the same timer in every replay of a session, so a learner
can fire it early (``fire n1.t42``; dynviz/sim/choices.py finds it).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from random import Random
from typing import Any

from dynviz.events import EventBus, Trace
from dynviz.sim.network import Network
from dynviz.sim.scheduler import Scheduler


class SimRuntime:
    __slots__ = ("name", "scheduler", "network", "rng", "bus", "trace", "skew", "incarnation", "send", "timers",
                 "cancel")

    def __init__(self, name: str, scheduler: Scheduler, network: Network, rng: Random,
                 bus: EventBus, trace: Trace) -> None:
        self.name = name
        self.scheduler = scheduler
        self.network = network
        self.rng = rng
        self.bus = bus
        self.trace = trace
        self.skew = 0
        self.incarnation = 0
        self.timers = 0  # timers set so far: the next one's number
        # ``send(dst, msg)``: the network's send with this node as the source, bound once
        # (a C-level partial instead of a Python method per message).
        self.send: Callable[[str, Any], None] = partial(network.send, name)
        # ``cancel(handle)``: the scheduler's own, bound once (every request cancels its
        # replica timer; a method here around it cost a frame).
        self.cancel: Callable[[Any], None] = scheduler.cancel

    def now(self) -> int:
        return self.scheduler.now

    def wall_clock(self) -> int:
        return self.scheduler.now + self.skew

    def set_timer(self, delay: int, fn: Callable[..., None], *args: Any) -> Any:
        self.timers = number = self.timers + 1
        return self.scheduler.after(delay, self._fire, self.incarnation, fn, args, number)

    def _fire(self, incarnation: int, fn: Callable[..., None], args: tuple[Any, ...], number: int = 0) -> None:
        if incarnation == self.incarnation:
            fn(*args)

    def crash(self) -> None:
        """Invalidate every timer set before now."""
        self.incarnation += 1
