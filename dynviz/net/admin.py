"""The admin endpoint of a node process, and ``RemoteCluster``, a read API over many.

Every node answers ``AdminRequest``s on its ordinary port (same frames, same secret):
snapshots of its state (membership view, ring tokens, key and hint counts, suspects,
transport counters), digests of what it stores (to check replicas converged), one
key's stored versions and hints, its recent events as plain data, and a few actions
that act for real (block or unblock a peer link, run anti-entropy with a peer now,
stop the process). ``RemoteCluster`` asks any number of nodes, starting from one
address, and returns frozen dataclasses: what a TUI attached to a live cluster, the
``status`` command and the tests read.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import os
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dynviz.core.versions import Siblings, Version, digest_siblings
from dynviz.events import Event
from dynviz.net.client import NetClient, NetError
from dynviz.net.codec import AdminReply, AdminRequest, CodecError, compile_type
from dynviz.node import antientropy as _antientropy  # noqa: F401 (registers its Event subclasses)

if TYPE_CHECKING:
    from dynviz.net.process import NodeProcess


# -- snapshots (plain data across the wire) ------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberEntry:
    """One member as one node sees it."""

    name: str
    status: str
    version: int
    generation: int
    heartbeat: int
    tokens: int
    pending: int | None
    heartbeat_age_us: int
    suspected: bool


@dataclass(frozen=True, slots=True)
class NodeSnapshot:
    """A node process's state at one moment, as its admin endpoint reports it."""

    id: str
    address: str
    pid: int
    actor: str
    epoch: int
    uptime_us: int
    restarted: bool
    keys: int
    hints: int
    hints_for: dict[str, int]
    coordinators: int
    suspects: tuple[str, ...]
    members: tuple[MemberEntry, ...]
    ring: dict[str, tuple[str, ...]]
    """node -> its tokens (32 hex digits each), from this node's view."""
    peers: dict[str, str]
    blocked: tuple[str, ...]
    stats: dict[str, int]
    """Transport and process counters: frames, rejections by reason, drops, errors."""
    event_seq: int
    event_counts: dict[str, int]
    """Events emitted since the process started, by type (``HintDelivered``...)."""

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> NodeSnapshot:
        doc = dict(doc)
        doc["members"] = tuple(MemberEntry(**m) for m in doc["members"])
        doc["suspects"] = tuple(doc["suspects"])
        doc["blocked"] = tuple(doc["blocked"])
        doc["ring"] = {k: tuple(v) for k, v in doc["ring"].items()}
        return cls(**doc)


def _show(b: bytes | None) -> str | None:
    return None if b is None else b.decode("utf-8", errors="backslashreplace")


