"""Failing check seeds shrink to small session files that replay and verify."""

from __future__ import annotations

from pathlib import Path

from dynviz.check.run import CheckConfig
from dynviz.check.shrink import ddmin, record_seed, replay, reproduce
from dynviz.session.recording import load_session
from dynviz.session.replay import replay_session


def test_ddmin_finds_a_minimal_failing_subset() -> None:
    items = list(range(40))
    assert ddmin(items, lambda xs: 7 in xs and 31 in xs) == [7, 31]


def test_ddmin_stays_within_its_budget() -> None:
    calls: list[int] = []

    def fails(xs: list[int]) -> bool:
        calls.append(len(xs))
        return 7 in xs and 31 in xs

    ddmin(list(range(40)), fails, budget=5)
    assert len(calls) <= 5


def test_a_failing_lww_seed_shrinks_to_a_verified_session(tmp_path: Path) -> None:
    config = CheckConfig(seed=1, ops=100, faults=("skew",), resolver="lww")
    found = reproduce(config, tmp_path)
    assert found is not None
    assert found.verdict.lost and found.commands <= 10 < found.original
    session = load_session(found.path)
    result = replay_session(session)
    assert result.verified
    # The session holds the minimal workload, then the checker's ending.
    texts = [recorded.text for recorded in session.commands]
    assert len(texts) > found.commands
    assert texts[found.commands:found.commands + 2] == ["heal", "loss 0"]
    last_key = config.key_names()[-1].decode()
    assert texts[-1] == "settle" and f"as checker get {last_key} r=3" in texts


def test_a_passing_dvv_seed_replays_as_passing() -> None:
    config = CheckConfig(seed=2, ops=80, faults=("crash", "partition"))
    script = record_seed(config)
    assert script and any(text.startswith("kill") or text.startswith("partition") for _, text in script)
    verdict = replay(config, script)
    assert not verdict.failed


def test_a_passing_seed_has_nothing_to_reproduce(tmp_path: Path) -> None:
    assert reproduce(CheckConfig(seed=2, ops=40, faults=()), tmp_path) is None
    assert list(tmp_path.iterdir()) == []
