"""Throughput and latency of a real 5-process loopback cluster, beside the simulator.

The same node code runs in both columns: on the left as five OS processes talking
over TCP (JSON frames with HMAC, SQLite storage with the default fsync policy, so
every replica's ack means the write is on disk), on the right as the in-process
simulator with zero latency and memory storage. The client is partition-aware (it
sends each request to the first node of the key's preference list: zero hops), with
N3 R2 W2. Sequential runs measure latency (p50/p99, one request at a time);
concurrent runs keep ``--concurrency`` requests in flight to measure throughput.

    python -m benchmarks.net_bench [--ops 2000] [--concurrency 16] [--fsync full]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import tempfile
import time
from pathlib import Path

from dynviz.core.ring import Ring
from dynviz.net import launcher
from dynviz.net.client import NetClient
from dynviz.net.remote import RemoteCluster

SECRET = b"net-bench-secret"


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class _Router:
    """A partition-aware client: one connection per node, each key to its first replica."""

    def __init__(self, ring: Ring, clients: dict[str, NetClient]) -> None:
        self.ring = ring
        self.clients = clients

    def for_key(self, key: bytes) -> NetClient:
        return self.clients[self.ring.preference_list(key, 3)[0]]


async def _sequential(router: _Router, keys: list[bytes], ops: int, op: str) -> tuple[float, list[float]]:
    latencies = []
    ok = 0
    start = time.perf_counter()
    for i in range(ops):
        key = keys[i % len(keys)]
        t = time.perf_counter()
        if op == "put":
            reply = await router.for_key(key).put(key, b"v%d" % i)
        else:
            reply = await router.for_key(key).get(key)
        latencies.append(time.perf_counter() - t)
        ok += reply.ok
    return ok / (time.perf_counter() - start), latencies


async def _concurrent(router: _Router, keys: list[bytes], ops: int, op: str, width: int) -> float:
    counter = iter(range(ops))
    ok = 0

    async def worker() -> None:
        nonlocal ok
        for i in counter:
            key = keys[(i * 7919) % len(keys)]
            if op == "put":
                reply = await router.for_key(key).put(key, b"c%d" % i)
            else:
                reply = await router.for_key(key).get(key)
            ok += reply.ok

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(width)))
    return ok / (time.perf_counter() - start)


async def _measure(via: str, ops: int, width: int) -> dict[str, object]:
    async with RemoteCluster(via, SECRET) as remote:
        snap = await remote.snapshot(remote.entry)
        ring = Ring({n: tuple(int(t, 16) for t in toks) for n, toks in snap.ring.items()})
        clients = {}
        try:
            for name in remote.nodes:
                clients[name] = NetClient(remote.addresses[name], SECRET, timeout=10)
                await clients[name].connect()
            router = _Router(ring, clients)
            keys = [f"key{i}".encode() for i in range(1000)]
            await _sequential(router, keys, 100, "put")  # warm up connections
            put_rate, put_lat = await _sequential(router, keys, ops, "put")
            get_rate, get_lat = await _sequential(router, keys, ops, "get")
            cput = await _concurrent(router, keys, ops, "put", width)
            cget = await _concurrent(router, keys, ops, "get", width)
        finally:
            for client in clients.values():
                await client.close()
    return {"put": put_rate, "get": get_rate, "put_lat": put_lat, "get_lat": get_lat,
            "cput": cput, "cget": cget}


def _simulator(ops: int) -> tuple[float, float]:
    from benchmarks.cluster_bench import dynviz_rates
    from dynviz.sim.tuning import tune_for_simulation

    tune_for_simulation()
    return dynviz_rates(nodes=5, ops=ops)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="net_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=2000, help="operations per measurement (default 2000)")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight (default 16)")
    parser.add_argument("--fsync", choices=["full", "normal", "off"], default="full")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dynviz-net-bench-") as tmp:
        data = Path(tmp)
        pids: list[int] = []
        try:
            started = launcher.up(data, 5, secret=SECRET, node_args=["--fsync", args.fsync, "--events", "0"])
            pids = [pid for _, pid, _ in started]
            via = started[0][0].address
            result = asyncio.run(asyncio.wait_for(_measure(via, args.ops, args.concurrency), 600))
        finally:
            try:
                launcher.down(data, timeout=3)
            finally:
                for pid in pids:
                    try:
                        os.killpg(pid, signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        pass
    sim_puts, sim_gets = _simulator(min(args.ops * 5, 20_000))
    put_lat = [x * 1000 for x in result["put_lat"]]  # type: ignore[union-attr]
    get_lat = [x * 1000 for x in result["get_lat"]]  # type: ignore[union-attr]
    print(f"5 nodes, N3 R2 W2, partition-aware client, {args.ops:,} ops per row, fsync {args.fsync}")
    print(f"  {'':8} {'TCP 1-at-a-time':>16} {f'TCP {args.concurrency} in flight':>18} "
          f"{'simulator':>12} {'sim/TCP':>8}")
    for op, seq, conc, sim in (("puts/s", result["put"], result["cput"], sim_puts),
                               ("gets/s", result["get"], result["cget"], sim_gets)):
        print(f"  {op:8} {seq:>16,.0f} {conc:>18,.0f} {sim:>12,.0f} {sim / max(conc, 1e-9):>8.1f}x")  # type: ignore[operator]
    print("  latency over TCP, one request at a time (ms):")
    for op, lat in (("put", put_lat), ("get", get_lat)):
        print(f"    {op}  p50 {_percentile(lat, 0.50):6.2f}   p99 {_percentile(lat, 0.99):6.2f}   "
              f"mean {statistics.fmean(lat):6.2f}")
    print("  (the simulator runs on virtual time in one process: no sockets, no JSON, no fsync;\n"
          "   its column is the protocol's own cost, the TCP columns add the real world's)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
