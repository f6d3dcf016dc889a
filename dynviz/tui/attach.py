"""``dynviz attach HOST:PORT``: a live TCP cluster as the app's panels read it.

:class:`AttachedCluster` implements the app's cluster view (:class:`~dynviz.tui.view.
ClusterView`: the ring, every node's own ring, ``node_views()``, ``inspect(key)``,
``gossip_matrix()``, ``views()``, the partition groups...) from the last snapshots of the
node processes' admin endpoints (``dynviz/net/endpoint.py``), never from sockets on the UI
path. An :class:`Attachment` polls every node about twice a second on the app's event
loop (snapshot, then the events since the last one seen through the admin ``feed`` op,
rebuilt as the simulator's event dataclasses and placed on the attach clock), and the
selected key's replicas through ``inspect``; the frame only reads what the last poll
left. The app's driver for it is :class:`~dynviz.tui.drivers.attached.AttachedDriver`.

Time is real: ``now`` is wall-clock µs since attach, an event's time is its node's
clock moved onto that scale (events from before the attach have negative times).
Commands act for real: put/get/delete go through a
:class:`~dynviz.net.client.NetClient` (contexts remembered per client, as the
simulator's clients do), ``kill`` sends SIGKILL to the node's process when the cluster
directory is known (``--data``) or asks the node to stop otherwise, ``recover``
restarts it from the directory's command line, ``partition``/``heal`` block and
unblock the cross links on every node, ``antientropy A B`` runs an exchange now and
reports when its sessions finish. Commands that only make sense in the simulator
(``run``, ``step``, ``skew``, ``loss``, ``cluster``...) are refused with a clear message.

Message traffic is not observed over TCP (nodes record no per-message events): the
view says so (``observes_messages``), and the ring and the Messages panel say so too.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import re
import signal
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dynviz import commands as c
from dynviz.client import VersionView, version_views
from dynviz.cluster import Inspection, NodeView, ReplicaView
from dynviz.core.hashing import as_key, token_hex, token_of
from dynviz.core.partition import PartitionError, describe_groups, normalise_groups, unknown_node
from dynviz.core.ring import Ring
from dynviz.core.settings import ProtocolSettings
from dynviz.core.units import SECOND
from dynviz.events import (
    AntiEntropyAbandoned,
    AntiEntropyExchange,
    Event,
    EventBus,
    Narration,
    NetworkChanged,
    NodeDown,
    NodeUp,
)
from dynviz.executor import Outcome, fmt_clock, inspection_text, show_bytes
from dynviz.net.client import NetClient, NetError
from dynviz.net.remote import RemoteCluster
from dynviz.net.snapshot import MemberEntry, NodeSnapshot
from dynviz.sim.choices import Choices
from dynviz.sim.network import InFlight
from dynviz.wording import plural

POLL_INTERVAL = 0.5
"""Seconds between two polls of every node."""
ADMIN_TIMEOUT = 1.5
"""Seconds an admin request may take before its node counts as unreachable."""
REQUEST_TIMEOUT = 5.0
ANTIENTROPY_WAIT = 15.0

LIVE_ONLY = "not available when attached to a live cluster"

SIM_ONLY: dict[type, str] = {
    c.Cluster: "the cluster is the one running; start another with 'dynviz up --data DIR2'",
    c.Run: "time is real here, it runs by itself",
    c.Step: "time is real here: there are no events to step through",
    c.Settle: "time is real here, it runs by itself",
    c.Loss: "message loss is a simulator fault (block links with partition instead)",
    c.Latency: "latency is a simulator setting",
    c.Skew: "clock skew is a simulator fault",
    c.Wipe: "losing a node's disk is not done from here (stop it, delete DIR/<id>.sqlite, recover)",
    c.Join: "membership changes are not carried over TCP yet",
    c.Leave: "membership changes are not carried over TCP yet",
    c.Remove: "membership changes are not carried over TCP yet",
    c.WaitUntil: "lesson commands need the simulator",
    c.Pause: "lesson commands need the simulator",
    c.Expect: "lesson commands need the simulator",
}
"""Commands the attached app refuses, and why."""


def natural(name: str) -> tuple[Any, ...]:
    """Sort key: n2 before n10."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name))


