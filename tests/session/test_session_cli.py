"""The replay/lessons/lesson subcommands, registered on a parser like the main CLI's."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dynviz.session.cli import add_session_commands

ROOT = Path(__file__).resolve().parents[2]


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    add_session_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def test_replay_verify(capsys: pytest.CaptureFixture[str]) -> None:
    path = ROOT / "sessions" / "recorded" / "crash-recover.jsonl"
    assert run(["replay", str(path), "--verify"]) == 0
    assert "trace digest matches" in capsys.readouterr().out


def test_replay_verify_mismatch_prints_both(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (ROOT / "sessions" / "recorded" / "crash-recover.jsonl").read_text()
    bad = tmp_path / "bad.jsonl"
    bad.write_text(text.replace('"kill n3"', '"kill n4"'))
    assert run(["replay", str(bad), "--verify"]) == 1
    out = capsys.readouterr().out
    assert "DIFFERS: recorded" in out and "replayed" in out


def test_user_errors_are_value_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        run(["replay", str(tmp_path / "nope.jsonl"), "--verify"])
    with pytest.raises(ValueError, match="no lesson named"):
        run(["lesson", "no-such-lesson", "--check"])


def test_lessons_list_and_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["lessons"]) == 0
    assert "01-consistent-hashing" in capsys.readouterr().out
    assert run(["lesson", "04-hinted-handoff", "--check"]) == 0
    assert "ok" in capsys.readouterr().out


def test_failing_lesson_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lesson = tmp_path / "bad.dyn"
    lesson.write_text("# bad\ncluster nodes=3 seed=1\nput k v\nexpect get k values=nope\n")
    assert run(["lesson", str(lesson), "--check"]) == 1
    assert f"{lesson}:4:" in capsys.readouterr().out


# -- integrity: the digests cover every value a client wrote -----------------------------


def _record_overwrite(path: Path, seed: int, first: str = "start") -> None:
    """A session where ``k`` is written, read, then overwritten over the read's context:
    the first value is gone from every replica when the recording ends."""
    from dynviz.cluster import ClusterConfig
    from dynviz.commands import parse_line
    from dynviz.executor import Executor
    from dynviz.session.recording import Recorder

    executor = Executor(config=ClusterConfig(seed=seed))
    cluster = executor.cluster
    with Recorder.for_executor(path, executor) as rec:
        for text in (f"put k {first}", "get k", "put k final", "get k r=3"):
            rec.record(cluster, text, "setup")
            outcome = executor.execute(parse_line(text))  # type: ignore[arg-type]
            assert outcome.ok, outcome
        cluster.run(1_000_000)
        stored = {v.value for r in cluster.inspect("k").replicas for v in r.versions}
        assert stored == {b"final"}
        rec.close(cluster)


def _replay_cli(path: Path, hashseed: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONHASHSEED": hashseed}
    return subprocess.run([sys.executable, "-m", "dynviz", "replay", str(path), "--verify"],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**31), value=st.text("abcXYZ019", min_size=1, max_size=12))
def test_a_hand_edited_overwritten_value_fails_verification(seed: int, value: str) -> None:
    """Editing a value that is later overwritten leaves the final state as it was, so
    only a trace that records each request's value can tell the files apart."""
    from dynviz.session.recording import load_session
    from dynviz.session.replay import replay_session

    assume(value != "start")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.jsonl"
        _record_overwrite(path, seed)
        edited = Path(tmp) / "edited.jsonl"
        edited.write_text(path.read_text().replace('"put k start"', f'"put k {value}"'))
        result = replay_session(load_session(edited))
    assert result.state_digest == result.expected_state_digest  # the final state cannot see it...
    assert result.digest != result.expected_digest  # ...the trace does
    assert not result.verified


