"""Time units. Every time in dynviz is an integer count of microseconds of virtual time
(the simulator's clock, DESIGN §2) or, over TCP, of real time: these say how many."""

from __future__ import annotations

US = 1
MS = 1_000
SECOND = 1_000_000
MINUTE = 60 * SECOND
