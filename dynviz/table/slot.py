"""Where a cluster keeps its tables: ``cluster.tables``, a :class:`TableSlot`.

The table layer sits on the cluster (DESIGN §1), so the cluster does not build it:
the slot starts empty and :func:`engine_for` fills it on first use. It is a plain
attribute of the cluster, so whatever copies the cluster copies the tables with it:
a checkpoint of a session (a pickle of the cluster, session/timeline.py) restores a
cluster whose slot holds the tables, the GSI puts in flight and the command
language's desk as they were, bound to the restored cluster and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from dynviz.table.engine import TableEngine

if TYPE_CHECKING:
    from dynviz.cluster import Cluster
    from dynviz.table.console import TableDesk


@dataclass(slots=True, eq=False)
class TableSlot:
    """The table layer's state on one cluster: its engine (every table, their
    capacity, indexes and streams) and, once the command language has run a table
    command, its desk (the clients it uses and what the views show, console.py)."""

    engine: TableEngine
    desk: TableDesk | None = None


def slot_for(cluster: Cluster) -> TableSlot:
    """The table slot of ``cluster``, filled with a new engine on first use."""
    slot = cluster.tables
    if slot is None:
        slot = cluster.tables = TableSlot(TableEngine(cluster))
    return slot


def engine_for(cluster: Cluster, *, gsi_delay: int | None = None,
               item_collection_limit: int | None = None) -> TableEngine:
    """The one table engine of ``cluster``, made on first use; the options given
    change it (for every client of the cluster)."""
    engine = slot_for(cluster).engine
    if gsi_delay is not None:
        engine.options.gsi_delay = gsi_delay
    if item_collection_limit is not None:
        engine.options.item_collection_limit = item_collection_limit
    return engine
