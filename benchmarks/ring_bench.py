"""Key -> preference list (N=3) throughput, dynviz versus uhashring, and the load
balance of both partitioning strategies.

Acceptance (issue 2): dynviz >= 2x uhashring's ``range(key, 3)`` in the same run;
strategy ``equal`` mean/max keys per node >= 0.98 on 8 nodes and 100k keys.
"""

from __future__ import annotations

import time
from collections import Counter

from dynviz.core.ring import build_ring, node_names


def _keys(count: int) -> list[bytes]:
    return [f"user:{i}:cart".encode() for i in range(count)]


def throughput(count: int = 100_000, nodes: int = 8) -> dict[str, float]:
    keys = _keys(count)
    names = node_names(nodes)
    ring = build_ring(names, "equal", n=3)
    start = time.perf_counter()
    for key in keys:
        ring.preference_list(key, 3)
    ours = count / (time.perf_counter() - start)
    result = {"dynviz_lookups_per_s": ours}
    try:
        from uhashring import HashRing
    except ImportError:
        return result
    peer = HashRing(nodes=names)
    str_keys = [k.decode() for k in keys]
    start = time.perf_counter()
    for key in str_keys:
        list(peer.range(key, 3))
    theirs = count / (time.perf_counter() - start)
    result.update(uhashring_lookups_per_s=theirs, ratio=ours / theirs)
    return result


def balance(count: int = 100_000, nodes: int = 8) -> dict[str, float]:
    keys = _keys(count)
    out = {}
    for strategy in ("equal", "random"):
        ring = build_ring(node_names(nodes), strategy, seed=1, n=3)
        per_node = Counter(ring.preference_list(k, 1)[0] for k in keys)
        values = [per_node.get(n, 0) for n in ring.nodes]
        out[strategy] = (sum(values) / len(values)) / max(values)
    return out


def main(argv: list[str] | None = None) -> int:
    result = throughput()
    print("preference list (N=3) over 100,000 keys, 8 nodes")
    print(f"  dynviz     {result['dynviz_lookups_per_s']:>12,.0f} lookups/s")
    if "ratio" in result:
        print(f"  uhashring  {result['uhashring_lookups_per_s']:>12,.0f} lookups/s  (range(key, 3))")
        verdict = "ok" if result["ratio"] >= 2 else "BELOW TARGET"
        print(f"  ratio      {result['ratio']:>12.2f}x  (target >= 2x: {verdict})")
    else:
        print("  uhashring not installed: pip install -e '.[bench]'")
    print("load balance, mean/max keys per node, 8 nodes, 100,000 keys")
    for strategy, value in balance().items():
        target = "  (target >= 0.98)" if strategy == "equal" else "  (the paper's imbalance)"
        print(f"  {strategy:10} {value:.3f}{target}")
    return 0
