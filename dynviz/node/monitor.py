"""The node's side of the run-time invariants (issue 15): what it tells a watcher.

Most invariants the checker keeps while a run goes are about messages (did a put that
answered "ok" really collect W acks?) and the checker sees those on the simulated
network, without the node's help. Two are about a node forgetting data, and only the
node knows the moment: a stand-in removing a hint, and an old owner dropping a key after
a ring change. Just before either, the node calls its :attr:`~dynviz.node.node.Node.monitor`,
with what it is about to forget, so the watcher can check that the data lives on where
it must (the intended node; every node of the key's new preference list).

The hook is one attribute that is None unless a checker watches: it costs a comparison
on paths that are rare anyway.
"""

from __future__ import annotations

from typing import Protocol

from dynviz.core.versions import Siblings


class NodeMonitor(Protocol):
    """Told by a node just before it forgets data it held for the cluster."""

    def hint_removed(self, holder: str, intended: str, key: bytes, hint: Siblings) -> None:
        """``holder`` removes its hint for ``intended`` (the handoff was acknowledged)."""

    def key_dropped(self, holder: str, key: bytes, siblings: Siblings) -> None:
        """``holder`` drops ``key``: its ring no longer gives it a replica of the key."""


class InvariantMonitor(NodeMonitor, Protocol):
    """A node monitor that also sees every message a node or client receives (the
    simulator's network calls it just before the receiver handles the message)."""

    def delivered(self, src: str, dst: str, msg: object) -> None:
        """``msg`` from ``src`` is about to be handled by ``dst``."""
