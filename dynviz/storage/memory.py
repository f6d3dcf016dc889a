"""The in-memory storage engine: fast, and (in the simulator) as durable as a disk.

A dict holds key -> sibling set; a list of ``(token, key)`` kept sorted with ``bisect``
answers range scans (anti-entropy, handoff, transfers) in O(log n + k) without a scan
of every key. Sibling sets are immutable, so they are stored as is, never copied.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Callable, Iterator
from typing import Generic

from dynviz.core.hashing import token_of
from dynviz.storage.base import V


class MemoryStore(Generic[V]):
    """A :class:`~dynviz.storage.base.Store` kept in process memory."""

    __slots__ = ("_data", "_index", "get")

    def __init__(self) -> None:
        self._data: dict[bytes, V] = {}
        self._index: list[tuple[int, bytes]] = []
        self.get: Callable[[bytes], V | None] = self._data.get
        """The stored value of a key, or None: the dict's own ``get``, bound once (a
        Python method around it cost a frame on every read, and a get reads three
        replicas, a put four)."""

    def put(self, key: bytes, siblings: V) -> None:
        if key not in self._data:
            insort(self._index, (token_of(key), key))
        self._data[key] = siblings

    def delete(self, key: bytes) -> None:
        if key not in self._data:
            return
        del self._data[key]
        del self._index[bisect_left(self._index, (token_of(key), key))]

    def keys_in_range(self, lo: int, hi: int) -> Iterator[tuple[int, bytes]]:
        index = self._index
        # (t,) sorts before every (t, key), so these find the first token > lo / > hi.
        start = bisect_left(index, (lo + 1,))
        end = bisect_left(index, (hi + 1,))
        if lo < hi:
            return iter(index[start:end])
        return iter(index[start:] + index[:end])

    def keys_at(self, token: int, start: bytes, end: bytes | None, limit: int,
                reverse: bool = False) -> list[bytes]:
        index = self._index
        lo = bisect_left(index, (token, start))
        hi = bisect_left(index, (token, end) if end is not None else (token + 1,))
        if hi <= lo or limit < 1:
            return []
        if reverse:
            return [k for _, k in reversed(index[max(lo, hi - limit):hi])]
        return [k for _, k in index[lo:min(hi, lo + limit)]]

    def items(self) -> Iterator[tuple[bytes, V]]:
        return iter(list(self._data.items()))

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def close(self) -> None:
        """Nothing to release; the contents survive, as a disk would."""

    def clear(self) -> None:
        self._data.clear()
        self._index.clear()
