"""``dynviz --dynamodb PORT``: DynamoDB's wire endpoint on the app's own cluster, so a
learner watches their own program (issue 19, item 4).

The app owns the event loop (Textual runs on asyncio), and the cluster must only ever
be touched from one thread, never while a frame is advancing it. So the aiohttp site
runs on the app's loop, and the server runs each request *inline* on that loop's
thread (:class:`~dynviz.wire.server.WireServer` with ``inline=True``): a request runs
to completion between two frames, exactly as a typed ``table put`` does, and its quorum
write is drawn like any other request's, because it is one. Virtual time keeps
following the app's clock (``clock="host"``).

The socket is bound before the app opens (:func:`listen`), so a port already taken is
refused with a message at the command line, not inside a running screen; port 0 asks
for any free port, which :attr:`AppEndpoint.port` then tells (the tests use it).

Each request is emitted on the cluster's bus as a :class:`~dynviz.events.WireRequest`
(the log shows it); :class:`AppEndpoint` listens too and selects the request's item key
and table, so the ring and the preference list show its replicas as it happens.

Requests are served in the live app and in lessons (both run the simulator). A replay or
an attached cluster has no cluster of the app's own to write into: requests are then
answered 503 ServiceUnavailable, saying why.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any

from dynviz.events import Event, EventBus, WireRequest

if TYPE_CHECKING:
    from aiohttp import web

    from dynviz.tui.app import DynvizApp
    from dynviz.wire.operations import Endpoint

SERVING_KINDS = ("live", "lesson")
"""Driver kinds whose cluster the endpoint serves (see the module docstring)."""


class ListenError(Exception):
    """The endpoint cannot listen where asked (the port is taken): a message to show."""


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (0: any free port). Raises
    :class:`ListenError` with a message a user can act on when the port is taken or
    the address is not ours."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise ListenError(f"--dynamodb: cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        why = "the port is taken (is another dynviz or DynamoDB Local running?)" \
            if exc.errno in (98, 48, 10048) else (exc.strerror or str(exc))
        raise ListenError(f"--dynamodb: cannot listen on {host}:{port}: {why}") from None
    sock.setblocking(False)
    return sock


class AppEndpoint:
    """The wire endpoint of one app, on a socket :func:`listen` opened."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        name = sock.getsockname()
        self.host = str(name[0])
        self.port = int(name[1])
        self.requests = 0
        self._app: DynvizApp | None = None
        self._runner: web.AppRunner | None = None
        self._endpoints: dict[int, Endpoint] = {}
        self._bus: EventBus | None = None
        self._unsubscribe: Any = None

    @property
    def label(self) -> str:
        """What the status bar says: ``DynamoDB :8000``."""
        return f"DynamoDB :{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self, app: DynvizApp) -> None:
        """Serve on the app's loop (called from the app's ``on_mount``)."""
        from aiohttp import web

        from dynviz.wire.server import WireServer

        self._app = app
        server = WireServer(self._endpoint, clock="host", inline=True)
        self._runner = web.AppRunner(server.application(), access_log=None)
        await self._runner.setup()
        await web.SockSite(self._runner, self.sock).start()

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self.sock.close()

    def _endpoint(self) -> Endpoint:
        """The endpoint on the cluster the app shows now (a ``cluster`` command or a
        lesson replaces it), listened to so its requests select their keys."""
        from dynviz.wire.protocol import WireError

        app = self._app
        assert app is not None, "the endpoint has not started"
        driver = app.driver
        cluster = getattr(driver, "cluster", None)
        if driver.kind not in SERVING_KINDS or cluster is None:
            raise WireError("ServiceUnavailable", f"the app is showing a {driver.kind} cluster, which the "
                                                  "DynamoDB endpoint does not write into; go back to the live "
                                                  "cluster (or a lesson) to serve requests", 503)
        if self._bus is not driver.bus:
            if self._unsubscribe is not None:
                self._unsubscribe()
            self._bus = driver.bus
            self._unsubscribe = driver.bus.subscribe(self._heard)
        endpoint = self._endpoints.get(id(cluster))
        if endpoint is None or endpoint.client.cluster is not cluster:
            from dynviz.table.console import desk_for
            from dynviz.wire.operations import Endpoint

            # The desk's plain client: the Tables screen reads the same desk, so a
            # table created over the wire is on it at once.
            endpoint = Endpoint(desk_for(cluster).plain)
            self._endpoints = {id(cluster): endpoint}
        return endpoint

    def _heard(self, event: Event) -> None:
        """A request answered: its table and item become the selected ones."""
        if not isinstance(event, WireRequest) or self._app is None:
            return
        self.requests += 1
        app = self._app
        if event.table and event.status == 200 and event.operation not in ("DeleteTable",):
            app.selected_table = event.table
        if event.key is not None:
            app.selected_key = event.key
