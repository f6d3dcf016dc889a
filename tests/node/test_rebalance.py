"""Promises of dynviz.node.rebalance: a join, leave or removal is planned (the new token
assignment published as pending tokens, writes sent to the incoming owners too), the
moved stretches are pulled by the nodes that gain them once every live node knows the
plan, the starter commits when every gaining node has reported, and after the commit a
node hands each key it no longer replicates to the key's new replicas and drops it only
once all of them have acknowledged exactly what it holds (ownership handoff).

Single nodes on a fake runtime for each step; whole changes on a ``FakeNet`` of four or
five nodes whose messages the test delivers (and holds back, or loses) by hand."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from fakeruntime import FakeNet, FakeRuntime, make_net, make_node

from dynviz.core.hashing import RING_SIZE, token_of
from dynviz.core.membership import Member
from dynviz.core.units import SECOND
from dynviz.core.versions import EMPTY_CONTEXT, DvvVersioning, Siblings
from dynviz.events import Learned, RingChange, TransferProgress, VersionStored
from dynviz.node import rebalance
from dynviz.node.gossip import GossipPull
from dynviz.node.messages import ClientPut, ClientReply, ReplicaPut, ReplicaPutAck
from dynviz.node.node import Node
from dynviz.node.rebalance import (
    BATCH,
    GRACE,
    RETRY,
    OwnershipHandoff,
    OwnershipHandoffAck,
    PullBatch,
    PullRequest,
    TransferDone,
    TransferTask,
)

FOUR = ("n1", "n2", "n3", "n4")
FIVE = ("n1", "n2", "n3", "n4", "n5")
DVV = DvvVersioning()
KEYS = [f"k{i}".encode() for i in range(60)]


def blind(value: bytes, actor: str = "x", counter: int = 1) -> Siblings:
    return Siblings((DVV.new_version(Siblings.EMPTY, EMPTY_CONTEXT, value, actor, counter, counter - 1),))


def over(siblings: Siblings, value: bytes, actor: str = "x") -> Siblings:
    version = DVV.new_version(siblings, DVV.context_of(siblings), value, actor, 2)
    return DVV.merge(siblings, Siblings((version,)))


def entry(node: Node, name: str) -> Member:
    member = node.gossip.view.get(name)
    assert member is not None
    return member


def a_joiner(names: tuple[str, ...], name: str, view_of: Node | None = None) -> tuple[Node, FakeRuntime]:
    """A new node with a seed's view plus its own entry, 'joining' (as Cluster.join does)."""
    seed = view_of if view_of is not None else make_node(names[0], names)[0]
    return make_node(name, names, members=(*seed.gossip.view.entries(), Member(name, status="joining")))


def loaded(names: tuple[str, ...], keys: list[bytes] = KEYS, settle: bool = True) -> FakeNet:
    """Started nodes holding ``keys`` (written through the cluster, W=2, all acks
    delivered), and, with ``settle``, running past the drop check every node schedules
    GRACE after it starts (a change cancels it: see the test about it below)."""
    net = make_net(names)
    for i, key in enumerate(keys):
        net.nodes["n1"].handle("client", ClientPut(i + 1, "client", key, b"v-" + key, None))
    net.deliver()
    replies = [m for _, dst, m in net.outside if dst == "client"]
    assert len(replies) == len(keys) and all(r.ok for r in replies)
    net.outside.clear()
    if settle:
        net.run(GRACE + SECOND)
    return net


def add_joiner(net: FakeNet, name: str) -> Node:
    node, rt = a_joiner(tuple(net.nodes), name, view_of=net.nodes["n1"])
    net.add(node, rt)
    node.start()
    return node


def assert_placed(net: FakeNet, keys: list[bytes] = KEYS, leaving: str | None = None) -> None:
    """Every key on exactly its preference list (as every node now sees it), the same
    siblings on each, nothing on a node that left."""
    rings = {name: node.ring for name, node in net.nodes.items() if name != leaving}
    some = next(iter(rings.values()))
    assert all(ring.node_tokens() == some.node_tokens() for ring in rings.values()), "every view agrees"
    for key in keys:
        plist = some.preference_list(key, 3)
        holders = sorted(name for name, node in net.nodes.items() if key in node.store)
        assert holders == sorted(plist), key
        copies: list[Any] = [net.nodes[name].store.get(key) for name in plist]
        assert all(c == copies[0] for c in copies) and copies[0].values() == [b"v-" + key], key


def watch_drops(net: FakeNet) -> tuple[list[tuple[int, str, bytes]], list[str]]:
    """Every key a node drops (time, node, key), and each drop at which a node of the
    key's new preference list did not yet hold everything dropped (DESIGN §8's invariant)."""
    drops: list[tuple[int, str, bytes]] = []
    violations: list[str] = []
    for node in net.nodes.values():
        def checked(key: bytes, node: Node = node, original: Callable[[bytes], None] = node.drop_key) -> None:
            dropped: Any = node.store.get(key)
            for target in node.ring.preference_list(key, node.config.n):
                held: Any = net.nodes[target].store.get(key)
                if held is None or node.merge(held, dropped) != held:
                    violations.append(f"{node.name} dropped {key!r} before {target} held it")
            drops.append((node.runtime.now(), node.name, key))
            original(key)
        node.drop_key = checked  # type: ignore[method-assign]
    return drops, violations


def phases(net: FakeNet) -> list[str]:
    return [e.phase for e in net.of(RingChange)]


# -- planning ---------------------------------------------------------------------------


def test_a_join_plans_exactly_the_stretches_whose_replicas_change() -> None:
    joiner, rt = a_joiner(FOUR, "n5")
    old = joiner.ring
    assert "n5" not in old.nodes
    assert joiner.rebalance.begin("join", "n5") == "join n5"
    new = joiner.pending_ring
    assert new is not None and "n5" in new.nodes
    assert joiner.ring is old, "requests keep the current ring until the commit"
    plan = joiner.rebalance.plan
    assert plan is not None and plan.change == "join n5"
    planned = {(g, lo, hi) for g, segments in plan.tasks.items() for lo, hi, _ in segments}
    expected = {(g, ch.lo, ch.hi) for ch in old.replica_changes(new, 3) for g in ch.gained}
    assert planned == expected and plan.waiting == set(plan.tasks) == {"n5"}
    for gainer, segments in plan.tasks.items():
        for _, hi, sources in segments:
            before = old.preference_list_for_token(hi, 3)
            after = new.preference_list_for_token(hi, 3)
            assert gainer in after and gainer not in before
            lost = [s for s in before if s not in after]
            assert list(sources) == lost + [s for s in before if s not in lost], \
                "the replica about to lose the stretch first: its copy is the one at risk"
    [event] = rt.of(RingChange)
    assert (event.phase, event.detail) == ("planned", f"{len(planned)} stretches move to n5")


def test_a_join_with_equal_partitions_moves_whole_partitions_to_the_joiner() -> None:
    joiner, _ = a_joiner(FOUR, "n5")
    before = {m.name: m for m in joiner.gossip.view.entries()}
    joiner.rebalance.begin("join", "n5")
    after = {m.name: m for m in joiner.gossip.view.entries()}
    n5 = after["n5"]
    assert (n5.status, n5.change, n5.tokens, n5.version) == ("joining", "join n5", (), 2)
    assert n5.pending is not None and len(n5.pending) in (12, 13), "its fair share of 64 partitions"
    for name in FOUR:
        assert after[name].status == "up" and after[name].tokens == before[name].tokens
        pending = after[name].pending
        assert pending is not None and set(pending) <= set(before[name].tokens), "it only gives partitions up"
        assert after[name].change == "join n5" and after[name].version == before[name].version + 1
    every = sorted(t for name in FIVE for t in (after[name].pending or ()))
    assert every == sorted(t for name in FOUR for t in before[name].tokens), "the same partitions, new owners"


def test_a_leave_gives_every_stretch_of_the_leaver_to_the_others_pulling_from_it_first() -> None:
    node, _ = make_node("n3", FIVE)
    node.rebalance.begin("leave", "n3")
    n3 = entry(node, "n3")
    assert (n3.status, n3.pending, n3.change) == ("leaving", (), "leave n3")
    plan = node.rebalance.plan
    assert plan is not None and "n3" not in plan.waiting and plan.waiting
    assert all(sources[0] == "n3" for segments in plan.tasks.values() for _, _, sources in segments)
    assert node.pending_ring is not None and "n3" not in node.pending_ring.nodes


