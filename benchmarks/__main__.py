"""``python -m benchmarks NAME`` runs one benchmark; with no name, lists them."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = {
    "ring": ("benchmarks.ring_bench", "preference lists vs uhashring; load balance per strategy"),
    "merkle": ("benchmarks.merkle_bench", "Merkle anti-entropy vs a full exchange"),
    "cluster": ("benchmarks.cluster_bench", "simulated cluster throughput, scaling and memory"),
    "antientropy": ("benchmarks.antientropy_bench", "anti-entropy on a cluster vs a full exchange"),
    "membership": ("benchmarks.membership_bench", "gossip spread by cluster size; keys moved by a join"),
    "render": ("benchmarks.render_bench", "the app's frame cost per panel at 64 nodes, 10k keys"),
    "seek": ("benchmarks.seek_bench", "seeking back and forth in a 10k-command session"),
    "soak": ("benchmarks.soak", "the app at x1000 with random faults for --minutes (default 10)"),
    "net": ("benchmarks.net_bench", "a 5-process loopback TCP cluster vs the simulator"),
    "table": ("benchmarks.table_bench", "put_item + query on dynviz tables vs moto"),
    "dynamodb": ("benchmarks.dynamodb_bench", "concurrent boto3 clients on dynviz dynamodb vs moto's server mode"),
    "compare": ("benchmarks.compare", "this tree's cluster throughput against another checkout's (--against DIR)"),
    "planted": ("benchmarks.planted", "the checker against 15 planted protocol bugs"),
    "explore": ("benchmarks.explore_bench", "model-checker states with and without each reduction"),
    "mutation": ("benchmarks.mutation", "kill scores of the tests and of dynviz check over sampled cosmic-ray mutants"),
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in BENCHMARKS:
        print("usage: python -m benchmarks NAME [args]\n")
        for name, (_, text) in BENCHMARKS.items():
            print(f"  {name:10} {text}")
        return 0 if not argv else 2
    module = importlib.import_module(BENCHMARKS[argv[0]][0])
    return module.main(argv[1:]) or 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
