"""A discrete-event scheduler on integer virtual microseconds.

Events are kept in a heap ordered by (time, sequence number): equal times run in the
order they were scheduled, so a run is a pure function of the seed and the commands.
Events scheduled for the current instant (a message with no latency, a zero delay) go
to a FIFO instead: they come after everything already due now (whatever was scheduled
for this instant before the clock reached it has a smaller sequence number) and in the
order they were scheduled, which a FIFO keeps without walking the heap. The loop takes
the heap's top first while it is due now, then the FIFO: the same (time, seq) order.
Cancelling marks the entry dead instead of searching the heap (O(1)); the loop skips
dead entries. This is the hot path of every simulation, so it is kept small.

The fast path for the hottest caller (the network schedules every message of every
run) is public and costs no Python frame: the heap, the FIFO and the sequence counter
are attributes (``heap``, ``due``, ``sequence``); a caller builds
``[time, next(sched.sequence), fn, args]`` itself and pushes it with
``heappush(sched.heap, entry)`` when ``time`` is after ``now``, else (``time`` equal to
``now``, never before) with ``sched.due.append(entry)``. These are plain calls CPython
3.11 specializes; callables bound once and kept as attributes (``partial(heappush,
heap)``, ``deque.append``, ``count.__next__``) were not: about 400 instructions more a
message.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Callable
from heapq import heappush
from typing import Any

Entry = list[Any]  # [time, seq, fn, args]: a list so that cancel can clear fn in place

_STATE = ("now", "heap", "due", "events_run", "_cancelled", "halted")
"""What a pickled scheduler keeps besides its sequence (see ``__getstate__``)."""

_COMPACT_AFTER = 64
"""Cancelled entries tolerated before the heap is compacted (and only once they are half
of it). Every request cancels its replica timer, so dead entries pile up fast; kept few,
every push and pop of a message walks a shallow heap (a few dozen live entries in a
quiet cluster instead of thousands of dead ones). Compaction keeps the (time, seq)
order, so when it runs changes nothing but speed."""


class Scheduler:
    """Virtual time and the queue of things that will happen."""

    __slots__ = (*_STATE, "sequence")

    def __init__(self) -> None:
        self.now = 0
        self.heap: list[Entry] = []
        self.due: deque[Entry] = deque()  # entries for the instant ``now``, in sequence order
        self.events_run = 0
        self._cancelled = 0
        self.halted = False
        self._count_from(1)

    def _count_from(self, first: int) -> None:
        self.sequence = itertools.count(first)  # the next entry's sequence number: next(sequence)

    def __getstate__(self) -> dict[str, Any]:
        """A snapshot (session/timeline.py pickles the cluster): the counter is kept as
        the next number it would give, not as an ``itertools.count`` (whose pickling
        Python deprecates). Taking that number skips it here; a gap in the sequence
        changes no order."""
        state = {name: getattr(self, name) for name in _STATE}
        state["seq"] = next(self.sequence)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name in _STATE:
            setattr(self, name, state[name])
        self._count_from(state["seq"])

    def halt(self) -> None:
        """End the running :meth:`run` after the current event (a synchronous request's
        answer arrived: its owner says so, instead of being asked after every event).
        It stays halted, ending any run, until the owner clears ``halted``."""
        self.halted = True

    def at(self, time: int, fn: Callable[..., Any], *args: Any) -> Entry:
        """Run ``fn(*args)`` at virtual ``time`` (never in the past)."""
        now = self.now
        if time > now:
            entry = [time, next(self.sequence), fn, args]
            heappush(self.heap, entry)
        else:
            entry = [now, next(self.sequence), fn, args]
            self.due.append(entry)
        return entry

    def after(self, delay: int, fn: Callable[..., Any], *args: Any) -> Entry:
        if delay > 0:
            entry = [self.now + delay, next(self.sequence), fn, args]
            heappush(self.heap, entry)
        else:
            entry = [self.now, next(self.sequence), fn, args]
            self.due.append(entry)
        return entry

    def cancel(self, entry: Entry | None) -> None:
        if entry is not None and entry[2] is not None:
            entry[2] = None
            entry[3] = ()  # let go of the arguments now (a timer's holds its coordinator), not at compaction
            self._cancelled += 1
            if self._cancelled > _COMPACT_AFTER and self._cancelled * 2 > len(self.heap) + len(self.due):
                self._compact()

    def _compact(self) -> None:
        """Drop cancelled entries so that dead timers (request deadlines that did not
        fire) do not make every heap operation slower."""
        heap = self.heap
        heap[:] = [e for e in heap if e[2] is not None]  # in place: run loops hold a reference
        heapq.heapify(heap)
        due = self.due
        if due:
            kept = [e for e in due if e[2] is not None]
            due.clear()
            due.extend(kept)
        self._cancelled = 0

    def next_time(self) -> int | None:
        due = self.due
        while due and due[0][2] is None:
            due.popleft()
        if due:
            return self.now
        heap = self.heap
        while heap and heap[0][2] is None:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def run(self, until: int | None = None, max_events: int = -1,
            stop: Callable[[], bool] | None = None) -> tuple[int, bool]:
        """The event loop (the only one): run events in order while they are due at or
        before ``until`` (every event when None), at most ``max_events`` of them (no cap
        when negative), returning early as soon as ``stop()`` is true after an event.

        Returns (events run, reached): ``reached`` is true when nothing is left that is
        due by ``until``; the clock is then set to ``until``, so time passes even with
        nothing to do. When the cap or ``stop`` ends the run first, the clock stays at
        the last event run, so no event is skipped and a capped run continues exactly
        as one uncapped run would."""
        heap = self.heap
        due = self.due
        pop = heapq.heappop
        ran = 0
        if until is None and max_events < 0 and stop is None:
            # The same loop with nothing to check but halt: every synchronous request
            # runs here, millions of events in a check campaign.
            try:
                while True:
                    if due:
                        # The heap's top goes first only if it was scheduled for now
                        # before now came (module docstring).
                        time, _, fn, args = pop(heap) if heap and heap[0][0] <= self.now else due.popleft()
                    elif heap:
                        time, _, fn, args = pop(heap)
                    else:
                        break
                    if fn is None:
                        continue
                    self.now = time
                    ran += 1
                    fn(*args)
                    if self.halted:
                        return ran, False
                return ran, True
            finally:
                self.events_run += ran  # once per run, not per event (nested runs add their own)
        while True:
            while due and due[0][2] is None:
                due.popleft()
            while heap and heap[0][2] is None:
                pop(heap)
            from_heap = bool(heap) and (not due or heap[0][0] <= self.now)
            if not (from_heap or due) or (until is not None and (heap[0][0] if from_heap else self.now) > until):
                if until is not None and until > self.now:
                    self.now = until
                return ran, True
            if ran == max_events:
                return ran, False
            time, _, fn, args = pop(heap) if from_heap else due.popleft()
            self.now = time
            self.events_run += 1
            ran += 1
            fn(*args)
            if self.halted:
                return ran, False
            if stop is not None and stop():
                return ran, False

    def advance_to(self, time: int) -> None:
        """Move the clock to ``time`` with nothing run: only forward, and only when no
        event is due before it (a replay placing a command at its recorded instant)."""
        upcoming = self.next_time()
        if time < self.now or (upcoming is not None and upcoming < time):
            raise ValueError(f"cannot move the clock from {self.now} to {time} µs"
                             + (f" past an event due at {upcoming} µs" if upcoming is not None else ""))
        self.now = time

    def step(self) -> bool:
        """Run the next live event; False when nothing is scheduled."""
        return self.run(max_events=1)[0] == 1

    def run_until(self, time: int, stop: Callable[[], bool] | None = None) -> None:
        """Run every event due at or before ``time``, then set the clock to ``time``
        (unless ``stop``, checked after each event, ends it first)."""
        self.run(time, stop=stop)


    def run_until_idle(self, cap: int = 10_000_000) -> int:
        """Run until nothing is scheduled or ``cap`` events ran; returns events run."""
        return self.run(max_events=cap)[0]

    def pending(self) -> int:
        return sum(1 for e in self.heap if e[2] is not None) + sum(1 for e in self.due if e[2] is not None)

    def live(self) -> list[Entry]:
        """Every entry still due, in the order they will run (for listing choices; a
        scan, not for the hot path)."""
        return sorted((e for e in (*self.heap, *self.due) if e[2] is not None), key=lambda e: (e[0], e[1]))

    def jump_to(self, time: int) -> None:
        """Move the clock forward to ``time`` without running what was due before it:
        those entries are late and run as soon as the loop next runs, at ``time``
        (never before the clock). A timer fired by hand runs at its own moment this
        way, so what it compares with its deadline has expired, while the messages and
        timers the learner is holding back stay where they are."""
        if time <= self.now:
            return
        heap = self.heap
        heap.extend(self.due)  # what was due at the old instant is late too
        self.due.clear()
        for entry in heap:
            if entry[0] < time:
                entry[0] = time
        heapq.heapify(heap)
        self.now = time

    def run_now(self, entry: Entry) -> None:
        """Run a pending ``entry`` now instead of when it is due (a timer fired early)."""
        fn, args = entry[2], entry[3]
        if fn is None:
            raise ValueError("that entry was cancelled or has run")
        self.cancel(entry)
        self.events_run += 1
        fn(*args)
