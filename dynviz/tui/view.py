"""What the app's panels may read, and the frame they are drawn from (DESIGN §8).

Panels never reach into the app, a node or the scheduler. Every frame the app builds
one :class:`Frame` (the cluster as a :class:`ClusterView`, the event tape, the journal,
the selection, the clock) and hands it to each panel's ``refresh_view``. The simulator's
:class:`~dynviz.cluster.Cluster` and the attached TCP cluster
(:class:`~dynviz.tui.attach.AttachedCluster`) both implement :class:`ClusterView` for
real: nothing is faked so that a panel does not crash.

A panel that needs to act (a node clicked, a table command) posts a message; the app
turns it into a command. That keeps the arrow one way: app -> frame -> panel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from dynviz.cluster import Inspection, NodeView
    from dynviz.core.ring import Ring
    from dynviz.sim.choices import Choices, PendingMessage
    from dynviz.sim.network import InFlight
    from dynviz.tui.journal import Journal
    from dynviz.tui.tape import EventTape


class ViewConfig(Protocol):
    """The parts of a cluster's configuration that panels show."""

    @property
    def n(self) -> int: ...
    @property
    def r(self) -> int: ...
    @property
    def w(self) -> int: ...
    @property
    def versioning(self) -> str: ...
    @property
    def seed(self) -> int: ...
    @property
    def antientropy(self) -> bool: ...
    @property
    def gossip_interval(self) -> int: ...
    @property
    def suspect_after(self) -> int: ...


@runtime_checkable
class ClusterView(Protocol):
    """A cluster as panels read it: the ring, the nodes, a key's replicas, who knows
    what about whom, the messages on the wire, the network's groups."""

    @property
    def now(self) -> int:
        """Virtual µs (the simulator) or µs since attaching (a live cluster)."""
        ...

    @property
    def config(self) -> ViewConfig: ...

    @property
    def ring(self) -> Ring:
        """The ring a partition-aware client holds."""
        ...

    def node_names(self) -> tuple[str, ...]:
        """Every node, in the cluster's order (colours are assigned by this order)."""
        ...

    def node_ring(self, name: str) -> Ring:
        """``name``'s own view of the ring (it can lag during a join or leave)."""
        ...

    def is_up(self, node: str) -> bool: ...

    def node_views(self) -> list[NodeView]: ...

    def inspect(self, key: bytes | str, node: str | None = None) -> Inspection: ...

    def gossip_matrix(self) -> dict[str, dict[str, tuple[str, int, bool]]]:
        """observer -> subject -> (status, heartbeat age µs, suspected)."""
        ...

    def views(self) -> Mapping[str, Sequence[Any]]:
        """node -> its membership view (entries with name, status, version, generation)."""
        ...

    def flights(self) -> list[InFlight]:
        """Messages on the wire now (empty when they cannot be observed)."""
        ...

    def choices(self) -> Choices:
        """The pending messages and timers a learner may choose among, and the holds on
        (nothing where delivery cannot be chosen, as over TCP)."""
        ...

    def observes_messages(self) -> bool:
        """Whether messages on the wire can be seen at all (not over TCP)."""
        ...

    def partition_groups(self) -> Mapping[str, int]:
        """node -> group while the network is split; empty when whole."""
        ...

    def table_desk(self) -> Any | None:
        """The DynamoDB-style tables on this cluster (a
        :class:`~dynviz.table.console.TableDesk`), or None where there are none."""
        ...


@dataclass(frozen=True, slots=True)
class Clock:
    """How time moves, as the status line says it.

    ``state`` is one word: ``playing``, ``paused``, ``waiting`` (a lesson waits for the
    reader), ``working`` (a long ``step``/``run``/``settle`` runs in slices), ``live``
    (real time, an attached cluster) or ``stale`` (the nodes stopped answering).
    ``detail`` says more (a job's progress, where the app is attached).
    """

    state: str
    speed: float = 1.0
    detail: str = ""

    @property
    def playing(self) -> bool:
        return self.state in ("playing", "working", "live")


@dataclass(frozen=True, slots=True)
class Frame:
    """Everything a panel draws from, for one frame."""

    view: ClusterView
    tape: EventTape
    journal: Journal
    key: bytes | None
    node: str | None
    table: str | None
    log_hidden: frozenset[str]
    clock: Clock
    workload: bool | None  # None where there is no background workload
    choice: str | None = None  # the pending message (m42) selected in the Network panel
    endpoint: str | None = None  # the DynamoDB endpoint served on this cluster (DynamoDB :8000)


def chosen_message(frame: Frame) -> PendingMessage | None:
    """The pending message selected in the Network panel (``frame.choice``), if it is
    still pending: the ring and the space-time diagram draw it."""
    if frame.choice is None or not frame.choice.startswith("m"):
        return None
    return next((m for m in frame.view.choices().messages if m.id == frame.choice), None)


class FrameView(Protocol):
    """A widget the app refreshes every frame."""

    def refresh_view(self, frame: Frame) -> None: ...
