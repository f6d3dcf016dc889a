"""DynamoDB over the wire under load: ``dynviz dynamodb`` beside moto's server mode.

Issue 19, item 5. Both servers run in this process, each on its own ephemeral port, and
get the same load in the same run: CLIENTS threads, each with its own boto3 client (so
its own HTTP connections), doing OPS requests each, a mix of PutItem, GetItem and Query
(40/40/20, the same seeded sequence on both sides) on a table with a partition and a
sort key, preloaded with PRELOAD items. Printed for each: throughput (requests/s over
the whole run, wall clock), p50 and p99 latency per request as the client saw it, errors,
and dynviz's figures as a ratio of moto's.

dynviz serves one request at a time (the simulated cluster is synchronous): every
PutItem is a quorum write of the item's own object on 3 of 8 nodes through the simulated
network, every GetItem a quorum read, every Query a range read on R replicas, with
virtual time following the wall clock (``dynviz dynamodb``'s default). moto (werkzeug,
a thread per connection) keeps each table in a dict.
"""

from __future__ import annotations

import argparse
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

CREDENTIALS = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench", "region_name": "us-east-1"}
TABLE = {
    "TableName": "bench",
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                             {"AttributeName": "sk", "AttributeType": "N"}],
    "BillingMode": "PAY_PER_REQUEST",
}
PARTITIONS = 50


@dataclass(frozen=True, slots=True)
class Result:
    name: str
    requests: int
    seconds: float
    latencies: tuple[float, ...]  # seconds, sorted
    errors: int

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        return self.latencies[min(len(self.latencies) - 1, int(p / 100 * len(self.latencies)))]


def _client(url: str, clients: int) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(retries={"max_attempts": 1, "mode": "standard"}, max_pool_connections=2,
                    read_timeout=60, connect_timeout=10)
    return boto3.session.Session().client("dynamodb", endpoint_url=url, config=config, **CREDENTIALS)


def _item(i: int) -> dict[str, Any]:
    return {"pk": {"S": f"user{i % PARTITIONS}"}, "sk": {"N": str(i)}, "name": {"S": f"item {i}"},
            "qty": {"N": str(i % 13)}}


def _request(client: Any, rng: random.Random, preload: int, serial: Callable[[], int]) -> None:
    roll = rng.random()
    if roll < 0.4:
        client.put_item(TableName="bench", Item=_item(preload + serial()))
    elif roll < 0.8:
        i = rng.randrange(preload)
        client.get_item(TableName="bench", Key={"pk": {"S": f"user{i % PARTITIONS}"}, "sk": {"N": str(i)}})
    else:
        client.query(TableName="bench", KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": {"S": f"user{rng.randrange(PARTITIONS)}"}}, Limit=10)


def load(name: str, url: str, clients: int, ops: int, preload: int, seed: int) -> Result:
    """Preload the table, then run the clients at once; the latencies they saw."""
    setup = _client(url, clients)
    setup.create_table(**TABLE)
    for i in range(preload):
        setup.put_item(TableName="bench", Item=_item(i))
    workers = [_client(url, clients) for _ in range(clients)]
    lock = threading.Lock()
    counter = iter(range(10**9))

    def serial() -> int:
        with lock:
            return next(counter)

    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    start_gate = threading.Barrier(clients + 1)

    def run(k: int) -> None:
        rng = random.Random(seed * 1000 + k)
        start_gate.wait()
        for _ in range(ops):
            t0 = time.perf_counter()
            try:
                _request(workers[k], rng, preload, serial)
            except Exception:  # noqa: BLE001 - counted: the benchmark reports errors, whatever they are
                errors[k] += 1
            latencies[k].append(time.perf_counter() - t0)

    threads = [threading.Thread(target=run, args=(k,), daemon=True) for k in range(clients)]
    for t in threads:
        t.start()
    start_gate.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - began
    every = sorted(x for per in latencies for x in per)
    return Result(name, len(every), seconds, tuple(every), sum(errors))


def run_dynviz(args: argparse.Namespace) -> Result:
    from dynviz.table.connect import make_client
    from dynviz.wire.cli import cluster_for
    from dynviz.wire.operations import Endpoint
    from dynviz.wire.server import ServerThread, WireServer

    cluster = cluster_for(args.nodes, args.seed, None)
    thread = ServerThread(WireServer(Endpoint(make_client(cluster)), clock="wall"))
    thread.start()
    try:
        return load(f"dynviz ({args.nodes} nodes, N3 R2 W2)", thread.url, args.clients, args.ops, args.preload,
                    args.seed)
    finally:
        thread.stop()
        cluster.close()


def run_moto(args: argparse.Namespace) -> Result | None:
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        print(f"moto's server mode is not installed ({exc}): pip install 'moto[server]'")
        return None
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # a line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        return load("moto server", f"http://{host}:{port}", args.clients, args.ops, args.preload, args.seed)
    finally:
        server.stop()


def report(results: list[Result]) -> None:
    print(f"{'server':<28}{'requests':>9}{'seconds':>9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for r in results:
        print(f"{r.name:<28}{r.requests:>9}{r.seconds:>9.2f}{r.throughput:>9.0f}"
              f"{r.percentile(50) * 1e3:>9.2f}{r.percentile(99) * 1e3:>9.2f}{r.errors:>8}")
    if len(results) == 2:
        ours, theirs = results
        print(f"dynviz / moto: throughput x{ours.throughput / theirs.throughput:.2f}, "
              f"p50 x{ours.percentile(50) / theirs.percentile(50):.2f}, "
              f"p99 x{ours.percentile(99) / theirs.percentile(99):.2f} (latency: lower is better)")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks dynamodb", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads (default 8)")
    parser.add_argument("--ops", type=int, default=200, help="requests per client (default 200)")
    parser.add_argument("--preload", type=int, default=500, help="items written before the load (default 500)")
    parser.add_argument("--nodes", type=int, default=8, help="dynviz's cluster nodes (default 8)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the cluster and the request mix (default 1)")
    parser.add_argument("--only", choices=("dynviz", "moto"), default=None, help="run one side only")
    args = parser.parse_args(argv)
    print(f"{args.clients} clients x {args.ops} requests (40% PutItem, 40% GetItem, 20% Query), "
          f"{args.preload} items preloaded, each server on its own loopback port\n")
    results = []
    if args.only in (None, "dynviz"):
        results.append(run_dynviz(args))
    if args.only in (None, "moto"):
        moto = run_moto(args)
        if moto is not None:
            results.append(moto)
    report(results)
    return 0
