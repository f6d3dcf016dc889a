"""``dynviz attach``: the app on a live TCP cluster (:mod:`dynviz.tui.attach`).

The panels read an :class:`~dynviz.tui.attach.AttachedCluster`, a real implementation of
the cluster view answered from the node processes' last admin snapshots, which an
:class:`~dynviz.tui.attach.Attachment` polls about twice a second off the UI path.

Time is real here: play, pause, step and speed are not offered (the footer, help and
palette leave them out), and simulator-only commands are refused under the input with the
reason. Commands act for real through the attachment (put/get/delete, kill and recover
of the node processes, partition and heal by blocking links, anti-entropy now).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from dynviz import commands as c
from dynviz.events import EventBus
from dynviz.executor import Outcome
from dynviz.tui.attach import ADMIN_TIMEOUT, POLL_INTERVAL, AttachedCluster, Attachment
from dynviz.tui.view import Clock

if TYPE_CHECKING:
    from textual.widget import Widget

    from dynviz.tui.driver import Host

ACTIONS = frozenset({"kill", "partition", "antientropy"})
"""What works on a live cluster: crash/restart a process, split the network, an exchange.
(Joins and leaves are not carried over TCP; tables live in the simulator.)"""


class AttachedDriver:
    """The app's driver for a live cluster (see the module docstring)."""

    kind = "attached"

    def __init__(self, cluster: AttachedCluster, secret: bytes, *, interval: float = POLL_INTERVAL,
                 timeout: float = ADMIN_TIMEOUT) -> None:
        self.cluster = cluster
        self._bus = EventBus()
        self.attachment = Attachment(cluster, secret, self._bus, interval, timeout)
        self.attachment.on_change = self._changed
        self._tasks: set[asyncio.Task[Any]] = set()  # commands under way
        self._poller: asyncio.Task[Any] | None = None
        self._host: Host | None = None

    @property
    def title(self) -> str:
        return "dynviz attach"

    @property
    def view(self) -> AttachedCluster:
        return self.cluster

    @property
    def bus(self) -> EventBus:
        return self._bus

    def start(self, host: Host) -> None:
        self._host = host
        self._poller = asyncio.get_running_loop().create_task(self.attachment.run())

    def _changed(self) -> None:
        if self._host is not None:
            self._host.tape.version += 1  # the panels redraw what the poll changed

    def close(self) -> None:
        for task in [*self._tasks, *([self._poller] if self._poller is not None else [])]:
            task.cancel()

    async def aclose(self) -> None:
        self.close()
        await self.attachment.close()

    def widgets(self) -> Sequence[Widget]:
        return ()

    def known_keys(self) -> Iterable[str]:
        return ()

    def supports(self, action: str) -> bool:
        return action in ACTIONS

    def perform(self, action: str, argument: str = "") -> None:
        return None

    def clock(self) -> Clock:
        cluster = self.cluster
        age = (cluster.now - cluster.last_poll) / 1e6
        if cluster.polls and age < 3:
            return Clock("live", 1.0, f"attached to {cluster.via}")
        return Clock("stale", 1.0, f"attached to {cluster.via}: waiting for the nodes")

    def tick(self, elapsed: float) -> None:
        return None  # time is real: the poller moves the picture

    def refusal(self, command: c.Command) -> str | None:
        return Attachment.refusal(command)

    def submit(self, text: str, command: c.Command, origin: str, done: Callable[[Outcome], None]) -> None:
        async def go() -> None:
            done(await self.attachment.execute(command))

        self._track(asyncio.get_running_loop().create_task(go()))

    def _track(self, task: asyncio.Task[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait until every command issued so far has finished (tests, scripts)."""
        async with asyncio.timeout(timeout):
            while self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
