"""A durable table found again after a restart: its items are on the nodes' disks, but
what the table layer keeps in memory (state.py: the directory of partitions a Scan
walks, the counts DescribeTable reports, the GSIs' directories, the TTL heap) is not.

Once the table's definition is back in the catalog (the wire server replays the
control-plane requests it journaled, dynviz/wire/journal.py), :func:`recover` walks
every key group of the table that any node holds (dynviz/inventory.py, an
operator's full walk, as Riak's list-keys), reads each partition with a consistent
range read through the ring, and records each live item as a write would: counts,
directory, LSI sizes, GSI entries (propagated again, which rebuilds each GSI's
directory) and TTL. Tombstones stay dead. Each GSI is first emptied and then rebuilt
from the table, as a backfill builds one: an index update still queued when the server
stopped was lost with the memory it was queued in, so the stored entries may be stale. No stream record is made: the items were
written before the restart, and the records of that time are not kept (a stream's
records live in memory, streams.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynviz.inventory import stored_groups

if TYPE_CHECKING:
    from dynviz.table.engine import TableEngine


def recover(engine: TableEngine, name: str) -> int:
    """Find table ``name``'s items again; returns how many live items it has."""
    t = engine.table(name)
    sk_name = t.schema.sk.name if t.schema.sk else None
    for g in t.gsis.values():
        for group in stored_groups(engine.cluster, g.prefix):
            # as the table's own client, which read the entries: each delete is then over
            # the context its read saw and supersedes the entry (the index client has not
            # read them, and its delete would only be a concurrent sibling)
            engine.store.delete_group(group)
    found = 0
    for group in stored_groups(engine.cluster, t.name.encode() + b"/"):
        for entry in engine.store.group_entries(group, sk_name, consistent=True, chunk=1000,
                                                resolver=t.schema.resolver):
            item = entry.item
            assert item is not None  # group_entries yields live entries only
            engine.catalog.write_seq = max(engine.catalog.write_seq, entry.seq)
            engine.writes.restore(t, item[t.schema.pk.name], item)
            found += 1
    return found