# -- the read API the panels use ---------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class AttachedConfig(ProtocolSettings):
    """A live cluster's settings as its nodes report them (admin ``config``): the
    protocol's (the same type every config extends) plus the nodes, and how the
    processes keep their data."""

    nodes: tuple[str, ...] = ()
    seed: int = 0
    fsync: str = "full"
    data: str = ""

    @classmethod
    def from_admin(cls, doc: dict[str, Any], nodes: Iterable[str]) -> AttachedConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(nodes=tuple(nodes), **{k: v for k, v in doc.items() if k in known and k != "nodes"})


@dataclass(slots=True)
class RemoteNode:
    """One node process as last seen: its own ring, its snapshot, whether it answered."""

    name: str
    address: str
    ring: Ring
    snapshot: NodeSnapshot | None = None
    up: bool = False
    seen_at: int = 0  # attach-clock µs of the last snapshot
    error: str = ""

    @property
    def epoch(self) -> int:
        return self.snapshot.epoch if self.snapshot is not None else 0

    @property
    def coordinators(self) -> int:
        return self.snapshot.coordinators if self.snapshot is not None and self.up else 0


_RINGS: dict[tuple[tuple[str, tuple[str, ...]], ...], Ring] = {}


def ring_of(tokens: dict[str, tuple[str, ...]]) -> Ring:
    """A ``Ring`` from a snapshot's hex tokens; the same object for the same tokens (the
    ring panel redraws its band only when the ring object changes)."""
    key = tuple(sorted(tokens.items()))
    found = _RINGS.get(key)
    if found is None:
        if len(_RINGS) > 64:
            _RINGS.clear()
        found = _RINGS[key] = Ring({n: tuple(int(t, 16) for t in toks) for n, toks in tokens.items() if toks})
    return found


def _views_of(versions: list[dict[str, Any]] | None) -> tuple[VersionView, ...]:
    import base64

    out = []
    for v in versions or ():
        value = None if v["value"] is None else base64.b64decode(v["value"])
        out.append(VersionView(value, (v["dot"][0], v["dot"][1]), dict(v["clock"]), v["timestamp_us"]))
    return tuple(out)


