"""What a node process keeps on disk besides its data: identity, epoch, view, counters.

A node's versions and hints live in ``DIR/<id>.sqlite`` (tables ``versions`` and
``hints``, :class:`~dynviz.storage.sqlite.SqliteStore`). This module adds, in the same
file, what lets a restarted process come back *as itself* (issue 8):

* ``meta``: the node id (a data directory belongs to one node), its epoch (the actor
  generation of DESIGN §7; it only changes when the disk is lost), and its last
  membership view, tokens included, so it rejoins with the ring it left with rather
  than recomputing one, and with its own entry's generation, which gossip bumps on
  every start (a restart is a new incarnation, paper section 4.8).
* ``issued``: the largest dot counter this actor has issued per key. The node keeps
  it in a dict (``Node.issued``); :class:`DurableCounters` is that dict writing
  through to the table, committed before the version it numbers is stored or sent,
  so a restarted coordinator can never issue a dot it issued before even for a key
  whose only copy it handed off (the riak_kv#679 class of loss). The counter commits
  without its own fsync (``synchronous=NORMAL``): the coordinator stores the version
  locally right after, with a full sync of the same write-ahead log, which makes the
  counter durable too before the version is sent anywhere. One fsync per put, not two.

Views are saved when their meaning changes (statuses, tokens, generations: not every
heartbeat) and at shutdown.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dynviz.core.membership import Member
from dynviz.net.codec import CodecError, compile_type

_MEMBERS = compile_type(tuple[Member, ...])


class NodeStateError(ValueError):
    """The data directory cannot be used for this node (a user can fix it)."""


class NodeState:
    """The ``meta`` and ``issued`` tables of one node's database."""

    def __init__(self, path: str | Path, synchronous: str = "FULL") -> None:
        self.path = str(path)
        self.synchronous = synchronous
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(f"PRAGMA synchronous={synchronous}")
        self._conn.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
        self._conn.execute("CREATE TABLE IF NOT EXISTS issued (key BLOB PRIMARY KEY, counter INTEGER NOT NULL)")
        self._saved_view: Any = None
        self._counters: sqlite3.Connection | None = None

    def close(self) -> None:
        self._conn.close()
        if self._counters is not None:
            self._counters.close()

    # -- meta ------------------------------------------------------------------------

    def get(self, name: str) -> Any:
        row = self._conn.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else json.loads(row[0])

    def set(self, name: str, value: Any) -> None:
        self._conn.execute("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)",
                           (name, json.dumps(value, sort_keys=True)))

    def claim(self, node_id: str) -> bool:
        """Bind this database to ``node_id``; True when it is new (a first start)."""
        owner = self.get("node")
        if owner is None:
            self.set("node", node_id)
            return True
        if owner != node_id:
            raise NodeStateError(f"{self.path} belongs to node {owner!r}, not {node_id!r}")
        return False

    @property
    def epoch(self) -> int:
        value = self.get("epoch")
        return value if type(value) is int else 0

    @epoch.setter
    def epoch(self, value: int) -> None:
        self.set("epoch", value)

    # -- membership view -------------------------------------------------------------

    def load_view(self) -> tuple[Member, ...] | None:
        raw = self.get("view")
        if raw is None:
            return None
        try:
            members: tuple[Member, ...] = _MEMBERS[1](raw, "saved view")
        except CodecError as exc:
            raise NodeStateError(f"{self.path}: the saved membership view is damaged ({exc})") from None
        return members

    def save_view(self, members: Iterable[Member], force: bool = False) -> bool:
        """Save the view if its meaning changed since the last save (or ``force``)."""
        members = tuple(sorted(members, key=lambda m: m.name))
        meaning = tuple((m.name, m.version, m.generation, m.status, m.tokens, m.pending, m.change, m.seen)
                        for m in members)
        if not force and meaning == self._saved_view:
            return False
        self.set("view", _MEMBERS[0](members))
        self._saved_view = meaning
        return True

    # -- issued counters -------------------------------------------------------------

    def load_issued(self) -> dict[bytes, int]:
        return dict(self._conn.execute("SELECT key, counter FROM issued").fetchall())

    def counters(self) -> DurableCounters:
        """The write-through dict for ``Node.issued`` (see the module docstring)."""
        if self._counters is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            level = "NORMAL" if self.synchronous.upper() in ("FULL", "EXTRA") else self.synchronous
            conn.execute(f"PRAGMA synchronous={level}")
            self._counters = conn
        return DurableCounters(self._counters, self.load_issued())


class DurableCounters(dict[bytes, int]):
    """``Node.issued`` with every change committed to the ``issued`` table first."""

    def __init__(self, conn: sqlite3.Connection, initial: dict[bytes, int]) -> None:
        super().__init__(initial)
        self._conn = conn

    def __setitem__(self, key: bytes, value: int) -> None:
        self._conn.execute("INSERT OR REPLACE INTO issued (key, counter) VALUES (?, ?)", (key, value))
        super().__setitem__(key, value)

    def clear(self) -> None:
        self._conn.execute("DELETE FROM issued")
        super().clear()
