"""The durable storage engine: one table in a SQLite file (WAL mode).

Every ``put`` and ``delete`` is its own committed transaction, so what a node has
acknowledged survives a crash (with ``synchronous=FULL``, the default, even a power
loss). Several stores can share one file as different tables (a node's ``versions``
and its ``hints``).

Layout: ``key BLOB PRIMARY KEY, token BLOB, value BLOB`` with an index on ``token``.
Tokens are 16 bytes big-endian, so SQLite's bytewise BLOB order is numeric order and a
range scan is an index range scan. Values are sibling sets encoded by a codec, by
default ``dynviz.core.versions.encode_siblings``/``decode_siblings``: the store never
looks inside them.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Generic, cast, overload

from dynviz.core.hashing import token_of
from dynviz.storage.base import StorageError, V

if TYPE_CHECKING:
    from dynviz.core.versions import Siblings

Codec = tuple[Callable[[V], bytes], Callable[[bytes], V]]
"""``(encode, decode)`` for the sibling sets a store holds."""

SYNCHRONOUS_LEVELS = ("OFF", "NORMAL", "FULL", "EXTRA")
_TABLE_NAME = re.compile(r"[a-z_]+")


def _tok(token: int) -> bytes:
    return token.to_bytes(16, "big")


def _default_codec() -> Codec[Siblings]:
    # Imported here so storage depends on versions only when a sqlite store is opened
    # without a codec, and never on its internals.
    from dynviz.core.versions import decode_siblings, encode_siblings

    return encode_siblings, decode_siblings


class SqliteStore(Generic[V]):
    """A :class:`~dynviz.storage.base.Store` in a SQLite table."""

    __slots__ = ("_conn", "_table", "_path", "_encode", "_decode", "_sql")

    @overload
    def __init__(self: SqliteStore[Siblings], path: str | Path, table: str = "versions",
                 synchronous: str = "FULL", codec: None = None) -> None: ...

    @overload
    def __init__(self, path: str | Path, table: str = "versions", synchronous: str = "FULL", *,
                 codec: Codec[V]) -> None: ...

    def __init__(
        self,
        path: str | Path,
        table: str = "versions",
        synchronous: str = "FULL",
        codec: Codec[V] | None = None,
    ) -> None:
        if not isinstance(table, str) or not _TABLE_NAME.fullmatch(table):
            raise StorageError(
                f"table name {table!r} is not allowed: use lowercase letters and '_' only"
            )
        if table.startswith("sqlite_"):
            raise StorageError(f"table name {table!r} is reserved by SQLite (prefix 'sqlite_')")
        level = synchronous.upper() if isinstance(synchronous, str) else synchronous
        if level not in SYNCHRONOUS_LEVELS:
            raise StorageError(
                f"synchronous level {synchronous!r} is not one of {', '.join(SYNCHRONOUS_LEVELS)}"
            )
        # Without a codec the store holds sibling sets: the first overload says V is Siblings.
        self._encode, self._decode = codec if codec is not None else cast("Codec[V]", _default_codec())
        self._path = str(path)
        self._table = table
        # isolation_level=None: no implicit transactions, each statement commits itself.
        self._conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        try:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(f"PRAGMA synchronous={level}")
            self._conn.execute(
                f"CREATE TABLE IF NOT EXISTS {table} "
                "(key BLOB PRIMARY KEY, token BLOB NOT NULL, value BLOB NOT NULL)"
            )
            self._conn.execute(f"CREATE INDEX IF NOT EXISTS {table}_token ON {table} (token, key)")
        except BaseException:
            self._conn.close()
            raise
        t = table
        self._sql = {
            "get": f"SELECT value FROM {t} WHERE key = ?",
            "put": f"INSERT OR REPLACE INTO {t} (key, token, value) VALUES (?, ?, ?)",
            "delete": f"DELETE FROM {t} WHERE key = ?",
            "between": f"SELECT token, key FROM {t} WHERE token > ? AND token <= ? "
            "ORDER BY token, key",
            "above": f"SELECT token, key FROM {t} WHERE token > ? ORDER BY token, key",
            "upto": f"SELECT token, key FROM {t} WHERE token <= ? ORDER BY token, key",
            "at": f"SELECT key FROM {t} WHERE token = ? AND key >= ? ORDER BY key LIMIT ?",
            "at_end": f"SELECT key FROM {t} WHERE token = ? AND key >= ? AND key < ? ORDER BY key LIMIT ?",
            "at_desc": f"SELECT key FROM {t} WHERE token = ? AND key >= ? ORDER BY key DESC LIMIT ?",
            "at_end_desc": f"SELECT key FROM {t} WHERE token = ? AND key >= ? AND key < ? "
            "ORDER BY key DESC LIMIT ?",
            "items": f"SELECT key, value FROM {t}",
            "len": f"SELECT COUNT(*) FROM {t}",
            "contains": f"SELECT 1 FROM {t} WHERE key = ? LIMIT 1",
            "clear": f"DELETE FROM {t}",
        }

    @property
    def path(self) -> str:
        return self._path

    @property
    def table(self) -> str:
        return self._table

    def get(self, key: bytes) -> V | None:
        row = self._conn.execute(self._sql["get"], (key,)).fetchone()
        return None if row is None else self._decode(row[0])

    def put(self, key: bytes, siblings: V) -> None:
        self._conn.execute(self._sql["put"], (key, _tok(token_of(key)), self._encode(siblings)))

    def delete(self, key: bytes) -> None:
        self._conn.execute(self._sql["delete"], (key,))

    def keys_in_range(self, lo: int, hi: int) -> Iterator[tuple[int, bytes]]:
        ex = self._conn.execute
        if lo < hi:
            rows = ex(self._sql["between"], (_tok(lo), _tok(hi))).fetchall()
        else:
            rows = ex(self._sql["above"], (_tok(lo),)).fetchall()
            rows += ex(self._sql["upto"], (_tok(hi),)).fetchall()
        return ((int.from_bytes(t, "big"), k) for t, k in rows)

    def keys_at(self, token: int, start: bytes, end: bytes | None, limit: int,
                reverse: bool = False) -> list[bytes]:
        if limit < 1:
            return []
        name = ("at_end" if end is not None else "at") + ("_desc" if reverse else "")
        args = (_tok(token), start, end, limit) if end is not None else (_tok(token), start, limit)
        return [k for (k,) in self._conn.execute(self._sql[name], args).fetchall()]

    def items(self) -> Iterator[tuple[bytes, V]]:
        decode = self._decode
        rows = self._conn.execute(self._sql["items"]).fetchall()
        return ((k, decode(v)) for k, v in rows)

    def __len__(self) -> int:
        count: int = self._conn.execute(self._sql["len"]).fetchone()[0]  # COUNT(*) is an integer
        return count

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, bytes):
            return False
        return self._conn.execute(self._sql["contains"], (key,)).fetchone() is not None

    def close(self) -> None:
        """Close the connection (idempotent); everything committed stays in the file."""
        self._conn.close()

    def clear(self) -> None:
        self._conn.execute(self._sql["clear"])
