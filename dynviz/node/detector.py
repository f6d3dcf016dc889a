"""Local failure detection: each node's own opinion of which peers are reachable.

Dynamo (paper section 4.8.1) detects failures locally: node A considers B failed when
B does not answer A's messages, and retries B periodically. We do exactly that with a
timeout detector: a peer that misses a per-replica deadline is suspected for
``suspect_for`` µs, after which it is tried again; any message from it clears the
suspicion at once. Gossip heartbeats (``gossip.py``) feed the same detector: a peer
whose heartbeat has not advanced for a while is suspected until it advances again.

Why a timeout detector and not phi accrual: on virtual time the heartbeat arrival
process is regular (gossip every second, latencies of milliseconds), so an adaptive
threshold buys nothing, and a fixed timeout is one number a learner can predict and
see on screen ("suspected 5 s after its last heartbeat").
"""

from __future__ import annotations

from dynviz.events import Suspected
from dynviz.node.runtime import Runtime

FOREVER = 1 << 62


class FailureDetector:
    """One node's opinion of its peers."""

    __slots__ = ("runtime", "suspect_for", "suspected_until")

    def __init__(self, runtime: Runtime, suspect_for: int) -> None:
        self.runtime = runtime
        self.suspect_for = suspect_for
        self.suspected_until: dict[str, int] = {}
        """peer -> the time its suspicion ends. Read-only outside: the hot paths (every
        message, every replica choice) test it directly; empty, nobody is suspected."""

    def reachable(self, peer: str) -> bool:
        until = self.suspected_until.get(peer)
        return until is None or self.runtime.now() >= until

    def suspect(self, peer: str, reason: str, duration: int | None = None) -> None:
        """Suspect ``peer`` for ``duration`` µs (default ``suspect_for``; ``FOREVER``
        for a stalled heartbeat: until the peer is heard from again). A suspicion only
        ever lengthens one in force: a coordinator's replica timeout (2 s) must not cut
        short a stalled heartbeat's, which only news from the peer may end."""
        rt = self.runtime
        now = rt.now()
        until = now + (self.suspect_for if duration is None else duration)
        current = self.suspected_until.get(peer)
        fresh = current is None or now >= current
        if current is None or until > current:
            self.suspected_until[peer] = until
        if fresh and rt.bus.active:
            rt.bus.emit(Suspected(rt.now(), rt.name, peer, True, reason))

    def heard_from(self, peer: str) -> None:
        if peer in self.suspected_until:
            del self.suspected_until[peer]
            rt = self.runtime
            if rt.bus.active:
                rt.bus.emit(Suspected(rt.now(), rt.name, peer, False, "it answered"))

    def suspected(self) -> list[str]:
        """Peers this node currently believes unreachable, sorted."""
        now = self.runtime.now()
        return sorted(p for p, until in self.suspected_until.items() if now < until)

    def clear(self) -> None:
        self.suspected_until.clear()
