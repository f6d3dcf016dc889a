"""The shape of a node's optional parts (gossip, anti-entropy, rebalancing).

A component is installed on a node: it brings message handlers and periodic timers,
and may watch the node's local writes. The node stays the single way in (``handle``)
and the runtime the single way out, so components are as sans-I/O as the node.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dynviz.core.versions import Siblings
    from dynviz.node.node import Node


class Component:
    """Base class: override what the component needs."""

    name = "component"

    def __init__(self, node: Node) -> None:
        self.node = node

    def handlers(self) -> dict[type, Callable[[str, Any], None]]:
        """Message type -> handler, merged into the node's dispatch table."""
        return {}

    def start(self) -> None:
        """Schedule periodic work (on creation and on every recovery)."""

    def crash(self) -> None:
        """Forget in-memory state (the process died)."""

    def wipe(self) -> None:
        """Forget durable state too (the disk was lost)."""

    def stored(self, key: bytes, siblings: Siblings | None) -> None:
        """Called after every local write of ``key`` (only if ``watches_writes``);
        ``siblings`` is None when the key was dropped from this node."""

    watches_writes = False
