"""A real cluster of node processes on loopback for the tests (see conftest.py).

Every process a test starts is recorded; the finalizer SIGKILLs each one's process
group (nodes run in their own session), whatever happened in the test. Timings are
short so failures are detected and repaired within a test's time budget.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from netwait import until_sync

from dynviz.net import launcher

FAST = [
    "--gossip-ms", "200", "--suspect-after-ms", "1500", "--suspect-for-ms", "500",
    "--replica-timeout-ms", "150", "--request-timeout-ms", "800", "--handoff-ms", "200",
    "--antientropy-ms", "1000",
]
SECRET = b"test-cluster-secret"


class LocalCluster:
    """``launcher.up``/``down`` on a temp dir, tracking every pid it ever started."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.pids: set[int] = set()
        self.entries: dict[str, launcher.NodeEntry] = {}

    def start(self, nodes: int = 5) -> None:
        """Start the nodes (or restart the ones not running)."""
        try:
            for entry, pid, _ in launcher.up(self.data, nodes, secret=SECRET, node_args=FAST, timeout=15):
                self.entries[entry.id] = entry
                self.pids.add(pid)
        finally:  # a failed start may have left some running: track them too
            for pidfile in self.data.glob("*.pid"):
                pid = launcher.running_pid(self.data, pidfile.stem)
                if pid is not None:
                    self.pids.add(pid)

    def address(self, node: str) -> str:
        return self.entries[node].address

    @property
    def names(self) -> list[str]:
        return list(self.entries)

    def kill9(self, node: str) -> None:
        pid = launcher.running_pid(self.data, node)
        assert pid is not None, f"{node} is not running"
        os.kill(pid, signal.SIGKILL)
        until_sync(lambda: not launcher.alive(pid), f"{node} (pid {pid}) is gone after SIGKILL")

    def cleanup(self) -> None:
        try:
            launcher.down(self.data, timeout=3)
        except (ValueError, OSError):
            pass
        for pid in self.pids:
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass


