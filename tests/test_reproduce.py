"""Failing check seeds shrink to small session files that replay and verify."""

from __future__ import annotations

from pathlib import Path

from dynviz.checker import CheckConfig
from dynviz.reproduce import ddmin, record_seed, replay_script, reproduce
from dynviz.session.recording import load_session
from dynviz.session.replay import replay_session


def test_ddmin_finds_a_minimal_failing_subset() -> None:
    items = list(range(40))
    assert ddmin(items, lambda xs: 7 in xs and 31 in xs) == [7, 31]


def test_a_failing_lww_seed_shrinks_to_a_verified_session(tmp_path: Path) -> None:
    config = CheckConfig(seed=1, ops=100, faults=("skew",), resolver="lww")
    found = reproduce(config, tmp_path)
    assert found is not None
    assert found.verdict.lost and found.commands <= 10 < found.original
    session = load_session(found.path)
    result = replay_session(session)
    assert result.verified


def test_a_passing_dvv_seed_replays_as_passing() -> None:
    config = CheckConfig(seed=2, ops=80, faults=("crash", "partition"))
    script = record_seed(config)
    assert script and any(text.startswith("kill") or text.startswith("partition") for _, text in script)
    verdict, _ = replay_script(config, script, [f"k{i}".encode() for i in range(config.keys)])
    assert not verdict.failed
