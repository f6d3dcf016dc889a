"""Gossip spread and join cost (issue 4).

* Rounds until a membership rumour reaches every node, for 64, 256 and 1,024 nodes,
  median over seeds, next to log2 N + ln N (push-pull gossip's expected bound).
  For 64 and 256 nodes the real cluster runs (Gossip components exchanging views over
  the simulated network, one round per virtual second); for all three sizes the same
  peer choice (``choose_peer``, push-pull, a seed contacted with probability 1/4) also
  runs as a bare epidemic, which is what a rumour's spread reduces to, so the 1,024
  node figure does not need 1,024 full views exchanged per round. Target: median <= 17
  at 1,024 nodes.
* A 9th node joining 8 nodes holding 100k keys: keys moved versus the ideal 1/9 of the
  replicas (target <= 1.25 x).
"""

from __future__ import annotations

import math
import statistics
import time

from dynviz.cluster import Cluster, ClusterConfig
from dynviz.core.ring import node_names
from dynviz.core.units import SECOND
from dynviz.node.gossip import choose_peer
from dynviz.sim.rng import stream
from dynviz.sim.tuning import tune_for_simulation

SEED_PROBABILITY = 0.25


def epidemic_rounds(nodes: int, seed: int) -> int:
    """Rounds for one rumour to reach all nodes under the nodes' own peer choice."""
    rng = stream(seed, "epidemic", nodes)
    names = list(range(nodes))
    seeds = (0, 1)
    know = [False] * nodes
    know[rng.randrange(nodes)] = True
    rounds = 0
    while not all(know):
        rounds += 1
        before = know[:]
        for me in names:
            peers = [p for p in (choose_peer(names, rng),) if p is not None and p != me]
            if rng.random() < SEED_PROBABILITY:
                peers.append(seeds[rng.randrange(2)])
            for peer in peers:
                if before[me] or before[peer]:  # push-pull: either side spreads it
                    know[me] = know[peer] = True
    return rounds


def cluster_rounds(nodes: int, seed: int) -> int:
    """Rounds for a real rumour (a node restarting) to reach every node's view."""
    cluster = Cluster(ClusterConfig(nodes=tuple(node_names(nodes)), seed=seed, latency=(1000, 5000),
                                    antientropy=False))
    cluster.run(3 * SECOND)
    victim = f"n{nodes // 2}"
    cluster.kill(victim)
    cluster.recover(victim)  # a restart: a new generation in its own entry
    generation = cluster.gossip_of(victim).view.members[victim].generation
    for second in range(1, 60):
        cluster.run(SECOND)
        knowing = sum(1 for name in cluster.nodes
                      if cluster.gossip_of(name).view.members[victim].generation >= generation)
        if knowing == nodes:
            return second
    return 60


def join_cost(keys: int = 100_000) -> tuple[int, float, float]:
    cluster = Cluster(ClusterConfig(nodes=tuple(node_names(8)), seed=1, latency=(0, 0), antientropy=False))
    batch = []
    for i in range(keys):
        batch.append(cluster.submit_put(f"user:{i}", "x"))
        if len(batch) == 512:
            for p in batch:
                cluster.wait(p)
            batch.clear()
    for p in batch:
        cluster.wait(p)
    start = time.perf_counter()
    cluster.join("n9")
    cluster.run(30 * SECOND)
    took = time.perf_counter() - start
    moved = len(cluster.nodes["n9"].store)
    return moved, moved / (keys * 3) / (1 / 9), took


def main(argv: list[str] | None = None) -> int:
    tune_for_simulation()
    print("gossip: rounds until a rumour reaches every node (median over seeds)")
    print(f"  {'nodes':>6} {'cluster':>8} {'epidemic':>9} {'log2N+lnN':>10}")
    for nodes, seeds in ((64, 9), (256, 5), (1024, 9)):
        model = statistics.median(epidemic_rounds(nodes, s) for s in range(seeds))
        real = statistics.median(cluster_rounds(nodes, s) for s in range(3)) if nodes <= 256 else None
        bound = math.log2(nodes) + math.log(nodes)
        shown = f"{real:>8.1f}" if real is not None else f"{'-':>8}"
        print(f"  {nodes:>6} {shown} {model:>9.1f} {bound:>10.1f}"
              + ("   (target <= 17: " + ("ok)" if model <= 17 else "ABOVE TARGET)") if nodes == 1024 else ""))
    moved, ratio, took = join_cost()
    print(f"join of n9 into 8 nodes with 100,000 keys: {moved:,} keys moved, "
          f"{ratio:.2f} x the ideal 1/9 of replicas (target <= 1.25: {'ok' if ratio <= 1.25 else 'ABOVE'}), "
          f"{took:.1f} s")
    return 0
