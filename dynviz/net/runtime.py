"""The TCP implementation of the node runtime interface (``dynviz/node/runtime.py``).

The same ``Node`` that runs on the simulator's virtual time runs here on an asyncio
loop: ``now()`` is the process's monotonic clock in µs, timers are ``call_later``,
``send`` goes through the :class:`~dynviz.net.transport.Transport`. One process, one
loop, one thread, so handlers and timers never run concurrently, exactly as on the
simulator. A handler or timer that raises is logged and counted; it never stops the
process (the simulator would surface it; a server must stay up).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import Counter
from collections.abc import Callable
from random import Random
from typing import Any

from dynviz.events import EventBus, Trace
from dynviz.net.transport import Transport

log = logging.getLogger("dynviz.net")


class TcpRuntime:
    """``Runtime`` for a node in its own OS process."""

    def __init__(self, name: str, transport: Transport, bus: EventBus | None = None,
                 stats: Counter[str] | None = None, rng: Random | None = None) -> None:
        self.name = name
        self.transport = transport
        self.rng = rng or Random(int.from_bytes(os.urandom(8), "big"))
        self.bus = bus or EventBus()
        self.trace = Trace()
        self.stats: Counter[str] = stats if stats is not None else transport.stats
        self.loop = asyncio.get_running_loop()
        self._t0 = time.monotonic_ns()

    def now(self) -> int:
        # Starts at 1, not 0: gossip treats a start at time 0 as the cluster's birth.
        return (time.monotonic_ns() - self._t0) // 1000 + 1

    def wall_clock(self) -> int:
        return time.time_ns() // 1000

    def send(self, dst: str, msg: Any) -> None:
        self.transport.send(dst, msg)

    def set_timer(self, delay: int, fn: Callable[..., None], *args: Any) -> Any:
        return self.loop.call_later(max(0, delay) / 1e6, self._fire, fn, args)

    def _fire(self, fn: Callable[..., None], args: tuple[Any, ...]) -> None:
        try:
            fn(*args)
        except Exception:
            self.stats["timer_errors"] += 1
            log.exception("timer %s failed", getattr(fn, "__qualname__", fn))

    def cancel(self, handle: Any) -> None:
        if handle is not None:
            handle.cancel()
