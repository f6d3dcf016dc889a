"""The HTTP server: aiohttp around an :class:`~dynviz.wire.operations.Endpoint`.

The cluster is synchronous and deterministic, so requests are served one at a time: an
``asyncio.Lock`` admits one, and its table call (which runs the simulation until the
cluster answers) runs on a single worker thread, so the event loop keeps reading
requests and answering ``GET /`` while a long Scan runs. Two table calls never run at
once.

Virtual time follows the wall clock while serving (``clock="wall"``, DESIGN §8): before
each request, and once a second while idle, the cluster runs until its clock has moved
as far as the wall clock has since the server started, so GSI propagation, stream
trimming and the capacity buckets see time pass between requests. With
``clock="requests"`` virtual time moves only while requests run, and the same requests
give the same answers.

In the app (``dynviz --dynamodb PORT``) the server runs on the app's own event loop with
``inline=True`` and ``clock="host"``: a request runs to completion on the loop's thread
between two frames, as a typed table command does, and virtual time keeps following the
app's clock. Whenever the cluster's bus has listeners, each request is emitted as a
:class:`~dynviz.events.WireRequest` (DESIGN §8) so the app can log it and select its key.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

from aiohttp import web

from dynviz.core.units import SECOND
from dynviz.wire import cors, sigv4
from dynviz.wire.observe import wire_request
from dynviz.wire.operations import Endpoint
from dynviz.wire.protocol import MAX_BODY, Reply, WireError, error_reply

if TYPE_CHECKING:
    from dynviz.cluster import Cluster
    from dynviz.wire.sigv4 import Credentials

CLOCKS = ("wall", "requests", "host")
"""``host``: whoever runs the server moves virtual time (the app, on its own clock)."""
T = TypeVar("T")
NO_ID = "DYNVIZ" + "0" * 46
"""The request id of a reply no endpoint made (the host serves no cluster now)."""
TICK = 1.0
"""Seconds between the idle steps of virtual time with ``clock="wall"``."""


class WireServer:
    """DynamoDB's HTTP API on one endpoint (its table client, its cluster)."""

    def __init__(self, endpoint: Endpoint | Callable[[], Endpoint], clock: str = "wall",
                 max_body: int = MAX_BODY, *, inline: bool = False,
                 credentials: Credentials | None = None) -> None:
        """``endpoint``: the endpoint, or what returns the current one (the app's
        cluster can be replaced by a ``cluster`` command). ``inline``: run each request
        on the event loop's own thread instead of a worker thread, for a host whose
        loop is the one thread that touches the cluster (the app: a request then runs
        between two frames, never during one). ``credentials``: check each request's
        SigV4 signature against these keys (None: accept any signature)."""
        if clock not in CLOCKS:
            raise ValueError(f"clock must be one of {', '.join(CLOCKS)}, got {clock!r}")
        self._endpoint = endpoint
        self.clock = clock
        self.max_body = max_body
        self.inline = inline
        self.credentials = credentials
        self._origin = (time.monotonic(), 0)  # set when the application starts
        self._lock: asyncio.Lock | None = None
        self._worker: ThreadPoolExecutor | None = None
        self._ticker: asyncio.Task[None] | None = None

    @property
    def endpoint(self) -> Endpoint:
        return self._endpoint if isinstance(self._endpoint, Endpoint) else self._endpoint()

    @property
    def cluster(self) -> Cluster:
        return self.endpoint.client.cluster

    # -- the application

    def application(self) -> web.Application:
        # One route for every method and path: DynamoDB ignores the path, and a request
        # aiohttp's router would refuse must still get DynamoDB's JSON, not a text page.
        app = web.Application(client_max_size=self.max_body)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        app.on_response_prepare.append(_finish_headers)
        app.on_startup.append(self._start)
        app.on_cleanup.append(self._stop)
        return app

    async def _start(self, app: web.Application) -> None:
        self._lock = asyncio.Lock()
        if not self.inline:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dynviz-wire")
        if self.clock == "wall":
            self._origin = (time.monotonic(), self.cluster.now)
            # Dates follow the wall clock too: CreationDateTime, and TTL against a client's time.time().
            # A client's requests are further apart than DynamoDB's GSI lag (state.TableOptions).
            self.endpoint.client.engine.options.settle_gsi_reads = True
            self._dates()
            self._ticker = asyncio.get_running_loop().create_task(self._tick())

    async def _stop(self, app: web.Application) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        if self._worker is not None:
            self._worker.shutdown(wait=True)

    async def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the cluster alone, between two requests (kill a node, partition
        the network while clients are being served)."""
        return await self._run(fn)

    async def _run(self, fn: Callable[[], T]) -> T:
        """``fn`` on the worker thread, alone: the one way anything touches the cluster."""
        assert self._lock is not None, "the application has not started"
        async with self._lock:
            if self._worker is None:
                return fn()
            return await asyncio.get_running_loop().run_in_executor(self._worker, fn)

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(TICK)
            await self._run(self._follow)

    def _follow(self) -> None:
        """Run the cluster until virtual time has caught up with the wall clock."""
        if self.clock != "wall":
            return
        wall, virtual = self._origin
        target = virtual + int((time.monotonic() - wall) * SECOND)
        if target > self.cluster.now:
            self.cluster.run(target - self.cluster.now)
        self._dates()

    def _dates(self) -> None:
        """Dates follow the wall clock too (CreationDateTime, TTL against a client's
        ``time.time()``), even where virtual time has run ahead of it."""
        self.endpoint.client.engine.catalog.epoch = int(time.time() * SECOND) - self.cluster.now

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if cors.is_preflight(request.method, request.headers):
            return web.Response(status=200, headers=cors.preflight_headers(request.headers))
        if request.method in ("GET", "HEAD"):
            if request.path != "/":  # only the root is a health check, as DynamoDB's
                return _response(error_reply(WireError("UnknownOperationException", None, 404), NO_ID))
            try:
                endpoint = self.endpoint
            except WireError as err:  # the host serves no cluster now (the app on a replay)
                return _response(error_reply(err, NO_ID))
            return web.Response(text=endpoint.health(request.host), content_type="text/plain",
                                headers={"x-dynviz-nodes-up": endpoint.nodes_up()})
        headers = request.headers
        if request.content_length is not None and request.content_length > self.max_body:
            return self._too_large()
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._too_large()
        if self.credentials is not None:
            refused = self._unsigned(request, body)
            if refused is not None:
                return refused

        def serve() -> Reply:
            self._follow()
            try:
                endpoint = self.endpoint
            except WireError as err:
                return error_reply(err, NO_ID)
            target = headers.get("X-Amz-Target")
            answer = endpoint.handle(request.method, target, headers.get("Content-Type"),
                                     headers.get("Authorization"), body, request.host)
            bus = endpoint.client.cluster.bus
            if bus.active:  # the app: each request in its log, its key selected (DESIGN §8)
                bus.emit(wire_request(endpoint.client.cluster.now, endpoint.client.engine, target, body,
                                      headers.get("User-Agent"), answer))
            return answer

        return _response(await self._run(serve))

    def _unsigned(self, request: web.Request, body: bytes) -> web.Response | None:
        """DynamoDB's refusal of a request not signed with a configured key, or None.
        The server's wall clock dates it: signatures are about the real world, not the
        cluster's virtual time."""
        assert self.credentials is not None
        headers: dict[str, list[str]] = {}
        for name, value in request.headers.items():
            headers.setdefault(name.lower(), []).append(value)
        try:
            sigv4.check(self.credentials, request.method, request.raw_path.partition("?")[0],
                        request.query_string, headers, body, dt.datetime.now(dt.UTC))
        except WireError as err:
            return _response(error_reply(err, self.endpoint.request_id()))
        return None

    def _too_large(self) -> web.Response:
        err = WireError("RequestEntityTooLargeException",
                        f"Request body larger than {self.max_body} bytes (DynamoDB's limit is 16 MB)", 413)
        return _response(error_reply(err, self.endpoint.request_id()))


