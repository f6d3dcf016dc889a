"""A run's cluster driven by commands, and the ending every run shares."""

from __future__ import annotations

import io

import pytest

from dynviz.check.scenario import CheckError, Scenario
from dynviz.cluster import ClusterConfig, ClusterError
from dynviz.session.recording import Recorder, parse_session
from dynviz.session.replay import replay_session

CONFIG = ClusterConfig(nodes=("n1", "n2", "n3", "n4"), seed=3, n=3, r=2, w=2)
KEYS = (b"k0", b"k1")


def test_the_ending_undoes_every_fault_reads_every_key_and_is_recorded() -> None:
    out = io.StringIO()
    recorder = Recorder(out, seed=CONFIG.seed, cluster=CONFIG)
    scenario = Scenario(CONFIG, KEYS, recorder)
    scenario.play([(0, "as a put k0 x via=n1"), (1000, "kill n2"), (2000, "partition n1 | n3,n4"),
                   (3000, "loss 0.05"), (4000, "as b put k1 y via=n3")])
    verdict = scenario.end()
    assert not verdict.failed, verdict
    assert all(scenario.cluster.is_up(name) for name in CONFIG.nodes)
    recorder.close(scenario.cluster)
    session = parse_session(out.getvalue().encode())
    texts = [recorded.text for recorded in session.commands]
    assert texts[5:] == ["heal", "loss 0", "latency 1000us..5000us", "recover n2", "settle", f"run {CONFIG.suspect_for + 100_000}us",
                         "settle", "as checker get k0 r=3", "as checker get k1 r=3", "settle"]
    assert replay_session(session).verified


def test_the_verdict_sees_a_lost_write() -> None:
    # Last-write-wins with n1's clock far behind: n1's later write loses to n2's earlier.
    config = ClusterConfig(nodes=("n1", "n2", "n3"), seed=1, n=3, r=2, w=2, resolver="lww")
    scenario = Scenario(config, (b"k0",))
    scenario.play([(0, "skew n1 -5000000us"), (1000, "as a put k0 first via=n2"),
                   (500_000, "as b put k0 second via=n1")])
    verdict = scenario.end()
    assert verdict.lost == (b"second",) and verdict.phantoms == () and verdict.unconverged == ()
    assert verdict.failed


def test_a_refused_command_is_skipped_unless_it_is_the_checkers_own() -> None:
    scenario = Scenario(CONFIG, KEYS)
    assert scenario.issue("as a get k0 via=n9") is None  # a node whose join a shrink cut
    assert scenario.issue("kill n9") is None
    with pytest.raises(ClusterError):
        scenario.issue("as a get k0 via=n9", strict=True)
    with pytest.raises(CheckError, match="kill n9"):
        scenario.issue("kill n9", strict=True)
    pending = scenario.issue("as a get k0 via=n1")
    assert pending is not None and scenario.cluster.wait(pending).ok
