"""``RemoteCluster``: a live TCP cluster read through its nodes' admin endpoints.

It asks any number of nodes, starting from one address (whose ``Hello`` names every
peer), and returns frozen dataclasses and plain data: what a TUI attached to a live
cluster, the ``status`` command, the benchmarks and the tests read. The endpoint it
talks to is ``endpoint.py``; the snapshot it rebuilds is ``snapshot.py``.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Sequence
from typing import Any

from dynviz.net.client import NetClient, NetError
from dynviz.net.eventcodec import decode_event
from dynviz.net.snapshot import NodeSnapshot


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
        """The decoded JSON answer of ``node``'s endpoint to ``op`` (see endpoint.py for
        each op's shape; the typed methods below are what callers should use)."""
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
        doc: dict[str, Any] = await self.admin(node, "inspect", base64.b64encode(key).decode("ascii"))
        return doc

    async def events(self, node: str, since: int = 0) -> list[dict[str, Any]]:
        docs: list[dict[str, Any]] = await self.admin(node, "events", str(since))
        return docs

    async def feed(self, node: str, since: int = 0, limit: int | None = None) -> dict[str, Any]:
        """Events after ``since`` rebuilt as dataclasses: ``{"now", "seq", "oldest", "pid",
        "more", "events": [(seq, event), ...]}`` (events that cannot be rebuilt are left out)."""
        doc: dict[str, Any] = await self.admin(node, "feed", f"{since},{limit}" if limit else str(since))
        doc["events"] = [found for e in doc["events"] if (found := decode_event(e)) is not None]
        return doc

    async def config(self, node: str) -> dict[str, Any]:
        doc: dict[str, Any] = await self.admin(node, "config")
        return doc

    async def gossip(self, node: str) -> str | None:
        peer: str | None = (await self.admin(node, "gossip"))["peer"]
        return peer

    async def block(self, node: str, peer: str) -> None:
        await self.admin(node, "block", peer)

    async def unblock(self, node: str, peer: str) -> None:
        await self.admin(node, "unblock", peer)

    async def antientropy(self, node: str, peer: str) -> int:
        sessions: int = (await self.admin(node, "antientropy", peer))["sessions"]
        return sessions

    async def stop(self, node: str) -> None:
        await self.admin(node, "stop")

    async def close(self) -> None:
        for client in self._clients.values():
            await client.close()
        self._clients.clear()
