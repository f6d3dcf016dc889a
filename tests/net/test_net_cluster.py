"""A 5-process cluster on loopback: the same node code as the simulator, over TCP.

Reads and writes go through different nodes; a replica killed with SIGKILL during a
stream of writes and restarted from its disk loses no acknowledged write (judged by
the simulator's checker rule) and catches up until every replica converges; frames
that fail authentication, garbage and oversized frames are refused and counted, and
the node keeps serving. Every wait is for a named condition (``netwait.until``),
never a fixed time: the processes run at whatever speed a shared machine gives them.
Nor does any assertion depend on that speed. A coordinator that hears from a replica
too late asks a stand-in instead (sloppy quorum, paper section 4.6), so on a loaded
machine a read may be answered by nodes that do not hold the key yet: stale, not
wrong. A read that checks a state is therefore asked again until it shows that state
(a lost or extra value never shows, and the deadline reports the last answer); and
what the kill -9 test says of hinted handoff is counted from hints it saw held.
"""

from __future__ import annotations

import asyncio
import base64
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
from dynviz.net.snapshot import NodeSnapshot
from dynviz.node.messages import ClientGet, ClientReply


def _final_items(reply) -> list[Item]:  # type: ignore[no-untyped-def]
    if reply.siblings is None:
        return []
    return [v.value if v.value is not None else v.dot for v in reply.siblings.versions]


def _values(reply: ClientReply) -> list[bytes | None]:
    """The sibling values a read shows (None for a tombstone), sorted."""
    if reply.siblings is None:
        return []
    return sorted((v.value for v in reply.siblings.versions), key=lambda v: (v is not None, v or b""))


async def _read_until(client: NetClient, key: bytes, shows: Callable[[list[bytes | None]], bool], what: str,
                      r: int | None = None) -> ClientReply:
    """Get ``key`` until the read succeeds and its values satisfy ``shows``; that reply.

    A read that failed or got no answer in time, or that stand-ins answered while the
    key's replicas were slow, is asked again; a state that never shows fails at the
    deadline with the last answer. (``shows`` may assert, to fail on a wrong state at once.)"""
    seen: list[object] = []

    async def read() -> ClientReply | None:
        try:
            reply = await client.get(key, r=r)
        except NetError as exc:
            seen.append(str(exc))
            return None
        seen.append(_values(reply) if reply.ok else reply.error)
        return reply if reply.ok and shows(_values(reply)) else None

    found = await until(read, lambda: f"a read of {key!r} that shows {what} (last answer: {seen[-1:]})")
    assert found is not None
    return found


async def test_write_through_one_node_read_through_another(make_cluster: Callable[..., LocalCluster]) -> None:
    cluster = make_cluster()
    key = b"cart:alice"
    async with asyncio.timeout(120):
        async with NetClient(cluster.address("n1"), SECRET) as a, NetClient(cluster.address("n4"), SECRET) as b:
            put = await a.put(key, b"milk")
            assert put.ok, put.error
            got = await _read_until(b, key, lambda vs: vs == [b"milk"], "milk")
            # Two writes over the same context through different nodes: both survive (dvv).
            one = await a.put(key, b"eggs", got.context)
            two = await b.put(key, b"bread", got.context)
            assert one.ok and two.ok, (one.error, two.error)
            both = await _read_until(a, key, lambda vs: vs == [b"bread", b"eggs"], "both bread and eggs", r=3)
            merged = await b.put(key, b"eggs+bread", both.context)
            assert merged.ok, merged.error
            final = await _read_until(a, key, lambda vs: vs == [b"eggs+bread"], "only eggs+bread")
            gone = await b.delete(key, final.context)
            assert gone.ok, gone.error
            await _read_until(a, key, lambda vs: bool(vs) and all(v is None for v in vs), "only tombstones")
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
        return await asyncio.wait_for(reader.read(), 30)
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
    async with asyncio.timeout(120):
        for data in (foreign, garbage, oversized, http, signed_junk):
            assert await _raw_exchange(target, data) == b"", "the node must close without answering"
        async with RemoteCluster(target, SECRET) as remote:
            stats = (await _snapshot(remote, "n2")).stats
        assert stats["rejected_bad_mac"] == 2  # the foreign frame and the garbage
        assert stats["rejected_oversized"] == 2  # 9 MiB announced, and "GET " read as a length
        assert stats["rejected_malformed"] == 1  # signed, but not a message
        # The node stays up and keeps serving.
        async with NetClient(target, SECRET) as client:
            assert (await client.put(b"k", b"v")).ok
            await _read_until(client, b"k", lambda vs: vs == [b"v"], "v")
        # A plain socket that connects and says nothing is dropped after the hello timeout,
        # without blocking anyone else meanwhile.
        with socket.create_connection(tuple((target.rsplit(":", 1)[0], int(target.rsplit(":", 1)[1])))):
            async with NetClient(target, SECRET) as client:
                await _read_until(client, b"k", lambda vs: vs == [b"v"], "v while a silent socket is open")


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
        shunned: str | None = None
        try:
            while not self.stop.is_set():
                # After a node failed to answer, the next request goes to another: at most
                # one node is down, so a worker never spins on it (no back-off needed).
                node = rng.choice([name for name in self.cluster.names if name != shunned])
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
                    shunned = node
                    continue
                shunned = None
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


