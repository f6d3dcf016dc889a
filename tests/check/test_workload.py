"""A seed's workload: its clients and faults, every one recorded as the command that
replays it."""

from __future__ import annotations

import re

from dynviz import commands as c
from dynviz.check.run import CheckConfig
from dynviz.check.scenario import Scenario
from dynviz.check.workload import FAULTS, INJECTORS, Workload, workload_keys
from dynviz.core.hashing import token_of


def _workload(config: CheckConfig) -> Workload:
    scenario = Scenario(config.cluster(), config.key_names())
    workload = Workload(scenario, config.seed, config.ops, config.clients, config.faults)
    workload.run()
    return workload


def test_fault_names() -> None:
    assert FAULTS == ("crash", "partition", "loss", "skew", "join", "leave", "wipe", "delay", "dup",
                      "reorder") == tuple(INJECTORS)
    keys = workload_keys(16)
    assert len(set(keys)) == 16 and all(k.split(b".")[0] == f"k{i}".encode() for i, k in enumerate(keys))
    assert [token_of(k) * 16 >> 128 for k in keys] == list(range(16))  # one per slice of the ring


def test_every_operation_and_fault_is_recorded_as_a_command() -> None:
    config = CheckConfig(seed=3, ops=150, nodes=6)
    workload = _workload(config)
    assert workload.ops == 150 and workload.busy == 0 and workload.ended
    times = [time for time, _ in workload.recording]
    assert times == sorted(times)
    requests = 0
    for _, text in workload.recording:
        command = c.parse_line(text)
        if isinstance(command, (c.Get, c.Put, c.Delete)):
            requests += 1
            assert command.via is not None and command.client is not None  # a replay needs no router
            assert re.fullmatch(r"c[1-4](b\d+)?", command.client)
        else:
            assert isinstance(command, (c.Kill, c.Recover, c.Partition, c.Heal, c.Loss, c.Skew, c.Join,
                                        c.Leave, c.Wipe, c.Latency, *c.CHOICE_COMMANDS)), text
    # Each operation is a get, a write, or a get and then a write.
    assert 150 <= requests <= 300
    assert requests < len(workload.recording)  # faults were recorded too


def test_requests_reach_the_corners_quorums_of_one_and_n_and_foreign_contexts() -> None:
    seen_r, seen_w, foreign, primaries = set(), set(), 0, 0
    for seed in (11, 12):
        workload = _workload(CheckConfig(seed=seed, ops=200, faults=()))
        for _, text in workload.recording:
            command = c.parse_line(text)
            if isinstance(command, c.Get):
                seen_r.add(command.r)
                primaries += command.pr is not None
            elif isinstance(command, c.Put):
                seen_w.add(command.w)
                primaries += command.pw is not None
                if command.context is not None:
                    foreign += 1
                    assert command.context != command.key
    assert {None, 1, 3} <= seen_r and {None, 1, 3} <= seen_w  # None: the cluster's R=W=2
    assert foreign and primaries


def test_a_seed_with_the_wipe_fault_writes_w1_only_when_it_wipes_no_disk() -> None:
    for seed in range(20, 30):
        workload = _workload(CheckConfig(seed=seed, ops=120, faults=("wipe",)))
        wiped = any(text.startswith("wipe") for _, text in workload.recording)
        single = any(isinstance(cmd := c.parse_line(text), (c.Put, c.Delete)) and cmd.w == 1
                     for _, text in workload.recording)
        assert not (wiped and single), seed


def test_values_are_unique_and_blind_writes_are_fresh_clients() -> None:
    workload = _workload(CheckConfig(seed=4, ops=120, faults=()))
    puts = [command for _, text in workload.recording
            if isinstance(command := c.parse_line(text), c.Put)]
    values = [put.value for put in puts]
    assert len(values) == len(set(values))
    blind = [put for put in puts if "b" in (put.client or "")]
    assert blind
    # A blind writer's name is its client's plus the count of the value it writes.
    for put in blind:
        client, _, count = (put.client or "").partition("b")
        assert put.value == f"{client}-{count}"
    assert all(not text.startswith(("kill", "partition", "loss", "skew")) for _, text in workload.recording)


def test_a_workload_is_a_function_of_its_seed() -> None:
    config = CheckConfig(seed=7, ops=80)
    assert _workload(config).recording == _workload(config).recording
    assert _workload(config).recording != _workload(config.with_seed(8)).recording


def test_the_delay_fault_slows_every_link_for_a_while_and_the_ending_restores_it() -> None:
    from dynviz.check.cli import parse_faults

    assert parse_faults("all,delay") == FAULTS == parse_faults("all")
    config = CheckConfig(seed=5, ops=120, faults=("delay",))
    scenario = Scenario(config.cluster(), config.key_names())
    workload = Workload(scenario, config.seed, config.ops, config.clients, config.faults)
    workload.run()
    texts = [text for _, text in workload.recording]
    assert "latency 1000us..6000000us" in texts
    scenario.end()
    assert scenario.cluster.network.latency == config.cluster().latency


def test_dup_and_reorder_are_choices_between_nodes_and_the_ending_releases_every_hold() -> None:
    config = CheckConfig(seed=11, ops=150, faults=("dup", "reorder"))
    scenario = Scenario(config.cluster(), config.key_names())
    workload = Workload(scenario, config.seed, config.ops, config.clients, config.faults)
    workload.run()
    commands = [c.parse_line(text) for _, text in workload.recording]
    kinds = {type(command) for command in commands}
    assert {c.Duplicate, c.Hold, c.Deliver, c.Release} <= kinds
    holds = [command for command in commands if isinstance(command, c.Hold)]
    assert all(h.dst is not None for h in holds)  # one inbox or one link, never everything
    verdict = scenario.end()
    assert not scenario.cluster.network.holds and not scenario.cluster.network.held
    assert not verdict.failed, verdict


def test_a_duplicated_forward_makes_one_version_not_two() -> None:
    """A request forwarded to its coordinator and delivered twice is taken once: else one
    write would become two sibling versions, and a later write over one of them would
    leave the other standing (the checker saw it as a superseded sibling)."""
    from dynviz.cluster import Cluster, ClusterConfig
    from dynviz.sim.network import Hold

    cluster = Cluster(ClusterConfig(nodes=("n1", "n2", "n3", "n4", "n5"), seed=2, routing="lb"))
    key = next(f"k{i}" for i in range(100) if "n1" not in cluster.ring.preference_list(f"k{i}".encode(), 3))
    cluster.network.hold(Hold(None, "n1"))
    cluster.submit_put(key, "v", via="n1")
    cluster.network.release()
    cluster.step(1)  # n1 takes the client's request and forwards it
    forwards = [m for m in cluster.choices().messages if m.src == "n1" and m.kind == "ClientPut"]
    assert len(forwards) == 1
    cluster.network.duplicate(forwards[0].number)
    cluster.settle()
    stored = {name: cluster.nodes[name].store.get(key.encode()) for name in cluster.ring.preference_list(key.encode(), 3)}
    assert all(s is not None and len(s.versions) == 1 for s in stored.values()), stored