class AttachedCluster:
    """A live cluster as the app's panels read it; updated by an :class:`Attachment`."""

    def __init__(self, via: str, config: AttachedConfig, nodes: dict[str, RemoteNode],
                 data: str | None = None) -> None:
        self.via = via
        self.data = data
        self.config = config
        self.nodes: dict[str, RemoteNode] = nodes
        self.groups: dict[str, int] = {}  # from the nodes' blocked links (update_groups)
        self.started = time.monotonic()
        self.polls = 0
        self.last_poll = 0  # attach-clock µs
        self.entry = ""
        self._inspections: dict[bytes, dict[str, dict[str, Any]]] = {}  # key -> node -> admin inspect
        self.wanted: bytes | None = None  # the key the next poll should inspect
        self.wake: Callable[[], None] = lambda: None

    # -- time --------------------------------------------------------------------------

    @property
    def now(self) -> int:
        """Wall-clock µs since attach."""
        return int((time.monotonic() - self.started) * SECOND)

    # -- the ring and the nodes --------------------------------------------------------

    @property
    def ring(self) -> Ring:
        """The ring a partition-aware client holds: the entry node's, else any live node's."""
        nodes = self.nodes
        entry = nodes.get(self.entry)
        if entry is not None and entry.up:
            return entry.ring
        for node in nodes.values():
            if node.up:
                return node.ring
        return (entry or next(iter(nodes.values()))).ring

    def is_up(self, node: str) -> bool:
        found = self.nodes.get(node)
        return found is not None and found.up

    def node_names(self) -> tuple[str, ...]:
        return tuple(self.nodes)

    def node_ring(self, name: str) -> Ring:
        return self.nodes[name].ring

    def partition_groups(self) -> dict[str, int]:
        return self.groups

    def table_desk(self) -> None:
        """Tables live in the simulator; a live cluster has none."""
        return None

    def observes_messages(self) -> bool:
        """Nodes record no per-message events over TCP: no message is ever seen."""
        return False

    def node_views(self) -> list[NodeView]:
        groups = self.groups
        out = []
        for name, node in self.nodes.items():
            snap = node.snapshot
            out.append(NodeView(
                name, node.up, snap.keys if snap else 0, snap.hints if snap else 0,
                groups.get(name) if groups else None, 0, node.epoch,
                tuple(snap.suspects) if snap and node.up else (), node.coordinators,
            ))
        return out

    def flights(self) -> list[InFlight]:
        return []  # not observed over TCP (observes_messages)

    def choices(self) -> Choices:
        """Nothing to choose: real sockets deliver on their own."""
        return Choices()

    def views(self) -> dict[str, list[MemberEntry]]:
        """Each node's membership view (from its last snapshot)."""
        return {name: list(node.snapshot.members) for name, node in self.nodes.items() if node.snapshot}

    def gossip_matrix(self) -> dict[str, dict[str, tuple[str, int, bool]]]:
        """observer -> subject -> (status, heartbeat age µs, suspected); ages grow with
        the time since the observer's snapshot."""
        now = self.now
        out: dict[str, dict[str, tuple[str, int, bool]]] = {}
        for name, node in self.nodes.items():
            snap = node.snapshot
            if snap is None:
                continue
            extra = max(0, now - node.seen_at) if node.up else 0
            out[name] = {m.name: (m.status, 0 if m.name == name else m.heartbeat_age_us + extra, m.suspected)
                         for m in snap.members}
        return out

    # -- keys --------------------------------------------------------------------------

    def inspect(self, key: bytes | str, node: str | None = None) -> Inspection:
        """Where ``key`` lives, from the last poll's admin ``inspect`` of every node (the
        first call for a key asks the poller to fetch it and shows the ring's answer)."""
        key = as_key(key)
        if key != self.wanted:
            self.wanted = key
            if key not in self._inspections:
                self.wake()
        return self.inspection(key, self._inspections.get(key, {}), node)

    def inspection(self, key: bytes, found: dict[str, dict[str, Any]], only: str | None = None) -> Inspection:
        plist = self.ring.preference_list(key, self.config.n)
        names = [only] if only is not None else list(self.nodes)
        order = list(self.nodes)
        replicas = []
        for name in names:
            doc = found.get(name)
            stored = _views_of(doc["stored"]) if doc else ()
            hinted = tuple((i, _views_of(vs)) for i, vs in doc["hints"]) if doc else ()
            if not stored and not hinted and name not in plist:
                continue
            role = "primary" if name in plist else ("fallback" if hinted else "other")
            replicas.append(ReplicaView(name, role, self.is_up(name), stored, hinted))
        replicas.sort(key=lambda r: (plist.index(r.node) if r.node in plist else len(plist),
                                     order.index(r.node) if r.node in order else len(order)))
        return Inspection(key, token_hex(token_of(key)), plist, tuple(replicas))

    def remember_inspection(self, key: bytes, found: dict[str, dict[str, Any]]) -> None:
        previous = self._inspections.get(key, {})
        merged = dict(previous)  # a node that did not answer keeps what it last showed
        merged.update(found)
        self._inspections[key] = merged
        if len(self._inspections) > 256:
            for old in list(self._inspections)[:64]:
                if old != key:
                    del self._inspections[old]

    # -- partitions, from the nodes' blocked links ---------------------------------------

    def update_groups(self) -> None:
        """Groups of nodes that can talk (a link is cut when either end blocks it); none
        when every node can reach every other."""
        names = list(self.nodes)
        blocked = {n: set(node.snapshot.blocked) if node.snapshot else set() for n, node in self.nodes.items()}
        if not any(blocked.values()):
            self.groups = {}
            return
        group: dict[str, int] = {}
        for start in names:
            if start in group:
                continue
            index = len(set(group.values()))
            todo = [start]
            group[start] = index
            while todo:
                a = todo.pop()
                for b in names:
                    if b not in group and b not in blocked[a] and a not in blocked[b]:
                        group[b] = index
                        todo.append(b)
        self.groups = group if len(set(group.values())) > 1 else {}


