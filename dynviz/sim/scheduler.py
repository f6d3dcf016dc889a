"""A discrete-event scheduler on integer virtual microseconds.

Events are kept in a heap ordered by (time, sequence number): equal times run in the
order they were scheduled, so a run is a pure function of the seed and the commands.
Cancelling marks the entry dead instead of searching the heap (O(1)); the loop skips
dead entries. This is the hot path of every simulation, so it is kept small.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

Entry = list  # [time, seq, fn, args]: a list so that cancel can clear fn in place


class Scheduler:
    """Virtual time and the queue of things that will happen."""

    __slots__ = ("now", "_heap", "_seq", "events_run", "_cancelled")

    def __init__(self) -> None:
        self.now = 0
        self._heap: list[Entry] = []
        self._seq = 0
        self.events_run = 0
        self._cancelled = 0

    def at(self, time: int, fn: Callable[..., Any], *args: Any) -> Entry:
        """Run ``fn(*args)`` at virtual ``time`` (never in the past)."""
        self._seq += 1
        entry = [time if time > self.now else self.now, self._seq, fn, args]
        heapq.heappush(self._heap, entry)
        return entry

    def after(self, delay: int, fn: Callable[..., Any], *args: Any) -> Entry:
        self._seq += 1
        entry = [self.now + (delay if delay > 0 else 0), self._seq, fn, args]
        heapq.heappush(self._heap, entry)
        return entry

    def cancel(self, entry: Entry | None) -> None:
        if entry is not None and entry[2] is not None:
            entry[2] = None
            self._cancelled += 1
            if self._cancelled > 4096 and self._cancelled * 2 > len(self._heap):
                self._compact()

    def _compact(self) -> None:
        """Drop cancelled entries so that dead timers (request deadlines that did not
        fire) do not make every heap operation slower."""
        heap = self._heap
        heap[:] = [e for e in heap if e[2] is not None]  # in place: run loops hold a reference
        heapq.heapify(heap)
        self._cancelled = 0

    def next_time(self) -> int | None:
        heap = self._heap
        while heap and heap[0][2] is None:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def step(self) -> bool:
        """Run the next live event; False when nothing is scheduled."""
        heap = self._heap
        while heap:
            time, _, fn, args = heapq.heappop(heap)
            if fn is None:
                continue
            self.now = time
            self.events_run += 1
            fn(*args)
            return True
        return False

    def run_until(self, time: int, stop: Callable[[], bool] | None = None) -> None:
        """Run every event due at or before ``time``, then set the clock to ``time``.

        With ``stop``, return as soon as it is true (checked after each event)."""
        heap = self._heap
        pop = heapq.heappop
        while heap and heap[0][0] <= time:
            entry = pop(heap)
            fn = entry[2]
            if fn is None:
                continue
            self.now = entry[0]
            self.events_run += 1
            fn(*entry[3])
            if stop is not None and stop():
                return
        if time > self.now:
            self.now = time

    def run_until_set(self, holder: object, attr: str) -> None:
        """Run events until ``holder.attr`` is not None (a request's result), or none are
        left. The tight loop of every synchronous request."""
        heap = self._heap
        pop = heapq.heappop
        while getattr(holder, attr) is None and heap:
            entry = pop(heap)
            fn = entry[2]
            if fn is None:
                continue
            self.now = entry[0]
            self.events_run += 1
            fn(*entry[3])

    def run_until_idle(self, cap: int = 10_000_000) -> int:
        """Run until nothing is scheduled or ``cap`` events ran; returns events run."""
        ran = 0
        while ran < cap and self.step():
            ran += 1
        return ran

    def pending(self) -> int:
        return sum(1 for e in self._heap if e[2] is not None)
