"""Seeking (checkpoints + re-simulation) reproduces the straight run; branches keep the
old future."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from dynviz.core.units import SECOND
from dynviz.session.recording import load_session
from dynviz.session.replay import replay_session
from dynviz.session.shipped import Scenario, record
from dynviz.session.timeline import Snapshot, Timeline


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("tl") / "s.jsonl"
    scenario = Scenario("t", "cluster nodes=6 n=3 r=2 w=2", (
        (2 * SECOND, "kill n2"), (4 * SECOND, "partition n1,n3 | n2,n4,n5,n6"), (6 * SECOND, "heal"),
        (7 * SECOND, "recover n2")), 10 * SECOND, rate=40, keys=30)
    record(scenario, path, seed=3)
    return load_session(path)


def test_seek_back_and_forward_reproduce_the_straight_run(session) -> None:
    straight = replay_session(session)
    assert straight.verified
    tl = Timeline(session, every_commands=25)
    tl.prepare()
    assert tl.checkpoints_enabled and len(tl.branch_data.checkpoints) >= 4
    rng = random.Random(0)
    for _ in range(6):
        reached = tl.seek(rng.randrange(0, tl.end))
        assert reached <= tl.end
        tl.play_to_end()
        assert tl.cluster.digest() == straight.digest
        assert tl.cluster.state_digest() == straight.state_digest


def test_seek_state_equals_a_fresh_run_to_the_same_time(session) -> None:
    tl = Timeline(session, every_commands=25)
    tl.prepare()
    tl.seek(8 * SECOND)
    tl.seek(3 * SECOND)  # backwards, from a checkpoint
    fresh = Timeline(session, every_commands=10**9)
    fresh.seek(3 * SECOND)  # forward from the start, no checkpoint
    assert tl.cluster.state_digest() == fresh.cluster.state_digest()
    assert tl.cluster.digest() == fresh.cluster.digest()


def test_snapshot_restores_an_independent_cluster(session) -> None:
    tl = Timeline(session)
    tl.seek(5 * SECOND)
    snap = Snapshot.take(tl.cluster)
    copy = snap.restore()
    assert copy is not tl.cluster and copy.trace is not tl.cluster.trace
    copy.run(SECOND)
    other = snap.restore()
    other.run(SECOND)
    assert copy.digest() == other.digest()
    tl.cluster.run(SECOND)
    assert tl.cluster.digest() == copy.digest()


def test_branching_keeps_the_old_future(session, tmp_path: Path) -> None:
    straight = replay_session(session)
    tl = Timeline(session, every_commands=25)
    tl.prepare()
    tl.seek(3 * SECOND)
    new = tl.branch("kill n5")
    assert new == 1 and tl.current == 1
    tl.branch("put cart branch-only")
    tl.seek(9 * SECOND)
    infos = {b.id: b for b in tl.branches()}
    assert set(infos) == {0, 1} and infos[1].parent == 0 and infos[1].current
    assert infos[0].commands == len(session.commands)
    saved = tl.save(1, tmp_path / "branch.jsonl")
    assert replay_session(load_session(tmp_path / "branch.jsonl")).verified
    assert saved.footer is not None and saved.footer.digest != straight.digest
    tl.switch(0)
    tl.play_to_end()
    assert tl.cluster.digest() == straight.digest
    tl.switch(1)
    assert tl.current == 1


def test_acting_at_the_end_extends_the_branch(session) -> None:
    tl = Timeline(session)
    tl.play_to_end()
    assert tl.branch("heal") == 0
    assert len(tl.branches()) == 1


def test_seek_past_the_last_command_names_it_as_seek_does(session) -> None:
    """``seek #999`` on a 998-command session must not say ``no command 998`` (the
    0-based index): every message counts commands from #1, as ``seek #N`` does."""
    tl = Timeline(session)
    count = len(session.commands)
    with pytest.raises(ValueError) as info:
        tl.seek_command(count)  # the 0-based index of "#count+1"
    assert str(info.value) == f"no command #{count + 1}; the branch has {count} commands (#1..#{count})"
    tl.seek_command(count - 1)  # "#count" is the last one, and it exists
    assert tl.index == count


def test_a_diverged_replay_names_the_command_by_its_number_and_line(session, tmp_path: Path) -> None:
    import json

    from dynviz.session.recording import parse_session, write_session

    path = tmp_path / "s.jsonl"
    write_session(session, path)
    lines = path.read_text().splitlines()
    number = len(session.commands)  # line 1 is the header: command #N is on line N+1
    row = json.loads(lines[number])
    row["events"] = json.loads(lines[-1])["events"] + 10_000  # an instant the replay passes by
    lines[number] = json.dumps(row)
    result = replay_session(parse_session(("\n".join(lines) + "\n").encode()))
    assert result.error.startswith(f"command #{number} (line {number + 1}): "), result.error