async def _finish_headers(request: web.Request, response: web.StreamResponse) -> None:
    """aiohttp names itself in a ``Server`` header; the endpoint's replies are the
    service's, not the library's, so they carry none (no client reads one). A
    browser's request (one with an ``Origin``) gets its CORS headers here, whatever
    answered it (cors.py)."""
    response.headers.pop("Server", None)
    for name, value in cors.response_headers(request.headers).items():
        response.headers.setdefault(name, value)


def _response(reply: Reply) -> web.Response:
    return web.Response(status=reply.status, body=reply.body, headers=reply.headers)


async def serve(server: WireServer, host: str, port: int, ready: Callable[[int], None],
                stop: asyncio.Event | None = None) -> None:
    """Serve on ``host:port`` (0: any free port) until ``stop`` is set (or forever);
    ``ready(port)`` is called once the socket listens."""
    runner = web.AppRunner(server.application(), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        ready(_bound_port(runner, port))
        await (stop.wait() if stop is not None else asyncio.Event().wait())
    finally:
        await runner.cleanup()


def _bound_port(runner: web.AppRunner, asked: int) -> int:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return asked


class ServerThread:
    """A server on its own event loop in a background thread (tests, and the app
    later): :meth:`start` returns once it listens, :meth:`stop` closes it."""

    def __init__(self, server: WireServer, host: str = "127.0.0.1", port: int = 0) -> None:
        self.server = server
        self.host = host
        self.port = port
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, name="dynviz-dynamodb", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> int:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError(f"the DynamoDB endpoint did not listen within {timeout} s")
        if self._failure is not None:
            raise self._failure
        return self.port

    def call(self, fn: Callable[[], T], timeout: float = 60.0) -> T:
        """Run ``fn`` on the served cluster from another thread, alone, between two
        requests (what a test or a benchmark uses to kill nodes under load)."""
        if self._loop is None:
            raise RuntimeError("the server is not running")
        return asyncio.run_coroutine_threadsafe(self.server.call(fn), self._loop).result(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)

    def _main(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            await serve(self.server, self.host, self.port, self._listening, self._stop)

        try:
            asyncio.run(main())
        except BaseException as exc:  # handed to start(), which raises it in the caller
            self._failure = exc
            self._ready.set()

    def _listening(self, port: int) -> None:
        self.port = port
        self._ready.set()
