"""Start and stop a local cluster of node processes (``dynviz up`` / ``dynviz down``).

``up`` picks free loopback ports, writes ``DIR/cluster.json`` (each node's id,
address and exact command line) and a random cluster secret in ``DIR/secret`` (mode
0600, passed to nodes by file, never on a command line other users can read), then
starts one ``python -m dynviz.net node`` per node in its own session (so a terminal's
Ctrl-C does not reach it), output in ``DIR/<id>.log``. Each node writes
``DIR/<id>.pid``. Run ``up`` again on the same DIR and it restarts only the nodes
that are not running, with the same command lines: that is how a node killed with
``kill -9`` comes back from its disk. ``down`` sends SIGTERM, waits, then SIGKILL.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import dynviz
from dynviz.net.address import format_addr, parse_addr

CLUSTER_FILE = "cluster.json"
SECRET_FILE = "secret"


@dataclass(frozen=True, slots=True)
class NodeEntry:
    id: str
    address: str
    argv: tuple[str, ...]


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """``count`` distinct ports free right now (held open together while chosen)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def ensure_secret(data: Path, secret: bytes | None = None) -> Path:
    """``DIR/secret``: the given secret, the one already there, or a new random one."""
    path = data / SECRET_FILE
    if secret is not None:
        _write_private(path, secret)
    elif not path.exists():
        _write_private(path, secrets.token_hex(32).encode())
    return path


def _write_private(path: Path, content: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(content)


def read_secret_file(path: str | Path) -> bytes:
    try:
        secret = Path(path).read_bytes().strip()
    except OSError as exc:
        raise ValueError(f"cannot read secret file {str(path)!r}: {exc.strerror}") from None
    if not secret:
        raise ValueError(f"secret file {str(path)!r} is empty")
    return secret


def load_cluster(data: str | Path) -> list[NodeEntry]:
    path = Path(data) / CLUSTER_FILE
    try:
        doc = json.loads(path.read_text("utf-8"))
        return [NodeEntry(n["id"], n["address"], tuple(n["argv"])) for n in doc["nodes"]]
    except FileNotFoundError:
        raise ValueError(f"no cluster in {str(data)!r} (no {CLUSTER_FILE}); start one with 'dynviz up'") from None
    except (OSError, ValueError, KeyError, TypeError):
        raise ValueError(f"{path} is damaged; stop the nodes and remove the directory") from None


def _save_cluster(data: Path, nodes: Sequence[NodeEntry]) -> None:
    doc = {"version": 1, "nodes": [{"id": n.id, "address": n.address, "argv": list(n.argv)} for n in nodes]}
    tmp = data / (CLUSTER_FILE + ".tmp")
    tmp.write_text(json.dumps(doc, indent=1), "utf-8")
    os.replace(tmp, data / CLUSTER_FILE)


def running_pid(data: Path, node: str) -> int | None:
    """The pid in ``DIR/<node>.pid`` if that process is alive and is a dynviz node."""
    try:
        pid = int((data / f"{node}.pid").read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return pid  # no /proc (macOS): trust the pid file
    return pid if b"dynviz" in cmdline and node.encode() in cmdline else None


def plan_cluster(data: Path, count: int, host: str, base_port: int | None,
                 node_args: Sequence[str]) -> list[NodeEntry]:
    names = [f"n{i}" for i in range(1, count + 1)]
    ports = list(range(base_port, base_port + count)) if base_port else free_ports(count, host)
    addrs = {name: format_addr(host, port) for name, port in zip(names, ports, strict=True)}
    peers = ",".join(f"{n}={a}" for n, a in addrs.items())
    seeds = ",".join(addrs[n] for n in names[:2])
    secret_file = str(data / SECRET_FILE)
    return [
        NodeEntry(name, addrs[name], (
            "node", "--id", name, "--listen", addrs[name], "--peers", peers, "--seeds", seeds,
            "--data", str(data), "--secret-file", secret_file, *node_args,
        ))
        for name in names
    ]


def spawn(data: Path, entry: NodeEntry, python: str | None = None) -> subprocess.Popen[bytes]:
    """Start one node process in its own session, output appended to its log."""
    env = dict(os.environ)
    root = str(Path(dynviz.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    log = open(data / f"{entry.id}.log", "ab")  # noqa: SIM115 (handed to the child)
    try:
        proc = subprocess.Popen(
            [python or sys.executable, "-m", "dynviz.net", *entry.argv],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, env=env, cwd=str(data),
        )
    finally:
        log.close()
    (data / f"{entry.id}.pid").write_text(f"{proc.pid}\n")
    return proc


def wait_listening(address: str, proc: subprocess.Popen[bytes] | None, timeout: float) -> None:
    host, port = parse_addr(address)
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise ValueError(f"the node for {address} exited at once (status {proc.returncode}); see its log")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise ValueError(f"no node listening on {address} after {timeout:g}s; see its log") from None
            time.sleep(0.05)


def up(data: str | Path, count: int = 5, host: str = "127.0.0.1", base_port: int | None = None,
       secret: bytes | None = None, node_args: Sequence[str] = (), timeout: float = 15.0,
       python: str | None = None) -> list[tuple[NodeEntry, int, bool]]:
    """Start (or restart the stopped nodes of) the cluster in ``data``; returns
    ``(entry, pid, started now)`` per node."""
    folder = Path(data).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / CLUSTER_FILE).exists():
        nodes = load_cluster(folder)
        if secret is not None:
            ensure_secret(folder, secret)
    else:
        if not 1 <= count <= 64:
            raise ValueError(f"--nodes must be between 1 and 64, got {count}")
        ensure_secret(folder, secret)
        nodes = plan_cluster(folder, count, host, base_port, node_args)
        _save_cluster(folder, nodes)
    started: list[tuple[NodeEntry, subprocess.Popen[bytes] | None, int]] = []
    for entry in nodes:
        pid = running_pid(folder, entry.id)
        if pid is not None:
            started.append((entry, None, pid))
            continue
        proc = spawn(folder, entry, python)
        started.append((entry, proc, proc.pid))
    for entry, child, _ in started:
        if child is not None:
            wait_listening(entry.address, child, timeout)
    return [(entry, pid, child is not None) for entry, child, pid in started]


def down(data: str | Path, timeout: float = 5.0) -> list[tuple[str, int, str]]:
    """Stop every node of the cluster in ``data``: ``(id, pid, how)`` per node stopped."""
    folder = Path(data).resolve()
    nodes = load_cluster(folder)
    running = [(e.id, pid) for e in nodes if (pid := running_pid(folder, e.id)) is not None]
    for _, pid in running:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    out = []
    for name, pid in running:
        how = "stopped"
        while alive(pid):
            if time.monotonic() > deadline:
                _signal(pid, signal.SIGKILL)
                how = "killed"
                break
            time.sleep(0.05)
        out.append((name, pid, how))
        try:
            (folder / f"{name}.pid").unlink()
        except FileNotFoundError:
            pass
    return out


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (reaped here if it is our child; a zombie counts
    as stopped)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)  # reap it if it is our child
        if done == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not reaped by its parent) counts as stopped
        return b") Z" not in Path(f"/proc/{pid}/stat").read_bytes()[:64]
    except OSError:
        return True
