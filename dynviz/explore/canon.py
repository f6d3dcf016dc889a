"""A canonical, process-independent hash of an exploration state (issue 17).

The explorer deduplicates states: two paths that leave the cluster in the same state
need exploring once. A pickle is no canonical form (it follows dict insertion order and,
for sets, the order of ``hash(str)``, which changes with ``PYTHONHASHSEED``), so the
state is walked here instead, in an order that depends on the values only:

* dicts and sets are encoded as their items' encodings, sorted;
* an object is its class name and its attributes (slots and ``__dict__``) by name,
  each object encoded once per state and referred to by number after that (the
  cluster's objects point at each other), numbers given in walk order, which is itself
  canonical;
* a function or bound method is its qualified name and its ``__self__``;
* a random generator is its state.

What is *left out* is what names or records a path rather than what will happen next:
the trace and its hash, the event bus, the results log, message ids (the network's
counter and the keys of its in-flight tables), the scheduler's sequence numbers and
counters (a scheduler entry a coordinator keeps as its timer handle is walked without
its sequence number), and the timers' numbers. Left out too, because the explorer never lets time
move, are a message's send and due times and the network's random generator (it only
draws latencies and loss, and the explorer holds every message and sets no loss).
Leaving something out can only merge states that differ in it; each item here is
either a name, a log, or a time the explorer never lets matter. Everything else is
kept, so two states hash alike only when the nodes, clients and network will behave
alike from there.

Request ids: a client request's id is the cluster's count of requests, so it depends on
the order the explorer issued them in. ``reqs`` maps each id the explorer issued to a
label naming the request by its client and place in that client's program ("alice#1"),
and the walk writes the label wherever a request id is held: ``req`` fields and
attributes, the keys of the dicts in ``REQUEST_KEYED``, and a node's ``seen_requests``.
Two states whose requests were numbered in another order then hash alike. (A request id
held anywhere else is written as the number: fewer merges, never a wrong one.)

Symmetry: ``rename`` maps strings and byte strings to others (clients to clients, their
values to values); the state's hash is the least over the renamings the explorer
passes in, so states that differ only by swapping interchangeable clients are one.
"""

from __future__ import annotations

import hashlib
import struct
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from random import Random
from types import BuiltinMethodType, FunctionType, MethodType
from typing import Any

from dynviz.core.ring import Ring
from dynviz.events import EventBus, Trace

SKIP_ATTRIBUTES = frozenset({
    # a log or a name, not what happens next
    "trace", "bus", "results", "_trace_lines", "events_run", "_cancelled", "sequence",
    "_next_id", "dropped_count", "last_drop", "timers", "in_flight", "_kinds", "_handlers",
    "_lines", "_deliver_bound",  # the network's cache of trace lines, its bound delivery
    # the network draws only latencies and loss, which the explorer holds and sets to 0
    "rng_network",
    # observers the explorer installed itself (their state is walked where they live)
    "version_observer", "monitor", "_monitor", "tap", "_version_observer", "_write_watchers",
    "on_cluster", "_finished", "recorder", "executor",
})
"""Attribute names never walked (see the module docstring for why each can go)."""

REQUEST_KEYED = frozenset({"coordinators", "_requests", "_answered", "_write_of", "_tombstones"})
"""Attributes holding dicts keyed by client request id (a node's coordinators, the
invariants' and the history's books): their keys are labelled like ``req`` fields."""

_SKIP_TYPES = (EventBus, Trace)
_DERIVED: tuple[type, ...] = (Ring,)
"""Types computed from state walked elsewhere: a ring is a function of the members'
tokens (in every node's gossip view), and walking its token table costs more than the
rest of a small cluster."""
_PACK = struct.Struct(">q").pack


class Multiset(list[Any]):
    """A list whose order means nothing: walked as its items' encodings, sorted."""


