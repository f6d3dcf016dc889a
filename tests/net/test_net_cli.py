"""The net subcommands end to end, as a user types them: up, client, status, down.

A get that checks a value is run again until it shows it: on a loaded machine a
replica can answer too late and a stand-in that does not hold the key yet answer
instead (a stale read, not a wrong one). Each wait has a deadline."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from netcluster import FAST
from netwait import until_sync

from dynviz.net import launcher
from dynviz.net.cli import add_net_commands


def _dynviz(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dynviz.net", *args], capture_output=True, text=True,
                          timeout=timeout, check=False)


def _get_until(shows: Callable[[str], bool], what: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``dynviz client get ARGS`` until it succeeds with an output ``shows`` accepts."""
    runs: list[subprocess.CompletedProcess[str]] = []

    def get() -> subprocess.CompletedProcess[str] | None:
        runs.append(_dynviz("client", "get", *args))
        return runs[-1] if runs[-1].returncode == 0 and shows(runs[-1].stdout) else None

    def told() -> str:
        last = runs[-1] if runs else None
        return f"a get that shows {what} (last: {last and (last.stdout + last.stderr).strip()!r})"

    return until_sync(get, told, within=90, every=0.2)


@pytest.fixture
def data(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "c"
    yield folder
    pids = [launcher.running_pid(folder, p.stem) for p in folder.glob("*.pid")]
    try:
        launcher.down(folder, timeout=3)
    except ValueError:
        pass
    for pid in pids:
        if pid is not None:
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def test_up_client_status_down(data: Path) -> None:
    up = _dynviz("up", "--nodes", "5", "--data", str(data), "--json", *FAST)
    assert up.returncode == 0, up.stderr
    nodes = json.loads(up.stdout)
    assert [n["id"] for n in nodes] == ["n1", "n2", "n3", "n4", "n5"]
    assert all(n["address"].startswith("127.0.0.1:") for n in nodes)
    assert oct((data / "secret").stat().st_mode & 0o777) == "0o600"

    put = _dynviz("client", "put", "cart", "milk", "--data", str(data))
    assert put.returncode == 0, put.stderr
    assert put.stdout.startswith("put cart ok: coordinator n") and "\ncontext " in put.stdout
    _get_until(lambda out: out.startswith("get cart: milk {n"), "milk",
               "cart", "--data", str(data), "--via", nodes[3]["address"])
    # The context from the get (the last one, which showed milk) is kept in the state
    # file: this put supersedes milk.
    again = _dynviz("client", "put", "cart", "eggs", "--data", str(data), "--via", nodes[1]["address"])
    assert again.returncode == 0, again.stderr
    _get_until(lambda out: json.loads(out)["values"] == ["eggs"], "only eggs", "cart", "--data", str(data), "--json")
    gone = _dynviz("client", "delete", "cart", "--data", str(data))
    assert gone.returncode == 0, gone.stderr
    _get_until(lambda out: "(deleted)" in out, "(deleted)", "cart", "--data", str(data))

    status = _dynviz("status", "--data", str(data))
    assert status.returncode == 0, status.stderr
    for n in nodes:
        assert n["id"] in status.stdout and n["address"] in status.stdout
    assert "ring: 64 vnodes" in status.stdout

    again_up = _dynviz("up", "--data", str(data))
    assert again_up.stdout.count("already running") == 5

    down = _dynviz("down", "--data", str(data))
    assert down.returncode == 0 and down.stdout.count("stopped") == 5, down.stdout
    assert not list(data.glob("*.pid"))
    assert "cannot reach" in _dynviz("client", "get", "cart", "--data", str(data), "--timeout", "1").stderr


def test_user_errors_are_one_line(data: Path, tmp_path: Path) -> None:
    cases = [
        (["client", "get", "k", "--data", str(tmp_path / "none")], "no cluster"),
        (["client", "get", "k", "--via", "nowhere", "--secret", "s"], "expected HOST:PORT"),
        (["client", "put", "k", "--via", "127.0.0.1:1", "--secret", "s"], "put needs a VALUE"),
        (["client", "get", "k", "--via", "127.0.0.1:1", "--secret", "s", "--timeout", "1"], "cannot reach"),
        (["node", "--id", "n1", "--data", str(tmp_path), "--secret", "s", "--listen", "0.0.0.0:7001"],
         "not loopback"),
        (["node", "--id", "bad id", "--data", str(tmp_path), "--secret", "s"], "bad node id"),
        (["node", "--id", "n9", "--data", str(tmp_path), "--secret", "s", "--members", "n1,n2,n3"],
         "not among"),
    ]
    env_secret = os.environ.pop("DYNVIZ_SECRET", None)
    try:
        for argv, message in cases:
            result = _dynviz(*argv)
            assert result.returncode == 2, (argv, result.stdout, result.stderr)
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and message in lines[0], (argv, result.stderr)
    finally:
        if env_secret is not None:
            os.environ["DYNVIZ_SECRET"] = env_secret


def test_commands_register_on_any_parser() -> None:
    parser = argparse.ArgumentParser()
    add_net_commands(parser.add_subparsers(dest="command"))
    for argv in (["node", "--id", "n1", "--data", "d"], ["up"], ["down"], ["client", "get", "k"], ["status"]):
        args = parser.parse_args(argv)
        assert callable(args.func)
