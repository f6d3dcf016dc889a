"""The command line as a user meets it: `dynviz run` output, determinism across
processes, and one-line errors for bad input."""

from __future__ import annotations

import json
import os
import re
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dynviz.cli import main

ROOT = Path(__file__).resolve().parents[1]
SESSIONS = ROOT / "sessions"


def run_cli(*args: str, hashseed: str = "0") -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONHASHSEED=hashseed)
    return subprocess.run([sys.executable, "-m", "dynviz", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)


def test_figure3_clocks_exactly() -> None:
    proc = run_cli("run", str(SESSIONS / "figure3-shopping-cart.dyn"), "--json")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    gets = [r for r in rows if r.get("op") == "get"]
    siblings = next(r for r in gets if r["siblings"] == 2)
    clocks = sorted((v["value"], v["clock"]) for v in siblings["versions"])
    assert clocks == [("D3", {"Sx": 2, "Sy": 1}), ("D4", {"Sx": 2, "Sz": 1})]
    final = gets[-1]
    assert [(v["value"], v["clock"]) for v in final["versions"]] == [("D5", {"Sx": 3, "Sy": 1, "Sz": 1})]


def test_run_is_byte_identical_across_processes() -> None:
    path = str(SESSIONS / "partition-divergence.dyn")
    one = run_cli("run", path, "--json", hashseed="1")
    two = run_cli("run", path, "--json", hashseed="4242")
    assert one.returncode == 0 and one.stdout == two.stdout


def test_hinted_handoff_session() -> None:
    proc = run_cli("run", str(SESSIONS / "hinted-handoff.dyn"), "--json")
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    put = next(r for r in rows if r.get("op") == "put" and r["hints"])
    assert put["ok"] and len(put["acks"]) == 3
    intended = put["hints"][0]["intended"]
    last_inspect = [r for r in rows if "replicas" in r][-1]
    replica = next(r for r in last_inspect["replicas"] if r["node"] == intended)
    assert replica["values"] == ["eggs"]
    assert last_inspect["hints_held"] == 0


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["ring", "--nodes", "0"], "at least 1 node"),
        (["ring", "--nodes", "-3"], "need at least 1 node, got -3"),
        (["ring", "--nodes=-x,n2"], "bad node name '-x'"),
        (["ring", "--nodes", "1"], "--n 3 is more than the 1 node of the ring"),
        (["ring", "--n", "99"], "more than"),
        (["run", "does-not-exist.dyn"], "does not exist"),
    ],
)
def test_bad_input_is_one_line(args: list[str], needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err


def test_binary_and_malformed_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    binary = tmp_path / "x.dyn"
    binary.write_bytes(b"\x00\x01\x02put")
    assert main(["run", str(binary)]) == 2
    assert "binary" in capsys.readouterr().err
    bad = tmp_path / "bad.dyn"
    bad.write_text("put k v\nkill\n")
    assert main(["run", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "line 2, column" in err and err.count("\n") == 1


def test_ring_json_matches_md5() -> None:
    import hashlib

    proc = run_cli("ring", "--nodes", "8", "--n", "3", "--key", "cart:alice", "--json")
    data = json.loads(proc.stdout)
    assert data["token"] == hashlib.md5(b"cart:alice").hexdigest()
    assert len(set(data["preference_list"])) == 3


def test_a_lesson_run_as_a_command_file_says_where_its_expects_work(capsys: pytest.CaptureFixture[str]) -> None:
    main(["run", str(SESSIONS / "lessons" / "15-table-cart.dyn")])
    out = capsys.readouterr().out
    assert "'expect' works in lessons only: run this file with 'dynviz lesson FILE'" in out
    assert 'items: <<"milk", "bread", "eggs">>' in out  # the rest of the file still ran


# -- Ctrl+C ends a headless run cleanly ------------------------------------------------------


def _start(*args: str) -> subprocess.Popen[bytes]:
    """``python -m dynviz ARGS`` in its own process group, with SIGINT at its default
    (a shell that started this test in the background may have ignored it)."""
    return subprocess.Popen([sys.executable, "-m", "dynviz", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=ROOT, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _read_first_line(proc: subprocess.Popen[bytes], seconds: float = 60) -> bytes:
    """Bytes from ``proc``'s stdout up to its first line break, read unbuffered (what is
    read here is kept), or fail at the deadline."""
    assert proc.stdout is not None
    deadline = time.monotonic() + seconds
    got = b""
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while b"\n" not in got:
            left = deadline - time.monotonic()
            assert left > 0, f"no output line within {seconds}s: {got!r}"
            if sel.select(left):
                chunk = os.read(proc.stdout.fileno(), 65536)
                assert chunk, f"stdout closed before a line: {got!r}"
                got += chunk
    return got


def _interrupt(proc: subprocess.Popen[bytes], already: bytes = b"") -> tuple[str, str]:
    """Ctrl+C as a terminal sends it (to the whole process group); the rest of the output.
    A run that does not stop within the deadline is killed (group and all) and fails."""
    os.killpg(proc.pid, signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("Ctrl+C did not end the run within 60 s")
    return (already + out).decode(), err.decode()


@pytest.fixture
def long_script(tmp_path: Path) -> Path:
    script = tmp_path / "long.dyn"
    script.write_text("cluster nodes=3\nput k v\nget k\n" + "step 200000\n" * 200)
    return script


@pytest.mark.parametrize("json_mode", [False, True])
def test_ctrl_c_ends_run_with_one_line_and_status_130(long_script: Path, json_mode: bool) -> None:
    proc = _start("run", str(long_script), *(["--json"] if json_mode else []))
    first = _read_first_line(proc)
    out, err = _interrupt(proc, first)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and err.count("\n") == 1, err
    match = re.fullmatch(rf"dynviz: interrupted at line (\d+) of {re.escape(str(long_script))} \(.+\); "
                         r"(\d+) commands? of 203 finished\n", err)
    assert match, err
    line, finished = int(match.group(1)), int(match.group(2))
    assert line == finished + 1  # one command per line: the one that was running is the next
    printed = out.splitlines()
    assert len(printed) == finished  # every finished command's outcome, flushed, and no more
    if json_mode:
        assert [json.loads(row)["line"] for row in printed] == list(range(1, finished + 1))


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc to see the worker processes")
@pytest.mark.parametrize("json_mode", [False, True])
def test_ctrl_c_ends_a_parallel_check_without_a_traceback_per_worker(json_mode: bool) -> None:
    proc = _start("check", "--seeds", "100000", "--jobs", "2", *(["--json"] if json_mode else []))
    deadline = time.monotonic() + 60

    def workers() -> list[str]:
        found: list[str] = []
        for task in Path(f"/proc/{proc.pid}/task").iterdir():
            found += (task / "children").read_text().split()
        return found

    while len(workers()) < 2:  # the pool is up: the campaign is running
        assert time.monotonic() < deadline and proc.poll() is None, "the check never started its workers"
        time.sleep(0.01)
    out, err = _interrupt(proc)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and err.count("\n") == 1, err
    assert re.fullmatch(r"dynviz: check interrupted after \d+ of 100000 seeds; nothing reported\n", err), err
    assert out == ""


def test_ctrl_c_in_lesson_check_and_replay_verify_is_one_line(monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    import dynviz.session.lesson as lesson
    import dynviz.session.replay as replay

    def stop(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(lesson, "check_lesson", stop)
    monkeypatch.setattr(replay, "replay_session", stop)
    assert main(["lesson", "02-quorums", "--check"]) == 130
    assert capsys.readouterr().err == "dynviz: lesson 02-quorums interrupted; not checked\n"
    session = SESSIONS / "recorded" / "crash-recover.jsonl"
    assert main(["replay", str(session), "--verify"]) == 130
    assert capsys.readouterr().err == f"dynviz: replay of {session} interrupted; not verified\n"


def test_counts_of_one_are_singular(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one = tmp_path / "one.dyn"
    one.write_text("put k v\n")
    assert main(["run", str(one)]) == 0
    assert "1 command, virtual time" in capsys.readouterr().out
    assert main(["ring", "--nodes", "1", "--n", "1"]) == 0
    assert "ring: 1 node, 64 vnodes" in capsys.readouterr().out
    assert main(["check", "--seeds", "1", "--ops", "1", "--faults", "none", "--jobs", "1", "--no-repro"]) in (0, 1)
    assert "1 op per seed" in capsys.readouterr().out
