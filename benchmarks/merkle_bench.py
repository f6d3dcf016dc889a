"""Merkle anti-entropy versus a naive full exchange (paper section 4.7).

Two replicas of the whole ring hold the same ``keys`` keys with identical version
digests except ``diverged`` keys changed on one side. The naive exchange ships every
key with its digest (``keys`` items). The Merkle exchange ships the node hashes it
compares, then the key + digest entries under the differing leaves, from one side (the
naive exchange is counted one way too). Both must find exactly the diverged keys.

Acceptance: merkle shipped / naive shipped <= 1% at 100k keys and 10 diverged.
"""

from __future__ import annotations

import argparse
import random
import time

from dynviz.core.hashing import token_of
from dynviz.core.merkle import MerkleTree, diff, version_digest

TARGET_RATIO = 0.01


def _keys(rng: random.Random, count: int) -> list[bytes]:
    keys: dict[bytes, None] = {}
    while len(keys) < count:
        keys[f"user:{rng.getrandbits(64):016x}".encode()] = None
    return list(keys)


def run(keys: int = 100_000, diverged: int = 10, seed: int = 7) -> dict:
    """Build both trees, diff them, compare with a full exchange; return the figures."""
    if not 0 <= diverged <= keys:
        raise ValueError(f"diverged must be between 0 and keys ({keys}), got {diverged}")
    rng = random.Random(seed)
    names = _keys(rng, keys)
    tokens = [token_of(k) for k in names]
    digests_a = {k: version_digest(k + b"|v1") for k in names}
    changed = set(rng.sample(names, diverged))
    digests_b = {
        k: (version_digest(k + b"|v2") if k in changed else d) for k, d in digests_a.items()
    }

    a, b = MerkleTree(0, 0), MerkleTree(0, 0)
    start = time.perf_counter()
    for key, token in zip(names, tokens, strict=True):
        a.update(key, token, digests_a[key])
    a.root()
    build_s = time.perf_counter() - start
    for key, token in zip(names, tokens, strict=True):
        b.update(key, token, digests_b[key])
    b.root()  # the other replica's tree is up to date before it is asked

    start = time.perf_counter()
    d = diff(a, b)
    diff_s = time.perf_counter() - start
    assert set(d.keys) == changed and len(d.keys) == len(changed), "Merkle diff missed keys"
    leaf_entries = sum(len(b.leaf_keys(leaf)) for leaf in d.differing_leaves)
    merkle_shipped = d.hashes_compared + leaf_entries

    start = time.perf_counter()
    naive_found = {k for k, dg in digests_b.items() if digests_a.get(k) != dg}
    naive_s = time.perf_counter() - start
    assert naive_found == changed
    naive_shipped = keys

    return {
        "keys": keys,
        "diverged": diverged,
        "seed": seed,
        "leaves": a.leaves,
        "build_s": build_s,
        "diff_s": diff_s,
        "naive_s": naive_s,
        "hashes_compared": d.hashes_compared,
        "differing_leaves": len(d.differing_leaves),
        "leaf_entries_shipped": leaf_entries,
        "keys_found": len(d.keys),
        "merkle_shipped": merkle_shipped,
        "naive_shipped": naive_shipped,
        "ratio": merkle_shipped / naive_shipped if naive_shipped else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks merkle", description=__doc__)
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--diverged", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    r = run(args.keys, args.diverged, args.seed)
    print(f"Merkle anti-entropy, {r['keys']:,} keys, {r['diverged']} diverged (seed {r['seed']})")
    print(f"  build one tree ({r['leaves']} leaves)  {r['build_s'] * 1000:9.1f} ms")
    print(
        f"  merkle diff                   {r['diff_s'] * 1000:9.3f} ms  "
        f"{r['hashes_compared']} hashes compared, {r['differing_leaves']} leaves differ, "
        f"{r['leaf_entries_shipped']} key entries shipped, {r['keys_found']} keys found"
    )
    print(
        f"  naive full exchange           {r['naive_s'] * 1000:9.3f} ms  "
        f"{r['naive_shipped']:,} key entries shipped, {r['diverged']} keys found"
    )
    verdict = "ok" if r["ratio"] <= TARGET_RATIO else "ABOVE TARGET"
    print(
        f"  shipped: merkle {r['merkle_shipped']:,} vs naive {r['naive_shipped']:,}  "
        f"ratio {r['ratio']:.3%} (target <= {TARGET_RATIO:.0%}: {verdict})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