async def _snapshots(remote: RemoteCluster, names: list[str]) -> dict[str, NodeSnapshot] | None:
    """Each named node's snapshot, or None when one did not answer in time (ask again:
    an admin reply late on a loaded machine says nothing about the cluster)."""
    try:
        return {name: await remote.snapshot(name) for name in names}
    except NetError:
        return None


async def _snapshot(remote: RemoteCluster, name: str) -> NodeSnapshot:
    """``name``'s snapshot, asked until it answers in time."""
    snaps = await until(lambda: _snapshots(remote, [name]), f"{name}'s snapshot")
    return snaps[name]


async def _converged(remote: RemoteCluster, keys: list[bytes], n: int) -> str | None:
    """None when every key's preference list holds one identical sibling set and no
    node holds a hint; else what is still missing."""
    snaps = await _snapshots(remote, remote.nodes)
    if snaps is None:
        return "a node did not answer its snapshot in time"
    hinted = {name: s.hints for name, s in snaps.items() if s.hints}
    if hinted:
        return f"hints pending {hinted}"
    first = next(iter(snaps.values()))
    ring = Ring({name: tuple(int(t, 16) for t in toks) for name, toks in first.ring.items()})
    try:
        digests = {name: (await remote.digests(name))[0] for name in remote.nodes}
    except NetError as exc:
        return f"a node did not answer its digests in time ({exc})"
    for key in keys:
        held = {node: digests[node].get(key) for node in ring.preference_list(key, n)}
        if len(set(held.values())) != 1 or None in held.values():
            return f"{key!r} differs: {held}"
    return None


async def _stored_copy(remote: RemoteCluster, node: str, key: bytes) -> list[Item]:
    """What ``node`` itself stores for ``key`` (its own copy, no quorum), as the judge
    reads a final state: sibling values, and the dots of tombstones."""

    async def inspect() -> tuple[list[Item]] | None:
        try:
            doc = await remote.inspect(node, key)
        except NetError:
            return None  # a late admin reply: ask again
        return ([base64.b64decode(v["value"]) if v["value"] is not None else (v["dot"][0], v["dot"][1])
                 for v in doc["stored"] or ()],)

    (items,) = await until(inspect, f"{node}'s stored copy of {key!r}")
    return items