class Canon:
    """One walk of one state: :meth:`digest` is the hash (see the module docstring)."""

    __slots__ = ("rename", "memo", "skip", "cache", "reqs")

    def __init__(self, rename: Mapping[Any, Any] | None = None,
                 skip: Callable[[Any, str], bool] | None = None,
                 cache: dict[Any, bytes] | None = None, reqs: Mapping[int, str] | None = None) -> None:
        self.rename = rename or {}
        self.memo: dict[int, int] = {}
        self.skip = skip
        self.reqs: Mapping[int, str] = reqs or {}
        if cache is None:
            key = tuple(sorted(self.rename.items(), key=repr))
            cache = _CACHES.get(key)
            if cache is None:
                cache = _CACHES[key] = {}
        self.cache: dict[Any, bytes] = cache

    def digest(self, *roots: Any) -> str:
        out: list[bytes] = []
        for root in roots:
            self.walk(root, out)
        return hashlib.sha256(b"".join(out)).hexdigest()

    def encode(self, obj: Any) -> bytes:
        out: list[bytes] = []
        self.walk(obj, out)
        return b"".join(out)

    def _alone(self, obj: Any) -> bytes:
        """``obj`` encoded with a memo of its own: a dict key or set element, whose
        encoding must not depend on where in the walk it was met."""
        kind = type(obj)
        if kind is str or kind is bytes:
            obj = self.rename.get(obj, obj)
            data: bytes = obj.encode() if kind is str else obj
            return (b"s" if kind is str else b"b") + _PACK(len(data)) + data
        if kind is int and -(1 << 63) <= obj < (1 << 63):
            return b"i" + _PACK(obj)
        return Canon(self.rename, self.skip, self.cache, self.reqs).encode(obj)

    def walk(self, obj: Any, out: list[bytes]) -> None:  # noqa: C901 - one case per kind of value
        kind = type(obj)
        if obj is None or kind is bool:
            out.append(b"N" if obj is None else (b"T" if obj else b"F"))
        elif kind is int:
            out.append(b"i" + (_PACK(obj) if -(1 << 63) <= obj < (1 << 63) else str(obj).encode() + b";"))
        elif kind is str:
            obj = self.rename.get(obj, obj)
            data = obj.encode()
            out.append(b"s" + _PACK(len(data)) + data)
        elif kind is bytes:
            obj = self.rename.get(obj, obj)
            out.append(b"b" + _PACK(len(obj)) + obj)
        elif kind is float:
            out.append(b"f" + struct.pack(">d", obj))
        elif kind is list and len(obj) == 4 and type(obj[1]) is int and type(obj[3]) is tuple and (
                obj[2] is None or callable(obj[2])):
            self._entry(obj, out)
        elif kind is tuple or kind is list:
            out.append(b"(" + _PACK(len(obj)))
            for item in obj:
                self.walk(item, out)
        elif kind is dict:
            self._items(((self._alone(k), v) for k, v in obj.items()), len(obj), out)
        elif kind is set or kind is frozenset or kind is Multiset:
            out.append(b"{" + _PACK(len(obj)) + b"".join(sorted(self._alone(item) for item in obj)))
        elif kind is deque:
            self.walk(list(obj), out)
        elif isinstance(obj, type):
            out.append(b"c" + obj.__module__.encode() + b"." + obj.__qualname__.encode() + b";")
        elif isinstance(obj, tuple):  # a NamedTuple (the node messages): its class and fields
            self._value(obj, out)
        elif isinstance(obj, _SKIP_TYPES) or kind in _DERIVED:
            out.append(b"-")
        elif isinstance(obj, Random):
            version, words, gauss = obj.getstate()
            out.append(b"R" + hashlib.sha256(array("I", words).tobytes() + repr((version, gauss)).encode()).digest())
        elif isinstance(obj, (FunctionType, BuiltinMethodType)):
            out.append(b"q" + obj.__qualname__.encode() + b";")
        elif isinstance(obj, MethodType):
            out.append(b"m" + obj.__func__.__qualname__.encode() + b";")
            self.walk(obj.__self__, out)
        elif isinstance(obj, partial):
            out.append(b"p")
            self.walk(obj.func, out)
            self.walk(obj.args, out)
            self.walk(obj.keywords, out)
        else:
            self._object(obj, out)

    def _value(self, obj: Any, out: list[bytes]) -> None:
        """A value object (a frozen dataclass or a NamedTuple: versions, members,
        messages): encoded on its own and remembered by value, since every clone of a
        state holds equal copies of the same few hundred of them."""
        cache: dict[Any, bytes] | None = self.cache
        req = getattr(obj, "req", None)
        key = obj if req is None else (obj, self.reqs.get(req))  # the same message means another request elsewhere
        try:
            found = self.cache.get(key)
        except TypeError:  # holds something unhashable: encode it every time
            found = None
            cache = None
        if found is None:
            parts: list[bytes] = []
            alone = Canon(self.rename, self.skip, self.cache, self.reqs)
            if isinstance(obj, tuple):
                parts.append(b"t" + type(obj).__qualname__.encode() + b";" + _PACK(len(obj)))
                names = getattr(type(obj), "_fields", ())
                for number, item in enumerate(obj):
                    if type(item) is int and number < len(names) and names[number] == "req":
                        item = self.reqs.get(item, item)
                    alone.walk(item, parts)
            else:
                alone.memo[id(obj)] = 0
                alone._fields(obj, parts)
            found = b"".join(parts)
            if cache is not None:
                if len(cache) > _CACHE_LIMIT:
                    cache.clear()
                cache[key] = found
        out.append(found)

    def _entry(self, entry: list[Any], out: list[bytes]) -> None:
        """A scheduler entry ``[time, seq, fn, args]`` (a timer handle a coordinator
        keeps): its time, what it runs and with what, not its sequence number; for a
        node's timer (``SimRuntime._fire``) not its number either (both name a path)."""
        time, _seq, fn, args = entry
        if getattr(fn, "__name__", "") == "_fire" and len(args) == 4:
            args = args[:3]
        out.append(b"E")
        self.walk(time, out)
        self.walk(fn, out)
        self.walk(args, out)

    def _items(self, pairs: Iterable[tuple[bytes, Any]], count: int, out: list[bytes]) -> None:
        out.append(b"d" + _PACK(count))
        for key, value in sorted(pairs, key=lambda pair: pair[0]):
            out.append(key)
            self.walk(value, out)

    def _object(self, obj: Any, out: list[bytes]) -> None:
        if type(obj) in _VALUE_TYPES or _is_value(type(obj)):
            self._value(obj, out)
            return
        seen = self.memo.get(id(obj))
        if seen is not None:
            out.append(b"@" + _PACK(seen))
            return
        self.memo[id(obj)] = len(self.memo)
        self._fields(obj, out)

    def _fields(self, obj: Any, out: list[bytes]) -> None:
        cls = type(obj)
        out.append(b"o" + cls.__qualname__.encode() + b";")
        if hasattr(cls, "__members__") and hasattr(obj, "value"):  # an Enum member
            self.walk(obj.value, out)
            return
        names = sorted(set(_slots(cls)) | set(getattr(obj, "__dict__", ())))
        skip = self.skip
        for name in names:
            if name in SKIP_ATTRIBUTES or (skip is not None and skip(obj, name)):
                continue
            try:
                value = getattr(obj, name)
            except AttributeError:  # a slot never set
                continue
            data = name.encode()
            out.append(b"." + data + b";")
            if self.reqs:
                value = self._label(name, value)
            self.walk(value, out)

    def _label(self, name: str, value: Any) -> Any:
        """Request ids in the places that hold them (``REQUEST_KEYED``), as the labels
        the explorer gave them ("alice#0": Alice's first operation)."""
        reqs = self.reqs
        if name == "req" and type(value) is int:
            return reqs.get(value, value)
        if name in REQUEST_KEYED and type(value) is dict:
            return {reqs.get(k, k) if type(k) is int else k: v for k, v in value.items()}
        if name == "seen_requests" and type(value) is dict:
            return {(k[0], reqs.get(k[1], k[1])) if type(k) is tuple and len(k) == 2 else k: v
                    for k, v in value.items()}
        return value


