"""The shipped command files do what their comments say (issue 3 and 4 scenarios)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_json(name: str) -> list[dict]:
    proc = subprocess.run([sys.executable, "-m", "dynviz", "run", str(ROOT / "sessions" / name), "--json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return [row for line in proc.stdout.splitlines() if "cmd" in (row := json.loads(line))]


def test_join_n9_reads_everything_back_on_the_new_ring() -> None:
    rows = run_json("join-n9.dyn")
    gets = [r for r in rows if r.get("op") == "get"]
    assert len(gets) == 2000
    for row in gets:
        assert row["ok"] and row["values"] == [row["key"].replace("key", "value")], row["cmd"]
    views = next(r for r in rows if "views" in r)["views"]
    assert set(views) == {f"n{i}" for i in range(1, 10)}
    for observer, members in views.items():
        assert {m["node"] for m in members} == set(views), observer
        assert all(m["status"] == "up" for m in members), observer
    for row in (r for r in rows if "replicas" in r):
        holders = sorted(r["node"] for r in row["replicas"] if r["versions"])
        assert holders == sorted(row["preference_list"]), row["cmd"]


def test_wiped_node_is_rebuilt_by_antientropy_alone() -> None:
    rows = run_json("wipe-antientropy.dyn")
    exchanges = [r for r in rows if r["cmd"].startswith("antientropy")]
    assert exchanges and all(r["ok"] for r in exchanges)
    assert sum(len(r["keys_exchanged"]) for r in exchanges) > 0
    # Only differing subtrees are descended: far fewer hashes than a full tree per range.
    assert all(r["hashes_compared"] < 40 * r["ranges"] for r in exchanges)
    for row in [r for r in rows if "replicas" in r][-2:]:
        holders = sorted(r["node"] for r in row["replicas"] if r["versions"])
        assert holders == sorted(row["preference_list"])
