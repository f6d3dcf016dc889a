"""Items as Dynamo objects, and a partition's items as a sorted in-memory view.

Every item is its own Dynamo object (issue 7, section 2). Its key is a *grouped key*
(core/hashing.py): the group ``<table>/<partition-key bytes>`` places it, so all
items of one partition key share a token and a preference list, and the suffix is the
sort-key value as order-preserving bytes (table/keys.py), so each node keeps a
partition's items sorted by sort key and a Query is a range read of that run.

The object's value is one :class:`Entry`: the item, or a tombstone for a deleted
item, with the (virtual) time and sequence number of the write that made it. That
makes the table's resolver last-write-wins *per item*, as DynamoDB behaves: when the
cluster keeps siblings of an item (concurrent writes under ``dvv``/``vclock``), the
table layer takes the newest entry, and its next write supersedes the siblings it
read. Deletes write a tombstone entry rather than deleting the object, so a delete
and a concurrent older write resolve by time like any two writes.

An entry may also carry a transaction's *marker* (transactions.py): the id of the
transaction that holds the item, when it took it, and what the transaction will make
of it. The entry's item stays the last committed image while the marker is there, so
reads that do not know about transactions see committed data only.

A :class:`Collection` is what one range read returns: a partition's live entries,
sorted by sort key, with per-index views built on demand. It is never stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from dynviz.table.indexes import LocalView
from dynviz.table.schema import IndexDef
from dynviz.table.values import Item, b64, item_size, key_native, unb64


@dataclass(frozen=True, slots=True)
class Marker:
    """A transaction's hold on one item: transaction ``txid`` took it at virtual time
    ``at`` and will ``put`` ``image`` there, ``delete`` the item, or only ``check`` it."""

    txid: str
    at: int
    action: str
    image: Item | None = None


class Entry:
    """One item (or its tombstone: ``item`` None) in a collection. ``sk`` is the sort
    key's native value (0 for tables without a sort key), ``sk_av`` its typed value;
    ``marker`` is the transaction holding the item, if any."""

    __slots__ = ("sk", "sk_av", "ts", "seq", "item", "size", "frag", "marker")

    def __init__(self, sk: Any, sk_av: Any, ts: int, seq: int, item: Item | None, size: int,
                 marker: Marker | None = None) -> None:
        self.sk = sk
        self.sk_av = sk_av
        self.ts = ts
        self.seq = seq
        self.item = item
        self.size = size
        self.frag: str | None = None
        self.marker = marker

    def newer_than(self, other: Entry) -> bool:
        return (self.ts, self.seq) > (other.ts, other.seq)

    def fragment(self) -> str:
        if self.frag is None:
            if self.item is not None:
                row: list[Any] = [self.ts, self.seq, _enc_item(self.item), None]
            else:
                row = [self.ts, self.seq, None, _enc_value(self.sk_av) if self.sk_av is not None else None]
            m = self.marker
            if m is not None:  # only then a fifth element: unmarked entries encode as before
                row.append([m.txid, m.at, m.action, _enc_item(m.image) if m.image is not None else None])
            self.frag = json.dumps(row, separators=(",", ":"), ensure_ascii=False)
        return self.frag


class Collection:
    """A partition's live entries as one read saw them, sorted by sort key (immutable),
    with per-index views built once each."""

    __slots__ = ("entries", "_lsi")

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries
        self._lsi: dict[str, LocalView] = {}

    def live_items(self) -> list[Item]:
        return [e.item for e in self.entries if e.item is not None]

    def lsi_view(self, ix: IndexDef) -> LocalView:
        """The partition's view of the LSI ``ix``, sorted, built once per collection."""
        found = self._lsi.get(ix.name)
        if found is None:
            found = self._lsi[ix.name] = LocalView(ix, self.live_items())
        return found


def newest(entries: list[Entry]) -> Entry:
    """Last write wins per item: the entry with the largest (time, sequence)."""
    best = entries[0]
    for e in entries[1:]:
        if e.newer_than(best):
            best = e
    return best


_SETS = ("SS", "NS", "BS")


def merge_sets(entries: list[Entry]) -> Entry:
    """The ``MERGE`` resolver (the paper's shopping cart, section 4.4): the newest live
    entry, its set attributes unioned with those of every other live entry. Adds win:
    an entry that any sibling still holds is live, so a delete concurrent with a write
    is undone, the anomaly the paper reports ("deleted items can resurface")."""
    live = [e for e in entries if e.item is not None]
    if len(live) < 2:
        return live[0] if live else newest(entries)
    base = newest(live)
    assert base.item is not None
    item = dict(base.item)
    for e in live:
        if e is base or e.item is None:
            continue
        for name, av in e.item.items():
            (t, values), = av.items()
            if t not in _SETS:
                continue
            have = item.get(name)
            if have is None:
                item[name] = {t: list(values)}
            elif next(iter(have)) == t:
                mine = have[t]
                same = (lambda v: Decimal(v)) if t == "NS" else (lambda v: v)  # "1" and "1.0" are one number
                known = {same(v) for v in mine}
                item[name] = {t: mine + [v for v in values if same(v) not in known]}
    return Entry(base.sk, base.sk_av, base.ts, base.seq, item, item_size(item))


# ------------------------------------------------------------------------- encoding


def encode_entry(e: Entry) -> bytes:
    """An entry as the bytes of its Dynamo object: deterministic JSON."""
    return e.fragment().encode("utf-8")


def decode_entry(data: bytes, sk_name: str | None) -> Entry:
    ts, seq, item_json, tomb_sk, *rest = json.loads(data)
    marker = None
    if rest:
        txid, at, action, image = rest[0]
        marker = Marker(txid, at, action, _dec_item(image) if image is not None else None)
    if item_json is not None:
        item = _dec_item(item_json)
        sk_av = item[sk_name] if sk_name else None
        return Entry(key_native(sk_av) if sk_av is not None else 0, sk_av, ts, seq, item, item_size(item), marker)
    sk_av = _dec_value(tomb_sk) if tomb_sk is not None else None
    if sk_av is None and sk_name and marker is not None and marker.image is not None:
        sk_av = marker.image[sk_name]
    return Entry(key_native(sk_av) if sk_av is not None else 0, sk_av, ts, seq, None, 0, marker)


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