async def test_kill9_a_replica_during_writes_loses_nothing(make_cluster: Callable[..., LocalCluster]) -> None:
    cluster = make_cluster()
    keys = [f"key{i}".encode() for i in range(10)]
    async with asyncio.timeout(300), RemoteCluster(cluster.address("n1"), SECRET) as remote:
        before = await _snapshot(remote, "n1")
        ring = Ring({name: tuple(int(t, 16) for t in toks) for name, toks in before.ring.items()})
        victim = ring.preference_list(keys[0], 3)[0]
        victim_before = await _snapshot(remote, victim)

        load = _Workload(cluster, keys)
        workers = [asyncio.create_task(load.worker(w)) for w in range(4)]
        await until(lambda: load.acked >= PHASE_WRITES, f"{PHASE_WRITES} writes acknowledged")
        acked_before_kill = load.acked
        cluster.kill9(victim)  # returns once the process is gone
        live = [name for name in remote.nodes if name != victim]

        # While it is down, writes go on (sloppy quorum): a coordinator that gets no ack
        # from it writes its share to a stand-in, which keeps it as a hint for it. The
        # workload keeps writing every key (key0's first replica is the victim), so hints
        # for it appear however fast or slow the machine is; wait until a stand-in holds
        # one, and keep what each live node held and had delivered at that moment.
        await until(lambda: load.acked >= acked_before_kill + PHASE_WRITES,
                    f"{PHASE_WRITES} more writes acknowledged with {victim} down")
        held: dict[str, NodeSnapshot] = {}

        async def stand_ins_hold_hints_for_victim() -> int:
            snaps = await _snapshots(remote, live)
            if snaps is None:
                return 0
            held.update(snaps)
            return sum(s.hints_for.get(victim, 0) for s in snaps.values())

        held_for_victim = await until(stand_ins_hold_hints_for_victim, f"a live node holds a hint for {victim}")
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
        after = await _snapshot(remote, victim)
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

        await until(converged, lambda: f"replicas converged (still: {why})", within=60, every=0.25)

        # Hinted handoff, counted: no node holds a hint now, and a stand-in forgets a hint
        # only when its intended node acknowledged storing it (a HintDelivered event).
        # So each live node delivered at least the hints it held before the restart
        # (among them the ones for the victim), whatever else happened meanwhile.
        now = await until(lambda: _snapshots(remote, live), "every live node's snapshot")
        delivered = {name: now[name].event_counts.get("HintDelivered", 0)
                     - held[name].event_counts.get("HintDelivered", 0) for name in live}
        print(f"hints held before {victim} restarted {({n: s.hints for n, s in held.items()})} "
              f"({held_for_victim} for {victim}); delivered since {delivered}")
        for name in live:
            assert delivered[name] >= held[name].hints, (
                f"{name} held {held[name].hints} hints before {victim} restarted, "
                f"but delivered only {delivered[name]} since and holds none now")

        # No acknowledged write is lost: judged on what the replicas hold (identical on
        # every replica of each key, checked above), then seen by a client reading
        # through the restarted node.
        final: dict[bytes, list[Item]] = {}
        for key in keys:
            final[key] = await _stored_copy(remote, ring.preference_list(key, 3)[0], key)
        verdict = judge(load.writes, final, load.reads)
        assert verdict.lost_values == (), f"acknowledged writes lost: {verdict.lost_values}"
        assert verdict.phantom_values == ()
        assert verdict.superseded_values == (), f"siblings kept beside a write that saw them: {verdict}"
        async with NetClient(cluster.address(victim), SECRET) as client:
            for key in keys:
                want = sorted(x for x in final[key] if isinstance(x, bytes))
                await _read_until(client, key, lambda vs, w=want: [v for v in vs if v is not None] == w,
                                  f"what its replicas hold, {want}", r=3)


async def test_a_node_that_lost_its_disk_returns_as_a_new_actor(make_cluster: Callable[..., LocalCluster]) -> None:
    cluster = make_cluster()
    async with asyncio.timeout(180):
        async with NetClient(cluster.address("n1"), SECRET) as client:
            for i in range(20):
                put = await client.put(f"k{i}".encode(), b"v%d" % i)
                assert put.ok, put.error
        # Wait until every peer has seen n2 run (its generation past the first start),
        # which is what a node with an empty disk asks its peers to learn it lost its data.
        async with RemoteCluster(cluster.address("n1"), SECRET) as remote:
            peers = [name for name in remote.nodes if name != "n2"]

            async def everyone_saw_n2() -> bool:
                snaps = await _snapshots(remote, peers)
                if snaps is None:
                    return False
                seen = [{m.name: m for m in s.members}.get("n2") for s in snaps.values()]
                return all(entry is not None and entry.generation > 1 for entry in seen)

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

        # n2 serves every key again. Right after its restart its first requests to its
        # peers can time out, and a get answered by stand-ins then shows nothing: that
        # read is asked again; a wrong value fails at once.
        async with NetClient(cluster.address("n2"), SECRET) as client:
            for i in range(20):
                want = b"v%d" % i

                def shows(values: list[bytes | None], want: bytes = want) -> bool:
                    assert values in ([], [want]), f"read as {values}, not {want!r}"
                    return values == [want]

                await _read_until(client, f"k{i}".encode(), shows, repr(want))


async def _eventually(attempt: Callable[[], Any], within: float = 30.0) -> Any:
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
