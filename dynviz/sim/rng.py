"""Seeded random streams, one per component, derived stably from the run's seed.

``hash()`` of a str is randomised per process, so streams are derived with sha256
(DESIGN §2): the same seed gives the same numbers in every process.
"""

from __future__ import annotations

import hashlib
import random


def derive_seed(seed: int, *names: object) -> int:
    text = "\x1f".join([str(seed), *map(str, names)]).encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "big")


def stream(seed: int, *names: object) -> random.Random:
    """A ``random.Random`` for one component (e.g. ``stream(7, "network")``)."""
    return random.Random(derive_seed(seed, *names))
