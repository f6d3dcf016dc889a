"""An operator's inventory of what the nodes hold on disk, walked outside any request.

Riak's "list keys": every node's store (and its hints) read key by key, up or down,
with no quorum and no message. Nothing on a request's path uses it; the table layer
does once, to find a durable table's partitions again after a restart
(dynviz/table/recovery.py), and then reads them through the ring as any request would.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynviz.core.hashing import placement_of

if TYPE_CHECKING:
    from dynviz.cluster import Cluster


def stored_groups(cluster: Cluster, prefix: bytes) -> list[bytes]:
    """Every key group starting with ``prefix`` that some node holds a key of, in its
    store or among its hints. Sorted, so a walk of them is deterministic."""
    groups: set[bytes] = set()
    for node in cluster.nodes.values():
        keys = [k for _, k in node.store.keys_in_range(0, 0)]  # (0, 0] wraps: the whole ring
        keys += [k for _, k, _ in node.hints.items()]
        for key in keys:
            if key[:1] == b"\x1e":
                group = placement_of(key)
                if group is not key and group.startswith(prefix):
                    groups.add(group)
    return sorted(groups)
