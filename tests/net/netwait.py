"""Waiting for a condition in the TCP tests: poll it until it holds or a deadline passes.

Real processes on a shared machine run at whatever speed they get, so no test waits a
fixed time and hopes: it names what it is waiting for, polls it, and when a generous
deadline passes fails saying what did not happen and what it saw last. The poll
interval only bounds how often a condition is asked; it never decides an outcome.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

POLL = 0.05
"""Seconds between two asks of a condition."""


async def until(check: Callable[[], Awaitable[T] | T], what: str | Callable[[], str], *,
                within: float = 30.0, every: float = POLL) -> T:
    """Ask ``check()`` (plain or async) until it returns something truthy, and return
    that. After ``within`` seconds fail with ``what`` (the condition, in words; a
    callable is asked at the end, so it can say what was last seen)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + within
    last: object = None
    while True:
        asked = check()
        found: T = await asked if inspect.isawaitable(asked) else asked
        if found:
            return found
        last = found
        if loop.time() > end:
            told = what() if callable(what) else what
            raise AssertionError(f"not within {within:g}s: {told} (last seen: {last!r})")
        await asyncio.sleep(every)


def until_sync(check: Callable[[], T], what: str | Callable[[], str], *, within: float = 10.0,
               every: float = 0.01) -> T:
    """:func:`until` for code outside an event loop (process bookkeeping, commands)."""
    end = time.monotonic() + within
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > end:
            told = what() if callable(what) else what
            raise AssertionError(f"not within {within:g}s: {told} (last seen: {found!r})")
        time.sleep(every)
