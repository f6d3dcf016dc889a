"""A 5-process cluster on loopback: the same node code as the simulator, over TCP.

Reads and writes go through different nodes; a replica killed with SIGKILL during a
stream of writes and restarted from its disk loses no acknowledged write (judged by
the simulator's checker rule) and catches up until every replica converges; frames
that fail authentication, garbage and oversized frames are refused and counted, and
the node keeps serving. Every wait is for a named condition (``netwait.until``),
never a fixed time: the processes run at whatever speed a shared machine gives them.
"""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import Callable
from typing import Any

import pytest
from netcluster import SECRET, LocalCluster
from netwait import until

from dynviz.check.judge import Item, Write, judge
from dynviz.core.ring import Ring
from dynviz.net.client import NetClient, NetError
from dynviz.net.codec import encode_message
from dynviz.net.frames import MAX_FRAME, seal, wire_key
from dynviz.net.remote import RemoteCluster
from dynviz.node.messages import ClientGet


def _final_items(reply) -> list[Item]:  # type: ignore[no-untyped-def]
    if reply.siblings is None:
        return []
    return [v.value if v.value is not None else v.dot for v in reply.siblings.versions]


async def test_write_through_one_node_read_through_another(make_cluster: Callable[..., LocalCluster]) -> None:
    cluster = make_cluster()
    async with asyncio.timeout(30):
        async with NetClient(cluster.address("n1"), SECRET) as a, NetClient(cluster.address("n4"), SECRET) as b:
            put = await a.put(b"cart:alice", b"milk")
            assert put.ok, put.error
            got = await b.get(b"cart:alice")
            assert got.ok and [v.value for v in got.siblings.versions] == [b"milk"]
            # Two writes over the same context through different nodes: both survive (dvv).
            one = await a.put(b"cart:alice", b"eggs", got.context)
            two = await b.put(b"cart:alice", b"bread", got.context)
            assert one.ok and two.ok
            both = await a.get(b"cart:alice", r=3)
            assert sorted(v.value for v in both.siblings.versions) == [b"bread", b"eggs"]
            merged = await b.put(b"cart:alice", b"eggs+bread", both.context)
            assert merged.ok
            final = await a.get(b"cart:alice")
            assert [v.value for v in final.siblings.versions] == [b"eggs+bread"]
            gone = await b.delete(b"cart:alice", final.context)
            assert gone.ok
            after = await a.get(b"cart:alice")
            assert after.ok and all(v.value is None for v in after.siblings.versions)
        with pytest.raises(NetError, match="secret"):
            async with NetClient(cluster.address("n2"), b"not the secret", timeout=2):
                pass


async def _raw_exchange(address: str, data: bytes) -> bytes:
    """Send ``data`` on a fresh connection; what the node sends back before closing."""
    host, port = address.rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(data)
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()


async def test_bad_frames_are_rejected_counted_and_harmless(make_cluster: Callable[..., LocalCluster]) -> None:
    cluster = make_cluster()
    target = cluster.address("n2")
    key = wire_key(SECRET)
    foreign = seal(wire_key(b"another cluster"), encode_message(ClientGet(1, "client:x", b"k")))
    garbage = random.Random(1).randbytes(64)
    garbage = (len(garbage)).to_bytes(4, "big") + garbage
    oversized = (MAX_FRAME + 1).to_bytes(4, "big") + b"\x01" + b"\x00" * 1024
    http = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    signed_junk = seal(key, b"\x00\xffnot json at all")
    async with asyncio.timeout(30):
        for data in (foreign, garbage, oversized, http, signed_junk):
            assert await _raw_exchange(target, data) == b"", "the node must close without answering"
        async with RemoteCluster(target, SECRET) as remote:
            stats = (await remote.snapshot("n2")).stats
        assert stats["rejected_bad_mac"] == 2  # the foreign frame and the garbage
        assert stats["rejected_oversized"] == 2  # 9 MiB announced, and "GET " read as a length
        assert stats["rejected_malformed"] == 1  # signed, but not a message
        # The node stays up and keeps serving.
        async with NetClient(target, SECRET) as client:
            assert (await client.put(b"k", b"v")).ok
            assert [v.value for v in (await client.get(b"k")).siblings.versions] == [b"v"]
        # A plain socket that connects and says nothing is dropped after the hello timeout,
        # without blocking anyone else meanwhile.
        with socket.create_connection(tuple((target.rsplit(":", 1)[0], int(target.rsplit(":", 1)[1])))):
            async with NetClient(target, SECRET) as client:
                assert (await client.get(b"k")).ok


