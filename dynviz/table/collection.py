"""Item collections: how a table's items become Dynamo objects on the ring.

The cluster places a key by ``token_of(key)``, the MD5 of the whole key, and offers no
way to place two keys by a shared prefix. So one Dynamo object holds one *item
collection*: every item with the same partition key, sorted by sort key. Its key is
``<table> \\x00 <partition-key bytes>``, so its preference list is chosen by the MD5 of
the table and partition key, an item collection lives on one preference list, and a
range read is a read of one object followed by a binary search (issue 7, §2).

Each entry carries the (virtual) time and sequence number of the write that made it,
and deletes leave a tombstone entry for a while. That makes last-write-wins *per item*:
when the cluster keeps siblings (resolver ``siblings``, the default), the table layer
merges sibling collections entry by entry, the newest write of each item winning, and
the next write supersedes the siblings it read. With resolver ``lww`` the cluster keeps
one whole collection, so two concurrent writes to different items of one partition can
lose one of them; the table layer cannot undo that.

The price is the store's value limit (1 MiB): an encoded collection must fit in it.
"""

from __future__ import annotations

import bisect
import json
from typing import Any

from dynviz.table.values import Item, b64, item_size, key_native, unb64

TOMBSTONE_TTL = 3600 * 1_000_000
"""How long (virtual µs) a delete's tombstone entry is kept, so an older sibling of the
collection cannot bring the item back when they merge."""


class Entry:
    """One item (or its tombstone: ``item`` None) in a collection. ``sk`` is the sort
    key's native value (0 for tables without a sort key), ``sk_av`` its typed value."""

    __slots__ = ("sk", "sk_av", "ts", "seq", "item", "size", "frag")

    def __init__(self, sk: Any, sk_av: Any, ts: int, seq: int, item: Item | None, size: int) -> None:
        self.sk = sk
        self.sk_av = sk_av
        self.ts = ts
        self.seq = seq
        self.item = item
        self.size = size
        self.frag: str | None = None

    def newer_than(self, other: Entry) -> bool:
        return (self.ts, self.seq) > (other.ts, other.seq)

    def fragment(self) -> str:
        if self.frag is None:
            if self.item is not None:
                row: list[Any] = [self.ts, self.seq, _enc_item(self.item), None]
            else:
                row = [self.ts, self.seq, None, _enc_value(self.sk_av) if self.sk_av is not None else None]
            self.frag = json.dumps(row, separators=(",", ":"), ensure_ascii=False)
        return self.frag


class Collection:
    """An immutable sorted map sort-key -> entry (live items and tombstones)."""

    __slots__ = ("entries", "keys", "_live", "_size", "_lsi")

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries  # sorted by sk
        self.keys = [e.sk for e in entries]
        self._live: list[Entry] | None = None
        self._size: int | None = None
        self._lsi: dict[str, Any] = {}

    EMPTY: Collection

    def live(self) -> list[Entry]:
        if self._live is None:
            self._live = [e for e in self.entries if e.item is not None]
        return self._live

    def get(self, sk: Any) -> Entry | None:
        i = bisect.bisect_left(self.keys, sk)
        if i < len(self.keys) and self.keys[i] == sk:
            return self.entries[i]
        return None

    def item(self, sk: Any) -> Item | None:
        e = self.get(sk)
        return e.item if e is not None else None

    def with_entry(self, entry: Entry, now: int) -> Collection:
        """A new collection with ``entry`` in place of any at its key; old tombstones go."""
        horizon = now - TOMBSTONE_TTL
        entries = [e for e in self.entries if e.item is not None or e.ts >= horizon]
        keys = [e.sk for e in entries]
        i = bisect.bisect_left(keys, entry.sk)
        if i < len(keys) and keys[i] == entry.sk:
            entries[i] = entry
        else:
            entries.insert(i, entry)
        return Collection(entries)

    def items_size(self) -> int:
        """Bytes of the live items by DynamoDB's size formula."""
        if self._size is None:
            self._size = sum(e.size for e in self.live())
        return self._size

    def lsi_view(self, name: str, build: Any) -> Any:
        """A per-index sorted view, built once per collection version."""
        found = self._lsi.get(name)
        if found is None:
            found = self._lsi[name] = build(self)
        return found


Collection.EMPTY = Collection([])


def merge(collections: list[Collection]) -> Collection:
    """Per-item last-write-wins over sibling collections: for each sort key, the entry
    with the largest (time, sequence) wins, tombstones included."""
    if len(collections) == 1:
        return collections[0]
    best: dict[Any, Entry] = {}
    for c in collections:
        for e in c.entries:
            have = best.get(e.sk)
            if have is None or e.newer_than(have):
                best[e.sk] = e
    return Collection([best[k] for k in sorted(best)])


# ------------------------------------------------------------------------- encoding


def encode(c: Collection) -> bytes:
    """Deterministic bytes: JSON, one fragment per entry (cached on the entry, so a
    write re-encodes only the entry it changed)."""
    parts = [e.fragment() for e in c.entries]
    return ('{"v":1,"e":[' + ",".join(parts) + "]}").encode("utf-8")


def decode(data: bytes, sk_name: str | None) -> Collection:
    doc = json.loads(data)
    entries = []
    for ts, seq, item_json, tomb_sk in doc["e"]:
        if item_json is not None:
            item = _dec_item(item_json)
            sk_av = item[sk_name] if sk_name else None
            e = Entry(key_native(sk_av) if sk_av is not None else 0, sk_av, ts, seq, item, item_size(item))
        else:
            sk_av = _dec_value(tomb_sk) if tomb_sk is not None else None
            e = Entry(key_native(sk_av) if sk_av is not None else 0, sk_av, ts, seq, None, 0)
        entries.append(e)
    entries.sort(key=lambda e: e.sk)
    return Collection(entries)


def _enc_value(av: dict[str, Any]) -> Any:
    (t, v), = av.items()
    if t == "B":
        return {"B": b64(v)}
    if t == "BS":
        return {"BS": [b64(x) for x in v]}
    if t == "L":
        return {"L": [_enc_value(x) for x in v]}
    if t == "M":
        return {"M": {k: _enc_value(x) for k, x in v.items()}}
    return av


def _dec_value(av: dict[str, Any]) -> dict[str, Any]:
    (t, v), = av.items()
    if t == "B":
        return {"B": unb64(v)}
    if t == "BS":
        return {"BS": [unb64(x) for x in v]}
    if t == "L":
        return {"L": [_dec_value(x) for x in v]}
    if t == "M":
        return {"M": {k: _dec_value(x) for k, x in v.items()}}
    return av


_PLAIN = frozenset(("S", "N", "BOOL", "NULL", "SS", "NS"))


def _enc_item(item: Item) -> dict[str, Any]:
    return {k: (v if next(iter(v)) in _PLAIN else _enc_value(v)) for k, v in item.items()}


def _dec_item(item: dict[str, Any]) -> Item:
    return {k: (v if next(iter(v)) in _PLAIN else _dec_value(v)) for k, v in item.items()}
