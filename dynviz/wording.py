"""English counts for user-visible text: "1 partition", "2 partitions", "0 replicas".

Every message that puts a number before a noun goes through here, so none says
"1 partitions" or "1 waits held". Only the regular English plural (add "s") is
guessed; an irregular one is passed explicitly (``plural(n, "entry", "entries")``), so
nothing here needs a dictionary or can guess wrong. It imports nothing, so any layer
above ``core`` may use it (``core`` imports nothing of dynviz at all).
"""

from __future__ import annotations


def noun(count: int, singular: str, many: str | None = None) -> str:
    """The form of ``singular`` that agrees with ``count``: the singular for exactly 1
    (and -1), else ``many`` (default: ``singular`` + "s"). English uses the plural for
    0 and for fractions ("0 keys", "1.5 seconds")."""
    if abs(count) == 1 and float(count).is_integer():
        return singular
    return many if many is not None else singular + "s"


def plural(count: int, singular: str, many: str | None = None, spec: str = "") -> str:
    """``count`` and the noun that agrees with it: ``plural(1, "partition")`` is
    "1 partition", ``plural(3, "partition")`` "3 partitions". ``spec`` formats the
    number (``","`` gives "1,024 nodes")."""
    return f"{count:{spec}} {noun(count, singular, many)}"
