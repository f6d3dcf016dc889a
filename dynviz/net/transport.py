"""Node-to-node and client-to-node messaging over TCP, behaving like a lossy network.

One ``Transport`` per node process. It listens for connections and opens one outgoing
connection per peer, lazily on the first message, reusing it after that. A message to
a peer it cannot reach (no known address, connection refused, a backoff after a
failure, a full send buffer) is dropped and counted, as the simulated network drops a
message to a crashed node: the protocol above already copes with loss (timeouts,
fallbacks, hinted handoff, anti-entropy), so the transport never retries a message.

Every connection starts with a ``Hello`` from each side (id, role, address, the
sender's address book). Nodes learn each other's addresses from these, starting from
``--peers`` or seed addresses. Clients connect with role ``client``; a node names
such a connection ``<client id>@<node id>`` and rewrites the ``client`` field of its
requests to that name, so whichever node coordinates the request can send the reply
to that name: the node after the ``@`` relays it down the client's connection.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

from dynviz.net.address import format_addr, parse_addr
from dynviz.net.codec import AdminRequest, CodecError, Hello, decode_message, encode_message
from dynviz.net.frames import FrameRejected, read_frame, seal
from dynviz.node.messages import ClientGet, ClientPut

log = logging.getLogger("dynviz.net")

CONNECT_TIMEOUT = 2.0
HELLO_TIMEOUT = 5.0
BACKOFF_MIN = 0.05
BACKOFF_MAX = 1.0
MAX_PENDING = 4096
"""Frames queued for a peer while its connection opens; more are dropped."""
HIGH_WATER = 32 << 20
"""Bytes buffered for a peer's socket beyond which new messages are dropped."""

CLIENT_MESSAGES = (ClientPut, ClientGet, AdminRequest)
"""What a client connection may send; anything else closes it."""

Deliver = Callable[[str, Any], None]


class _Peer:
    __slots__ = ("name", "writer", "pending", "connecting", "retry_at", "backoff")

    def __init__(self, name: str) -> None:
        self.name = name
        self.writer: asyncio.StreamWriter | None = None
        self.pending: deque[bytes] = deque()
        self.connecting = False
        self.retry_at = 0.0
        self.backoff = BACKOFF_MIN