# -- talking to the nodes ----------------------------------------------------------------------


@dataclass(slots=True)
class _Feed:
    since: int = 0
    pid: int = 0
    offset: int = 0  # attach clock minus the node's clock (µs)


@dataclass(slots=True)
class _AEWait:
    a: str
    b: str
    expected: int
    reports: list[Any]
    done: asyncio.Future[None]


async def probe(via: str, secret: bytes, timeout: float = 3.0) -> tuple[str, dict[str, str], dict[str, Any],
                                                                        dict[str, NodeSnapshot | str]]:
    """Ask the cluster at ``via`` who it is (before the app opens its own connections):
    ``(entry node, addresses, config, snapshots)``; ``NetError`` when it cannot be reached."""
    async with RemoteCluster(via, secret, timeout) as remote:
        try:
            config = await remote.config(remote.entry)
        except NetError as exc:
            raise NetError(f"{via} has no admin 'config' op: is it a node of this version of dynviz? ({exc})") \
                from None
        snaps = await remote.snapshots()
        first = snaps.get(remote.entry)
        addresses = dict(remote.addresses)
        if isinstance(first, NodeSnapshot):
            addresses.update(first.peers)
        return remote.entry, addresses, config, snaps


def attached_cluster(via: str, entry: str, addresses: dict[str, str], config: dict[str, Any],
                     snaps: dict[str, NodeSnapshot | str], data: str | None = None) -> AttachedCluster:
    """An :class:`AttachedCluster` from what :func:`probe` found."""
    first = snaps.get(entry)
    if not isinstance(first, NodeSnapshot):
        raise NetError(f"the node at {via} did not answer its snapshot: {first}")
    names = set(addresses) | set(first.ring)
    ordered = sorted(names, key=natural)
    nodes: dict[str, RemoteNode] = {}
    for name in ordered:
        snap = snaps.get(name)
        if isinstance(snap, NodeSnapshot):
            nodes[name] = RemoteNode(name, addresses.get(name, "?"), ring_of(snap.ring), snap, True, 0, "")
        else:
            nodes[name] = RemoteNode(name, addresses.get(name, "?"), ring_of(first.ring), None, False, 0,
                                     str(snap or "no address"))
    cluster = AttachedCluster(via, AttachedConfig.from_admin(config, ordered), nodes, data)
    cluster.entry = entry
    cluster.update_groups()
    return cluster


