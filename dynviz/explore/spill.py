"""The search's two big collections, in memory up to a limit and on disk past it.

A frontier (the states of the next level, each a pickled world of some tens of
kilobytes) and the seen-set (a state hash and its sleep set) grow with the space. Each
keeps up to ``limit`` entries in memory; past that, entries go to an SQLite database in
a temporary file (stdlib ``sqlite3``, which the project already uses for durable nodes),
deleted when the search ends. A frontier is read back once, in the order it was written,
so a breadth-first search stays breadth-first and its counterexamples shortest.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterable

Entry = tuple[int, bytes, frozenset[str]]


def _pack(sleep: frozenset[str]) -> str:
    return "\n".join(sorted(sleep))


def _unpack(text: str) -> frozenset[str]:
    return frozenset(text.split("\n")) if text else frozenset()


class _Disk:
    """A temporary SQLite file, made on first use."""

    def __init__(self, schema: str) -> None:
        self.schema = schema
        self.db: sqlite3.Connection | None = None
        self.path = ""

    def open(self) -> sqlite3.Connection:
        if self.db is None:
            handle, self.path = tempfile.mkstemp(prefix="dynviz-explore-", suffix=".sqlite")
            os.close(handle)
            self.db = sqlite3.connect(self.path)
            self.db.execute("PRAGMA journal_mode=OFF")
            self.db.execute("PRAGMA synchronous=OFF")
            self.db.execute(self.schema)
        return self.db

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
            os.unlink(self.path)


class Frontier:
    """A level's states in the order added."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.memory: list[Entry] = []
        self.disk = _Disk("CREATE TABLE frontier (n INTEGER PRIMARY KEY, idx INTEGER, data BLOB, sleep TEXT)")
        self.spilled = 0

    def __len__(self) -> int:
        return len(self.memory) + self.spilled

    def add(self, index: int, data: bytes, sleep: frozenset[str]) -> None:
        if len(self.memory) < self.limit:
            self.memory.append((index, data, sleep))
            return
        self.disk.open().execute("INSERT INTO frontier (idx, data, sleep) VALUES (?, ?, ?)",
                                 (index, data, _pack(sleep)))
        self.spilled += 1

    def drain(self) -> list[Entry]:
        """Every entry, in order (the disk's after the memory's, as they were added)."""
        entries = self.memory
        self.memory = []
        if self.spilled:
            rows: Iterable[tuple[int, bytes, str]] = self.disk.open().execute(
                "SELECT idx, data, sleep FROM frontier ORDER BY n")
            entries = entries + [(i, d, _unpack(s)) for i, d, s in rows]
            self.spilled = 0
            self.disk.close()
        return entries

    def close(self) -> None:
        self.memory = []
        self.disk.close()


class Seen:
    """State hash -> the sleep set it was (last) expanded with."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.memory: dict[str, frozenset[str]] = {}
        self.disk = _Disk("CREATE TABLE seen (digest TEXT PRIMARY KEY, sleep TEXT)")
        self.spilled = 0

    def __len__(self) -> int:
        return len(self.memory) + self.spilled

    def get(self, digest: str) -> frozenset[str] | None:
        found = self.memory.get(digest)
        if found is not None or not self.spilled:
            return found
        row = self.disk.open().execute("SELECT sleep FROM seen WHERE digest = ?", (digest,)).fetchone()
        return None if row is None else _unpack(row[0])

    def put(self, digest: str, sleep: frozenset[str]) -> None:
        if digest in self.memory or len(self.memory) < self.limit:
            self.memory[digest] = sleep
            return
        cursor = self.disk.open().execute("INSERT OR REPLACE INTO seen (digest, sleep) VALUES (?, ?)",
                                          (digest, _pack(sleep)))
        if cursor.rowcount:
            self.spilled += 1

    def close(self) -> None:
        self.disk.close()
