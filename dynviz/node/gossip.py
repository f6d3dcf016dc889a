"""Gossip: membership views, heartbeats and seeds (paper sections 4.8.1-4.8.2).

Every ``interval`` (1 s, as in the paper) a node bumps its own heartbeat and
reconciles its view with one random live peer, push-pull: it sends its entries, the
peer merges them and answers with its own, which the node merges. With probability
``seed_probability`` it also gossips with a seed node, which keeps the cluster from
splitting into groups that never hear of each other. Each node derives its ring
(and the ring a change in progress will give) from its own view.

What the views show: for every rumour (an entry's version or generation changed:
a join, a leave, a restart) the time and round at which each node learned it,
as ``Learned`` events and in ``learned``, so the TUI can draw the infection curve.
Heartbeats feed the local failure detector: a peer whose heartbeat has not advanced
for ``suspect_after`` is suspected until it advances.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from random import Random
from typing import TYPE_CHECKING, Any, NamedTuple

from dynviz.core.membership import Member, Update, View
from dynviz.events import GossipRound, Learned
from dynviz.node.component import Component
from dynviz.node.detector import FOREVER

if TYPE_CHECKING:
    from dynviz.node.node import Node


class GossipPush(NamedTuple):
    entries: tuple[Member, ...]
    round: int


class GossipPull(NamedTuple):
    entries: tuple[Member, ...]
    round: int


def choose_peer(candidates: Sequence[str], rng: Random) -> str | None:
    """A uniformly random peer (the benchmark uses this same choice)."""
    if not candidates:
        return None
    return candidates[rng.randrange(len(candidates))]


class Gossip(Component):
    name = "gossip"

    def __init__(self, node: Node, view: View, seeds: Sequence[str], interval: int = 1_000_000,
                 seed_probability: float = 0.25, suspect_after: int = 5_000_000) -> None:
        super().__init__(node)
        self.view = view
        self.seeds = tuple(seeds)
        self.interval = interval
        self.seed_probability = seed_probability
        self.suspect_after = suspect_after
        self.round = 0
        self.progress: dict[str, int] = {}  # subject -> local time its heartbeat last advanced
        self.learned: dict[tuple[str, int, int], tuple[int, int]] = {}  # rumour -> (time, round)
        self.listeners: list[Callable[[list[Update]], None]] = []
        self._timer: Any = None
        self._apply_rings()

    def handlers(self) -> dict[type, Callable[[str, Any], None]]:
        return {GossipPush: self.on_push, GossipPull: self.on_pull}

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        node = self.node
        me = self.view.get(node.name)
        now = node.runtime.now()
        if me is not None:
            # A (re)started process is a new incarnation: its heartbeat starts over.
            self.view.put(replace(me, generation=me.generation + (1 if now > 0 else 0), heartbeat=0))
            self._record(Update(me, self.view.members[node.name]), source="")
        for name in self.view.members:
            self.progress.setdefault(name, now)
        rng = node.runtime.rng
        self._timer = node.runtime.set_timer(rng.randrange(self.interval) + 1, self._tick)

    def crash(self) -> None:
        self.progress.clear()

    # -- rounds ------------------------------------------------------------------------

    def _tick(self) -> None:
        self._timer = self.node.runtime.set_timer(self.interval, self._tick)
        self.gossip_once()

    def gossip_once(self) -> str | None:
        """One round now: heartbeat, check peers' heartbeats, exchange with a peer."""
        node = self.node
        rt = node.runtime
        self.round += 1
        me = self.view.get(node.name)
        if me is not None:
            self.view.put(replace(me, heartbeat=me.heartbeat + 1))
        self._check_heartbeats()
        detector = node.detector
        candidates = [n for n in self.view.live_names() if n != node.name and detector.reachable(n)]
        if not candidates:
            candidates = [n for n in self.view.live_names() if n != node.name]
        peer = choose_peer(candidates, rt.rng)
        entries = self.view.entries()
        if peer is not None:
            rt.send(peer, GossipPush(entries, self.round))
            if rt.bus.active:
                rt.bus.emit(GossipRound(rt.now(), node.name, peer, self.round))
        seeds = [s for s in self.seeds if s != node.name and s != peer]
        if seeds and rt.rng.random() < self.seed_probability:
            rt.send(seeds[rt.rng.randrange(len(seeds))], GossipPush(entries, self.round))
        return peer

    def _check_heartbeats(self) -> None:
        node = self.node
        now = node.runtime.now()
        detector = node.detector
        for name, member in self.view.members.items():
            if name == node.name or member.status not in ("joining", "up", "leaving"):
                continue
            last = self.progress.get(name, now)
            if now - last > self.suspect_after and detector.reachable(name):
                detector.suspect(name, f"no heartbeat for {(now - last) / 1e6:.1f}s", FOREVER)

    # -- exchange ------------------------------------------------------------------------

    def on_push(self, src: str, msg: GossipPush) -> None:
        self.merge(msg.entries, src)
        self.node.runtime.send(src, GossipPull(self.view.entries(), msg.round))

    def on_pull(self, src: str, msg: GossipPull) -> None:
        self.merge(msg.entries, src)

    def merge(self, entries: tuple[Member, ...], source: str) -> list[Update]:
        updates = self.view.merge(entries)
        if not updates:
            return updates
        node = self.node
        now = node.runtime.now()
        rumours = False
        for update in updates:
            name = update.after.name
            if name == node.name and update.before is not None:
                # Someone changed our entry (an admin action): adopt its meaning, keep
                # our own incarnation and heartbeat, which only we advance.
                before = update.before
                mine = replace(update.after, generation=max(before.generation, update.after.generation),
                               heartbeat=max(before.heartbeat, update.after.heartbeat))
                self.view.put(mine)
            if update.heartbeat_progressed:
                self.progress[name] = now
                if name != node.name and not node.detector.reachable(name):
                    node.detector.heard_from(name)
            if update.is_rumour:
                rumours = True
                self._record(update, source)
        if rumours:
            self._apply_rings()
            self._acknowledge_plans()
            for listener in self.listeners:
                listener(updates)
        return updates

    def _acknowledge_plans(self) -> None:
        """Say in our own entry which planned ring change we know of, so its starter
        can wait until every live node sends writes to the pending replicas too."""
        node = self.node
        me = self.view.get(node.name)
        if me is None:
            return
        plans = sorted({m.change for m in self.view.members.values() if m.pending is not None and m.change})
        if plans and me.seen != plans[-1]:
            self.view.put(replace(me, seen=plans[-1], heartbeat=me.heartbeat + 1))

    def change_entries(self, members: Sequence[Member]) -> None:
        """Publish changed entries made here (an admin action: join, leave, commit)."""
        updates = [Update(self.view.get(m.name), m) for m in members]
        for m in members:
            self.view.put(m)
        for update in updates:
            self._record(update, source="")
        self._apply_rings()
        self._acknowledge_plans()
        for listener in self.listeners:
            listener(updates)

    def _record(self, update: Update, source: str) -> None:
        node = self.node
        after = update.after
        rumour = (after.name, after.generation, after.version)
        if rumour in self.learned:
            return
        rt = node.runtime
        self.learned[rumour] = (rt.now(), self.round)
        if rt.bus.active:
            rt.bus.emit(Learned(rt.now(), node.name, after.name, after.generation, after.version,
                                after.status, source, self.round))

    def _apply_rings(self) -> None:
        node = self.node
        try:
            node.ring = self.view.ring()
        except ValueError:
            return  # no member with tokens yet (a joiner before its first exchange)
        node.pending_ring = self.view.pending_ring()

    # -- views -------------------------------------------------------------------------

    def freshness(self) -> dict[str, tuple[str, int, bool]]:
        """subject -> (status in this view, age of its heartbeat here in µs, suspected)."""
        node = self.node
        now = node.runtime.now()
        out = {}
        for name, member in self.view.members.items():
            age = 0 if name == node.name else now - self.progress.get(name, now)
            out[name] = (member.status, age, name != node.name and not node.detector.reachable(name))
        return out
