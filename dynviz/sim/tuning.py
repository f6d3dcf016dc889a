"""Process settings for long simulations.

A simulation allocates many short-lived objects per request (messages, timers,
coordinator state). CPython's default cyclic-GC threshold (700 allocations) then runs
a young-generation collection every few requests, about a tenth of the time; raising
it keeps memory bounded (cycles are still collected, just in larger batches).
"""

from __future__ import annotations

import gc

_GC_THRESHOLDS = (100_000, 50, 50)


def tune_for_simulation() -> None:
    """Called by the front ends (CLI, TUI, benchmarks) before running a cluster."""
    gc.set_threshold(*_GC_THRESHOLDS)


def tune_for_app() -> None:
    """For the interactive app: smaller young generations than a batch run, so each
    collection is short (frames matter more than throughput); the app also freezes
    long-lived objects every few seconds (see ``DynvizApp._settle_memory``)."""
    gc.set_threshold(10_000, 20, 100)
