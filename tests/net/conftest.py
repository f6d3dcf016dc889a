"""Fixtures for the TCP cluster tests: every process a test starts is killed at the end.

The finalizer SIGKILLs each recorded process group (nodes run in their own session),
whatever happened in the test, even when the cluster failed half-way through starting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from netcluster import LocalCluster


@pytest.fixture
def make_cluster(tmp_path: Path) -> Iterator[Callable[..., LocalCluster]]:
    made: list[LocalCluster] = []

    def make(nodes: int = 5, name: str = "cluster") -> LocalCluster:
        cluster = LocalCluster(tmp_path / name)
        made.append(cluster)  # registered before starting: cleaned up even if the start fails
        cluster.start(nodes)
        return cluster

    yield make
    for cluster in made:
        cluster.cleanup()