_CACHE_LIMIT = 200_000
_CACHES: dict[tuple[tuple[Any, Any], ...], dict[Any, bytes]] = {}
"""Value objects' encodings, by renaming (the identity's, and one per symmetry swap)."""

_VALUE_TYPES: set[type] = set()
_NOT_VALUE_TYPES: set[type] = set()


def _is_value(cls: type) -> bool:
    """A frozen dataclass: a value, equal copies encode alike (see ``Canon._value``)."""
    if cls in _NOT_VALUE_TYPES:
        return False
    params = getattr(cls, "__dataclass_params__", None)
    if params is not None and params.frozen:
        _VALUE_TYPES.add(cls)
        return True
    _NOT_VALUE_TYPES.add(cls)
    return False


_SLOTS: dict[type, tuple[str, ...]] = {}


def _slots(cls: type) -> tuple[str, ...]:
    """Every slot name of ``cls`` and its bases (cached: the walk asks per object)."""
    found = _SLOTS.get(cls)
    if found is None:
        names: list[str] = []
        for klass in cls.__mro__:
            slots = klass.__dict__.get("__slots__", ())
            names.extend((slots,) if isinstance(slots, str) else slots)
        found = _SLOTS[cls] = tuple(n for n in names if n not in ("__dict__", "__weakref__"))
    return found
