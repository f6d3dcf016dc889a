"""Putting a node together: the protocol core plus its components, on any runtime.

The simulator's cluster and a real TCP node process build nodes the same way, so the
code that runs on virtual time is the code that runs on sockets (DESIGN §1).
"""

from __future__ import annotations

from collections.abc import Iterable

from dynviz.core.membership import Member, View
from dynviz.core.settings import ProtocolSettings
from dynviz.core.versions import Siblings, versioning
from dynviz.node.antientropy import AntiEntropy
from dynviz.node.gossip import Gossip
from dynviz.node.handoff import HintStore
from dynviz.node.node import Node
from dynviz.node.rebalance import Rebalance
from dynviz.node.runtime import Runtime
from dynviz.storage.base import Store


def assemble_node(name: str, runtime: Runtime, store: Store[Siblings], hints: Store[Siblings], members: Iterable[Member],
                  settings: ProtocolSettings, *, seeds: tuple[str, ...], ring_seed: int, partitions: int,
                  epoch: int = 0) -> Node:
    """A node with gossip, rebalancing and anti-entropy installed (not yet started).

    ``seeds`` are the gossip seed nodes; ``ring_seed`` and ``partitions`` (Q, resolved:
    0 for the random strategy) are what a ring change needs to place new tokens the
    way the initial ring did."""
    settings = settings.protocol()
    view = View(members, partitions if settings.strategy == "random-equal" else 0)
    node = Node(name, runtime, store, HintStore(hints), view.ring(), versioning(settings.versioning), settings,
                epoch)
    gossip = Gossip(node, view, seeds, interval=settings.gossip_interval, suspect_after=settings.suspect_after)
    node.attach(gossip, Rebalance(node, gossip, settings.strategy, partitions, settings.vnodes, ring_seed),
                AntiEntropy(node, interval=settings.antientropy_interval, enabled=settings.antientropy))
    return node
