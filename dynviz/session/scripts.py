"""A lesson's ``script FILE``: a learner's kind of program (a short boto3 script) run
against the DynamoDB endpoint on the lesson's cluster, so the lesson can show what its
requests did inside the Dynamo.

The program is a real process: ``python FILE URL``, with the endpoint's URL also in
``DYNVIZ_ENDPOINT`` and dummy AWS credentials in the environment (the endpoint accepts
any signature). Its requests reach the cluster through the same wire endpoint real
clients use (dynviz/wire), each served *inline* on the thread that owns the cluster,
between two of its own steps, so nothing else ever touches the cluster at the same
time:

* headless (``dynviz lesson --check``, the tests), :func:`run_headless` serves on a
  private event loop (on a thread of its own, while the runner's thread waits for it)
  until the program exits, with
  ``clock="requests"``: virtual time moves only while a request runs, so the same
  script gives the same cluster every time;
* in the app, the app's own endpoint serves it on the app's loop between frames (as it
  serves ``dynviz --dynamodb``), and the lesson waits for :class:`ScriptRun` to end.

The program's wall-clock timeout (60 s by default) bounds a script that hangs; its
output, or the end of its error, is the step's result.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from dynviz.cluster import Cluster

DEFAULT_TIMEOUT = 60.0
"""Seconds of wall time a script may run."""
POLL = 0.02
"""Seconds between two looks at a running script (headless)."""
_TAIL = 12
"""Lines of a script's output kept in its step's result."""


@dataclass(frozen=True, slots=True)
class ScriptOutcome:
    ok: bool
    message: str


def resolve(path: str, lesson_path: str) -> Path:
    """A script's file: relative to the lesson's own directory (as a lesson is shipped
    with its script), else as given."""
    given = Path(path)
    if not given.is_absolute() and lesson_path:
        beside = Path(lesson_path).resolve().parent / given
        if beside.is_file():
            return beside
    return given


def missing(path: Path) -> str | None:
    """Why ``path`` cannot run (no such file, boto3 absent), or None."""
    if not path.is_file():
        return f"script {path}: no such file"
    import importlib.util

    if importlib.util.find_spec("boto3") is None:
        return (f"script {path.name} talks to DynamoDB with boto3, which is not installed here: "
                "pip install boto3 (dynviz's dev extra has it)")
    return None


class ScriptRun:
    """One script running as a process, its output collected in temporary files (a pipe
    could fill up and stall it)."""

    def __init__(self, path: Path, url: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.path = path
        self.url = url
        self.deadline = time.monotonic() + timeout
        self.timeout = timeout
        self._out: IO[bytes] = tempfile.TemporaryFile()
        self._err: IO[bytes] = tempfile.TemporaryFile()
        env = {**os.environ, "DYNVIZ_ENDPOINT": url, "AWS_ACCESS_KEY_ID": "dynviz",
               "AWS_SECRET_ACCESS_KEY": "dynviz", "AWS_DEFAULT_REGION": "us-east-1",
               "PYTHONUNBUFFERED": "1"}
        self._proc = subprocess.Popen([sys.executable, str(path), url], stdout=self._out, stderr=self._err,
                                      stdin=subprocess.DEVNULL, env=env, cwd=str(path.parent))
        self.outcome: ScriptOutcome | None = None

    def poll(self) -> ScriptOutcome | None:
        """The outcome once the program has exited (or was stopped at its timeout)."""
        if self.outcome is not None:
            return self.outcome
        code = self._proc.poll()
        if code is None and time.monotonic() < self.deadline:
            return None
        if code is None:
            self.stop()
            self.outcome = ScriptOutcome(False, f"script {self.path.name} was stopped after {self.timeout:g}s "
                                                "of wall time" + self._tail(self._err, " (its last words: ", ")"))
        elif code == 0:
            self.outcome = ScriptOutcome(True, self._tail(self._out) or f"script {self.path.name} ran")
        else:
            self.outcome = ScriptOutcome(False, f"script {self.path.name} failed (exit {code})"
                                         + self._tail(self._err, ": "))
        self._close()
        return self.outcome

    def stop(self) -> None:
        """End the program now (the lesson went back, the app quits)."""
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()

    def _close(self) -> None:
        self._out.close()
        self._err.close()

    @staticmethod
    def _tail(stream: IO[bytes], before: str = "", after: str = "") -> str:
        stream.seek(0)
        lines = stream.read().decode("utf-8", "replace").strip().splitlines()[-_TAIL:]
        return f"{before}{chr(10).join(lines)}{after}" if lines else ""


def run_headless(cluster: Cluster, path: Path, timeout: float = DEFAULT_TIMEOUT) -> ScriptOutcome:
    """Run the script to its end against an endpoint on ``cluster``, served inline on a
    private event loop in this thread (``clock="requests"``)."""
    problem = missing(path)
    if problem is not None:
        return ScriptOutcome(False, problem)
    # On a thread of its own, so a caller whose thread already runs an event loop (the
    # app re-running a lesson) can use it too; the caller waits, so the cluster is
    # still touched by one thread at a time.
    done: list[ScriptOutcome] = []
    failed: list[BaseException] = []

    def serve() -> None:
        try:
            done.append(asyncio.run(_serve_while(cluster, path, timeout)))
        except BaseException as exc:  # handed to the caller's thread below
            failed.append(exc)

    thread = threading.Thread(target=serve, name="dynviz-script")
    thread.start()
    thread.join()
    if failed:
        raise failed[0]
    return done[0]


async def _serve_while(cluster: Cluster, path: Path, timeout: float) -> ScriptOutcome:
    from aiohttp import web

    from dynviz.table.console import desk_for
    from dynviz.wire.operations import Endpoint
    from dynviz.wire.server import WireServer

    # The desk's plain client: the lesson's own ``table`` commands see the same tables.
    server = WireServer(Endpoint(desk_for(cluster).plain), clock="requests", inline=True)
    runner = web.AppRunner(server.application(), access_log=None)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # loopback, any free port: only this machine's script reaches it
    sock.listen(16)
    sock.setblocking(False)
    await web.SockSite(runner, sock).start()
    try:
        try:
            run = ScriptRun(path, f"http://127.0.0.1:{sock.getsockname()[1]}", timeout)
        except OSError as exc:
            return ScriptOutcome(False, f"script {path.name} did not start: {exc.strerror or exc}")
        while (outcome := run.poll()) is None:
            await asyncio.sleep(POLL)
        return outcome
    finally:
        await runner.cleanup()
        sock.close()