class Transport:
    """The sockets of one node process (everything runs on one asyncio loop)."""

    def __init__(self, name: str, listen: str, key: bytes, peers: dict[str, str],
                 deliver: Deliver, stats: Counter[str] | None = None) -> None:
        self.name = name
        self.listen = listen
        self.key = key
        self.peers: dict[str, str] = {n: a for n, a in peers.items() if n != name}
        self.deliver = deliver
        self.stats: Counter[str] = stats if stats is not None else Counter()
        self.blocked: set[str] = set()
        self.on_unreachable: Callable[[str, str], None] | None = None
        """Told ``(peer, reason)`` when a connection to a peer cannot be opened: the
        node's failure detector hears of it at once rather than at its next timeout."""
        self.clients: dict[str, asyncio.StreamWriter] = {}
        self._out: dict[str, _Peer] = {}
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loop = asyncio.get_running_loop()
        self.address = listen

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        host, port = parse_addr(self.listen, "listen address")
        self._server = await asyncio.start_server(self._accept, host, port, limit=1 << 16)
        sock = self._server.sockets[0].getsockname()
        self.address = format_addr(host, sock[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for peer in self._out.values():
            if peer.writer is not None:
                peer.writer.close()
        for writer in list(self.clients.values()):
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, coro: Any) -> None:
        task = self._loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def hello(self) -> Hello:
        book = {self.name: self.address, **self.peers}
        return Hello(self.name, "node", self.address, tuple(sorted(book.items())))

    def learn(self, peers: tuple[tuple[str, str], ...], sender: str | None = None) -> None:
        """Merge an address book: a node's claim about its own address wins; others'
        claims only fill in ids we have no address for."""
        for name, addr in peers:
            if name == self.name:
                continue
            try:
                parse_addr(addr)
            except ValueError:
                continue
            if name == sender or name not in self.peers:
                self.peers[name] = addr

    # -- sending -------------------------------------------------------------------------

    def send(self, dst: str, msg: Any) -> None:
        """Best-effort delivery of ``msg`` to node or client ``dst``."""
        if dst == self.name:
            self._loop.call_soon(self._deliver_local, msg)
            return
        if dst in self.blocked:
            self.stats["dropped_blocked"] += 1
            return
        if dst.startswith("client:"):
            writer = self.clients.get(dst)
            if writer is not None:
                self._write(writer, seal(self.key, encode_message(msg)))
                return
            via = dst.rpartition("@")[2]
            if via == self.name or not via:
                self.stats["dropped_client_gone"] += 1
                return
            self._send_frame(via, seal(self.key, encode_message(msg, relay_to=dst)))
            return
        self._send_frame(dst, seal(self.key, encode_message(msg)))

    def _deliver_local(self, msg: Any) -> None:
        self.deliver(self.name, msg)

    def _write(self, writer: asyncio.StreamWriter, frame: bytes) -> bool:
        if writer.is_closing() or writer.transport.get_write_buffer_size() > HIGH_WATER:
            self.stats["dropped_congested"] += 1
            return False
        writer.write(frame)
        self.stats["frames_out"] += 1
        return True

    def _send_frame(self, dst: str, frame: bytes) -> None:
        peer = self._out.get(dst)
        if peer is None:
            peer = self._out[dst] = _Peer(dst)
        writer = peer.writer
        if writer is not None and not writer.is_closing():
            self._write(writer, frame)
            return
        if peer.connecting:
            if len(peer.pending) < MAX_PENDING:
                peer.pending.append(frame)
            else:
                self.stats["dropped_unreachable"] += 1
            return
        if self._loop.time() < peer.retry_at or dst not in self.peers:
            self.stats["dropped_unreachable"] += 1
            return
        peer.pending.append(frame)
        peer.connecting = True
        self._spawn(self._connect(peer))

    async def _connect(self, peer: _Peer) -> None:
        try:
            host, port = parse_addr(self.peers[peer.name])
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(host, port, limit=1 << 16), CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError, KeyError) as exc:
            self.stats["dropped_unreachable"] += len(peer.pending)
            self.stats["connect_failures"] += 1
            peer.pending.clear()
            peer.connecting = False
            peer.retry_at = self._loop.time() + peer.backoff
            peer.backoff = min(BACKOFF_MAX, peer.backoff * 2)
            if self.on_unreachable is not None:
                reason = "connect timed out" if isinstance(exc, TimeoutError) else (
                    getattr(exc, "strerror", None) or "no address")
                self.on_unreachable(peer.name, reason.lower())
            return
        writer.write(seal(self.key, encode_message(self.hello())))
        while peer.pending:
            writer.write(peer.pending.popleft())
            self.stats["frames_out"] += 1
        peer.writer = writer
        peer.connecting = False
        peer.backoff = BACKOFF_MIN
        self.stats["connects"] += 1
        await self._serve(reader, writer, outgoing=peer)

    # -- receiving -----------------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        self.stats["accepted"] += 1
        await self._serve(reader, writer, outgoing=None)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                     outgoing: _Peer | None) -> None:
        """Read frames until the connection ends or sends something it must not."""
        src: str | None = None
        role = "node"
        try:
            _, body = await asyncio.wait_for(read_frame(reader, self.key), HELLO_TIMEOUT)
            hello, _ = decode_message(body)
            if not isinstance(hello, Hello):
                raise FrameRejected("no_hello", type(hello).__name__)
            if outgoing is not None:
                if hello.id != outgoing.name:
                    # Someone else answers at that address now: forget it.
                    log.warning("%s answered at %s's address", hello.id, outgoing.name)
                    self.peers.pop(outgoing.name, None)
                    return
                src = hello.id
                self.learn(hello.peers, sender=hello.id)
            elif hello.role == "client":
                if not hello.id.startswith("client:") or "@" in hello.id or len(hello.id) > 100:
                    raise FrameRejected("malformed", f"bad client id {hello.id[:40]!r}")
                role = "client"
                src = f"{hello.id}@{self.name}"
                self.clients[src] = writer
                writer.write(seal(self.key, encode_message(Hello(self.name, "node", self.address,
                                                                  self.hello().peers))))
            elif hello.role == "node":
                src = hello.id
                self.learn(((hello.id, hello.addr), *hello.peers), sender=hello.id)
                writer.write(seal(self.key, encode_message(self.hello())))
            else:
                raise FrameRejected("malformed", f"unknown role {hello.role[:20]!r}")
            while True:
                raw, body = await read_frame(reader, self.key)
                self.stats["frames_in"] += 1
                msg, relay = decode_message(body)
                if relay is not None:
                    target = self.clients.get(relay)
                    if target is not None:
                        self._write(target, raw)
                    else:
                        self.stats["dropped_client_gone"] += 1
                    continue
                if role == "client":
                    if not isinstance(msg, CLIENT_MESSAGES):
                        raise FrameRejected("forbidden", f"a client sent {type(msg).__name__}")
                    if not isinstance(msg, AdminRequest):
                        msg = msg._replace(client=src, hops=0)
                elif isinstance(msg, Hello):
                    continue
                if src in self.blocked:
                    self.stats["dropped_blocked"] += 1
                    continue
                self.deliver(src, msg)
        except FrameRejected as exc:
            self.stats[f"rejected_{exc.reason}"] += 1
            log.warning("closing connection from %s: %s", _peername(writer), exc)
        except CodecError as exc:
            self.stats["rejected_malformed"] += 1
            log.warning("closing connection from %s: malformed message: %s", _peername(writer), exc)
        except (asyncio.IncompleteReadError, ConnectionError, TimeoutError, OSError):
            pass
        finally:
            if role == "client" and src is not None and self.clients.get(src) is writer:
                del self.clients[src]
            if outgoing is not None and outgoing.writer is writer:
                outgoing.writer = None
            writer.close()


def _peername(writer: asyncio.StreamWriter) -> str:
    try:
        host, port = writer.get_extra_info("peername")[:2]
        return format_addr(host, port)
    except (TypeError, ValueError):
        return "?"
