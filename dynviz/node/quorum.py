"""The quorum tally, a small pure module (after riak_kv_get_core).

The coordinator state machines only sequence messages and timers; whether a request
has enough answers, or can no longer get them, is decided here, with plain asserts
in its tests. ``needed`` counts any replica (primary or stand-in, as in the paper);
``needed_primaries`` (``pw``/``pr``) counts primaries only.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Tally:
    needed: int
    needed_primaries: int = 0
    ok: list[str] = field(default_factory=list)
    primaries_ok: int = 0
    failed: list[str] = field(default_factory=list)

    def add_ok(self, node: str, primary: bool) -> None:
        if node in self.ok:
            return
        self.ok.append(node)
        if primary:
            self.primaries_ok += 1

    def add_failure(self, node: str) -> None:
        if node not in self.failed:
            self.failed.append(node)

    def enough(self) -> bool:
        return len(self.ok) >= self.needed and self.primaries_ok >= self.needed_primaries

    def describe(self) -> str:
        text = f"{len(self.ok)}/{self.needed}"
        if self.needed_primaries:
            text += f" ({self.primaries_ok}/{self.needed_primaries} primaries)"
        return text