class Attachment:
    """The poller and the command runner of an attached app (async, on the app's loop)."""

    def __init__(self, cluster: AttachedCluster, secret: bytes, bus: EventBus,
                 interval: float = POLL_INTERVAL, timeout: float = ADMIN_TIMEOUT) -> None:
        self.cluster = cluster
        self.secret = secret
        self.bus = bus
        self.interval = interval
        self.timeout = timeout
        self.remote = RemoteCluster(cluster.via, secret, timeout)
        self.remote.addresses = {n: node.address for n, node in cluster.nodes.items() if node.address != "?"}
        self.remote.entry = cluster.entry
        self.feeds: dict[str, _Feed] = {}
        self.contexts: dict[tuple[str, bytes], str] = {}
        self._data: dict[tuple[str, str], NetClient] = {}
        self._data_lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._ae: list[_AEWait] = []
        self.on_change: Callable[[], None] = lambda: None
        self.errors = 0
        self.missed = 0  # events that fell off a node's buffer between two polls
        self.closed = False
        cluster.wake = self.wake

    def wake(self) -> None:
        self._wake.set()

    # -- polling -----------------------------------------------------------------------

    async def run(self) -> None:
        """Poll until cancelled (a Textual worker runs this)."""
        while not self.closed:
            try:
                await self.poll_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the poller must survive anything a node says
                self.errors += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()

    async def poll_once(self) -> None:
        cluster = self.cluster
        names = list(cluster.nodes)
        results = await asyncio.gather(*(self._poll_node(n) for n in names))
        key = cluster.wanted
        found: dict[str, dict[str, Any]] = {}
        if key is not None:
            found = await self._inspect_all(key)
        now = cluster.now
        fresh: list[Event] = []
        for name, (snap, events, error) in zip(names, results, strict=True):
            node = cluster.nodes[name]
            was_up = node.up
            if snap is not None:
                node.snapshot, node.up, node.seen_at, node.error = snap, True, now, ""
                node.ring = ring_of(snap.ring)
                for peer, addr in snap.peers.items():
                    self.remote.addresses.setdefault(peer, addr)
                    if peer not in cluster.nodes and peer in snap.ring:
                        self._add_node(peer, addr, snap)
            else:
                node.up, node.error = False, error
            if cluster.polls and was_up != node.up:
                fresh.append(NodeUp(now, name) if node.up else NodeDown(now, name))
            fresh.extend(events)
        if key is not None:
            cluster.remember_inspection(key, found)
        cluster.update_groups()
        cluster.polls += 1
        cluster.last_poll = now
        fresh.sort(key=lambda e: e.time)
        for event in fresh:
            self._emit(event)
        self.on_change()

    def _add_node(self, name: str, addr: str, seen_by: NodeSnapshot) -> None:
        cluster = self.cluster
        cluster.nodes[name] = RemoteNode(name, addr, ring_of(seen_by.ring))
        cluster.nodes = dict(sorted(cluster.nodes.items(), key=lambda kv: natural(kv[0])))
        cluster.config = dataclasses.replace(cluster.config, nodes=tuple(cluster.nodes))

    async def _poll_node(self, name: str) -> tuple[NodeSnapshot | None, list[Event], str]:
        try:
            snap = await self.remote.snapshot(name)
        except (NetError, OSError, KeyError, TypeError, ValueError) as exc:
            return None, [], str(exc)
        events: list[Event] = []
        try:
            events = await self._feed(name)
        except (NetError, OSError, KeyError, TypeError, ValueError):
            pass
        return snap, events, ""

    async def _feed(self, name: str) -> list[Event]:
        """The node's events since the last poll, on the attach clock."""
        state = self.feeds.setdefault(name, _Feed())
        out: list[Event] = []
        for _ in range(8):  # at most 8 pages a poll; the rest next time
            doc = await self.remote.feed(name, state.since)
            state.offset = self.cluster.now - doc["now"]
            if doc["pid"] != state.pid or doc["seq"] < state.since:
                # A new process (the node restarted): its sequence numbers start anew.
                state.pid = doc["pid"]
                if state.since:
                    state.since = 0
                    continue
            if state.since and doc["oldest"] > state.since + 1:
                self.missed += doc["oldest"] - state.since - 1
            for seq, event in doc["events"]:
                state.since = max(state.since, seq)
                out.append(dataclasses.replace(event, time=event.time + state.offset))
            if not doc["more"]:
                break
        return out

    async def _inspect_all(self, key: bytes) -> dict[str, dict[str, Any]]:
        names = [n for n, node in self.cluster.nodes.items() if node.up]

        async def one(name: str) -> tuple[str, dict[str, Any] | None]:
            try:
                return name, await self.remote.inspect(name, key)
            except (NetError, OSError):
                return name, None

        return {n: doc for n, doc in await asyncio.gather(*(one(n) for n in names)) if doc is not None}

    def _emit(self, event: Event) -> None:
        if isinstance(event, (AntiEntropyExchange, AntiEntropyAbandoned)):
            for wait in list(self._ae):
                if (event.a, event.b) == (wait.a, wait.b):
                    wait.reports.append(event)
                    if len(wait.reports) >= wait.expected and not wait.done.done():
                        wait.done.set_result(None)
        self.bus.emit(event)

    async def close(self) -> None:
        self.closed = True
        for client in self._data.values():
            await client.close()
        self._data.clear()
        await self.remote.close()

    # -- commands ----------------------------------------------------------------------

    def _outcome(self, command: c.Command, ok: bool, text: str, data: dict[str, Any] | None = None,
                 invalid: bool = False) -> Outcome:
        return Outcome(command.source or command.name, command.line, ok, self.cluster.now, data or {},
                       text if ok else (text if text.startswith(("error", command.name)) else f"error: {text}"),
                       "" if ok else text, invalid)

    @staticmethod
    def refusal(command: c.Command) -> str | None:
        """Why ``command`` cannot run on a live cluster (None: it can)."""
        why = SIM_ONLY.get(type(command))
        if why is not None:
            return f"'{command.name}' is {LIVE_ONLY}: {why}"
        if getattr(Attachment, f"do_{type(command).__name__.lower()}", None) is None:
            return f"'{command.name}' is {LIVE_ONLY}"
        return None

    async def execute(self, command: c.Command) -> Outcome:
        """Carry out one command on the live cluster."""
        why = self.refusal(command)
        if why is not None:
            return self._outcome(command, False, why, invalid=True)
        handler: Callable[[c.Command], Awaitable[Outcome]] = getattr(self, f"do_{type(command).__name__.lower()}")
        try:
            return await handler(command)
        except (NetError, OSError, ValueError) as exc:
            return self._outcome(command, False, str(exc), invalid=isinstance(exc, _Invalid))
        finally:
            self.wake()

    def _check(self, node: str) -> str:
        if node not in self.cluster.nodes:
            raise _Invalid(unknown_node(node, self.cluster.nodes))
        return node

    def _entry(self, via: str | None) -> str:
        if via is not None:
            return self._check(via)
        cluster = self.cluster
        if cluster.is_up(cluster.entry):
            return cluster.entry
        for name in cluster.nodes:
            if cluster.is_up(name):
                return name
        raise NetError("no node is reachable")

    async def _client(self, node: str, client: str) -> NetClient:
        async with self._data_lock:
            found = self._data.get((node, client))
            if found is not None and found.connected:
                return found
            addr = self.remote.addresses.get(node)
            if addr is None:
                raise NetError(f"no address known for {node}")
            made = NetClient(addr, self.secret, REQUEST_TIMEOUT, name=f"client:{client}-{os.getpid()}")
            await made.connect()
            self._data[(node, client)] = made
            return made

    async def do_put(self, command: c.Put | c.Delete) -> Outcome:
        if getattr(command, "pw", None) is not None:
            raise _Invalid("pw= (a partial write quorum) is a simulator option")
        who = command.client or "tui"
        key = as_key(command.key)
        node = self._entry(command.via)
        client = await self._client(node, who)
        value = command.value.encode("utf-8") if isinstance(command, c.Put) else None
        reply = await client.put(key, value, self.contexts.get((who, key)), n=getattr(command, "n", None),
                                 w=command.w)
        if reply.ok and reply.context is not None:
            self.contexts[(who, key)] = reply.context
        op = "put" if isinstance(command, c.Put) else "delete"
        name = show_bytes(key)
        data = {"op": op, "key": name, "coordinator": reply.coordinator, "acks": list(reply.acks),
                "hints": [{"holder": h, "intended": i} for h, i in reply.hints], "entry": node, "hops": reply.hops}
        if not reply.ok:
            return self._outcome(command, False, f"{op} {name} FAILED: {reply.error}", data)
        text = f"{op} {name} ok: coordinator {reply.coordinator}, acks {','.join(reply.acks)}"
        if reply.hints:
            text += "; hints " + ", ".join(f"{h} holds for {i}" for h, i in reply.hints)
        if reply.hops:
            text += f" (forwarded by {node})"
        views = version_views(reply.siblings)
        if len(views) > 1:
            text += f"; {len(views)} siblings now"
        self.cluster.wanted = key
        return self._outcome(command, True, text, data)

    async def do_delete(self, command: c.Delete) -> Outcome:
        return await self.do_put(command)

    async def do_get(self, command: c.Get) -> Outcome:
        if command.pr is not None:
            raise _Invalid("pr= (a partial read quorum) is a simulator option")
        who = command.client or "tui"
        key = as_key(command.key)
        node = self._entry(command.via)
        client = await self._client(node, who)
        reply = await client.get(key, n=command.n, r=command.r)
        name = show_bytes(key)
        if not reply.ok:
            return self._outcome(command, False, f"get {name} FAILED: {reply.error}", {"key": name})
        if reply.context is not None:
            self.contexts[(who, key)] = reply.context
        views = version_views(reply.siblings)
        shown = "; ".join(f"{show_bytes(v.value) if v.value is not None else '(deleted)'} {fmt_clock(v.clock)}"
                          for v in views) or "not found"
        self.cluster.wanted = key
        data = {"op": "get", "key": name, "values": [show_bytes(v.value) for v in views if v.value is not None],
                "coordinator": reply.coordinator, "replies": list(reply.acks), "entry": node}
        return self._outcome(command, True,
                             f"get {name}: {shown}  [coordinator {reply.coordinator}, replies {','.join(reply.acks)}]",
                             data)

    def _local_pid(self, node: str) -> int | None:
        """The node's pid when the cluster directory is known and that process is the
        one answering (same pid in its pid file and its snapshot)."""
        data = self.cluster.data
        if not data:
            return None
        from dynviz.net.launcher import running_pid

        pid = running_pid(Path(data), node)
        snap = self.cluster.nodes[node].snapshot
        return pid if pid is not None and snap is not None and snap.pid == pid else None

    async def do_kill(self, command: c.Kill) -> Outcome:
        node = self._check(command.node)
        if not self.cluster.is_up(node):
            raise _Invalid(f"{node} is already down")
        pid = self._local_pid(node)
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
            text = f"{node} killed: SIGKILL to pid {pid} (a crash; its SQLite data survives)"
        else:
            await self.remote.stop(node)
            text = f"{node} asked to stop (admin stop; the process exits, its data stays on disk)"
        return self._outcome(command, True, text, {"node": node, "pid": pid})

    async def do_recover(self, command: c.Recover) -> Outcome:
        node = self._check(command.node)
        data = self.cluster.data
        if not data:
            raise _Invalid(f"cannot restart {node} from here: attach with --data DIR (the cluster directory "
                           "of 'dynviz up', which holds each node's command line)")
        from dynviz.net import launcher

        folder = Path(data).resolve()
        entries = {e.id: e for e in launcher.load_cluster(folder)}
        entry = entries.get(node)
        if entry is None:
            raise _Invalid(f"{node} is not in {folder / launcher.CLUSTER_FILE}")
        if launcher.running_pid(folder, node) is not None:
            raise _Invalid(f"{node} is already running")

        def start() -> int:
            proc = launcher.spawn(folder, entry)
            launcher.wait_listening(entry.address, proc, 15.0)
            return proc.pid

        pid = await asyncio.to_thread(start)
        return self._outcome(command, True, f"{node} restarted (pid {pid}) from its disk; it rejoins as itself",
                             {"node": node, "pid": pid})

    async def _each(self, calls: list[tuple[str, str, str]]) -> list[str]:
        """Admin ``(node, op, arg)`` calls at once; the failures' messages."""

        async def one(node: str, op: str, arg: str) -> str:
            try:
                await self.remote.admin(node, op, arg)
                return ""
            except NetError as exc:
                return f"{node}: {exc}"

        return [e for e in await asyncio.gather(*(one(*call) for call in calls)) if e]

    async def do_partition(self, command: c.Partition) -> Outcome:
        try:
            listed = normalise_groups(command.groups, list(self.cluster.nodes))
        except PartitionError as exc:
            raise _Invalid(str(exc)) from None
        group_of = {n: i for i, g in enumerate(listed) for n in g}
        calls = [(a, "block", b) for a in self.cluster.nodes for b in self.cluster.nodes
                 if a != b and group_of[a] != group_of[b] and self.cluster.is_up(a)]
        calls += [(a, "unblock", b) for a in self.cluster.nodes for b in self.cluster.nodes
                  if a != b and group_of[a] == group_of[b] and self.cluster.is_up(a)]
        failed = await self._each(calls)
        shown = describe_groups(listed)
        self._emit(NetworkChanged(self.cluster.now, f"partition {shown} (links blocked on the nodes)"))
        blocked = len([1 for _, op, _ in calls if op == "block"])
        text = f"partitioned: {shown} ({plural(blocked, 'link')} blocked)"
        down = [n for n in self.cluster.nodes if not self.cluster.is_up(n)]
        if down:
            text += f"; {','.join(down)} down: not told (restarted nodes start unblocked)"
        if failed:
            text += "; failed: " + "; ".join(failed[:3])
        return self._outcome(command, not failed, text, {"groups": listed})

    async def do_heal(self, command: c.Heal) -> Outcome:
        calls = [(a, "unblock", b) for a in self.cluster.nodes for b in self.cluster.nodes
                 if a != b and self.cluster.is_up(a)]
        failed = await self._each(calls)
        self._emit(NetworkChanged(self.cluster.now, "partition healed (links unblocked)"))
        return self._outcome(command, not failed, "partition healed" + (
            "; failed: " + "; ".join(failed[:3]) if failed else ""))

    async def do_antientropy(self, command: c.AntiEntropy) -> Outcome:
        a, b = self._check(command.a), self._check(command.b)
        if a == b:
            raise _Invalid("anti-entropy needs two different nodes")
        wait = _AEWait(a, b, 0, [], asyncio.get_running_loop().create_future())
        self._ae.append(wait)
        try:
            sessions = await self.remote.antientropy(a, b)
            wait.expected = sessions
            if sessions == 0:
                return self._outcome(command, True, f"anti-entropy {a} <-> {b}: no shared ranges (or a session "
                                                    "is already running)", {"a": a, "b": b, "ranges": 0})
            if len(wait.reports) >= sessions and not wait.done.done():
                wait.done.set_result(None)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(wait.done), ANTIENTROPY_WAIT)
        finally:
            self._ae.remove(wait)
        reports = wait.reports
        done = [r for r in reports if isinstance(r, AntiEntropyExchange)]
        keys = sorted({k for r in done for k in (*r.keys_sent_by_a, *r.keys_sent_by_b)})
        differing = [r.range_index for r in done if r.leaves]
        text = (f"anti-entropy {a} <-> {b}: {plural(sessions, 'shared range')}, {len(differing)} differed, "
                f"{plural(sum(r.hashes_compared for r in done), 'hash', 'hashes')} compared, "
                f"{plural(len(keys), 'key')} exchanged, {plural(sum(r.bytes_moved for r in done), 'byte')}")
        ok = len(done) == sessions
        if not ok:
            text += f" ({sessions - len(done)} sessions did not finish within {ANTIENTROPY_WAIT:g}s)"
        return self._outcome(command, ok, text, {"a": a, "b": b, "ranges": sessions, "completed": len(done),
                                                 "keys_exchanged": [show_bytes(k) for k in keys]})

    async def do_gossip(self, command: c.Gossip) -> Outcome:
        node = self._check(command.node)
        peer = await self.remote.gossip(node)
        return self._outcome(command, True, f"{node} gossips with {peer}" if peer else
                             f"{node} has nobody to gossip with", {"node": node, "peer": peer})

    async def do_views(self, command: c.Views) -> Outcome:
        lines = []
        for observer, members in self.cluster.views().items():
            shown = " ".join(f"{m.name}:{m.status}{'(suspected)' if m.suspected else ''}" for m in members)
            lines.append(f"{observer}{'' if self.cluster.is_up(observer) else ' (down, last seen)'}: {shown}")
        return self._outcome(command, True, "\n".join(lines) or "no views yet")

    async def do_inspect(self, command: c.Inspect) -> Outcome:
        key = as_key(command.key)
        if command.node is not None:
            self._check(command.node)
        found = await self._inspect_all(key)
        self.cluster.remember_inspection(key, found)
        self.cluster.wanted = key
        return self._outcome(command, True, inspection_text(self.cluster.inspection(key, found, command.node)))

    async def do_say(self, command: c.Say) -> Outcome:
        self._emit(Narration(self.cluster.now, command.text))
        return self._outcome(command, True, command.text)


class _Invalid(ValueError):
    """A command that is wrong as given (unknown node...), not a failure of the cluster."""




async def open_attached(via: str, secret: bytes, data: str | None = None,
                        timeout: float = 3.0) -> AttachedCluster:
    """Probe the cluster at ``via`` and build the :class:`AttachedCluster` the app shows."""
    entry, addresses, config, snaps = await probe(via, secret, timeout)
    return attached_cluster(via, entry, addresses, config, snaps, data)
