"""The wire codec: node messages to JSON bytes and back, with strict type checks.

Why JSON and not msgpack: dynviz may not take runtime dependencies beyond textual,
rich and networkx, and the standard library's ``json`` is C-accelerated; a sibling
set already has a canonical JSON encoding (``encode_siblings``) that the SQLite
store uses, so the wire reuses it unchanged. What JSON lacks is types, so the codec
brings them: every message class is registered by name, and each field's encoder and
decoder are compiled once from the class's type hints (``bytes`` as base64,
``Siblings`` through ``encode_siblings``/``decode_siblings``, ``Member`` and other
frozen dataclasses as field lists, tuples as lists). Decoding checks every value
against the declared type (``bool`` is not an ``int``, a tuple has its exact arity)
and rejects unknown message types, so a node's handlers only ever see well-typed
messages, as on the simulator.

A body is ``[type name, [field values in declaration order]]``, or with a third
element, the final destination of a message relayed through a node to a client.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import types
import typing
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from dynviz.core.membership import STATUSES, Member
from dynviz.core.versions import CausalContext, Siblings, VClock, decode_siblings, encode_siblings
from dynviz.node import antientropy, gossip, messages, rebalance

WIRE_VERSION = 3
"""Bumped whenever a body's layout or a registered message's fields change."""


class CodecError(ValueError):
    """A body that is not a well-formed message of a registered type."""


Encoder = Callable[[Any], Any]
Decoder = Callable[[Any, str], Any]


# -- the handshake: the first frame each side sends on a connection ------------------


class Hello(NamedTuple):
    """Who is on the other end of a connection, and the addresses it knows.

    ``role`` is ``node`` or ``client``; ``peers`` is the sender's address book
    (``(node id, host:port)``), merged by the receiver, so a node started with only
    seed addresses learns every peer's address as it meets them.
    """

    id: str
    role: str
    addr: str
    peers: tuple[tuple[str, str], ...] = ()


class AdminRequest(NamedTuple):
    """A question for a node's admin endpoint (``dynviz/net/endpoint.py``): ``op`` names
    it (``snapshot``, ``digests``, ``inspect``, ``events``, ``block``...), ``arg`` is
    its argument as text."""

    req: int
    op: str
    arg: str = ""


class AdminReply(NamedTuple):
    """The answer: ``body`` is JSON text of the op's result (a snapshot as plain data)."""

    req: int
    ok: bool
    body: str = ""
    error: str = ""


# -- primitive encoders and decoders ---------------------------------------------------


def _same(x: Any) -> Any:
    return x


def _exact(tp: type) -> Decoder:
    name = tp.__name__

    def decode(x: Any, where: str) -> Any:
        if type(x) is not tp:
            raise CodecError(f"{where}: expected {name}, got {type(x).__name__}")
        return x

    return decode


