"""The app on durable nodes (``dynviz --data DIR``): what it writes is on disk after it
closes, and a kill loses only memory."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from dynviz.storage.sqlite import SqliteStore
from dynviz.tui.app import DynvizApp
from dynviz.tui.workload import default_config


async def test_durable_nodes_keep_what_the_app_wrote(tmp_path: Path) -> None:
    config = replace(default_config(3, 5), storage="sqlite", dir=str(tmp_path))
    app = DynvizApp.live(seed=3, nodes=5, workload=False, playing=False, config=config)
    async with app.run_test(size=(120, 36)) as pilot:
        cluster = app.cluster
        assert all(isinstance(node.store, SqliteStore) for node in cluster.nodes.values())
        app.run_line("put cart:durable kept")
        app.run_for(1_000_000)
        await pilot.pause()
        app.run_line("kill n1")
        app.run_line("recover n1")
        app.run_for(1_000_000)
        await pilot.pause()
        holders = [n for n, node in cluster.nodes.items() if node.store.get(b"cart:durable") is not None]
        assert len(holders) >= 2
    cluster.close()
    for name in holders:
        reopened = SqliteStore(tmp_path / f"{name}.sqlite")
        stored = reopened.get(b"cart:durable")
        assert stored is not None and [v.value for v in stored.versions] == [b"kept"]
        reopened.close()
