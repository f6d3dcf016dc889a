"""Promises of dynviz.storage: both engines behave like a dict with ring-ordered range
scans, sqlite keeps exactly what was written across close/reopen, and bad configuration
fails with a clear message."""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from dynviz.core.hashing import RING_SIZE, grouped_key, token_of
from dynviz.storage import (
    MAX_VALUE_BYTES,
    MemoryStore,
    StorageError,
    Store,
    check_value_size,
    open_store,
)
from dynviz.storage.sqlite import SqliteStore


@dataclass(frozen=True, slots=True)
class Sib:
    """A stand-in sibling set: storage must treat it as opaque."""

    versions: tuple[bytes, ...]


def encode(s: Sib) -> bytes:
    return json.dumps([v.hex() for v in s.versions]).encode()


def decode(b: bytes) -> Sib:
    return Sib(tuple(bytes.fromhex(v) for v in json.loads(b)))


CODEC = (encode, decode)
ENGINES = ["memory", "sqlite"]


def make(engine: str, path: Path, **kw) -> Store:
    if engine == "memory":
        return open_store("memory")
    return open_store("sqlite", str(path / "node.db"), codec=CODEC, **kw)


def in_ring_order(model: dict[bytes, object], lo: int, hi: int) -> list[tuple[int, bytes]]:
    """The model of keys_in_range: tokens in (lo, hi], clockwise from just after lo."""
    width = (hi - lo) % RING_SIZE or RING_SIZE
    picked = [(token_of(k), k) for k in model]
    picked = [(t, k) for t, k in picked if 1 <= ((t - lo) % RING_SIZE or RING_SIZE) <= width]
    return sorted(picked, key=lambda tk: ((tk[0] - lo - 1) % RING_SIZE, tk[1]))


keys_st = st.one_of(
    st.binary(max_size=3),
    # grouped keys: many keys on one token, ordered by their suffix
    st.builds(grouped_key, st.sampled_from([b"g", b"h"]), st.binary(max_size=2)),
)
values_st = st.builds(Sib, st.lists(st.binary(max_size=4), max_size=3).map(tuple))
tokens_st = st.one_of(
    st.integers(0, RING_SIZE - 1),
    st.sampled_from([0, 1, RING_SIZE - 1, RING_SIZE // 2]),
    keys_st.map(token_of),
)


class StoreMachine(RuleBasedStateMachine):
    """Random operations against a dict model; sqlite also closes and reopens."""

    engine = "memory"

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="dynviz-store-"))
        self.model: dict[bytes, Sib] = {}
        self.store = make(self.engine, self.dir, synchronous="OFF")

    @initialize()
    def start_empty(self) -> None:
        assert len(self.store) == 0

    @rule(key=keys_st, value=values_st)
    def put(self, key: bytes, value: Sib) -> None:
        self.store.put(key, value)
        self.model[key] = value

    @rule(key=keys_st)
    def delete(self, key: bytes) -> None:
        self.store.delete(key)
        self.model.pop(key, None)

    @rule(key=keys_st)
    def get(self, key: bytes) -> None:
        assert self.store.get(key) == self.model.get(key)
        assert (key in self.store) == (key in self.model)

    @rule(lo=tokens_st, hi=tokens_st)
    def keys_in_range(self, lo: int, hi: int) -> None:
        assert list(self.store.keys_in_range(lo, hi)) == in_ring_order(self.model, lo, hi)

    @rule(group=st.sampled_from([b"g", b"h", b"\x00"]), start=st.binary(max_size=2),
          end=st.none() | st.binary(max_size=2), limit=st.integers(0, 5), reverse=st.booleans())
    def keys_at(self, group: bytes, start: bytes, end: bytes | None, limit: int, reverse: bool) -> None:
        token = token_of(grouped_key(group))
        lo, hi = grouped_key(group, start), None if end is None else grouped_key(group, end)
        want = sorted(k for k in self.model if token_of(k) == token and k >= lo and (hi is None or k < hi))
        if reverse:
            want.reverse()
        assert self.store.keys_at(token, lo, hi, limit, reverse) == want[:limit]

    @rule()
    def reopen(self) -> None:
        if self.engine == "sqlite":
            self.store.close()
            self.store = make(self.engine, self.dir, synchronous="OFF")

    @rule()
    def clear(self) -> None:
        self.store.clear()
        self.model.clear()

    @invariant()
    def same_contents(self) -> None:
        assert len(self.store) == len(self.model)
        assert dict(self.store.items()) == self.model

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class MemoryMachine(StoreMachine):
    engine = "memory"


class SqliteMachine(StoreMachine):
    engine = "sqlite"


TestMemoryStoreAgainstModel = MemoryMachine.TestCase
TestMemoryStoreAgainstModel.settings = settings(max_examples=60, stateful_step_count=40)
TestSqliteStoreAgainstModel = SqliteMachine.TestCase
TestSqliteStoreAgainstModel.settings = settings(
    max_examples=40, stateful_step_count=30, deadline=None
)


@pytest.fixture(params=ENGINES)
def store(request, tmp_path):
    s = make(request.param, tmp_path)
    yield s
    s.close()


def test_engines_satisfy_the_protocol(store):
    assert isinstance(store, Store)


def test_basic_operations(store):
    a, b = Sib((b"1",)), Sib((b"2", b"3"))
    assert store.get(b"k") is None and b"k" not in store and len(store) == 0
    store.put(b"k", a)
    store.put(b"j", b)
    store.put(b"k", b)
    assert store.get(b"k") == b and b"k" in store and len(store) == 2
    store.delete(b"k")
    store.delete(b"k")
    store.delete(b"never")
    assert store.get(b"k") is None and len(store) == 1
    assert list(store.items()) == [(b"j", b)]
    store.clear()
    assert len(store) == 0 and list(store.keys_in_range(0, 0)) == []