def _encode_bytes(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def _decode_bytes(x: Any, where: str) -> bytes:
    if type(x) is not str:
        raise CodecError(f"{where}: expected base64 text, got {type(x).__name__}")
    try:
        return base64.b64decode(x, validate=True)
    except (binascii.Error, ValueError):
        raise CodecError(f"{where}: not valid base64") from None


def _encode_siblings(s: Siblings) -> str:
    return encode_siblings(s).decode("utf-8")


def _decode_siblings(x: Any, where: str) -> Siblings:
    if type(x) is not str:
        raise CodecError(f"{where}: expected a sibling set, got {type(x).__name__}")
    try:
        return decode_siblings(x.encode("utf-8"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise CodecError(f"{where}: {exc}") from None


def _float(x: Any, where: str) -> float:
    if type(x) not in (int, float):
        raise CodecError(f"{where}: expected a number, got {type(x).__name__}")
    return float(x)


# -- compiling encoders and decoders from type hints ----------------------------------

_SPECIAL: dict[Any, tuple[Encoder, Decoder]] = {
    int: (_same, _exact(int)),
    bool: (_same, _exact(bool)),
    str: (_same, _exact(str)),
    float: (_same, _float),
    bytes: (_encode_bytes, _decode_bytes),
    Siblings: (_encode_siblings, _decode_siblings),
}


def compile_type(tp: Any) -> tuple[Encoder, Decoder]:
    """An (encode, decode) pair for values of the type ``tp`` (raises TypeError for a
    type the wire cannot carry, at import time rather than at the first send)."""
    found = _SPECIAL.get(tp)
    if found is not None:
        return found
    if tp is type(None):
        return _same, _none
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (types.UnionType, typing.Union):
        rest = [a for a in args if a is not type(None)]
        if len(rest) != 1 or len(args) != 2:
            raise TypeError(f"only X | None unions can cross the wire, not {tp}")
        return _optional(*compile_type(rest[0]))
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return _homogeneous(*compile_type(args[0]))
        return _fixed([compile_type(a) for a in args])
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _record(tp)
    raise TypeError(f"the wire codec cannot carry values of type {tp!r}")


def _none(x: Any, where: str) -> None:
    if x is not None:
        raise CodecError(f"{where}: expected null")


def _optional(enc: Encoder, dec: Decoder) -> tuple[Encoder, Decoder]:
    def encode(x: Any) -> Any:
        return None if x is None else enc(x)

    def decode(x: Any, where: str) -> Any:
        return None if x is None else dec(x, where)

    return encode, decode


def _homogeneous(enc: Encoder, dec: Decoder) -> tuple[Encoder, Decoder]:
    if enc is _same:
        def encode(x: Any) -> Any:
            return x
    else:
        def encode(x: Any) -> Any:
            return [enc(item) for item in x]

    def decode(x: Any, where: str) -> Any:
        if type(x) is not list:
            raise CodecError(f"{where}: expected a list, got {type(x).__name__}")
        return tuple(dec(item, where) for item in x)

    return encode, decode


def _fixed(parts: list[tuple[Encoder, Decoder]]) -> tuple[Encoder, Decoder]:
    n = len(parts)
    encs = [e for e, _ in parts]
    decs = [d for _, d in parts]
    if all(e is _same for e in encs):
        def encode(x: Any) -> Any:
            return x
    else:
        def encode(x: Any) -> Any:
            return [e(item) for e, item in zip(encs, x, strict=True)]

    def decode(x: Any, where: str) -> Any:
        if type(x) is not list or len(x) != n:
            raise CodecError(f"{where}: expected a list of {n}")
        return tuple(d(item, where) for d, item in zip(decs, x, strict=True))

    return encode, decode


def _record(cls: type) -> tuple[Encoder, Decoder]:
    """A frozen dataclass as the list of its field values, checked on the way in."""
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    parts = [compile_type(hints[name]) for name in names]
    encs = [e for e, _ in parts]
    decs = [d for _, d in parts]
    n = len(names)
    label = cls.__name__

    def encode(x: Any) -> Any:
        return [e(getattr(x, name)) for e, name in zip(encs, names, strict=True)]

    def decode(x: Any, where: str) -> Any:
        if type(x) is not list or len(x) != n:
            raise CodecError(f"{where}: expected a {label} of {n} fields")
        values = [d(item, f"{where}.{name}") for d, item, name in zip(decs, x, names, strict=True)]
        return cls(*values)

    return encode, decode


def _member_pair() -> tuple[Encoder, Decoder]:
    enc, dec = _record(Member)

    def decode(x: Any, where: str) -> Member:
        member: Member = dec(x, where)
        if member.status not in STATUSES:
            raise CodecError(f"{where}: unknown member status {member.status!r}")
        return member

    return enc, decode


def _context_pair() -> tuple[Encoder, Decoder]:
    pairs_enc, pairs_dec = compile_type(tuple[tuple[str, int], ...])

    def encode(c: CausalContext) -> Any:
        return [pairs_enc(c.vv), pairs_enc(c.dots)]

    def decode(x: Any, where: str) -> CausalContext:
        if type(x) is not list or len(x) != 2:
            raise CodecError(f"{where}: expected a causal context")
        vv, dots = pairs_dec(x[0], where), pairs_dec(x[1], where)
        if any(c <= 0 for _, c in (*vv, *dots)) or len({a for a, _ in vv}) != len(vv):
            raise CodecError(f"{where}: malformed causal context")
        return CausalContext.of(dict(vv), dots)

    return encode, decode


def _vclock_pair() -> tuple[Encoder, Decoder]:
    entries_enc, entries_dec = compile_type(tuple[tuple[str, int, int], ...])

    def encode(c: VClock) -> Any:
        return entries_enc(c.entries)

    def decode(x: Any, where: str) -> VClock:
        entries = sorted(entries_dec(x, where))
        if any(c <= 0 for _, c, _ in entries) or len({a for a, _, _ in entries}) != len(entries):
            raise CodecError(f"{where}: malformed vector clock")
        return VClock(tuple(entries))

    return encode, decode


_SPECIAL[Member] = _member_pair()
_SPECIAL[CausalContext] = _context_pair()
_SPECIAL[VClock] = _vclock_pair()


# -- the message registry --------------------------------------------------------------


class _Schema:
    __slots__ = ("cls", "name", "fields", "encoders", "decoders", "identity")

    def __init__(self, cls: type) -> None:
        hints = typing.get_type_hints(cls)
        self.cls = cls
        self.name = cls.__name__
        self.fields: tuple[str, ...] = cls._fields  # type: ignore[attr-defined]  # register() checked it is a NamedTuple
        pairs = [compile_type(hints[f]) for f in self.fields]
        self.encoders = [e for e, _ in pairs]
        self.decoders = [d for _, d in pairs]
        self.identity = all(e is _same for e in self.encoders)


_BY_NAME: dict[str, _Schema] = {}
_BY_CLASS: dict[type, _Schema] = {}


def register(classes: Iterable[type]) -> None:
    """Make message classes (``NamedTuple``s) sendable, by class name."""
    for cls in classes:
        if not (isinstance(cls, type) and issubclass(cls, tuple) and hasattr(cls, "_fields")):
            raise TypeError(f"{cls!r} is not a NamedTuple message class")
        existing = _BY_NAME.get(cls.__name__)
        if existing is not None and existing.cls is not cls:
            raise TypeError(f"two message classes are named {cls.__name__}")
        schema = _Schema(cls)
        _BY_NAME[schema.name] = schema
        _BY_CLASS[cls] = schema


def registered() -> dict[str, type]:
    """Every registered message class by wire name."""
    return {name: s.cls for name, s in _BY_NAME.items()}


register((
    Hello, AdminRequest, AdminReply,
    messages.ClientPut, messages.ClientGet, messages.ClientReply,
    messages.ReplicaPut, messages.ReplicaPutAck, messages.ReplicaGet, messages.ReplicaGetReply,
    messages.ReadRepairPut, messages.HintHandoff, messages.HintHandoffAck,
    messages.ClientRangeGet, messages.ClientRangeReply, messages.ReplicaRangeGet, messages.ReplicaRangeReply,
    gossip.GossipPush, gossip.GossipPull,
    rebalance.TransferTask, rebalance.TransferDone, rebalance.PullRequest, rebalance.PullBatch,
    rebalance.OwnershipHandoff, rebalance.OwnershipHandoffAck,
    antientropy.AEHashes, antientropy.AEInSync, antientropy.AEKeyDigests, antientropy.AEKeyData,
    antientropy.AERefused,
))

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


def encode_message(msg: Any, relay_to: str | None = None) -> bytes:
    """The body bytes for ``msg`` (a registered message)."""
    schema = _BY_CLASS.get(type(msg))
    if schema is None:
        raise CodecError(f"{type(msg).__name__} is not a registered message type")
    values = list(msg) if schema.identity else [e(v) for e, v in zip(schema.encoders, msg, strict=True)]
    doc: list[Any] = [schema.name, values] if relay_to is None else [schema.name, values, relay_to]
    return _dumps(doc).encode("utf-8")


def decode_message(body: bytes) -> tuple[Any, str | None]:
    """``(message, relay destination or None)`` from body bytes; ``CodecError`` on
    anything that is not exactly a registered message with well-typed fields."""
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise CodecError(f"not JSON: {exc.__class__.__name__}") from None
    if type(doc) is not list or len(doc) not in (2, 3):
        raise CodecError("a body is [type, fields] or [type, fields, relay]")
    name, values = doc[0], doc[1]
    schema = _BY_NAME.get(name) if type(name) is str else None
    if schema is None:
        raise CodecError(f"unknown message type {str(name)[:40]!r}")
    relay = doc[2] if len(doc) == 3 else None
    if relay is not None and type(relay) is not str:
        raise CodecError("the relay destination must be a string")
    if type(values) is not list or len(values) != len(schema.fields):
        raise CodecError(f"{name} has {len(schema.fields)} fields")
    try:
        decoded = [d(v, f"{name}.{f}") for d, v, f in zip(schema.decoders, values, schema.fields, strict=True)]
    except RecursionError:
        raise CodecError(f"{name}: nested too deeply") from None
    return schema.cls(*decoded), relay