PHASE_WRITES = 100
"""Acknowledged writes the workload makes before the kill, while the replica is down, and
after it restarted: a count, not a time, so a slow machine does the same work, slower."""


class _Workload:
    """Clients doing read-modify-writes through random nodes, recording what they saw."""

    def __init__(self, cluster: LocalCluster, keys: list[bytes]) -> None:
        self.cluster = cluster
        self.keys = keys
        self.writes: list[Write] = []
        self.reads: dict[bytes, set[bytes]] = {k: set() for k in keys}
        self.stop = asyncio.Event()
        self.failures = 0

    @property
    def acked(self) -> int:
        return sum(w.acked for w in self.writes)

    async def worker(self, wid: int) -> None:
        rng = random.Random(wid)
        clients: dict[str, NetClient] = {}
        i = 0
        try:
            while not self.stop.is_set():
                node = rng.choice(self.cluster.names)
                key = rng.choice(self.keys)
                try:
                    client = clients.get(node)
                    if client is None:
                        client = clients[node] = NetClient(self.cluster.address(node), SECRET, timeout=3)
                        await client.connect()
                    got = await client.get(key)
                except NetError:
                    self.failures += 1
                    stale = clients.pop(node, None)
                    if stale is not None:
                        await stale.close()
                    await asyncio.sleep(0.05)  # back off from a node that is down, then go on
                    continue
                if not got.ok:
                    self.failures += 1
                    continue
                observed = tuple(_final_items(got))
                self.reads[key].update(x for x in observed if isinstance(x, bytes))
                value = f"w{wid}-{i}".encode()
                i += 1
                try:
                    put = await client.put(key, value, got.context)
                    acked = put.ok
                except NetError:
                    acked = False
                self.failures += not acked
                self.writes.append(Write(key, value, observed, acked))
        finally:
            for client in clients.values():
                await client.close()


async def _converged(remote: RemoteCluster, keys: list[bytes], n: int) -> str | None:
    """None when every key's preference list holds one identical sibling set and no
    node holds a hint; else what is still missing."""
    snaps = {}
    for name in remote.nodes:
        snaps[name] = await remote.snapshot(name)
    hinted = {name: s.hints for name, s in snaps.items() if s.hints}
    if hinted:
        return f"hints pending {hinted}"
    first = next(iter(snaps.values()))
    ring = Ring({name: tuple(int(t, 16) for t in toks) for name, toks in first.ring.items()})
    digests = {name: (await remote.digests(name))[0] for name in remote.nodes}
    for key in keys:
        held = {node: digests[node].get(key) for node in ring.preference_list(key, n)}
        if len(set(held.values())) != 1 or None in held.values():
            return f"{key!r} differs: {held}"
    return None


