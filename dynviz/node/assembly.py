"""Putting a node together: the protocol core plus its components, on any runtime.

The simulator's cluster and a real TCP node process build nodes the same way, so the
code that runs on virtual time is the code that runs on sockets (DESIGN §1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dynviz.core.membership import Member, View
from dynviz.core.units import SECOND
from dynviz.core.versions import Versioning
from dynviz.node.antientropy import AntiEntropy
from dynviz.node.gossip import Gossip
from dynviz.node.handoff import HintStore
from dynviz.node.node import Node, NodeConfig
from dynviz.node.rebalance import Rebalance
from dynviz.node.runtime import Runtime
from dynviz.storage.base import Store


@dataclass(frozen=True, slots=True)
class NodeSettings:
    """Everything a node needs besides its runtime and storage."""

    config: NodeConfig
    seeds: tuple[str, ...]
    strategy: str = "equal"
    partitions: int = 0
    vnodes: int = 8
    seed: int = 0
    gossip_interval: int = 1 * SECOND
    suspect_after: int = 5 * SECOND
    antientropy: bool = True
    antientropy_interval: int = 10 * SECOND


def assemble_node(name: str, runtime: Runtime, store: Store, hints: Store, members: Iterable[Member],
                  versioning: Versioning, settings: NodeSettings, epoch: int = 0) -> Node:
    """A node with gossip, rebalancing and anti-entropy installed (not yet started)."""
    view = View(members)
    node = Node(name, runtime, store, HintStore(hints), view.ring(), versioning, settings.config, epoch)
    gossip = Gossip(node, view, settings.seeds, interval=settings.gossip_interval,
                    suspect_after=settings.suspect_after)
    node.install(gossip)
    node.install(Rebalance(node, gossip, settings.strategy, settings.partitions, settings.vnodes, settings.seed))
    node.install(AntiEntropy(node, interval=settings.antientropy_interval, enabled=settings.antientropy))
    return node
