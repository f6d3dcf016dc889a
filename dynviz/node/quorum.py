"""The quorum tally, a small pure module (after riak_kv_get_core).

The coordinator state machines only sequence messages and timers; whether a request
has enough answers, or can no longer get them, is decided here, with plain asserts
in its tests. ``needed`` counts any replica (primary or stand-in, as in the paper);
``needed_primaries`` (``pw``/``pr``) counts primaries only.
"""

from __future__ import annotations

from dynviz.wording import noun


class Tally:
    """Answers counted so far against what a request needs."""

    __slots__ = ("needed", "needed_primaries", "ok", "primaries_ok")

    def __init__(self, needed: int, needed_primaries: int = 0) -> None:
        self.needed = needed
        self.needed_primaries = needed_primaries
        self.ok: list[str] = []
        self.primaries_ok = 0

    def add_ok(self, node: str, primary: bool) -> None:
        if node in self.ok:
            return
        self.ok.append(node)
        if primary:
            self.primaries_ok += 1

    def enough(self) -> bool:
        return len(self.ok) >= self.needed and self.primaries_ok >= self.needed_primaries

    def describe(self) -> str:
        text = f"{len(self.ok)}/{self.needed}"
        if self.needed_primaries:
            text += f" ({self.primaries_ok}/{self.needed_primaries} {noun(self.needed_primaries, 'primary', 'primaries')})"
        return text
