"""The embedded default cluster and the gentle workload the app runs on it.

``dynviz`` with no arguments opens on a cluster people can explore at once: 8 nodes,
N3 R2 W2, dotted version vectors, a few keys already written, and a trickle of reads
and writes so the ring and the log show life. The workload is a client like any other
(``Cluster.submit_put``/``submit_get``) driven by its own seeded stream, so it never
disturbs the runtime's randomness; the user turns it off with ``w``.

Both go through the command language so a recording holds them: the preload is the
``setup`` commands of :func:`preload_commands` (run synchronously, as ``Executor.execute``
does), and each workload operation is a command ``as workload get KEY`` or ``as workload
put KEY VALUE`` (:meth:`Workload.fire` returns its text; the app records and submits
it like any other command, with origin ``workload``).
"""

from __future__ import annotations

from dynviz.cluster import Cluster, ClusterConfig
from dynviz.core.units import SECOND
from dynviz.sim.rng import stream

PRELOAD: tuple[tuple[str, str], ...] = (
    ("cart:alice", "book"),
    ("cart:bob", "lamp"),
    ("user:42", "ada"),
    ("user:7", "grace"),
    ("session:9f", "active"),
    ("config:theme", "dark"),
)
"""Keys written through the cluster at startup (key, value): the user's to play with."""

WORKLOAD_KEYS: tuple[str, ...] = (
    "stock:widget", "stock:gadget", "visits:home", "visits:docs", "feed:news", "score:game1",
)
"""The workload's own keys. It never touches the preloaded ones, so what a user does to
``cart:alice`` is all that happens to it (no siblings with writes they did not make,
and a short version history)."""

WORKLOAD_CLIENT = "workload"


def default_config(seed: int = 0, nodes: int = 8) -> ClusterConfig:
    names = tuple(f"n{i}" for i in range(1, nodes + 1))
    n = min(3, nodes)
    return ClusterConfig(nodes=names, n=n, r=min(2, n), w=min(2, n), versioning="dvv", seed=seed)


def preload_commands(keys: tuple[tuple[str, str], ...] = PRELOAD) -> list[str]:
    """The startup writes as command lines (``as setup put KEY VALUE``)."""
    return [f"as setup put {key} {value}" for key, value in keys]


def preload(cluster: Cluster, keys: tuple[tuple[str, str], ...] = PRELOAD) -> None:
    """Write the starter keys through the cluster (real puts, real events); the same
    writes as running :func:`preload_commands` with ``Executor.execute``."""
    for key, value in keys:
        cluster.put(key, value, client="setup")


class Workload:
    """A few gets and puts per virtual second over its own keys (:data:`WORKLOAD_KEYS`).

    ``due(now)`` says when the next operation falls; the app advances the simulation to
    that instant, then calls ``fire``. Times come from an exponential distribution
    (a Poisson process of ``rate`` operations per virtual second).
    """

    def __init__(self, seed: int, rate: float = 3.0, keys: tuple[str, ...] | None = None) -> None:
        self.rng = stream(seed, "workload")
        self.rate = rate
        self.keys = keys or WORKLOAD_KEYS
        self.enabled = True
        self.next_at: int | None = None
        self.counter = 0

    def reset(self, now: int) -> None:
        self.next_at = now + self._gap()

    def _gap(self) -> int:
        return max(1, int(self.rng.expovariate(self.rate) * SECOND))

    def due(self, now: int) -> int:
        if self.next_at is None or self.next_at < now:
            self.next_at = now + self._gap()
        return self.next_at

    def fire(self, cluster: Cluster) -> str:
        """Choose one operation (a read two times in three), schedule the next, and
        return the operation as a command line for the app to record and submit."""
        key = self.rng.choice(self.keys)
        # Read-modify-write: it writes only keys it has read, over what it read, so its
        # writes supersede (no siblings of its own making; a user's blind put still
        # makes them, which is the lesson). Looked up without creating the client: the
        # choice must not touch the cluster, only the command does.
        client = cluster.clients.get(WORKLOAD_CLIENT)
        has_context = client is not None and key.encode() in client.contexts
        if self.rng.random() < 0.66 or not has_context:
            text = f"as {WORKLOAD_CLIENT} get {key}"
        else:
            self.counter += 1
            text = f"as {WORKLOAD_CLIENT} put {key} w{self.counter}"
        self.next_at = cluster.now + self._gap()
        return text