def test_keys_in_range_wraps_and_covers_the_ring(store):
    keys = [str(i).encode() for i in range(200)]
    for k in keys:
        store.put(k, Sib((k,)))
    model = dict.fromkeys(keys)
    tokens = sorted(token_of(k) for k in keys)
    lo, hi = tokens[150], tokens[20]  # wraps past zero
    got = list(store.keys_in_range(lo, hi))
    assert got == in_ring_order(model, lo, hi)
    assert len(got) == 49 + 21 and got[0][0] == tokens[151] and got[-1][0] == hi
    assert len(list(store.keys_in_range(lo, lo))) == 200
    assert [t for t, _ in store.keys_in_range(tokens[10], tokens[12])] == tokens[11:13]


def test_iterators_are_snapshots(store):
    for i in range(20):
        store.put(bytes([i]), Sib(()))
    for _, key in store.keys_in_range(0, 0):
        store.delete(key)
    assert len(store) == 0


def test_memory_store_keeps_the_object_itself():
    s = MemoryStore()
    v = Sib((b"x",))
    s.put(b"k", v)
    assert s.get(b"k") is v


def test_sqlite_close_and_reopen_returns_exactly_what_was_written(tmp_path):
    path = tmp_path / "node.db"
    s = SqliteStore(path, codec=CODEC)
    written = {str(i).encode(): Sib((bytes([i]) * i,)) for i in range(50)}
    for k, v in written.items():
        s.put(k, v)
    for i in range(0, 50, 3):
        s.delete(str(i).encode())
        del written[str(i).encode()]
    s.put(b"empty", Sib(()))
    written[b"empty"] = Sib(())
    s.close()
    s.close()  # idempotent
    again = SqliteStore(path, codec=CODEC)
    assert dict(again.items()) == written
    assert list(again.keys_in_range(0, 0)) == in_ring_order(written, 0, 0)
    again.close()


def test_sqlite_tables_in_one_file_are_independent(tmp_path):
    path = tmp_path / "node.db"
    versions = SqliteStore(path, table="versions", codec=CODEC)
    hints = SqliteStore(path, table="hints", codec=CODEC)
    versions.put(b"k", Sib((b"v",)))
    hints.put(b"h", Sib((b"w",)))
    assert list(versions.items()) == [(b"k", Sib((b"v",)))]
    assert list(hints.items()) == [(b"h", Sib((b"w",)))]
    hints.clear()
    assert len(versions) == 1 and len(hints) == 0
    versions.close()
    hints.close()


def test_sqlite_uses_wal_and_the_requested_synchronous_level(tmp_path):
    s = SqliteStore(tmp_path / "n.db", synchronous="normal", codec=CODEC)
    assert s._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert s._conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    s.close()


@pytest.mark.parametrize("level", ["fast", "", "FULL; DROP TABLE versions"])
def test_bad_synchronous_level_is_a_clear_error(tmp_path, level):
    with pytest.raises(StorageError, match="OFF, NORMAL, FULL, EXTRA"):
        SqliteStore(tmp_path / "n.db", synchronous=level, codec=CODEC)


@pytest.mark.parametrize("table", ["Versions", "v1", "", "x; DROP", "sqlite_master", "a-b"])
def test_bad_table_name_is_a_clear_error(tmp_path, table):
    with pytest.raises(StorageError, match="table name"):
        SqliteStore(tmp_path / "n.db", table=table, codec=CODEC)


def test_open_store_errors():
    with pytest.raises(ValueError, match="unknown storage engine 'rocks'.*memory, sqlite"):
        open_store("rocks")
    with pytest.raises(ValueError, match="needs a path"):
        open_store("sqlite")
    with pytest.raises(ValueError, match="no options"):
        open_store("memory", synchronous="FULL")


def test_sqlite_default_codec_is_the_versions_codec(tmp_path):
    versions = pytest.importorskip("dynviz.core.versions")
    s = SqliteStore(tmp_path / "n.db")
    assert s._encode is versions.encode_siblings and s._decode is versions.decode_siblings
    s.close()


def test_sqlite_round_trips_real_sibling_sets_with_the_default_codec(tmp_path):
    versions = pytest.importorskip("dynviz.core.versions")
    vv = versions.versioning("dvv")
    one = vv.new_version(versions.Siblings.EMPTY, versions.EMPTY_CONTEXT, b"v1", "a", 1)
    two = vv.new_version(versions.Siblings.EMPTY, versions.EMPTY_CONTEXT, None, "b", 2)
    sibs = versions.Siblings((one,))
    stored = vv.merge(sibs, versions.Siblings((two,)))
    s = SqliteStore(tmp_path / "n.db")
    s.put(b"k", stored)
    s.close()
    again = SqliteStore(tmp_path / "n.db")
    assert again.get(b"k") == stored
    again.close()


def test_check_value_size():
    check_value_size(b"")
    check_value_size(bytes(MAX_VALUE_BYTES))
    with pytest.raises(StorageError, match=r"2097152 bytes.*1 MiB \(1048576 bytes\)"):
        check_value_size(bytes(2 * MAX_VALUE_BYTES))
    with pytest.raises(ValueError):
        check_value_size(bytes(MAX_VALUE_BYTES + 1))
