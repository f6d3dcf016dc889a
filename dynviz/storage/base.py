"""The one small protocol every per-node storage engine implements.

A store maps a key to the sibling set the node holds for it (DESIGN.md section 3,
"Durability"). Stores treat a sibling set as an opaque value: the memory engine keeps
the (immutable) object itself, the sqlite engine keeps its encoding. Nothing above the
node layer sees a store.

Value size: stores do not check sizes. The 1 MiB limit is a property of a client's
value, not of a sibling set (which may hold several values plus causal metadata), so the
node layer calls :func:`check_value_size` on each incoming client value before it
builds a version, and the user gets the error before anything is stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, TypeVar, runtime_checkable

MAX_VALUE_BYTES = 1 << 20
"""Largest value a client may put: 1 MiB, as in the paper's deployments (section 2)."""


class StorageError(ValueError):
    """Something a user or configuration can cause, with a message they can act on."""


def check_value_size(value: bytes) -> None:
    """Reject a client value over :data:`MAX_VALUE_BYTES` with a clear message."""
    n = len(value)
    if n > MAX_VALUE_BYTES:
        raise StorageError(f"value is {n} bytes; the limit is 1 MiB ({MAX_VALUE_BYTES} bytes)")


V = TypeVar("V")
"""What a store holds for a key: a node's stores hold sibling sets (``Store[Siblings]``);
the store itself never looks inside."""


@runtime_checkable
class Store(Protocol[V]):
    """A node's key -> sibling set storage.

    Ranges follow the ring: ``keys_in_range(lo, hi)`` covers tokens in ``(lo, hi]``,
    wrapping past zero when ``lo >= hi`` (``lo == hi`` is the whole ring), in ring order
    starting just after ``lo`` (ties between equal tokens broken by key). Iterators are
    snapshots: mutating the store while consuming one is safe.
    """

    def get(self, key: bytes) -> V | None:
        """The sibling set stored for ``key``, or None."""
        ...

    def put(self, key: bytes, siblings: V) -> None:
        """Replace what is stored for ``key``; durable (for durable engines) on return."""
        ...

    def delete(self, key: bytes) -> None:
        """Physically remove ``key`` (tombstone collection); a missing key is fine."""
        ...

    def keys_in_range(self, lo: int, hi: int) -> Iterator[tuple[int, bytes]]:
        """``(token, key)`` for every stored key whose token is in ``(lo, hi]``."""
        ...

    def keys_at(self, token: int, start: bytes, end: bytes | None, limit: int,
                reverse: bool = False) -> list[bytes]:
        """Keys whose token is ``token`` in ``[start, end)`` (``end`` None: no bound), in
        key order (descending if ``reverse``), at most ``limit``. The keys of a group
        share a token (core/hashing.py), so this reads one run of a group's keys in
        O(log n + limit), however big the group."""
        ...

    def items(self) -> Iterator[tuple[bytes, V]]:
        """Every ``(key, sibling set)``, in no particular order."""
        ...

    def __len__(self) -> int: ...

    def __contains__(self, key: object) -> bool: ...

    def close(self) -> None:
        """Release resources; what was stored survives (a crash, not a wipe)."""
        ...

    def clear(self) -> None:
        """Lose everything (the ``wipe`` fault)."""
        ...