async def test_kill9_a_replica_during_writes_loses_nothing(make_cluster: Callable[..., LocalCluster]) -> None:
    cluster = make_cluster()
    keys = [f"key{i}".encode() for i in range(10)]
    async with asyncio.timeout(150), RemoteCluster(cluster.address("n1"), SECRET) as remote:
        before = await remote.snapshot("n1")
        ring = Ring({name: tuple(int(t, 16) for t in toks) for name, toks in before.ring.items()})
        victim = ring.preference_list(keys[0], 3)[0]
        victim_before = await remote.snapshot(victim)

        load = _Workload(cluster, keys)
        workers = [asyncio.create_task(load.worker(w)) for w in range(4)]
        await until(lambda: load.acked >= PHASE_WRITES, f"{PHASE_WRITES} writes acknowledged")
        acked_before_kill = load.acked
        cluster.kill9(victim)
        live = [name for name in remote.nodes if name != victim]

        async def hinted_for_victim() -> int:
            return sum([(await remote.snapshot(name)).hints_for.get(victim, 0) for name in live])

        # While it is down, writes go on (sloppy quorum) and stand-ins keep hints for it.
        await until(lambda: load.acked >= acked_before_kill + PHASE_WRITES,
                    f"{PHASE_WRITES} more writes acknowledged with {victim} down")
        await until(hinted_for_victim, f"a live node holds a hint for {victim}")
        await asyncio.to_thread(cluster.start)
        acked_at_restart = load.acked
        await until(lambda: load.acked >= acked_at_restart + PHASE_WRITES,
                    f"{PHASE_WRITES} more writes acknowledged after {victim} restarted")
        load.stop.set()
        await asyncio.gather(*workers)
        acked = load.acked
        print(f"acked {acked} of {len(load.writes)} writes, {acked_before_kill} before the kill of {victim}")
        assert acked_before_kill > 5 and acked > acked_before_kill + 5, "the workload barely ran"

        # The restarted node is itself again: same tokens, same actor, a new generation.
        after = await remote.snapshot(victim)
        assert after.restarted and after.actor == victim_before.actor
        assert after.ring[victim] == victim_before.ring[victim]
        mine = {m.name: m for m in after.members}[victim]
        assert mine.generation > {m.name: m for m in victim_before.members}[victim].generation

        # Hinted handoff and anti-entropy bring every replica to the same state.
        why: str | None = "not checked"

        async def converged() -> bool:
            nonlocal why
            why = await _converged(remote, keys, 3)
            return why is None

        await until(converged, lambda: f"replicas converged (still: {why})", every=0.25)
        # What it missed came back by hinted handoff (and anti-entropy, for what no hint held).
        counts = {name: (await remote.snapshot(name)).event_counts for name in remote.nodes}
        delivered = sum(c.get("HintDelivered", 0) for c in counts.values())
        print(f"hints delivered {delivered}, anti-entropy exchanges "
              f"{sum(c.get('AntiEntropyExchange', 0) for c in counts.values())}")
        assert delivered > 0

        final: dict[bytes, list[Item]] = {}
        async with NetClient(cluster.address(victim), SECRET) as client:
            for key in keys:
                reply = await client.get(key, r=3)
                assert reply.ok, reply.error
                final[key] = _final_items(reply)
        verdict = judge(load.writes, final, load.reads)
        assert verdict.lost_values == (), f"acknowledged writes lost: {verdict.lost_values}"
        assert verdict.phantom_values == ()


async def test_a_node_that_lost_its_disk_returns_as_a_new_actor(make_cluster: Callable[..., LocalCluster]) -> None:
    cluster = make_cluster()
    async with asyncio.timeout(120):
        async with NetClient(cluster.address("n1"), SECRET) as client:
            for i in range(20):
                assert (await client.put(f"k{i}".encode(), b"v%d" % i)).ok
        # Wait until every peer has seen n2 run (its generation past the first start),
        # which is what a node with an empty disk asks its peers to learn it lost its data.
        async with RemoteCluster(cluster.address("n1"), SECRET) as remote:
            peers = [name for name in remote.nodes if name != "n2"]

            async def seen_by(name: str) -> bool:
                entry = {m.name: m for m in (await remote.snapshot(name)).members}.get("n2")
                return entry is not None and entry.generation > 1

            async def everyone_saw_n2() -> bool:
                return all([await seen_by(name) for name in peers])

            await until(everyone_saw_n2, "every peer has learned that n2 started (its generation past 1)")
        cluster.kill9("n2")
        for f in cluster.data.glob("n2.sqlite*"):
            f.unlink()
        await asyncio.to_thread(cluster.start)

        async def new_actor() -> object:
            async with RemoteCluster(cluster.address("n1"), SECRET) as remote:
                return await remote.snapshot("n2")

        # A node with an empty disk asks its peers whether it ran before, which takes a
        # few exchanges; on a loaded machine the first admin call can time out.
        snap: Any = await _eventually(new_actor)
        assert not snap.restarted and snap.epoch > 0 and snap.actor == f"n2#{snap.epoch}"

        async def read_all() -> bool:
            """Whether n2 answered every key; a get that timed out while it was starting
            up is asked again, a wrong answer fails the test at once."""
            async with NetClient(cluster.address("n2"), SECRET) as client:
                for i in range(20):
                    reply = await client.get(f"k{i}".encode())
                    if not reply.ok:
                        return False
                    assert [v.value for v in reply.siblings.versions] == [b"v%d" % i]
            return True

        assert await _eventually(read_all)


async def _eventually(attempt: Callable[[], Any], within: float = 25.0) -> Any:
    """``await attempt()`` until it answers (no NetError, nothing falsy): a node still
    starting up."""
    failed: list[NetError] = []

    async def answered() -> Any:
        try:
            return await attempt()
        except NetError as exc:
            failed.append(exc)
            return None

    return await until(answered, lambda: f"an answer (last error: {failed[-1] if failed else None})",
                       within=within, every=0.5)
