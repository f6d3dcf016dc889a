"""Per-node storage engines behind one small protocol (memory, sqlite).

Use :func:`open_store` to get one by name (what a cluster's configuration says).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, overload

from dynviz.storage.base import MAX_VALUE_BYTES, StorageError, Store, V, check_value_size
from dynviz.storage.memory import MemoryStore

if TYPE_CHECKING:
    from dynviz.core.versions import Siblings
    from dynviz.storage.sqlite import Codec

ENGINES = ("memory", "sqlite")

__all__ = [
    "ENGINES",
    "MAX_VALUE_BYTES",
    "MemoryStore",
    "StorageError",
    "Store",
    "check_value_size",
    "open_store",
]


@overload
def open_store(engine: str, path: str | None = None, table: str = "versions", *, codec: None = None,
               **kw: Any) -> Store[Siblings]: ...


@overload
def open_store(engine: str, path: str | None = None, table: str = "versions", *, codec: Codec[V],
               **kw: Any) -> Store[V]: ...


def open_store(engine: str, path: str | None = None, table: str = "versions", **kw: Any) -> Store[Any]:
    """Open a store by engine name.

    ``memory`` ignores ``path`` and ``table`` (it takes no options); ``sqlite`` needs a
    ``path`` and passes ``table`` and ``**kw`` (``synchronous``, ``codec``) to
    :class:`~dynviz.storage.sqlite.SqliteStore`.
    """
    if engine == "memory":
        if kw:
            raise ValueError(f"the memory engine takes no options, got {', '.join(sorted(kw))}")
        return MemoryStore()
    if engine == "sqlite":
        if path is None:
            raise ValueError("the sqlite engine needs a path (a file, or ':memory:')")
        from dynviz.storage.sqlite import SqliteStore

        return SqliteStore(path, table=table, **kw)
    raise ValueError(f"unknown storage engine {engine!r}: choose one of {', '.join(ENGINES)}")
