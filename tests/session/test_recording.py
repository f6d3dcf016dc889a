"""Session files: the recorder writes what the loader accepts, replay verifies, and
every kind of bad file is a one-line SessionError naming the line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dynviz.cluster import ClusterConfig
from dynviz.commands import parse_line
from dynviz.events import EventBus
from dynviz.executor import Executor
from dynviz.session.recording import Recorder, SessionError, cluster_line, load_session
from dynviz.session.replay import replay_session

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "sessions" / "recorded").glob("*.jsonl"))


def record_small(path: Path, seed: int = 5) -> None:
    bus = EventBus()
    bus.subscribe(lambda e: None)
    executor = Executor(config=ClusterConfig(seed=seed), bus=bus)
    cluster = executor.cluster
    with Recorder.for_executor(path, executor) as rec:
        rec.record(cluster, "as setup put a 1", "setup")
        executor.execute(parse_line("as setup put a 1"))
        script = [(10_000, "put cart book", "typed"), (10_000, "get cart", "workload"), (300_000, "kill n3", "key"),
                  (320_000, "as bob put cart lamp", "palette"), (2_000_000, "recover n3", "mouse"),
                  (2_000_500, "get cart r=3", "typed")]
        for time, text, origin in script:
            cluster.advance(time - cluster.now, 7)  # small frames: commands land mid-microsecond
            while cluster.now < time:
                cluster.advance(time - cluster.now, 7)
            rec.record(cluster, text, origin)
            executor.submit(parse_line(text), lambda o: None)
        cluster.run(3_000_000)
        rec.close(cluster)


def test_round_trip_and_verify(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    record_small(path)
    session = load_session(path)
    assert session.header.seed == 5 and session.footer is not None
    assert [r.origin for r in session.commands][:3] == ["setup", "typed", "workload"]
    assert all(r.events is not None for r in session.commands)
    result = replay_session(session)
    assert result.verified, result


def test_cluster_line_round_trips() -> None:
    config = ClusterConfig(nodes=("a", "b", "c"), n=2, r=1, w=2, versioning="vclock", loss=0.05,
                           latency=(1500, 7000), handoff=False, seed=9)
    line = cluster_line(config)
    assert line.startswith("cluster ") and "seed" not in line


def test_truncated_recording_loads_without_footer(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    record_small(path)
    lines = path.read_text().splitlines(keepends=True)
    cut = tmp_path / "cut.jsonl"
    cut.write_text("".join(lines[:-1]))
    assert load_session(cut).footer is None
    cut.write_text("".join(lines[:-1]) + lines[-1][:30])
    with pytest.raises(SessionError, match=rf"^line {len(lines)}: not valid JSON.*truncated"):
        load_session(cut)


def _bad(tmp_path: Path, lines: list[str] | bytes) -> str:
    path = tmp_path / "bad.jsonl"
    if isinstance(lines, bytes):
        path.write_bytes(lines)
    else:
        path.write_text("".join(x + "\n" for x in lines))
    with pytest.raises(SessionError) as info:
        load_session(path)
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    return message


HEADER = json.dumps({"type": "header", "format": "dynviz-session", "version": 1, "dynviz": "0.1.0", "seed": 0,
                     "cluster": "cluster nodes=5"})


def cmd(time: int, text: str, origin: str = "typed") -> str:
    return json.dumps({"type": "command", "time_us": time, "events": None, "origin": origin, "text": text})


@pytest.mark.parametrize("lines, expected", [
    ([HEADER, cmd(5, "kill n3"), "{not json"], r"^line 3: not valid JSON"),
    ([HEADER.replace('"version": 1', '"version": 2')], r"^line 1: session format version 2"),
    ([HEADER.replace("dynviz-session", "other")], r"^line 1: unknown format"),
    ([HEADER, cmd(5, "rm -rf /")], r"^line 2: not a command: unknown command 'rm'"),
    ([HEADER, cmd(5, "__import__('os')")], r"^line 2: not a command"),
    ([HEADER, cmd(5, "# only a comment")], r"^line 2: not a command"),
    ([HEADER, cmd(5, "expect hints=0")], r"^line 2: 'expect' is for lessons"),
    ([HEADER, cmd(500, "kill n3"), cmd(100, "recover n3")], r"^line 3: virtual time goes backwards"),
    ([HEADER, cmd(5, "kill n3", origin="telepathy")], r"^line 2: unknown origin"),
    ([HEADER, cmd(5, "cluster storage=sqlite dir=/tmp/x")], r"^line 2: a session cannot build a cluster on disk"),
    ([HEADER, json.dumps({"type": "command", "time_us": "5", "origin": "typed", "text": "heal"})],
     r"^line 2: field 'time_us' of the command must be a whole number"),
    ([HEADER, json.dumps({"type": "command", "time_us": 5, "origin": "typed", "text": "heal", "x": 1})],
     r"^line 2: unknown field 'x'"),
    ([cmd(5, "heal")], r"^line 1: expected the session header first"),
    ([HEADER, HEADER], r"^line 2: a second header"),
    ([HEADER.replace("cluster nodes=5", "kill n1")], r"^line 1: the header's cluster must be"),
])
def test_bad_files(tmp_path: Path, lines: list[str], expected: str) -> None:
    import re

    message = _bad(tmp_path, lines)
    assert re.search(expected, message), message


def test_binary_and_empty_files(tmp_path: Path) -> None:
    assert _bad(tmp_path, b"").startswith("line 1: the file is empty")
    assert _bad(tmp_path, (HEADER + "\n").encode() + b"\x00\x01\x02garbage\n").startswith("line 2: binary data")
    assert _bad(tmp_path, (HEADER + "\n").encode() + b"\xff\xfe{}\n").startswith("line 2: not UTF-8")


def test_footer_mismatch_and_after_footer(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    record_small(path)
    lines = path.read_text().splitlines()
    footer = json.loads(lines[-1])
    footer["commands"] = 99
    assert "footer counts 99 commands" in _bad(tmp_path, [*lines[:-1], json.dumps(footer)])
    assert f"line {len(lines) + 1}: a line after the footer" in _bad(tmp_path, [*lines, cmd(10**9, "heal")])


def test_hand_edited_command_fails_verification(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    record_small(path)
    text = path.read_text().replace("put cart book", "put cart books")
    path.write_text(text)
    result = replay_session(load_session(path))
    assert not result.verified


def test_recorder_refuses_non_commands(tmp_path: Path) -> None:
    with Recorder(tmp_path / "r.jsonl", seed=0, cluster="cluster nodes=3") as rec:
        with pytest.raises(SessionError):
            rec.command(0, "frobnicate", "typed")
        with pytest.raises(SessionError):
            rec.command(0, "kill n1", "nowhere")


@pytest.mark.skipif(not SHIPPED, reason="no shipped sessions")
def test_shipped_sessions_verify_under_another_hash_seed() -> None:
    env = {**os.environ, "PYTHONHASHSEED": "4242"}
    proc = subprocess.run([sys.executable, "-m", "dynviz.session.verify", *map(str, SHIPPED)],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count(": verified") == len(SHIPPED)


def test_shipped_sessions_cover_each_fault() -> None:
    names = {p.stem for p in SHIPPED}
    assert {"crash-recover", "partition-heal", "loss-latency", "skew-lww", "join-leave", "wipe-antientropy"} <= names