def _plain(value: Any) -> Any:
    """An event field as JSON-ready data (bytes as text, dataclasses as dicts)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, bytes):
        return _show(value)
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return str(value)


def event_json(seq: int, event: Any) -> dict[str, Any]:
    doc = {f.name: _plain(getattr(event, f.name)) for f in dataclasses.fields(event)}
    doc.update(seq=seq, type=type(event).__name__, kind=event.kind, text=event.describe())
    return doc


# -- events, faithfully (the attached TUI rebuilds them as the simulator's dataclasses) ----------


def _event_classes() -> dict[str, type]:
    found: dict[str, type] = {}
    todo = list(Event.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        found.setdefault(cls.__name__, cls)
    return found


_EVENT_CODECS: dict[str, tuple[type, list[str], list[Callable[[Any], Any]], list[Callable[[Any, str], Any]]]] = {}


def _event_codec(name: str) -> tuple[type, list[str], list[Callable[[Any], Any]], list[Callable[[Any, str], Any]]] | None:
    """(class, field names, encoders, decoders) of an event class, compiled from its
    type hints with the wire codec (a field typed ``object`` carries a ``Version``)."""
    found = _EVENT_CODECS.get(name)
    if found is not None:
        return found
    cls = _event_classes().get(name)
    if cls is None:
        return None
    try:
        hints = typing.get_type_hints(cls)
        names = [f.name for f in dataclasses.fields(cls)]
        pairs = [compile_type(Version | None if hints[n] is object else hints[n]) for n in names]
    except (TypeError, NameError):
        return None
    codec = (cls, names, [e for e, _ in pairs], [d for _, d in pairs])
    _EVENT_CODECS[name] = codec
    return codec


def encode_event(seq: int, event: Any) -> list[Any]:
    """``[seq, type name, [field values]]`` (JSON-ready), or ``[seq, type name, None, text]``
    for an event the codec cannot carry (its ``describe()`` text and kind survive)."""
    name = type(event).__name__
    codec = _event_codec(name)
    if codec is not None:
        _, names, encs, _ = codec
        try:
            return [seq, name, [e(getattr(event, n)) for e, n in zip(encs, names, strict=True)]]
        except (TypeError, ValueError, AttributeError):
            pass
    return [seq, name, None, event.describe(), getattr(event, "kind", "event"), getattr(event, "time", 0)]


def decode_event(doc: Any) -> tuple[int, Any] | None:
    """``(seq, event)`` from :func:`encode_event`'s form; None for one that cannot be
    rebuilt (an unknown type, damaged fields)."""
    if type(doc) is not list or len(doc) < 3 or type(doc[0]) is not int or type(doc[1]) is not str:
        return None
    codec = _event_codec(doc[1])
    if codec is None or type(doc[2]) is not list:
        return None
    cls, names, _, decs = codec
    if len(doc[2]) != len(names):
        return None
    try:
        values = [d(v, f"{doc[1]}.{n}") for d, v, n in zip(decs, doc[2], names, strict=True)]
    except (CodecError, RecursionError):
        return None
    return doc[0], cls(*values)


def versions_json(siblings: Siblings | None) -> list[dict[str, Any]] | None:
    if siblings is None:
        return None
    return [
        {"value": None if v.value is None else base64.b64encode(v.value).decode("ascii"),
         "dot": [v.dot[0], v.dot[1]], "clock": v.clock.as_dict(), "timestamp_us": v.timestamp}
        for v in siblings.versions
    ]


# -- the endpoint inside a node process -------------------------------------------------------


class AdminEndpoint:
    """Answers ``AdminRequest``s for one ``NodeProcess``."""

    def __init__(self, process: NodeProcess) -> None:
        self.process = process
        self.ops = {
            "ping": self.ping, "member": self.member, "snapshot": self.snapshot, "digests": self.digests, "inspect": self.inspect,
            "events": self.events, "block": self.block, "unblock": self.unblock,
            "antientropy": self.antientropy, "stop": self.stop,
            "feed": self.feed, "config": self.config, "gossip": self.gossip_round,
        }

    def handle(self, src: str, msg: AdminRequest) -> None:
        proc = self.process
        op = self.ops.get(msg.op)
        proc.stats["admin_requests"] += 1
        if op is None:
            reply = AdminReply(msg.req, False, error=f"unknown admin op {msg.op[:40]!r}; "
                                                   f"known: {', '.join(sorted(self.ops))}")
        else:
            try:
                reply = AdminReply(msg.req, True, json.dumps(op(msg.arg)))
            except ValueError as exc:
                reply = AdminReply(msg.req, False, error=str(exc))
        proc.transport.send(src, reply)  # type: ignore[union-attr]

    def ping(self, arg: str) -> Any:
        return {"id": self.process.options.id}

    def member(self, arg: str) -> Any:
        """This node's entry for member ``arg`` (None if it has none)."""
        found = self.process.gossip.view.get(arg)
        if found is None:
            return None
        return {"name": found.name, "status": found.status, "version": found.version,
                "generation": found.generation, "heartbeat": found.heartbeat}

    def snapshot(self, arg: str) -> Any:
        proc = self.process
        node = proc.node
        assert node is not None and proc.transport is not None and proc.runtime is not None
        gossip = proc.gossip
        fresh = gossip.freshness()
        members = tuple(
            MemberEntry(m.name, m.status, m.version, m.generation, m.heartbeat, len(m.tokens),
                        None if m.pending is None else len(m.pending), fresh[m.name][1], fresh[m.name][2])
            for m in sorted(gossip.view.members.values(), key=lambda m: m.name)
        )
        hints_for: dict[str, int] = {}
        for intended, _key, _s in node.hints.items():
            hints_for[intended] = hints_for.get(intended, 0) + 1
        ring = {name: tuple(f"{t:032x}" for t in node.ring.tokens_of(name)) for name in node.ring.nodes}
        snap = NodeSnapshot(
            id=node.name, address=proc.transport.address, pid=os.getpid(), actor=node.actor,
            epoch=node.epoch, uptime_us=proc.runtime.now() - proc.started_at, restarted=proc.restarted,
            keys=len(node.store), hints=len(node.hints), hints_for=hints_for,
            coordinators=len(node.coordinators), suspects=tuple(node.detector.suspected()),
            members=members, ring=ring, peers={node.name: proc.transport.address, **proc.transport.peers},
            blocked=tuple(sorted(proc.transport.blocked)), stats=dict(proc.stats), event_seq=proc.event_seq,
            event_counts=dict(proc.event_counts),
        )
        return snap.to_json()

    def digests(self, arg: str) -> Any:
        node = self.process.node
        assert node is not None
        keys = [[base64.b64encode(k).decode("ascii"), digest_siblings(s).hex()]  # type: ignore[arg-type]
                for k, s in sorted(node.store.items())]
        hints = [[i, base64.b64encode(k).decode("ascii"), digest_siblings(s).hex()]
                 for i, k, s in node.hints.items()]
        return {"keys": keys, "hints": hints}

    def inspect(self, arg: str) -> Any:
        node = self.process.node
        assert node is not None
        try:
            key = base64.b64decode(arg, validate=True)
        except ValueError:
            raise ValueError("inspect takes a base64 key") from None
        return {
            "stored": versions_json(node.store.get(key)),  # type: ignore[arg-type]
            "hints": [[i, versions_json(s)] for i, s in node.hints.for_key(key)],
            "preference_list": list(node.ring.preference_list(key, node.config.n)),
        }

    def events(self, arg: str) -> Any:
        try:
            since = int(arg or 0)
        except ValueError:
            raise ValueError("events takes the last sequence number seen") from None
        return [event_json(seq, e) for seq, e in self.process.events if seq > since]

    FEED_LIMIT = 400

    def feed(self, arg: str) -> Any:
        """Events after sequence number ``since`` (arg ``since[,limit]``), oldest first, in
        the faithful form of :func:`encode_event`, with this node's clock now (µs on its
        runtime, the clock event times are on) so a reader can place them on its own."""
        proc = self.process
        try:
            since_text, _, limit_text = arg.partition(",")
            since = int(since_text or 0)
            limit = max(1, min(int(limit_text or self.FEED_LIMIT), 2000))
        except ValueError:
            raise ValueError("feed takes SINCE[,LIMIT] (sequence numbers)") from None
        fresh = [(seq, e) for seq, e in proc.events if seq > since]
        oldest = proc.events[0][0] if proc.events else proc.event_seq + 1
        return {
            "now": proc.runtime.now(), "seq": proc.event_seq, "oldest": oldest,  # type: ignore[union-attr]
            "pid": os.getpid(), "more": len(fresh) > limit,
            "events": [encode_event(seq, e) for seq, e in fresh[:limit]],
        }

    def config(self, arg: str) -> Any:
        """The options every member shares (N, R, W, versioning, timings in µs)."""
        o = self.process.options
        return {
            "id": o.id, "n": o.n, "r": o.r, "w": o.w, "strategy": o.strategy, "partitions": o.partitions,
            "vnodes": o.vnodes, "versioning": o.versioning, "resolver": o.resolver, "fsync": o.fsync,
            "gossip_interval": o.gossip_interval, "suspect_after": o.suspect_after,
            "suspect_for": o.suspect_for, "replica_timeout": o.replica_timeout,
            "request_timeout": o.request_timeout, "handoff_interval": o.handoff_interval,
            "antientropy": o.antientropy, "antientropy_interval": o.antientropy_interval,
            "events": o.events, "data": str(Path(o.data).resolve()),
        }

    def gossip_round(self, arg: str) -> Any:
        """One gossip round now (the ``gossip NODE`` command); the peer it gossiped with."""
        return {"peer": self.process.gossip.gossip_once()}

    def _peer(self, arg: str) -> str:
        proc = self.process
        if arg not in proc.gossip.view.members or arg == proc.options.id:
            raise ValueError(f"{arg!r} is not another member of this node's view")
        return arg

    def block(self, arg: str) -> Any:
        self.process.transport.blocked.add(self._peer(arg))  # type: ignore[union-attr]
        return {"blocked": sorted(self.process.transport.blocked)}  # type: ignore[union-attr]

    def unblock(self, arg: str) -> Any:
        self.process.transport.blocked.discard(arg)  # type: ignore[union-attr]
        return {"blocked": sorted(self.process.transport.blocked)}  # type: ignore[union-attr]

    def antientropy(self, arg: str) -> Any:
        peer = self._peer(arg)
        assert self.process.node is not None
        engine = self.process.node.antientropy
        started = engine.exchange_with(peer)  # type: ignore[attr-defined]
        return {"sessions": started}

    def stop(self, arg: str) -> Any:
        proc = self.process
        proc.runtime.set_timer(50_000, proc.stop)  # type: ignore[union-attr]  # after the reply is written
        return {"stopping": proc.options.id}


