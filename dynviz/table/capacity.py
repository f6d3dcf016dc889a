"""Capacity units and throttling on virtual time (spec §7).

A read unit is one strongly consistent read of up to 4 KB (eventually consistent: half),
a write unit one write of up to 1 KB; sizes round up. A provisioned table (and each of
its GSIs) has a token bucket per direction: it fills at the provisioned rate and holds
up to 300 seconds of it (burst capacity). A request that needs more units than the
bucket holds is throttled (``ProvisionedThroughputExceededException``) and changes
nothing. A new bucket starts with one second's worth: burst is banked from unused
capacity, so a table that has been idle for five minutes can run at several times its
rate for a while, and a fresh one cannot. On-demand tables never throttle here (the
"2x previous peak" rule is not modelled).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dynviz.core.units import SECOND

READ_UNIT = 4096
WRITE_UNIT = 1024
BURST_SECONDS = 300


def read_units(size: int, consistent: bool) -> float:
    """One read of ``size`` bytes (a missing item still costs one unit)."""
    units = max(1, math.ceil(size / READ_UNIT))
    return float(units) if consistent else units / 2


def write_units(size: int) -> float:
    return float(max(1, math.ceil(size / WRITE_UNIT)))


@dataclass(slots=True)
class Bucket:
    """Tokens (units) refilled at ``rate`` per virtual second, capped at 300 s."""

    rate: float
    tokens: float
    updated: int
    consumed: float = 0.0
    throttled: int = 0

    @staticmethod
    def new(rate: float, now: int) -> Bucket:
        return Bucket(rate, float(rate), now)

    @property
    def capacity(self) -> float:
        return self.rate * BURST_SECONDS

    def refill(self, now: int) -> float:
        if now > self.updated:
            self.tokens = min(self.capacity, self.tokens + self.rate * (now - self.updated) / SECOND)
            self.updated = now
        return self.tokens

    def allows(self, units: float, now: int) -> bool:
        """Whether ``units`` can be spent now (a request bigger than a full bucket may
        still run when the bucket is full, else it could never run)."""
        tokens = self.refill(now)
        return tokens >= units or tokens >= self.capacity

    def spend(self, units: float, now: int) -> None:
        self.refill(now)
        self.tokens -= units
        self.consumed += units

    def set_rate(self, rate: float, now: int) -> None:
        self.refill(now)
        self.rate = rate
        self.tokens = min(self.tokens, self.capacity)
