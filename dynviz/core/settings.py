"""The protocol's settings: one dataclass, one set of defaults, one validation.

Every node of a cluster must agree on these (quorums, the ring's shape, the version
scheme, timers, the context secret), whether it runs in the simulator or as a TCP
process. The simulator's :class:`~dynviz.cluster.ClusterConfig`, the TCP node's
:class:`~dynviz.net.process.NodeOptions` and the attached app's view of a live cluster
all extend :class:`ProtocolSettings`, so a default or a check cannot drift between
them (the per-replica timeout once defaulted to 50 ms in one and 200 ms in another).
Where a runtime needs other values (TCP's slower links), it passes them explicitly.

The option names are the command language's (``cluster handoff=off readrepair=off``),
so a session file's ``cluster`` line maps onto these fields one to one.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from dynviz.core.units import MS, SECOND

VERSIONING = ("dvv", "vclock")
RESOLVERS = ("siblings", "lww")
STRATEGIES = ("equal", "random", "random-equal")


class SettingsError(ValueError):
    """Settings that cannot work together; ``str`` is one line a user can act on."""


def check_quorum(n: int, r: int, w: int) -> None:
    """The quorum rule, in one place: 1 <= r <= n and 1 <= w <= n."""
    if n < 1:
        raise SettingsError(f"n must be at least 1, got {n}")
    if not 1 <= r <= n or not 1 <= w <= n:
        raise SettingsError(f"need 1 <= r <= n and 1 <= w <= n (got n={n} r={r} w={w})")


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtocolSettings:
    """What every node of one cluster shares (times in µs; see the module docstring)."""

    n: int = 3
    r: int = 2
    w: int = 2
    strategy: str = "equal"
    partitions: int | None = None
    """Q, the number of equal partitions (strategies ``equal`` and ``random-equal``); None:
    chosen from the size."""
    vnodes: int = 8
    """T, tokens per node (strategies ``random`` and ``random-equal``)."""
    versioning: str = "dvv"
    resolver: str = "siblings"
    handoff: bool = True
    """Hinted handoff: stand-ins hand hints back to their owner."""
    readrepair: bool = True
    antientropy: bool = True
    """Periodic Merkle-tree anti-entropy between replicas."""
    secret: bytes = b"dynviz-cluster-secret"
    """Signs get/put contexts (a tampered or foreign context is refused)."""
    replica_timeout: int = 50 * MS
    request_timeout: int = 500 * MS
    handoff_interval: int = 1 * SECOND
    handoff_batch: int = 64
    suspect_for: int = 2 * SECOND
    gossip_interval: int = 1 * SECOND
    suspect_after: int = 5 * SECOND
    antientropy_interval: int = 10 * SECOND
    max_siblings: int = 64
    """A put whose result would hold more siblings is refused: reconcile first."""
    max_hints: int = 100_000
    """A stand-in holding this many hints refuses more; the coordinator tries the next
    (0: the node stands in for nobody)."""

    def __post_init__(self) -> None:
        check_quorum(self.n, self.r, self.w)
        if self.versioning not in VERSIONING:
            raise SettingsError(f"versioning must be dvv or vclock, not {self.versioning!r}")
        if self.resolver not in RESOLVERS:
            raise SettingsError(f"resolver must be siblings or lww, not {self.resolver!r}")
        if self.strategy not in STRATEGIES:
            raise SettingsError(f"strategy must be one of {', '.join(STRATEGIES)}, not {self.strategy!r}")
        if self.partitions is not None and self.partitions < 1:
            raise SettingsError(f"partitions must be at least 1, got {self.partitions}")
        if self.vnodes < 1:
            raise SettingsError(f"vnodes must be at least 1, got {self.vnodes}")
        for name in ("replica_timeout", "request_timeout", "handoff_interval", "suspect_for",
                     "gossip_interval", "suspect_after", "antientropy_interval"):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{name} must be positive, got {getattr(self, name)} µs")
        for name in ("handoff_batch", "max_siblings"):
            if getattr(self, name) < 1:
                raise SettingsError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.max_hints < 0:  # 0: a node that stands in for nobody
            raise SettingsError(f"max_hints must be 0 or more, got {self.max_hints}")

    def protocol(self) -> ProtocolSettings:
        """Just the protocol settings (what a node is given), from a config that extends them."""
        if type(self) is ProtocolSettings:
            return self
        return ProtocolSettings(**{f.name: getattr(self, f.name) for f in fields(ProtocolSettings)})
