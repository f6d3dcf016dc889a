"""slot.py: a cluster's tables live in its table slot (``cluster.tables``), so a copy of
the cluster (a session checkpoint) carries them, with nothing to patch after a restore.
And the package stays light: importing it, or ``values``, loads no engine, no cluster."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from table_helpers import keys_table

import dynviz.table as dt
from dynviz.session.timeline import Snapshot
from dynviz.table.console import desk_for
from dynviz.table.slot import TableSlot, engine_for

SECOND = 1_000_000


def test_one_engine_per_cluster_made_on_first_use() -> None:
    cluster = dt.default_cluster(seed=1)
    assert cluster.tables is None and cluster.table_desk() is None
    engine = engine_for(cluster)
    assert isinstance(cluster.tables, TableSlot) and cluster.tables.engine is engine
    assert engine_for(cluster) is engine and dt.client(cluster).engine is engine
    assert engine_for(dt.default_cluster(seed=1)) is not engine


def test_options_given_later_change_the_one_engine() -> None:
    cluster = dt.default_cluster(seed=1)
    engine = engine_for(cluster)
    dt.client(cluster, gsi_delay=5, item_collection_limit=7)
    assert engine_for(cluster) is engine and (engine.options.gsi_delay, engine.options.item_collection_limit) == (5, 7)
    with pytest.raises(TypeError):
        engine_for(cluster, gsi_dealy=5)  # type: ignore[call-arg]  # a misspelt option is refused


def test_the_desk_lives_in_the_slot_beside_the_engine() -> None:
    cluster = dt.default_cluster(seed=1)
    desk = desk_for(cluster)
    assert cluster.tables is not None and cluster.tables.desk is desk and cluster.table_desk() is desk
    assert desk.engine is engine_for(cluster) and desk_for(cluster) is desk


def _gsi_table(c: Any) -> None:
    c.create_table(**keys_table("gsi", ("pk", "S"), more_attributes=(("color", "S"),),
                                GlobalSecondaryIndexes=[{"IndexName": "bycolor",
                                                         "KeySchema": [{"AttributeName": "color", "KeyType": "HASH"}],
                                                         "Projection": {"ProjectionType": "ALL"}}]))


def test_a_restored_cluster_brings_its_tables_and_finishes_the_index_puts_in_flight() -> None:
    """The GSI puts in flight when the checkpoint was taken are copied with the cluster:
    the restored copy's acks complete its own index, never the original's (they were
    closures, shared by the checkpoint, so a restored copy's acks counted on the
    original's index and the copy's pending count never reached zero)."""
    c = dt.client(dt.default_cluster(seed=4), accelerator=True)
    _gsi_table(c)
    c.put_item(TableName="gsi", Item={"pk": {"S": "a"}, "color": {"S": "red"}})
    cluster = c.cluster
    cluster.run(c.engine.options.gsi_delay + 1)  # the index put is sent, not yet acknowledged
    assert c.snapshot("gsi").indexes[0].pending_updates == 1 and cluster.pending
    restored = Snapshot.take(cluster).restore()
    assert restored.tables is not None
    engine = restored.tables.engine
    assert engine is not c.engine and engine.cluster is restored and engine_for(restored) is engine
    assert engine.snapshot("gsi").indexes[0].pending_updates == 1
    restored.run(SECOND)
    assert engine.snapshot("gsi").indexes[0].pending_updates == 0
    assert engine.snapshot("gsi").indexes[0].item_count == 1
    assert c.snapshot("gsi").indexes[0].pending_updates == 1  # the original, not run since, still waits
    assert c.wait_for_indexes()


def test_a_restored_accelerators_caches_run_on_the_restored_clock() -> None:
    cluster = dt.default_cluster(seed=4)
    desk = desk_for(cluster)
    cluster.run(5 * SECOND)
    restored = Snapshot.take(cluster).restore()
    cluster.run(5 * SECOND)
    copy = desk_for(restored)
    assert copy is not desk and copy.fast.item_cache.clock() == restored.now != cluster.now


@pytest.mark.parametrize("module", ["dynviz.table", "dynviz.table.values", "dynviz.table.expressions"])
def test_importing_the_package_loads_no_engine_and_no_cluster(module: str) -> None:
    code = (f"import sys, {module}; "
            "print(sorted(m for m in sys.modules if m.startswith('dynviz.') and not m.startswith('dynviz.table')"
            " or m in ('dynviz.table.engine', 'dynviz.table.accelerator')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
