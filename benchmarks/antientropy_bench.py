"""Anti-entropy in a running cluster: Merkle exchanges versus a naive full exchange.

A cluster of 8 nodes (hinted handoff and read repair off, zero latency) holds ``keys``
keys written through the normal put path. One node is killed while ``diverged`` of its
keys are overwritten (w=2 succeeds without it), then recovered: it is stale on exactly
those keys. It then runs anti-entropy (``AntiEntropy.exchange_with``) with each peer in
turn, over every range they both replicate, as a repair would.

Counted per range session, in items (a 16-byte hash, a key + digest entry, a key's
sibling set) and in bytes:

- merkle: the node hashes compared, the per-key digests under differing leaves, and
  the sibling sets shipped;
- naive: every key + digest of the range from one side (a full exchange), plus the
  same sibling sets shipped.

Acceptance: merkle / naive <= 1% at 100k keys and 10 diverged, and the Merkle
exchanges ship exactly the diverged keys.
"""

from __future__ import annotations

import argparse
import time

from dynviz.cluster import Cluster, ClusterConfig
from dynviz.core.merkle import HASH_BYTES
from dynviz.core.units import SECOND
from dynviz.node.antientropy import AntiEntropy, ExchangeReport

TARGET_RATIO = 0.01
BATCH = 1000


def _component(cluster: Cluster, name: str) -> AntiEntropy:
    found = cluster.nodes[name].antientropy
    assert isinstance(found, AntiEntropy)
    return found


def build(keys: int, nodes: int, seed: int) -> Cluster:
    """A cluster with ``keys`` keys written and settled, anti-entropy installed (idle)."""
    names = tuple(f"n{i}" for i in range(1, nodes + 1))
    cluster = Cluster(ClusterConfig(nodes=names, handoff=False, readrepair=False, antientropy=False,
                                    latency=(0, 0), seed=seed))
    for start in range(0, keys, BATCH):
        pending = [cluster.submit_put(f"user:{i:07d}", f"value-{i}")
                   for i in range(start, min(keys, start + BATCH))]
        for p in pending:
            result = cluster.wait(p)
            assert result.ok, result.error
    cluster.settle()
    return cluster


def diverge(cluster: Cluster, victim: str, count: int) -> set[bytes]:
    """Overwrite ``count`` of ``victim``'s keys while it is down: it misses them."""
    n = cluster.config.n
    held = sorted(k for k, _ in cluster.nodes[victim].store.items())
    step = max(1, len(held) // count)
    chosen = held[::step][:count]
    cluster.kill(victim)
    for key in chosen:
        assert victim in cluster.ring.preference_list(key, n)
        result = cluster.put(key, b"diverged:" + key)
        assert result.ok, result.error
    cluster.recover(victim)
    cluster.settle(limit=5 * SECOND)
    return set(chosen)


def run(keys: int = 100_000, diverged: int = 10, nodes: int = 8, seed: int = 7) -> dict:
    start = time.perf_counter()
    cluster = build(keys, nodes, seed)
    load_s = time.perf_counter() - start
    victim = "n3"
    changed = diverge(cluster, victim, diverged)
    component = _component(cluster, victim)

    start = time.perf_counter()
    for r in component.replicated_ranges():  # trees exist before the clock starts
        component.tree(r)
    trees_s = time.perf_counter() - start

    reports: list[ExchangeReport] = []
    naive_items = naive_bytes = 0
    store = cluster.nodes[victim].store
    start = time.perf_counter()
    for peer in cluster.nodes:
        if peer == victim or not component.shared_ranges(peer):
            continue
        for r in component.shared_ranges(peer):  # what a full exchange would ship
            rng = cluster.ring.range(r)
            for _, key in store.keys_in_range(rng.lo, rng.hi):
                naive_items += 1
                naive_bytes += len(key) + HASH_BYTES
        component.exchange_with(peer, on_done=reports.append)
        while component.active_sessions():
            cluster.run_until(cluster.now + 10_000)
    exchange_s = time.perf_counter() - start

    assert all(r.ok for r in reports), [r.describe() for r in reports if not r.ok]
    found = set().union(*(r.keys_exchanged for r in reports))
    assert found == changed, f"anti-entropy exchanged {sorted(found)}, expected {sorted(changed)}"
    for key in changed:
        held = {cluster.nodes[p].store.get(key) for p in cluster.ring.preference_list(key, 3)}
        assert len(held) == 1, f"{key!r} did not converge"

    hashes = sum(r.hashes_compared for r in reports)
    digests = sum(r.key_digests for r in reports)
    shipped = sum(len(r.keys_sent_by_a) + len(r.keys_sent_by_b) for r in reports)
    moved = sum(r.bytes_moved for r in reports)
    digest_bytes = 0
    for r in reports:  # the key + digest entries under the differing leaves
        tree = component.tree(r.range_index)
        digest_bytes += sum(len(k) + HASH_BYTES for leaf in r.leaves for k in tree.leaf_keys(leaf))
    merkle_items = hashes + digests + shipped
    merkle_bytes = hashes * HASH_BYTES + digest_bytes + moved
    naive_items += shipped
    naive_bytes += moved
    return {
        "keys": keys, "diverged": diverged, "nodes": nodes, "seed": seed, "victim": victim,
        "sessions": len(reports),
        "sessions_differing": sum(1 for r in reports if r.path),
        "ranges": len(component.replicated_ranges()),
        "load_s": load_s, "trees_s": trees_s, "exchange_s": exchange_s,
        "hashes_compared": hashes, "key_digests": digests, "keys_shipped": shipped,
        "keys_found": len(found), "bytes_moved": moved,
        "merkle_items": merkle_items, "naive_items": naive_items,
        "merkle_bytes": merkle_bytes, "naive_bytes": naive_bytes,
        "ratio": merkle_items / naive_items if naive_items else 0.0,
        "ratio_bytes": merkle_bytes / naive_bytes if naive_bytes else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks antientropy", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--diverged", type=int, default=10)
    parser.add_argument("--nodes", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if not 1 <= args.diverged <= args.keys // 10:
        parser.error("--diverged must be between 1 and a tenth of --keys")
    r = run(args.keys, args.diverged, args.nodes, args.seed)
    print(f"Anti-entropy in a {r['nodes']}-node cluster, {r['keys']:,} keys, {r['diverged']} "
          f"diverged on {r['victim']} (seed {r['seed']})")
    print(f"  load {r['keys']:,} keys {r['load_s']:8.2f} s; build {r['victim']}'s {r['ranges']} "
          f"range trees {r['trees_s'] * 1000:.0f} ms; exchanges {r['exchange_s'] * 1000:.0f} ms")
    print(f"  sessions {r['sessions']} ({r['sessions_differing']} with differences)")
    print(f"  merkle: {r['hashes_compared']} hashes compared + {r['key_digests']} key digests + "
          f"{r['keys_shipped']} sibling sets shipped = {r['merkle_items']:,} items, "
          f"{r['merkle_bytes']:,} bytes; {r['keys_found']} keys found")
    print(f"  naive full exchange: {r['naive_items']:,} items, {r['naive_bytes']:,} bytes")
    verdict = "ok" if r["ratio"] <= TARGET_RATIO else "ABOVE TARGET"
    print(f"  shipped merkle / naive: {r['ratio']:.3%} of items, {r['ratio_bytes']:.3%} of bytes "
          f"(target <= {TARGET_RATIO:.0%}: {verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