def test_a_removal_never_pulls_from_the_removed_node() -> None:
    node, _ = make_node("n1", FIVE)
    node.rebalance.begin("remove", "n5")
    n5 = entry(node, "n5")
    assert (n5.status, n5.pending) == ("removed", ())
    plan = node.rebalance.plan
    assert plan is not None and plan.tasks
    assert all("n5" not in sources for segments in plan.tasks.values() for _, _, sources in segments)


def test_one_change_at_a_time() -> None:
    node, _ = make_node("n3", FIVE)
    node.rebalance.begin("leave", "n3")
    with pytest.raises(ValueError, match="leave n3 is still in progress on n3"):
        node.rebalance.begin("leave", "n4")


def test_during_a_change_writes_also_go_to_the_incoming_owner_uncounted() -> None:
    joiner, _ = a_joiner(FIVE, "n6")
    joiner.rebalance.begin("join", "n6")
    node, rt = make_node("n1", FIVE)
    node.handle("n6", GossipPull(joiner.gossip.view.entries(), 1))  # n1 hears of the plan
    pending = node.pending_ring
    assert pending is not None
    key = next(k for i in range(2000) if (k := f"k{i}".encode())
               and node.ring.preference_list(k, 3)[0] == "n1" and "n6" in pending.preference_list(k, 3))
    node.handle("client", ClientPut(5, "client", key, b"v", None))
    sent = rt.take(ReplicaPut)
    current = node.ring.preference_list(key, 3)
    assert [dst for dst, _ in sent] == [*current[1:], "n6"]
    assert sent[-1][1].req == 0 and sent[-1][1].hint_for is None, "not a replica the quorum waits for"
    node.handle("n6", ReplicaPutAck(0, key))
    assert rt.take(ClientReply) == [], "the incoming owner's ack does not count toward W"
    node.handle(current[1], ReplicaPutAck(5, key))
    [(_, reply)] = rt.take(ClientReply)
    assert reply.ok and reply.acks == ("n1", current[1])


# -- the starter: waiting for the plan to spread, tasks, commit ------------------------


def heard_of(node: Node, change: str, *names: str) -> None:
    """Hand ``node`` the entries of ``names`` saying they have seen ``change`` (gossip)."""
    said = tuple(replace(entry(node, n), seen=change, heartbeat=entry(node, n).heartbeat + 1) for n in names)
    node.handle(names[0], GossipPull(said, 1))


