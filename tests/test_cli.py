"""The command line as a user meets it: `dynviz run` output, determinism across
processes, and one-line errors for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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
