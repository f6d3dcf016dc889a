"""The metrics observer (issue 18): what it keeps from the events a cluster emits, and
the arithmetic under the plots (percentiles, buckets, staleness)."""

from __future__ import annotations

import pytest

from dynviz.cluster import Cluster, ClusterConfig
from dynviz.core.units import MS, SECOND
from dynviz.events import AntiEntropyExchange, ClientAnswered, EventBus
from dynviz.metrics import Metrics, charts
from dynviz.metrics.series import edge_index, percentile


def answered(time: int, op: str = "get", key: bytes = b"k", latency: int = 10 * MS, ok: bool = True,
             values: tuple[bytes, ...] = (), versions: int = 1, req: int = 0, coordinator: str = "n1") -> ClientAnswered:
    return ClientAnswered(time, req, op, key, "c", ok, coordinator, time - latency, values, versions)


def test_percentile_is_nearest_rank() -> None:
    xs = list(range(1, 1001))
    assert percentile(xs, 0.5) == 500
    assert percentile(xs, 0.999) == 999
    assert percentile(xs[:10], 0.999) == 10
    assert percentile([], 0.5) is None


def test_edges() -> None:
    assert edge_index(0) == 0
    assert edge_index(999) == 0
    assert edge_index(1000) == 1
    assert edge_index(10**9) == 12
    assert edge_index(-5) == 0


def test_latency_window_and_throughput() -> None:
    m = Metrics(bucket=SECOND, window=2 * SECOND)
    for i in range(10):
        m(answered(i * 100 * MS, latency=(i + 1) * MS, req=i))
    for i in range(10):
        m(answered(SECOND + i * 100 * MS, latency=100 * MS, req=10 + i))
    snap = m.snapshot()
    assert snap.times == (1.0, 2.0)
    assert snap.throughput == (10.0, 10.0)
    assert snap.latency["get"]["p50"][0] == 5.0
    assert snap.latency["get"]["p99.9"] == (10.0, 100.0)  # the window holds both seconds
    assert snap.totals["get"]["count"] == 20


def test_quiet_time_opens_empty_buckets_and_time_going_back_starts_over() -> None:
    m = Metrics(bucket=SECOND, keep=5)
    m(answered(0))
    m(answered(20 * SECOND))
    snap = m.snapshot()
    assert len(snap.times) == 5 and snap.throughput[-1] == 1.0 and sum(snap.throughput) == 1.0
    m(answered(3 * SECOND))  # a new cluster: its clock starts again
    assert m.snapshot().totals["get"]["count"] == 1


def test_failures_count_against_success_but_not_versions() -> None:
    m = Metrics(bucket=SECOND)
    m(answered(10, ok=True, versions=2))
    m(answered(20, ok=False, versions=0))
    snap = m.snapshot()
    assert snap.success == (0.5,)
    assert snap.versions_seen == ((2, 1),)


def test_staleness_fresh_stale_and_newer() -> None:
    m = Metrics()
    m(answered(100 * MS, op="put", values=(b"a",), req=1))
    m(answered(200 * MS, op="put", values=(b"b",), req=2))
    # started 5 ms after b's ack: returned b (fresh), a (stale), an unknown newer value (fresh)
    m(answered(210 * MS, latency=5 * MS, values=(b"b",), req=3))
    m(answered(210 * MS, latency=5 * MS, values=(b"a",), req=4))
    m(answered(210 * MS, latency=5 * MS, values=(b"c",), req=5))
    # started before b was acknowledged: judged against a, so b is newer (fresh)
    m(answered(265 * MS, latency=70 * MS, values=(b"b",), req=6))
    rows = {r.edge: r for r in m.staleness()}
    assert (rows[5 * MS].reads, rows[5 * MS].fresh) == (3, 2)
    assert (rows[50 * MS].reads, rows[50 * MS].fresh) == (1, 1)
    m(answered(300 * MS, key=b"other", values=(b"x",), req=7))  # no acknowledged write: not counted
    assert sum(r.reads for r in m.staleness()) == 4


def test_antientropy_and_gauges() -> None:
    m = Metrics(bucket=SECOND)
    m(AntiEntropyExchange(10, "n1", "n2", keys_sent_by_a=(b"x", b"y"), keys_sent_by_b=(b"y",), bytes_moved=300))

    class View:
        now = 20

        def node_views(self):  # type: ignore[no-untyped-def]
            from types import SimpleNamespace
            return [SimpleNamespace(name="n1", keys=4, hints=2), SimpleNamespace(name="n2", keys=3, hints=1)]

    m.sample(View())
    snap = m.snapshot()
    assert snap.ae_keys == (2,) and snap.ae_bytes == (300,)
    assert snap.hints == (3,) and dict(snap.keys_held) == {"n1": 4, "n2": 3}


@pytest.mark.parametrize("seed", [1, 7])
def test_a_real_cluster_fills_every_series(seed: int) -> None:
    bus = EventBus()
    m = Metrics()
    m.watch(bus)
    cluster = Cluster(ClusterConfig(nodes=("n1", "n2", "n3", "n4"), seed=seed), bus=bus)
    for i in range(60):
        cluster.put(f"k{i % 6}", f"v{i}", client="writer")
        cluster.get(f"k{i % 6}", client="reader")
        m.sample(cluster)
    snap = m.snapshot(cluster.now)
    assert snap.totals["put"]["count"] == 60 and snap.totals["get"]["ok"] == 60
    assert sum(n for _, n in snap.coordinated) == 120
    assert sum(n for _, n in snap.keys_held) == 6 * 3
    # each read began after its key's last write was acknowledged, by the same process: all fresh
    assert sum(r.reads for r in snap.staleness) == 60 == sum(r.fresh for r in snap.staleness)
    for figure in charts.all_figures(snap):
        assert figure.title
    assert snap.to_json()["totals"]["get"]["count"] == 60


def test_a_cluster_nobody_measures_emits_nothing() -> None:
    cluster = Cluster(ClusterConfig(nodes=("n1", "n2", "n3")))
    assert not cluster.bus.active
    assert cluster.put("k", "v").ok
