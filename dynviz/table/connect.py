"""Getting a client: ``dynviz.table.client(cluster=None, accelerator=False)``.

The one place that knows both kinds of client (the plain one, client.py, and the one
with DAX's caches in front, accelerator.py), so that neither imports the other's
maker. The package's ``client`` is :func:`make_client`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# At module level, not in make_client: the package binds the name ``client`` to
# make_client once this module (and so the submodule ``dynviz.table.client``) is loaded;
# a first import of the submodule after that would rebind the name to the module.
from dynviz.table.client import TableClient

if TYPE_CHECKING:
    from dynviz.cluster import Cluster


def make_client(cluster: Cluster | None = None, accelerator: bool | dict[str, Any] = False, *,
                gsi_delay: int | None = None, item_collection_limit: int | None = None) -> TableClient:
    """A boto3-shaped DynamoDB client on ``cluster`` (default: a new embedded cluster of
    8 nodes, N3 R2 W2, dotted version vectors). ``accelerator=True`` (or a dict of
    ``AcceleratedClient`` options) puts a DAX-like cache in front. ``gsi_delay`` and
    ``item_collection_limit`` tune the cluster's table engine."""
    # The engine and the accelerator are imported when a client is made, so that
    # importing the package (for its values or errors) loads neither.
    from dynviz.table.accelerator import AcceleratedClient
    from dynviz.table.slot import engine_for

    if cluster is None:
        cluster = default_cluster()
    engine = engine_for(cluster, gsi_delay=gsi_delay, item_collection_limit=item_collection_limit)
    if accelerator:
        opts = accelerator if isinstance(accelerator, dict) else {}
        return AcceleratedClient(cluster, engine, **opts)
    return TableClient(cluster, engine)


def default_cluster(seed: int = 0) -> Cluster:
    """The embedded default cluster: 8 nodes, N3 R2 W2, dvv (as the app opens on)."""
    from dynviz.cluster import (  # the table layer is handed a cluster; this makes one
        Cluster,
        ClusterConfig,
    )

    names = tuple(f"n{i}" for i in range(1, 9))
    return Cluster(ClusterConfig(nodes=names, n=3, r=2, w=2, versioning="dvv", seed=seed))