def test_the_transfer_starts_only_once_every_live_node_has_heard_of_the_plan() -> None:
    node, rt = make_node("n3", FIVE)
    change = node.rebalance.begin("leave", "n3")
    rt.advance(10 * SECOND)
    assert rt.take(TransferTask) == [] and [e.phase for e in rt.of(RingChange)] == ["planned"]
    heard_of(node, change, "n1", "n2", "n4")
    rt.advance(10 * SECOND)
    assert rt.take(TransferTask) == [], "n5 has not said it knows"
    heard_of(node, change, "n5")
    rt.advance(node.gossip.interval // 2)
    plan = node.rebalance.plan
    assert plan is not None
    tasks = rt.take(TransferTask)
    assert sorted(dst for dst, _ in tasks) == sorted(plan.waiting)
    assert all(task == TransferTask(change, plan.tasks[dst]) for dst, task in tasks)
    assert [e.phase for e in rt.of(RingChange)] == ["planned", "transferring"]


def test_a_node_the_starter_suspects_is_not_waited_for() -> None:
    node, rt = make_node("n3", FIVE)
    change = node.rebalance.begin("leave", "n3")
    heard_of(node, change, "n1", "n2", "n4")
    node.detector.suspect("n5", "no heartbeat for 5.0s", 1 << 62)
    rt.advance(node.gossip.interval // 2)
    assert rt.take(TransferTask)


def started_leave(**settings: Any) -> tuple[Node, FakeRuntime, str]:
    node, rt = make_node("n3", FIVE, **settings)
    change = node.rebalance.begin("leave", "n3")
    heard_of(node, change, "n1", "n2", "n4", "n5")
    rt.advance(node.gossip.interval // 2)
    return node, rt, change


def test_unanswered_tasks_are_sent_again() -> None:
    node, rt, change = started_leave()
    first = rt.take(TransferTask)
    node.handle("n1", TransferDone(change, 4))
    rt.advance(2 * RETRY)
    again = rt.take(TransferTask)
    assert sorted(dst for dst, _ in again) == sorted(dst for dst, _ in first if dst != "n1")


def test_the_starter_commits_once_every_gaining_node_has_reported() -> None:
    node, rt, change = started_leave()
    gainers = sorted(dst for dst, _ in rt.take(TransferTask))
    before = {m.name: m for m in node.gossip.view.entries()}
    for i, gainer in enumerate(gainers[:-1]):
        node.handle(gainer, TransferDone(change, 10 + i))
        node.handle(gainer, TransferDone(change, 99))  # a repeat counts once
    node.handle("n3", TransferDone(change, 99))  # not a gainer
    node.handle(gainers[-1], TransferDone("join n9", 99))  # another change
    assert node.rebalance.plan is not None and node.pending_ring is not None
    node.handle(gainers[-1], TransferDone(change, 5))
    assert node.rebalance.plan is None and node.pending_ring is None
    after = {m.name: m for m in node.gossip.view.entries()}
    assert (after["n3"].status, after["n3"].tokens, after["n3"].pending) == ("left", (), None)
    for name in ("n1", "n2", "n4", "n5"):
        assert after[name].tokens == before[name].pending and after[name].pending is None
        assert after[name].change == "" and after[name].version == before[name].version + 1
    assert "n3" not in node.ring.nodes
    moved = sum(10 + i for i in range(len(gainers) - 1)) + 5
    assert [(e.phase, e.detail) for e in rt.of(RingChange)][-1] == ("committed", f"{moved} keys moved")


# -- the gaining node: pulls in batches, retries, reports -----------------------------


SEGMENT = (0, RING_SIZE - 1)


def test_a_gaining_node_pulls_its_stretch_from_the_first_source_and_reports_done() -> None:
    node, rt = make_node("n5", FIVE)
    node.handle("n1", TransferTask("join n9", ((*SEGMENT, ("n2", "n3")),)))
    assert rt.take(PullRequest) == [("n2", PullRequest("join n9", 0, *SEGMENT, 0))]
    items = ((b"a", blind(b"a")), (b"b", blind(b"b")))
    node.handle("n2", PullBatch("join n9", 0, items, None))
    assert node.store.get(b"a") == blind(b"a") and node.store.get(b"b") == blind(b"b")
    assert [e.cause for e in rt.of(VersionStored)] == ["transfer", "transfer"]
    [progress] = rt.of(TransferProgress)
    assert (progress.source, progress.target, progress.keys, progress.segments_done, progress.segments) == \
        ("n2", "n5", 2, 1, 1)
    assert rt.take(TransferDone) == [("n1", TransferDone("join n9", 2))]


def test_a_source_that_does_not_answer_is_replaced_by_the_next() -> None:
    node, rt = make_node("n5", FIVE)
    node.handle("n1", TransferTask("join n9", ((*SEGMENT, ("n2", "n3")),)))
    assert [dst for dst, _ in rt.take(PullRequest)] == ["n2"]
    rt.advance(RETRY - 1)
    assert rt.take(PullRequest) == []
    rt.advance(1)
    assert rt.take(PullRequest) == [("n3", PullRequest("join n9", 0, *SEGMENT, 0))]
    rt.advance(RETRY)
    assert [dst for dst, _ in rt.take(PullRequest)] == ["n2"], "round the sources again"
    node.handle("n2", PullBatch("join n9", 0, (), None))
    rt.advance(10 * RETRY)
    assert rt.take(PullRequest) == [] and rt.take(TransferDone) == [("n1", TransferDone("join n9", 0))]


def test_a_long_stretch_is_served_in_batches_and_pulled_batch_after_batch() -> None:
    source, src_rt = make_node("n2", FIVE)
    keys = sorted((f"key{i}".encode() for i in range(BATCH * 2 + 10)), key=token_of)
    for key in keys:
        source.store.put(key, blind(key))
    offsets: list[int | None] = [0]
    served: list[bytes] = []
    while offsets[-1] is not None:
        source.handle("n5", PullRequest("join n9", 0, *SEGMENT, offsets[-1]))
        [(_, batch)] = src_rt.take(PullBatch)
        served.extend(k for k, _ in batch.items)
        offsets.append(batch.next_offset)
    assert offsets == [0, BATCH, 2 * BATCH, None]
    assert served == keys, "every key once, in ring order"
    puller, rt = make_node("n5", FIVE)
    puller.handle("n1", TransferTask("join n9", ((*SEGMENT, ("n2",)),)))
    rt.take(PullRequest)
    puller.handle("n2", PullBatch("join n9", 0, ((b"a", blind(b"a")),), BATCH))
    assert rt.take(PullRequest) == [("n2", PullRequest("join n9", 0, *SEGMENT, BATCH))]
    assert rt.take(TransferDone) == []


def test_a_source_serves_only_the_keys_of_the_stretch() -> None:
    source, rt = make_node("n2", FIVE)
    keys = [f"key{i}".encode() for i in range(50)]
    for key in keys:
        source.store.put(key, blind(key))
    lo, hi = sorted(token_of(k) for k in keys)[9], sorted(token_of(k) for k in keys)[19]
    source.handle("n5", PullRequest("join n9", 3, lo, hi, 0))
    [(_, batch)] = rt.take(PullBatch)
    assert sorted(k for k, _ in batch.items) == sorted(k for k in keys if lo < token_of(k) <= hi)
    assert (batch.segment, batch.next_offset) == (3, None)


def test_a_task_already_pulled_is_answered_again_without_pulling() -> None:
    node, rt = make_node("n5", FIVE)
    task = TransferTask("join n9", ((*SEGMENT, ("n2",)),))
    node.handle("n1", task)
    node.handle("n1", task)  # a retried task while pulling: no second pull
    assert len(rt.take(PullRequest)) == 1
    node.handle("n2", PullBatch("join n9", 0, ((b"a", blind(b"a")),), None))
    assert rt.take(TransferDone) == [("n1", TransferDone("join n9", 1))]
    node.handle("n1", task)  # the starter did not hear the answer
    assert rt.take(PullRequest) == [] and rt.take(TransferDone) == [("n1", TransferDone("join n9", 1))]


def test_a_stretch_only_the_gaining_node_held_needs_no_pull() -> None:
    node, rt = make_node("n5", FIVE)
    node.handle("n1", TransferTask("join n9", ((*SEGMENT, ("n5",)),)))
    assert rt.take(PullRequest) == [] and rt.take(TransferDone) == [("n1", TransferDone("join n9", 0))]


# -- whole changes on several nodes -----------------------------------------------------


def test_a_join_moves_the_joiners_stretches_and_every_key_ends_on_its_new_replicas() -> None:
    net = loaded(FOUR)
    drops, violations = watch_drops(net)
    joiner = add_joiner(net, "n5")
    joiner.rebalance.begin("join", "n5")
    net.run(30 * SECOND)
    assert phases(net) == ["planned", "transferring", "committed"]
    assert all(entry(node, "n5").status == "up" for node in net.nodes.values())
    assert all(node.pending_ring is None for node in net.nodes.values())
    assert_placed(net)
    assert drops and violations == []
    assert {name for _, name, _ in drops} <= set(FOUR)


def test_the_pull_starts_after_every_node_learned_the_plan() -> None:
    net = loaded(FOUR)
    joiner = add_joiner(net, "n5")
    joiner.rebalance.begin("join", "n5")
    net.run(30 * SECOND)
    [transferring] = [e for e in net.of(RingChange) if e.phase == "transferring"]
    learned = {e.node: e.time for e in net.of(Learned) if e.subject == "n5" and e.status == "joining"}
    assert sorted(learned) == list(FIVE)
    assert max(learned.values()) <= transferring.time
    [first_pull, *_] = [t for t, _, _, m in net.delivered if isinstance(m, PullRequest)]
    assert first_pull >= transferring.time


def test_writes_during_a_join_reach_the_joiner_before_the_commit_and_end_on_the_new_replicas() -> None:
    net = loaded(FOUR)
    joiner = add_joiner(net, "n5")
    joiner.rebalance.begin("join", "n5")

    def batches(s: str, d: str, m: Any) -> bool:
        return isinstance(m, PullBatch)

    net.run(10 * SECOND, hold=batches, until=lambda: "transferring" in phases(net))
    assert joiner.rebalance.plan is not None and all(n.pending_ring is not None for n in net.nodes.values())
    late = [f"late{i}".encode() for i in range(30)]  # after the sources read what they send
    for i, key in enumerate(late):
        net.nodes["n2"].handle("client", ClientPut(100 + i, "client", key, b"v-" + key, None))
    net.deliver(hold=batches)
    net.run(30 * SECOND, until=lambda: joiner.rebalance.plan is None)
    assert joiner.rebalance.plan is None
    mine = [k for k in late if "n5" in joiner.ring.preference_list(k, 3)]
    assert mine and all(k in joiner.store for k in mine), "written to the incoming owner, not pulled"
    net.run(30 * SECOND)
    assert all(m.ok for _, dst, m in net.outside if isinstance(m, ClientReply))
    assert_placed(net, KEYS + late)


def test_a_pull_whose_source_is_cut_off_completes_from_another_replica() -> None:
    net = loaded(FIVE)
    joiner = add_joiner(net, "n6")
    net.cut.add("n2")
    joiner.detector.suspect("n2", "no heartbeat for 5.0s", 1 << 62)
    joiner.rebalance.begin("join", "n6")
    net.run(60 * SECOND, until=lambda: joiner.rebalance.plan is None)
    assert joiner.rebalance.plan is None, "committed without n2"
    unanswered = [m for _, d, m in net.lost if isinstance(m, PullRequest)]
    assert unanswered and {d for _, d, m in net.lost if isinstance(m, PullRequest)} == {"n2"}
    for request in unanswered:
        assert any(m.segment == request.segment and d != "n2" for _, d, m in net.sent(PullRequest, src="n6")), \
            "the stretch was pulled from the next replica"
    for key in KEYS:
        if "n6" in joiner.ring.preference_list(key, 3):
            assert key in joiner.store, key


def leave_until_handing_off(hold: Callable[[str, str, Any], bool]) -> tuple[FakeNet, Node]:
    """n3 leaves a loaded five-node cluster; returns when it has sent its ownership
    handoffs (GRACE after the commit) with ``hold`` keeping some messages queued."""
    net = loaded(FIVE)
    n3 = net.nodes["n3"]
    before = dict(n3.store.items())
    n3.rebalance.begin("leave", "n3")
    net.run(30 * SECOND, hold=hold, until=lambda: n3.rebalance.plan is None)
    assert phases(net) == ["planned", "transferring", "committed"]
    committed = net.now
    net.run(GRACE - 20_000, hold=hold)
    assert not net.sent(OwnershipHandoff), "a grace period first: others may still route here"
    net.run(40_000, hold=hold)
    assert net.sent(OwnershipHandoff) and net.now - committed <= GRACE + 20_000
    assert dict(n3.store.items()) == before, "nothing dropped before the handoff"
    return net, n3


def held_acks(src: str, dst: str, msg: Any) -> bool:
    return isinstance(msg, OwnershipHandoffAck)


def test_a_leaving_node_keeps_its_data_until_the_new_replicas_acknowledge_it() -> None:
    net, n3 = leave_until_handing_off(held_acks)
    held = dict(n3.store.items())
    assert held and set(held) <= set(KEYS)
    assert all(entry(node, "n3").status == "left" for node in net.nodes.values())
    handed = sorted((dst, m.key) for _, dst, m in net.sent(OwnershipHandoff, src="n3"))
    ring = net.nodes["n1"].ring
    assert handed == sorted((t, k) for k in held for t in ring.preference_list(k, 3)), \
        "each key to each of its new replicas, once"
    assert all(m.siblings == held[m.key] for _, _, m in net.sent(OwnershipHandoff)), "its own copy"
    net.run(10 * SECOND, hold=held_acks)
    assert dict(n3.store.items()) == held, "no acknowledgement, no drop"
    drops, violations = watch_drops(net)
    net.run(SECOND)
    assert len(n3.store) == 0 and violations == []
    assert sorted(k for _, name, k in drops) == sorted(held) and {name for _, name, _ in drops} == {"n3"}
    assert_placed(net, leaving="n3")


def test_a_key_is_dropped_only_when_every_new_replica_acknowledged_it() -> None:
    net, n3 = leave_until_handing_off(held_acks)
    held = dict(n3.store.items())
    ring = net.nodes["n1"].ring
    silent = "n4"
    drops, violations = watch_drops(net)
    net.run(SECOND, hold=lambda s, d, m: held_acks(s, d, m) and s == silent)
    waiting = sorted(k for k in held if silent in ring.preference_list(k, 3))
    assert waiting and sorted(k for k, _ in n3.store.items()) == waiting, "kept: n4 has not acknowledged"
    assert violations == []
    before = len(net.sent(OwnershipHandoff))
    net.run(GRACE, hold=lambda s, d, m: held_acks(s, d, m) and s == silent)
    again = net.sent(OwnershipHandoff)[before:]
    assert sorted({m.key for _, _, m in again}) == waiting, "offered again after GRACE, only what waits"
    net.run(SECOND)
    assert len(n3.store) == 0 and violations == []


def test_a_key_whose_new_replica_is_down_is_kept_and_offered_every_grace() -> None:
    net, n3 = leave_until_handing_off(held_acks)
    net.cut.add("n4")
    ring = net.nodes["n1"].ring
    waiting = sorted(k for k, _ in n3.store.items() if "n4" in ring.preference_list(k, 3))
    net.run(3 * GRACE)
    assert sorted(k for k, _ in n3.store.items()) == waiting
    offers = [m for _, d, m in net.lost if isinstance(m, OwnershipHandoff) and d == "n4" and m.key == waiting[0]]
    assert len(offers) == 3, "once every GRACE"


def test_a_key_updated_after_its_handoff_was_sent_is_kept_and_handed_off_again() -> None:
    net, n3 = leave_until_handing_off(held_acks)
    key = next(k for k, _ in n3.store.items())
    newer = over(n3.store.get(key), b"late")  # type: ignore[arg-type]
    n3.handle("n2", ReplicaPut(77, key, newer))  # a late write from a node unaware of the commit
    net.deliver()  # the acks for the handoffs sent before it
    assert [k for k, _ in n3.store.items()] == [key], "every other key dropped; this one changed"
    drops, violations = watch_drops(net)
    net.run(GRACE + SECOND)
    assert len(n3.store) == 0 and violations == []
    for target in net.nodes["n1"].ring.preference_list(key, 3):
        assert net.nodes[target].store.get(key) == newer


def test_keys_whose_new_replica_is_down_do_not_starve_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    net = loaded(FIVE)
    n3 = net.nodes["n3"]
    n3.rebalance.begin("leave", "n3")
    net.run(30 * SECOND, until=lambda: n3.rebalance.plan is None)
    net.run(SECOND)  # every node knows the commit
    unowned = n3.rebalance.unowned_keys()
    ring = n3.ring
    down = ring.preference_list(unowned[0], 3)[0]
    stuck = 0  # the first keys (in the order a round lists them) all wait for the down node
    while down in ring.preference_list(unowned[stuck], 3):
        stuck += 1
    assert 0 < stuck < len(unowned)
    monkeypatch.setattr(rebalance, "HANDOFF_BATCH", stuck)  # a round's batch: exactly those keys
    net.cut.add(down)
    drops, violations = watch_drops(net)
    net.run(len(unowned) // stuck * GRACE + GRACE)
    assert sorted(k for k, _ in n3.store.items()) == sorted(k for k in unowned if down in ring.preference_list(k, 3))
    assert violations == []


def test_a_late_ack_for_an_older_handoff_does_not_drop_a_key_updated_since() -> None:
    slow = "n4"
    net, n3 = leave_until_handing_off(held_acks)
    ring = net.nodes["n1"].ring
    key = next(k for k, _ in n3.store.items() if slow in ring.preference_list(k, 3))
    net.deliver(hold=lambda s, d, m: s == slow and isinstance(m, OwnershipHandoffAck) and m.key == key)
    newer = over(n3.store.get(key), b"late")  # type: ignore[arg-type]
    n3.handle("n2", ReplicaPut(77, key, newer))  # a late write reaches the old replica
    drops, violations = watch_drops(net)

    def slow_link(s: str, d: str, m: Any) -> bool:  # n4's old ack still on its way; the resend to n4 too
        return (s == slow and isinstance(m, OwnershipHandoffAck)) or (d == slow and isinstance(m, OwnershipHandoff))

    net.run(GRACE + 20_000, hold=slow_link)  # the next round hands the newer copy to all three
    assert len(net.runtimes["n3"].take(OwnershipHandoff, to=slow)) == 1  # the resend to n4: lost
    stale = [(d, m) for d, m in net.runtimes[slow].sent if isinstance(m, OwnershipHandoffAck) and m.key == key]
    assert len(stale) == 1, "the ack of the first round, for the older copy"
    net.deliver()  # ... arrives at last
    assert net.nodes[slow].store.get(key) != newer
    assert violations == [], "n3 dropped the newer copy although n4 had acknowledged only the older one"
    net.run(GRACE + SECOND)  # offered again, and acknowledged this time
    assert key not in n3.store and net.nodes[slow].store.get(key) == newer and violations == []


def test_the_handoff_waits_grace_after_the_commit_even_if_a_drop_check_was_already_due() -> None:
    net = loaded(FIVE, settle=False)  # every node checks for unowned keys GRACE after it started
    n3 = net.nodes["n3"]
    n3.rebalance.begin("leave", "n3")  # at once: committed well within that GRACE
    net.run(30 * SECOND, until=lambda: n3.rebalance.plan is None)
    committed = net.now
    net.run(2 * GRACE)
    first = min(t for t, _, _, m in net.delivered if isinstance(m, OwnershipHandoff))
    assert first >= committed + GRACE, f"handed off {(first - committed) / 1e6:.1f}s after the commit"


def test_a_second_change_committed_within_grace_of_the_first_resets_the_wait() -> None:
    net = loaded(FOUR)
    joiner = add_joiner(net, "n5")
    joiner.rebalance.begin("join", "n5")
    net.run(30 * SECOND, until=lambda: joiner.rebalance.plan is None)
    first_commit = net.now
    net.run(GRACE, until=lambda: all(n.pending_ring is None and "n5" in n.ring.nodes for n in net.nodes.values()))
    n2 = net.nodes["n2"]
    n2.rebalance.begin("leave", "n2")  # as soon as every node knows the join's commit: within its GRACE
    net.run(30 * SECOND, until=lambda: n2.rebalance.plan is None)
    committed = net.now
    assert committed < first_commit + GRACE
    drops, violations = watch_drops(net)
    net.run(3 * GRACE)
    handed = [t for t, _, _, m in net.delivered if isinstance(m, OwnershipHandoff)]
    assert handed and min(handed) >= committed + GRACE, "the check the join scheduled did not fire"
    assert drops and violations == []
    assert_placed(net, keys=KEYS, leaving="n2")


def test_a_key_whose_replicas_changed_since_its_handoff_is_dropped_only_once_the_new_ones_hold_it() -> None:
    net = loaded(FIVE)
    n3 = net.nodes["n3"]
    drops, violations = watch_drops(net)
    n3.rebalance.begin("leave", "n3")
    net.run(30 * SECOND, until=lambda: n3.rebalance.plan is None)
    newer = {}
    for i, (key, siblings) in enumerate(sorted(n3.store.items())):  # late writes only n3 holds
        newer[key] = over(siblings, b"late")
        n3.handle("n1", ReplicaPut(500 + i, key, newer[key]))
    net.runtimes["n3"].take(ReplicaPutAck)

    def handoffs(s: str, d: str, m: Any) -> bool:  # n3's handoffs wait on the way
        return s == "n3" and isinstance(m, OwnershipHandoff)

    net.run(GRACE + 20_000, hold=handoffs)
    held = [(d, m.key) for d, m in net.runtimes["n3"].sent if isinstance(m, OwnershipHandoff)]
    assert held, "handed off to the replicas of the ring after the leave"
    joiner = add_joiner(net, "n6")  # and the ring changes again before they arrive
    joiner.rebalance.begin("join", "n6")
    net.run(30 * SECOND, hold=handoffs,
            until=lambda: joiner.rebalance.plan is None and "n6" in n3.ring.nodes and n3.pending_ring is None)
    assert "n6" in n3.ring.nodes
    moved = [k for k in newer if "n6" in n3.ring.preference_list(k, 3)]
    assert moved and all(newer[k] != joiner.store.get(k) for k in moved), "n6 pulled the older copies"
    net.deliver()  # the handoffs arrive, and the old targets acknowledge them
    assert violations == [], "dropped on the acks of replicas the ring no longer gives all of the key"
    assert all(k in n3.store for k in moved)
    net.run(2 * GRACE)  # handed off again, now to the new replicas
    assert len(n3.store) == 0 and violations == []
    for key, siblings in newer.items():
        assert all(net.nodes[t].store.get(key) == siblings for t in n3.ring.preference_list(key, 3)), key
