"""The learner as the network, end to end (issue 16): choices made by hand are commands,
recorded in a session; replays and branches reproduce them, with the same message ids
at the same points, in any process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dynviz.cluster import ClusterConfig
from dynviz.commands import parse_line, parse_script
from dynviz.executor import Executor, Outcome
from dynviz.session.recording import Recorder, load_session
from dynviz.session.replay import replay_session
from dynviz.session.timeline import Timeline

ROOT = Path(__file__).resolve().parents[1]


def ids(executor: Executor) -> list[str]:
    return [m["id"] for m in executor.execute(parse_line("network")).data["messages"]]  # type: ignore[arg-type]


def test_a_put_under_a_hold_answers_after_the_choice_that_completes_it() -> None:
    executor = Executor(config=ClusterConfig(nodes=("n1", "n2", "n3"), seed=4))
    outcomes = list(executor.run_script(parse_script("put k a\nhold\nput k b")))
    assert outcomes[-1].data == {"pending": True} and outcomes[-1].ok
    seen: list[Outcome] = []
    for _ in range(20):  # deliver the oldest pending message until the put answers
        pending = ids(executor)
        if not pending:
            break
        seen += executor.run_script([parse_line(f"deliver {pending[0]}")])  # type: ignore[list-item]
    answered = [o for o in seen if o.cmd == "put k b"]
    assert len(answered) == 1 and answered[0].ok and answered[0].data["op"] == "put"
    get = executor.execute(parse_line("get k"))  # type: ignore[arg-type]
    assert get.data.get("pending") and executor.take_finished() == []  # still held: it waits too


def test_choices_name_what_is_wrong() -> None:
    executor = Executor(config=ClusterConfig(nodes=("n1", "n2", "n3"), seed=1))
    for text, message in [("deliver m999", "no pending message m999"), ("fire n1.t999", "no pending timer"),
                          ("fire n9.t1", "no node 'n9'"), ("hold n9", "no node 'n9'"),
                          ("release n1->n2", "is not held"), ("release", "nothing is held")]:
        outcome = executor.execute(parse_line(text))  # type: ignore[arg-type]
        assert not outcome.ok and outcome.invalid and message in outcome.error, (text, outcome)


def _record(path: Path, seed: int) -> None:
    """A session made of choices: hold, a put, its messages delivered in a chosen order
    with one duplicated ack and one reply dropped, a timer fired by hand."""
    executor = Executor(config=ClusterConfig(nodes=("n1", "n2", "n3"), seed=seed))
    cluster = executor.cluster
    with Recorder.for_executor(path, executor) as rec:
        def do(text: str) -> Outcome:
            rec.record(cluster, text, "typed")
            done: list[Outcome] = []
            executor.submit(parse_line(text), done.append)  # type: ignore[arg-type]
            return done[0] if done else Outcome(text, 0, True, cluster.now)

        do("put k first")
        cluster.run(200_000)
        do("hold")
        do("as alice put k second")
        for step in range(12):
            choices = cluster.choices()
            if not choices.messages:
                break
            first = choices.messages[0]
            verb = "duplicate" if first.kind.endswith("Ack") and step < 6 else "deliver"
            assert do(f"{verb} {first.id}").ok
        do(f"fire {cluster.choices().timers[0].id}")
        cluster.run(50_000)
        do("release")
        cluster.run(2_000_000)
        rec.close(cluster)


def test_a_session_of_choices_verifies_in_another_process(tmp_path: Path) -> None:
    path = tmp_path / "choices.jsonl"
    _record(path, seed=7)
    texts = [c.text.split()[0] for c in load_session(path).commands]
    assert {"hold", "deliver", "duplicate", "fire", "release"} <= set(texts)
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run([sys.executable, "-m", "dynviz", "replay", str(path), "--verify"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_branch_that_chooses_differently_verifies(tmp_path: Path) -> None:
    path = tmp_path / "choices.jsonl"
    _record(path, seed=8)
    session = load_session(path)
    tl = Timeline(session)
    hold_at = next(i for i, c in enumerate(session.commands) if c.text == "as alice put k second")
    tl.seek_command(hold_at + 1)  # just after the put, before any choice
    first = tl.cluster.choices().messages[0].id
    assert tl.branch(f"drop {first}") == 1
    tl.branch("release")
    assert [b.first for b in tl.branches()] == ["", f"drop {first}"]
    saved = tl.save(1, tmp_path / "branch.jsonl")
    assert replay_session(load_session(tmp_path / "branch.jsonl")).verified
    assert saved.footer is not None and saved.footer.digest != session.footer.digest  # type: ignore[union-attr]


@pytest.mark.parametrize("hashseed", ["1", "987"])
def test_the_same_session_lists_the_same_ids_at_the_same_points(tmp_path: Path, hashseed: str) -> None:
    script = tmp_path / "s.dyn"
    script.write_text("cluster nodes=4 n=3 r=2 w=2 seed=5\nput a 1\nhold\nput b 2\nnetwork\n"
                      f"deliver m{_first_held()}\nnetwork\nrelease\nnetwork\n")
    runs = []
    for seed in (hashseed, "42"):
        out = subprocess.run([sys.executable, "-m", "dynviz", "run", str(script), "--json"], cwd=ROOT,
                             env={**os.environ, "PYTHONHASHSEED": seed}, capture_output=True, text=True,
                             timeout=120)
        assert out.returncode == 0, out.stderr
        runs.append([[(m["id"], m["kind"]) for m in row["messages"]] + [t["id"] for t in row["timers"]]
                     for row in map(json.loads, out.stdout.splitlines()) if row.get("cmd") == "network"])
    assert runs[0] == runs[1] and len(runs[0]) == 3 and runs[0][0]


def _first_held() -> int:
    executor = Executor()
    list(executor.run_script(parse_script("cluster nodes=4 n=3 r=2 w=2 seed=5\nput a 1\nhold\nput b 2")))
    return int(ids(executor)[0][1:])


def test_the_replay_lists_its_branches_as_a_tree_of_choices(tmp_path: Path) -> None:
    from dynviz.tui.drivers.replay import ReplayDriver

    path = tmp_path / "choices.jsonl"
    _record(path, seed=9)
    replay = ReplayDriver(load_session(path), playing=False)
    tl = replay.timeline
    put_at = next(i for i, c in enumerate(tl.session.commands) if c.text == "as alice put k second")
    tl.seek_command(put_at + 1)
    fork = tl.index
    first, second = [m.id for m in tl.cluster.choices().messages][:2]
    tl.branch(f"drop {first}")  # branch 1, from the recording
    tl.branch(f"deliver {second}")
    tl.seek_command(put_at + 2)
    assert tl.index == fork + 1
    tl.branch(f"duplicate {second}")  # branch 2, from branch 1 after its drop
    rows = [text for _, text in replay.branch_rows()]
    assert rows[0].startswith("  branch 0 (the recording)")
    assert f"  └─ branch 1 (after #{fork}: drop {first})" in rows[1]
    assert rows[2].startswith("▶ ") and f"   └─ branch 2 (after #{fork + 1}: duplicate {second})" in rows[2]