def test_replay_verify_refuses_one_edited_value_and_names_the_digest(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    _record_overwrite(path, seed=3)
    edited = tmp_path / "edited.jsonl"
    edited.write_text(path.read_text().replace('"put k start"', '"put k HACK"'))
    refused = _replay_cli(edited, hashseed="1")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "trace digest DIFFERS" in refused.stdout and "Traceback" not in refused.stderr
    kept = _replay_cli(path, hashseed="31337")  # another process, another str hash: still the same run
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert "trace digest matches" in kept.stdout


def test_the_shipped_setup_value_edit_from_the_issue_is_refused(tmp_path: Path) -> None:
    """Issue 13: ``put k3 start`` -> ``put k3 HACK`` in a shipped recording (k3 is
    overwritten by the workload later) used to verify."""
    text = (ROOT / "sessions" / "recorded" / "crash-recover.jsonl").read_text()
    assert text.count("put k3 start") == 1
    edited = tmp_path / "edited.jsonl"
    edited.write_text(text.replace("put k3 start", "put k3 HACK"))
    assert run(["replay", str(edited), "--verify"]) == 1


# -- a command file given where a session is expected --------------------------------------


@pytest.mark.parametrize("verify", [True, False])
def test_replay_of_a_command_file_suggests_dynviz_run(tmp_path: Path, verify: bool) -> None:
    script = tmp_path / "mine.dyn"
    script.write_text("# a command file\ncluster nodes=3\nput k v\nget k\n")
    with pytest.raises(ValueError) as info:
        run(["replay", str(script), *(["--verify"] if verify else [])])
    message = str(info.value)
    assert f"run it with 'dynviz run {script}'" in message and "JSON" not in message
    assert "\n" not in message


def test_replay_of_a_lesson_suggests_dynviz_lesson() -> None:
    lesson = ROOT / "sessions" / "lessons" / "04-hinted-handoff.dyn"
    with pytest.raises(ValueError, match=f"open it with 'dynviz lesson {lesson}'"):
        run(["replay", str(lesson), "--verify"])


def test_a_command_file_without_the_suffix_is_recognised_and_other_text_is_not(tmp_path: Path) -> None:
    from dynviz.session.recording import SessionError, load_session

    commands = tmp_path / "notes.txt"
    commands.write_text("put k v\nkill n2\n")
    with pytest.raises(SessionError, match="a command file, not a recorded session"):
        load_session(commands)
    prose = tmp_path / "prose.txt"
    prose.write_text("Dear diary, put the kettle on.\n")
    with pytest.raises(SessionError, match="line 1: not valid JSON"):
        load_session(prose)
    broken = tmp_path / "broken.dyn"  # a .dyn with a mistake in it is still a command file
    broken.write_text("put k v\nkill\nexpect get k values=v\n")
    with pytest.raises(SessionError, match="a lesson .*'dynviz lesson"):
        load_session(broken)


def test_the_verify_module_gives_the_same_advice() -> None:
    lesson = ROOT / "sessions" / "lessons" / "02-quorums.dyn"
    script = ROOT / "sessions" / "hinted-handoff.dyn"
    proc = subprocess.run([sys.executable, "-m", "dynviz.session.verify", str(lesson), str(script)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"dynviz lesson {lesson}" in proc.stdout
    assert f"dynviz run {script}" in proc.stdout


def test_a_lesson_with_one_expect_and_one_wait_says_so_in_the_singular(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lesson = tmp_path / "one.dyn"
    lesson.write_text("# one of each\ncluster nodes=3 seed=1\nput k v\nwait until quiet\nexpect get k values=v\n")
    assert run(["lesson", str(lesson), "--check"]) == 0
    assert "ok (1 expect met, 1 wait held)" in capsys.readouterr().out


def test_a_footer_counting_one_command_says_command(tmp_path: Path) -> None:
    import json

    from dynviz.session.recording import SessionError, load_session

    lines = (ROOT / "sessions" / "recorded" / "crash-recover.jsonl").read_text().splitlines()
    footer = {**json.loads(lines[-1]), "commands": 1}
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join([*lines[:3], json.dumps(footer)]) + "\n")
    with pytest.raises(SessionError, match="the footer counts 1 command but the file has 2"):
        load_session(bad)
