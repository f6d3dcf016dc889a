"""Talking to a TCP cluster from outside: requests, admin queries, remembered contexts.

``NetClient`` opens one connection to one node (``--via``), says ``Hello`` as a client
and then sends the same ``ClientPut``/``ClientGet`` messages the simulator's clients
send; replies come back on that connection (relayed by the entry node when another
node coordinated). Request ids are random 62-bit numbers: coordinators key their
state machines by request id, and many independent clients share the cluster.

``ClientState`` is the small file the ``dynviz client`` command keeps contexts in, so
``get`` then ``put`` from two shell commands behaves like a read-modify-write (the
put supersedes exactly what the get saw, paper section 4.4).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dynviz.net.address import parse_addr
from dynviz.net.codec import (
    AdminReply,
    AdminRequest,
    CodecError,
    Hello,
    decode_message,
    encode_message,
)
from dynviz.net.frames import FrameRejected, read_frame, seal, wire_key
from dynviz.node.messages import ClientGet, ClientPut, ClientReply


class NetError(ValueError):
    """A request could not be carried out (unreachable node, timeout, refusal)."""


class NetClient:
    """A connection to one node, for any number of concurrent requests."""

    def __init__(self, via: str, secret: bytes, timeout: float = 5.0, name: str | None = None) -> None:
        self.via = via
        self.key = wire_key(secret)
        self.timeout = timeout
        self.name = name or f"client:{os.getpid()}-{random.getrandbits(32):08x}"
        self.node = ""  # the entry node's id, from its Hello
        self.peers: dict[str, str] = {}
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._waiting: dict[int, asyncio.Future[Any]] = {}
        self._task: asyncio.Task[None] | None = None
        self._rng = random.Random()
        self._closed = ""  # why the connection ended, once it has

    async def __aenter__(self) -> NetClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def connect(self) -> None:
        host, port = parse_addr(self.via, "--via address")
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), self.timeout)
            self._reader, self._writer = reader, writer
            writer.write(seal(self.key, encode_message(Hello(self.name, "client", "", ()))))
            _, body = await asyncio.wait_for(read_frame(reader, self.key), self.timeout)
        except (OSError, TimeoutError) as exc:
            await self.close()
            raise NetError(f"cannot reach a node at {self.via}: {_why(exc)}") from None
        except asyncio.IncompleteReadError:
            await self.close()
            raise NetError(f"{self.via} closed the connection: is the cluster secret the same?") from None
        except FrameRejected as exc:
            await self.close()
            raise NetError(f"{self.via} answered with a frame that failed its check ({exc.reason}): "
                           "is the cluster secret the same?") from None
        hello, _ = decode_message(body)
        if not isinstance(hello, Hello):
            await self.close()
            raise NetError(f"{self.via} did not answer like a dynviz node")
        self.node = hello.id
        self.peers = dict(hello.peers)
        self._task = asyncio.get_running_loop().create_task(self._read())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
            self._task = None
        if self._writer is not None:
            self._writer.close()
            try:
                await self._writer.wait_closed()
            except (OSError, ConnectionError):
                pass
            self._writer = None
        self._fail_waiting(f"the connection to {self.via} closed")

    def _fail_waiting(self, why: str) -> None:
        for fut in self._waiting.values():
            if not fut.done():
                fut.set_exception(NetError(why))
        self._waiting.clear()

    async def _read(self) -> None:
        assert self._reader is not None
        why = f"{self.via} closed the connection"
        try:
            while True:
                _, body = await read_frame(self._reader, self.key)
                msg, _ = decode_message(body)
                req = getattr(msg, "req", None)
                fut = self._waiting.pop(req, None) if isinstance(req, int) else None
                if fut is not None and not fut.done():
                    fut.set_result(msg)
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        except (FrameRejected, CodecError) as exc:
            why = f"{self.via} sent a bad frame: {exc}"
        self._closed = why
        if self._writer is not None:
            self._writer.close()
        self._fail_waiting(why)

    @property
    def connected(self) -> bool:
        """Whether requests can still be sent (the node has not closed the connection)."""
        return self._writer is not None and not self._closed

    async def request(self, msg: Any, timeout: float | None = None) -> Any:
        """Send ``msg`` (it has a ``req`` field) and wait for the reply with that ``req``."""
        if self._writer is None or self._closed:
            raise NetError(self._closed or "not connected")
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[msg.req] = fut
        self._writer.write(seal(self.key, encode_message(msg)))
        try:
            return await asyncio.wait_for(fut, timeout or self.timeout)
        except TimeoutError:
            self._waiting.pop(msg.req, None)
            raise NetError(f"no reply from {self.via} within {timeout or self.timeout:g}s") from None

    def _req(self) -> int:
        return self._rng.getrandbits(62)

    async def put(self, key: bytes, value: bytes | None, context: str | None = None, n: int | None = None,
                  w: int | None = None) -> ClientReply:
        """Write (``value`` None: delete) over ``context`` (None: a blind write)."""
        reply: ClientReply = await self.request(ClientPut(self._req(), self.name, key, value, context, n, w))
        return reply

    async def delete(self, key: bytes, context: str | None = None, w: int | None = None) -> ClientReply:
        return await self.put(key, None, context, w=w)

    async def get(self, key: bytes, n: int | None = None, r: int | None = None) -> ClientReply:
        reply: ClientReply = await self.request(ClientGet(self._req(), self.name, key, n, r))
        return reply

    async def admin(self, op: str, arg: str = "", timeout: float | None = None) -> Any:
        """Ask the node's admin endpoint; returns the decoded JSON body."""
        reply: AdminReply = await self.request(AdminRequest(self._req(), op, arg), timeout)
        if not reply.ok:
            raise NetError(f"{self.node or self.via}: {reply.error}")
        return json.loads(reply.body) if reply.body else None


def _why(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    return getattr(exc, "strerror", None) or str(exc) or exc.__class__.__name__


# -- the client state file ---------------------------------------------------------------


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


@dataclass(slots=True)
class ClientState:
    """Per key: the context of the last successful get or put, and who answered."""

    path: Path
    contexts: dict[bytes, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path) -> ClientState:
        file = Path(path)
        state = cls(file)
        if not file.exists():
            return state
        try:
            doc = json.loads(file.read_text("utf-8"))
            entries: Mapping[str, Any] = doc["contexts"] if isinstance(doc, dict) else {}
            for k, ctx in entries.items():
                if isinstance(k, str) and isinstance(ctx, str):
                    state.contexts[base64.b64decode(k, validate=True)] = ctx
        except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise ValueError(f"client state file {file} is damaged; delete it to start afresh") from None
        return state

    def remember(self, key: bytes, reply: ClientReply) -> None:
        if reply.ok and reply.context is not None:
            self.contexts[key] = reply.context

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        doc = {"version": 1, "contexts": {_b64(k): v for k, v in sorted(self.contexts.items())}}
        tmp.write_text(json.dumps(doc, indent=1, sort_keys=True), "utf-8")
        os.replace(tmp, self.path)
