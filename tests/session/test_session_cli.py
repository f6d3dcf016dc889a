"""The replay/lessons/lesson subcommands, registered on a parser like the main CLI's."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

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