# -- the read API over a live cluster ---------------------------------------------------------


class RemoteCluster:
    """A live TCP cluster seen through its nodes' admin endpoints (async, one
    connection per node, opened on first use)."""

    def __init__(self, via: str, secret: bytes, timeout: float = 3.0) -> None:
        self.via = via
        self.secret = secret
        self.timeout = timeout
        self.addresses: dict[str, str] = {}
        self.entry = ""  # the id of the node at ``via``
        self._clients: dict[str, NetClient] = {}
        self._connecting: dict[str, asyncio.Lock] = {}

    async def __aenter__(self) -> RemoteCluster:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def connect(self) -> None:
        client = NetClient(self.via, self.secret, self.timeout)
        await client.connect()
        self.entry = client.node
        self._clients[client.node] = client
        self.addresses = dict(client.peers)
        self.addresses[client.node] = self.via

    @property
    def nodes(self) -> list[str]:
        return sorted(self.addresses)

    async def client(self, node: str) -> NetClient:
        found = self._clients.get(node)
        if found is not None and found.connected:
            return found
        addr = self.addresses.get(node)
        if addr is None:
            raise NetError(f"no address known for node {node!r}; the nodes are {', '.join(self.nodes)}")
        lock = self._connecting.setdefault(node, asyncio.Lock())
        async with lock:  # concurrent callers share one connection
            found = self._clients.get(node)
            if found is not None and found.connected:
                return found
            if found is not None:
                await found.close()
            client = NetClient(addr, self.secret, self.timeout)
            await client.connect()
            self._clients[node] = client
            return client

    async def admin(self, node: str, op: str, arg: str = "") -> Any:
        client = await self.client(node)
        try:
            return await client.admin(op, arg)
        except NetError:
            await client.close()
            self._clients.pop(node, None)
            raise

    async def snapshot(self, node: str) -> NodeSnapshot:
        return NodeSnapshot.from_json(await self.admin(node, "snapshot"))

    async def snapshots(self, nodes: Sequence[str] | None = None) -> dict[str, NodeSnapshot | str]:
        """Every node's snapshot, or the reason it could not be had."""
        out: dict[str, NodeSnapshot | str] = {}
        for node in nodes or self.nodes:
            try:
                out[node] = await self.snapshot(node)
            except NetError as exc:
                out[node] = str(exc)
        return out

    async def digests(self, node: str) -> tuple[dict[bytes, str], list[tuple[str, bytes, str]]]:
        """``({key: digest}, [(intended, key, digest) for each hint])`` of one node."""
        doc = await self.admin(node, "digests")
        keys = {base64.b64decode(k): d for k, d in doc["keys"]}
        hints = [(i, base64.b64decode(k), d) for i, k, d in doc["hints"]]
        return keys, hints

    async def inspect(self, node: str, key: bytes) -> dict[str, Any]:
        return await self.admin(node, "inspect", base64.b64encode(key).decode("ascii"))

    async def events(self, node: str, since: int = 0) -> list[dict[str, Any]]:
        return await self.admin(node, "events", str(since))

    async def feed(self, node: str, since: int = 0, limit: int | None = None) -> dict[str, Any]:
        """Events after ``since`` rebuilt as dataclasses: ``{"now", "seq", "oldest", "pid",
        "more", "events": [(seq, event), ...]}`` (events that cannot be rebuilt are left out)."""
        doc = await self.admin(node, "feed", f"{since},{limit}" if limit else str(since))
        doc["events"] = [found for e in doc["events"] if (found := decode_event(e)) is not None]
        return doc

    async def config(self, node: str) -> dict[str, Any]:
        return await self.admin(node, "config")

    async def gossip(self, node: str) -> str | None:
        return (await self.admin(node, "gossip"))["peer"]

    async def block(self, node: str, peer: str) -> None:
        await self.admin(node, "block", peer)

    async def unblock(self, node: str, peer: str) -> None:
        await self.admin(node, "unblock", peer)

    async def antientropy(self, node: str, peer: str) -> int:
        return (await self.admin(node, "antientropy", peer))["sessions"]

    async def stop(self, node: str) -> None:
        await self.admin(node, "stop")

    async def close(self) -> None:
        for client in self._clients.values():
            await client.close()
        self._clients.clear()
