"""``dynviz dynamodb`` (dynviz/wire/cli.py) as a user runs it: a process that says where
it listens, answers, and stops on Ctrl+C or SIGTERM; its options checked at the edge."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from dynviz.cli import build_parser, main

AUTH = "AWS4-HMAC-SHA256 Credential=k/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0"


def start(*args: str) -> tuple[subprocess.Popen[str], str]:
    """The server on a free port; its URL once it says it listens (10 s at most). SIGINT
    at its default in the child: an earlier test's interrupted run (dynviz.interrupts)
    leaves it ignored in this process, and a child would inherit that."""
    proc = subprocess.Popen([sys.executable, "-m", "dynviz", "dynamodb", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.stdout is not None
    deadline = time.monotonic() + 10
    line = ""
    while time.monotonic() < deadline and not line:
        line = proc.stdout.readline()
        if proc.poll() is not None:
            break
    found = re.search(r"http://[\d.]+:(\d+)", line)
    if not found:
        proc.kill()
        raise AssertionError(f"no listening line from dynviz dynamodb: {line!r} {proc.communicate()[1]}")
    return proc, found.group(0)


def list_tables(url: str) -> dict[str, object]:
    req = urllib.request.Request(url + "/", data=b"{}", method="POST", headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.ListTables",
        "Authorization": AUTH})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return dict(json.loads(resp.read()))


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_the_server_says_where_it_listens_answers_and_stops_cleanly(stop: signal.Signals):
    proc, url = start("--nodes", "4", "--seed", "2")
    try:
        with urllib.request.urlopen(url + "/", timeout=10) as resp:
            assert resp.read().decode().startswith("healthy: ")
            assert resp.headers["x-dynviz-nodes-up"] == "4/4"
        assert list_tables(url) == {"TableNames": []}
    finally:
        proc.send_signal(stop)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert "stopped" in err


def test_data_puts_the_nodes_on_sqlite(tmp_path: Path):
    data = tmp_path / "nodes"
    proc, url = start("--nodes", "3", "--data", str(data))
    try:
        assert list_tables(url) == {"TableNames": []}
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)
    assert sorted(p.name for p in data.glob("*.sqlite")) == ["n1.sqlite", "n2.sqlite", "n3.sqlite", "tables.sqlite"]


def test_a_port_in_use_is_one_line_on_stderr(capsys: pytest.CaptureFixture[str]):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["dynamodb", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"dynviz: error: cannot listen on 127.0.0.1:{port}")
    assert "Traceback" not in err


@pytest.mark.parametrize(("args", "message"), [
    (["--port", "70000"], "--port must be between 0 and 65535"),
    (["--nodes", "0"], "--nodes must be between 1 and 64"),
    (["--seed", "-1"], "expected a whole number of 0 or more"),
    (["--clock", "sundial"], "invalid choice"),
])
def test_bad_options_are_refused_at_the_edge(args: list[str], message: str, capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["dynamodb", *args])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_help_says_when_signatures_are_checked(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["dynamodb", "--help"])
    assert exc.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "with --credentials FILE every request must be signed" in text
    assert "without it any signature is accepted" in text


def test_a_bad_credentials_file_is_one_line_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    (tmp_path / "creds").write_text("[default]\naws_access_key_id = AKID\n")
    assert main(["dynamodb", "--port", "0", "--credentials", str(tmp_path / "creds")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dynviz: error: credentials file") and "needs both" in err
    assert "Traceback" not in err


def test_with_credentials_the_server_refuses_an_unsigned_request(tmp_path: Path):
    (tmp_path / "creds").write_text("[default]\naws_access_key_id = AKID\naws_secret_access_key = s\n")
    proc, url = start("--credentials", str(tmp_path / "creds"))
    try:
        with pytest.raises(urllib.error.HTTPError) as refused:
            list_tables(url)
        assert refused.value.code == 400
        assert json.loads(refused.value.read())["__type"].endswith("#UnrecognizedClientException")
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=10)


def test_defaults_bind_loopback_on_dynamodb_locals_port():
    args = build_parser().parse_args(["dynamodb"])
    assert (args.host, args.port, args.nodes, args.data, args.clock) == ("127.0.0.1", 8000, 8, None, "wall")
