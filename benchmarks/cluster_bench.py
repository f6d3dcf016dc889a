"""Throughput of the simulated cluster, its scaling with cluster size, and its memory.

Acceptance (issue 3): 5 nodes, N3 R2 W2, zero latency: >= 20,000 acknowledged puts/s and
>= 30,000 gets/s; per-op cost at 256 nodes <= 1.3x that at 8 nodes; 100k keys on 8
nodes in the memory engine under 300 MB RSS. The naive baseline beside it is the same
workload as plain function calls on three dicts per key (no network, no versions, no
coordinator): the floor a simulator can approach, printed so the ratio shows what the
protocol machinery costs.
"""

from __future__ import annotations

import subprocess
import sys
import time

from dynviz.cluster import Cluster, ClusterConfig
from dynviz.core.ring import build_ring, node_names
from dynviz.sim.tuning import tune_for_simulation


def _cluster(nodes: int) -> Cluster:
    return Cluster(ClusterConfig(nodes=tuple(node_names(nodes)), latency=(0, 0), seed=1))


def dynviz_rates(nodes: int = 5, ops: int = 20_000, keys: int = 1_000) -> tuple[float, float]:
    cluster = _cluster(nodes)
    names = [f"key{i}" for i in range(keys)]
    start = time.perf_counter()
    acked = 0
    for i in range(ops):
        acked += cluster.put(names[i % keys], f"v{i}", client="writer").ok
    puts = acked / (time.perf_counter() - start)
    start = time.perf_counter()
    found = 0
    for i in range(ops):
        found += cluster.get(names[i % keys], client="reader").ok
    gets = found / (time.perf_counter() - start)
    return puts, gets


def naive_rates(nodes: int = 5, ops: int = 20_000, keys: int = 1_000) -> tuple[float, float]:
    ring = build_ring(node_names(nodes), "equal")
    stores: dict[str, dict[bytes, bytes]] = {n: {} for n in ring.nodes}
    names = [f"key{i}".encode() for i in range(keys)]
    start = time.perf_counter()
    for i in range(ops):
        key = names[i % keys]
        for node in ring.preference_list(key, 3):
            stores[node][key] = b"v%d" % i
    puts = ops / (time.perf_counter() - start)
    start = time.perf_counter()
    for i in range(ops):
        key = names[i % keys]
        values = [stores[n].get(key) for n in ring.preference_list(key, 3)[:2]]
        assert values[0] is not None
    gets = ops / (time.perf_counter() - start)
    return puts, gets


def per_op_cost(nodes: int, ops: int = 10_000) -> float:
    cluster = _cluster(nodes)
    start = time.perf_counter()
    for i in range(ops):
        cluster.put(f"key{i % 2000}", "v", client="w")
        cluster.get(f"key{(i * 7) % 2000}", client="r")
    return (time.perf_counter() - start) / (2 * ops)


_RSS_SCRIPT = """
import resource
from dynviz.sim.tuning import tune_for_simulation
tune_for_simulation()
from dynviz.cluster import Cluster, ClusterConfig
from dynviz.core.ring import node_names
c = Cluster(ClusterConfig(nodes=tuple(node_names(8)), latency=(0, 0), seed=1))
pending = []
for i in range(100_000):
    pending.append(c.submit_put(f"user:{i}", "x" * 16))
    if len(pending) == 256:
        for p in pending:
            c.wait(p)
        pending.clear()
for p in pending:
    c.wait(p)
c.run(1_000_000)
held = sum(len(n.store) for n in c.nodes.values())
print(held, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def rss_for_100k_keys() -> tuple[int, float]:
    out = subprocess.run([sys.executable, "-c", _RSS_SCRIPT], capture_output=True, text=True, check=True)
    held, kib = out.stdout.split()
    return int(held), int(kib) / 1024


def main(argv: list[str] | None = None) -> int:
    tune_for_simulation()  # as the dynviz command does
    puts, gets = dynviz_rates()
    naive_puts, naive_gets = naive_rates()
    print("5 nodes, N3 R2 W2, zero latency, 20,000 ops each, one request at a time")
    print(f"  {'':8} {'dynviz':>12} {'naive dicts':>12} {'ratio':>8}  target")
    print(f"  {'puts/s':8} {puts:>12,.0f} {naive_puts:>12,.0f} {puts / naive_puts:>8.3f}  >= 20,000 acked: "
          f"{'ok' if puts >= 20_000 else 'BELOW TARGET'}")
    print(f"  {'gets/s':8} {gets:>12,.0f} {naive_gets:>12,.0f} {gets / naive_gets:>8.3f}  >= 30,000: "
          f"{'ok' if gets >= 30_000 else 'BELOW TARGET'}")
    small, large = per_op_cost(8), per_op_cost(256)
    ratio = large / small
    print("per-op cost (put + get), 8 vs 256 nodes")
    print(f"  8 nodes {small * 1e6:8.1f} us   256 nodes {large * 1e6:8.1f} us   ratio {ratio:.2f}  "
          f"(target <= 1.3: {'ok' if ratio <= 1.3 else 'ABOVE TARGET'})")
    held, rss = rss_for_100k_keys()
    print(f"100,000 keys x N=3 on 8 nodes (memory engine): {held:,} replicas, peak RSS {rss:.0f} MB "
          f"(target < 300 MB: {'ok' if rss < 300 else 'ABOVE TARGET'})")
    return 0
