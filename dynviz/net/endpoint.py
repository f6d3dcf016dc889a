"""The admin endpoint inside a node process: ``AdminRequest`` in, ``AdminReply`` out.

Every node answers admin requests on its ordinary port (same frames, same secret):
snapshots of its state (membership view, ring tokens, key and hint counts, suspects,
transport counters), digests of what it stores (to check replicas converged), one
key's stored versions and hints, its recent events as plain data or in the faithful
form the attached TUI rebuilds, and a few actions that act for real (block or
unblock a peer link, one gossip round or anti-entropy with a peer now, stop the
process). The endpoint never touches a socket: the process hands it each request and
sends the reply it returns, and it reads the process only through the process's
public properties and methods. ``RemoteCluster`` (``remote.py``) is the other side.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dynviz.core.units import MS
from dynviz.core.versions import Siblings, digest_siblings
from dynviz.net.codec import AdminReply, AdminRequest
from dynviz.net.eventcodec import encode_event, event_json
from dynviz.net.snapshot import MemberEntry, NodeSnapshot

if TYPE_CHECKING:
    from dynviz.net.process import NodeProcess

STOP_DELAY = 50 * MS
"""How long ``stop`` waits before stopping the process: its reply is written first."""


def versions_json(siblings: Siblings | None) -> list[dict[str, Any]] | None:
    if siblings is None:
        return None
    return [
        {"value": None if v.value is None else base64.b64encode(v.value).decode("ascii"),
         "dot": [v.dot[0], v.dot[1]], "clock": v.clock.as_dict(), "timestamp_us": v.timestamp}
        for v in siblings.versions
    ]


class AdminEndpoint:
    """Answers ``AdminRequest``s for one ``NodeProcess``."""

    FEED_LIMIT = 400

    def __init__(self, process: NodeProcess) -> None:
        self.process = process
        self.ops: dict[str, Callable[[str], Any]] = {
            "ping": self.ping, "member": self.member, "snapshot": self.snapshot, "digests": self.digests, "inspect": self.inspect,
            "events": self.events, "block": self.block, "unblock": self.unblock,
            "antientropy": self.antientropy, "stop": self.stop,
            "feed": self.feed, "config": self.config, "gossip": self.gossip_round,
        }

    def handle(self, msg: AdminRequest) -> AdminReply:
        """The reply to ``msg``: the op's result as JSON, or the reason it failed (an
        unknown op, or a ``ValueError`` the op raised about its argument)."""
        op = self.ops.get(msg.op)
        if op is None:
            return AdminReply(msg.req, False, error=f"unknown admin op {msg.op[:40]!r}; "
                                                    f"known: {', '.join(sorted(self.ops))}")
        try:
            return AdminReply(msg.req, True, json.dumps(op(msg.arg)))
        except ValueError as exc:
            return AdminReply(msg.req, False, error=str(exc))

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
            id=node.name, address=proc.address, pid=os.getpid(), actor=node.actor,
            epoch=node.epoch, uptime_us=proc.uptime_us, restarted=proc.restarted,
            keys=len(node.store), hints=len(node.hints), hints_for=hints_for,
            coordinators=len(node.coordinators), suspects=tuple(node.detector.suspected()),
            members=members, ring=ring, peers=proc.address_book,
            blocked=proc.blocked, stats=dict(proc.stats), event_seq=proc.events.seq,
            event_counts=dict(proc.events.counts),
        )
        return snap.to_json()

    def digests(self, arg: str) -> Any:
        node = self.process.node
        keys = [[base64.b64encode(k).decode("ascii"), digest_siblings(s).hex()]
                for k, s in sorted(node.store.items())]
        hints = [[i, base64.b64encode(k).decode("ascii"), digest_siblings(s).hex()]
                 for i, k, s in node.hints.items()]
        return {"keys": keys, "hints": hints}

    def inspect(self, arg: str) -> Any:
        try:
            key = base64.b64decode(arg, validate=True)
        except ValueError:
            raise ValueError("inspect takes a base64 key") from None
        node = self.process.node
        return {
            "stored": versions_json(node.store.get(key)),
            "hints": [[i, versions_json(s)] for i, s in node.hints.for_key(key)],
            "preference_list": list(node.ring.preference_list(key, node.config.n)),
        }

    def events(self, arg: str) -> Any:
        try:
            since = int(arg or 0)
        except ValueError:
            raise ValueError("events takes the last sequence number seen") from None
        return [event_json(seq, e) for seq, e in self.process.events.since(since)]

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
        fresh = proc.events.since(since)
        return {
            "now": proc.now(), "seq": proc.events.seq, "oldest": proc.events.oldest,
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
        self.process.block(self._peer(arg))
        return {"blocked": list(self.process.blocked)}

    def unblock(self, arg: str) -> Any:
        self.process.unblock(arg)
        return {"blocked": list(self.process.blocked)}

    def antientropy(self, arg: str) -> Any:
        peer = self._peer(arg)
        return {"sessions": self.process.node.antientropy.exchange_with(peer)}

    def stop(self, arg: str) -> Any:
        self.process.stop_after(STOP_DELAY)
        return {"stopping": self.process.options.id}
