"""The run-time invariants: each rule stays quiet on the correct protocol and speaks when
the bug it is there for is put back (by monkeypatching the real code, so these tests
fail if a rule goes blind). Each drives a small cluster by commands, no seed needed."""

from __future__ import annotations

from typing import Any

import pytest

from dynviz import commands as c
from dynviz.check.invariants import Invariants
from dynviz.cluster import ClusterConfig
from dynviz.core.ring import Ring
from dynviz.executor import Executor
from dynviz.node import coordinator, node


def _cluster(nodes: int = 4) -> tuple[Executor, Invariants]:
    executor = Executor(config=ClusterConfig(nodes=tuple(f"n{i}" for i in range(1, nodes + 1)), seed=3))
    return executor, Invariants(executor.cluster)


def _run(executor: Executor, *texts: str) -> list[Any]:
    outcomes = []
    for text in texts:
        command = c.parse_line(text)
        assert command is not None
        outcomes.append(executor.execute(command))
    return outcomes


def _rules(invariants: Invariants) -> list[str]:
    return [v.rule for v in invariants.violations]


def test_a_quorum_that_counts_a_failure_as_an_ack_is_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    executor, invariants = _cluster(3)  # no stand-in: a dead replica can only fail
    primary = executor.cluster.ring.preference_list(b"k", 3)[1]
    put = _run(executor, f"kill {primary}", "put k v1 w=3")[1]
    assert not put.ok and invariants.violations == []

    def counts_failures(self: coordinator.PutCoordinator, target: str, suspect: bool) -> None:
        self.ack(target)  # the bug: a time-out counted as an ack

    monkeypatch.setattr(coordinator.PutCoordinator, "replica_failed", counts_failures)
    put = _run(executor, "put k v2 w=3")[0]
    assert put.ok
    assert _rules(invariants) == ["quorum"]
    assert primary in invariants.violations[0].text and "no ok answer" in invariants.violations[0].text


def test_a_context_for_another_key_must_be_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    executor, invariants = _cluster()
    outcomes = _run(executor, "put a 1", "get a", "put b 2 context=a")
    assert not outcomes[2].ok and invariants.violations == []

    decode = node.decode_context
    monkeypatch.setattr(node, "decode_context", lambda token, secret, key=None: decode(token, secret))
    assert _run(executor, "put b 3 context=a")[0].ok
    assert _rules(invariants) == ["context"]


def test_a_dot_issued_twice_is_seen() -> None:
    executor, invariants = _cluster()
    cluster = executor.cluster
    first = cluster.ring.preference_list(b"k", 3)[0]
    # The coordinator forgets its copy (as a stand-in does once it hands a hint back):
    # its issued counter alone keeps the next dot new.
    _run(executor, f"put k v1 via={first}")
    cluster.nodes[first].store.delete(b"k")
    _run(executor, f"as fresh put k v2 via={first}")
    assert invariants.violations == []
    cluster.nodes[first].store.delete(b"k")
    cluster.nodes[first].issued.clear()  # the bug: the counter forgotten too
    _run(executor, f"as fresher put k v3 via={first}")
    assert _rules(invariants) == ["dot"]


def test_a_hint_removed_before_its_owner_holds_it_is_seen() -> None:
    executor, invariants = _cluster()
    cluster = executor.cluster
    primary = cluster.ring.preference_list(b"k", 3)[0]
    _run(executor, f"kill {primary}", "put k v1 w=3", "put k v2 w=3")
    holders = [name for name, n in cluster.nodes.items() if len(n.hints)]
    assert holders
    _run(executor, f"recover {primary}", "settle")
    assert invariants.violations == [] and not any(len(n.hints) for n in cluster.nodes.values())
    # Removing a hint its owner does not hold (a hint deleted when sent) is the bug.
    _run(executor, f"kill {primary}", "put k v3 w=3")
    holder = next(name for name, n in cluster.nodes.items() if len(n.hints))
    intended, key, hint = next(iter(cluster.nodes[holder].hints.items()))
    cluster.nodes[holder].remove_hint(intended, key, hint)
    assert _rules(invariants) == ["hint"]


def test_a_key_dropped_before_its_new_replicas_hold_it_is_seen() -> None:
    executor, invariants = _cluster()
    cluster = executor.cluster
    replicas = cluster.ring.preference_list(b"k", 3)
    _run(executor, "put k v1 w=3")
    cluster.nodes[replicas[0]].drop_key(b"k")  # the others hold it: nothing lost
    assert invariants.violations == []
    _run(executor, "put k v2 w=3")
    cluster.nodes[replicas[2]].store.delete(b"k")
    cluster.nodes[replicas[1]].drop_key(b"k")
    assert _rules(invariants) == ["drop"] and replicas[2] in invariants.violations[0].text


def test_a_preference_list_that_repeats_a_node_is_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    executor, invariants = _cluster()
    _run(executor, "put k v1", "get k")
    assert invariants.violations == []
    original = Ring.preference_list
    monkeypatch.setattr(Ring, "preference_list",
                        lambda self, key, n: (original(self, key, n)[0],) * n)  # the walk keeps a repeat
    _run(executor, "get k")
    assert "preference" in _rules(invariants)
