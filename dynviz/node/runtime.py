"""The runtime interface a node is given: time, messages, timers, randomness, events.

The simulator (``dynviz.sim``) implements it on virtual time; the TCP runtime
(``dynviz.net``) with real sockets and clocks. Nodes never import either.
"""

from __future__ import annotations

from collections.abc import Callable
from random import Random
from typing import Any, Protocol

from dynviz.events import EventBus, Trace


class Runtime(Protocol):
    name: str
    rng: Random
    bus: EventBus
    trace: Trace

    def now(self) -> int:
        """Monotonic time in microseconds (virtual in the simulator)."""

    def wall_clock(self) -> int:
        """This node's wall clock in microseconds: ``now()`` plus its skew. LWW reads it."""

    def send(self, dst: str, msg: Any) -> None:
        """Send ``msg`` to ``dst``; delivery is not guaranteed."""

    def set_timer(self, delay: int, fn: Callable[..., None], *args: Any) -> Any:
        """Call ``fn(*args)`` after ``delay`` µs unless cancelled or the node crashes first."""

    def cancel(self, handle: Any) -> None:
        """Cancel a timer (a no-op for one that fired or was cancelled)."""
