"""The hint store: writes a node holds for a primary it stood in for (paper section 4.6).

Hints live apart from the node's own data, as in Dynamo ("a separate local database
that is scanned periodically"), and are keyed by (intended node, key). They are kept
in a storage engine so a durable node keeps its hints across a crash. An index by key
lets a stand-in answer reads for keys it holds hints of.
"""

from __future__ import annotations

from collections.abc import Iterator

from dynviz.core.versions import Siblings
from dynviz.storage.base import Store

_SEP = b"\x00"


class HintStore:
    """The hints one node holds (module docstring)."""

    __slots__ = ("store", "by_key")

    def __init__(self, store: Store[Siblings]) -> None:
        self.store = store
        self.by_key: dict[bytes, list[str]] = {}
        """key -> the nodes this node holds hints of it for. Read-only outside: a read
        tests it first (``key in hints.by_key``), the common case being no hint."""
        for composite, _ in store.items():
            intended, key = _split(composite)
            self.by_key.setdefault(key, []).append(intended)

    def get(self, intended: str, key: bytes) -> Siblings | None:
        return self.store.get(intended.encode() + _SEP + key)

    def put(self, intended: str, key: bytes, siblings: Siblings) -> None:
        holders = self.by_key.setdefault(key, [])
        if intended not in holders:
            holders.append(intended)
        self.store.put(intended.encode() + _SEP + key, siblings)

    def remove(self, intended: str, key: bytes) -> None:
        self.store.delete(intended.encode() + _SEP + key)
        holders = self.by_key.get(key)
        if holders and intended in holders:
            holders.remove(intended)
            if not holders:
                del self.by_key[key]

    def for_key(self, key: bytes) -> list[tuple[str, Siblings]]:
        """Every hint held for ``key`` (any intended node)."""
        holders = self.by_key.get(key)
        if not holders:
            return []
        return [(i, s) for i in holders if (s := self.get(i, key)) is not None]

    def items(self) -> Iterator[tuple[str, bytes, Siblings]]:
        """(intended, key, siblings) for every hint, in a stable order."""
        for key, holders in list(self.by_key.items()):
            for intended in list(holders):
                siblings = self.get(intended, key)
                if siblings is not None:
                    yield intended, key, siblings

    def in_turn(self, limit: int) -> list[tuple[str, bytes, Siblings]]:
        """Up to ``limit`` hints for one round of the handoff loop, taken in turn: each
        one returned moves to the back of the order. Taking the first ``limit`` in a
        fixed order would offer the same ones every round, and hints for a node that
        never acknowledges them (it is down) would starve every other. This way every
        hint is offered within about ``len / limit`` rounds, each round costs
        ``limit`` and not the whole store, and when all fit the order stays the same."""
        by_key = self.by_key
        out: list[tuple[str, bytes, Siblings]] = []
        for _ in range(len(by_key)):
            room = limit - len(out)
            if room <= 0:
                break
            key = next(iter(by_key))
            holders = by_key[key]
            taken, rest = holders[:room], holders[room:]
            for intended in taken:
                siblings = self.get(intended, key)
                if siblings is not None:
                    out.append((intended, key, siblings))
            if rest:
                by_key[key] = rest + taken  # stays first: its other hints open the next round
            else:
                del by_key[key]
                by_key[key] = holders  # to the back
        return out

    def __len__(self) -> int:
        return len(self.store)

    def clear(self) -> None:
        self.store.clear()
        self.by_key.clear()


def _split(composite: bytes) -> tuple[str, bytes]:
    intended, _, key = composite.partition(_SEP)
    return intended.decode(), key
