"""The live simulator: the embedded default cluster, a gentle workload, and a recording.

``dynviz`` with no arguments runs this driver. Every command the user gives is written to
the session :class:`~dynviz.session.recording.Recorder` (when recording) with its origin
(``typed``, ``key``, ``palette``, ``mouse``, ``workload``, ``setup``) before it runs, so a
replay issues it at the same instant; ``ctrl+s`` saves the recording so far under a name.
The workload (``w`` turns it on and off) is a client of its own on keys of its own
(:mod:`dynviz.tui.workload`), recorded like any command.
"""

from __future__ import annotations

import itertools
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from dynviz import commands as c
from dynviz.cluster import Cluster, ClusterConfig
from dynviz.events import EventBus
from dynviz.executor import Executor, Outcome
from dynviz.session.recording import Footer, Recorder, SessionError, parse_session, write_session
from dynviz.tui.driver import FRAME_BUDGET_S, MAX_EVENTS_PER_FRAME, Host
from dynviz.tui.drivers.sim import SimDriver, ignore
from dynviz.tui.workload import PRELOAD, Workload, default_config, preload_commands
from dynviz.wording import plural

LESSON_ONLY = (c.WaitUntil, c.Pause, c.Expect)


def default_recording_path(seed: int, directory: str | os.PathLike[str] | None = None) -> Path:
    """Where the app records when no ``--record FILE`` is given: the OS temp directory,
    ``dynviz-seed<SEED>-<N>.jsonl`` with the first free counter N (the file's name and
    content hold no wall-clock time)."""
    base = Path(directory) if directory is not None else Path(tempfile.gettempdir())
    for n in itertools.count(1):
        path = base / f"dynviz-seed{seed}-{n}.jsonl"
        if not path.exists():
            return path
    raise AssertionError("unreachable")


class LiveDriver(SimDriver):
    """The live simulator (see the module docstring). ``workload``/``playing``/
    ``preload`` exist so tests and screenshots can start from a fixed, quiet state."""

    kind = "live"

    def __init__(self, seed: int = 0, nodes: int = 8, *, workload: bool = True, playing: bool = True,
                 preload: bool = True, speed: float = 1.0, config: ClusterConfig | None = None,
                 record: str | os.PathLike[str] | bool | None = None) -> None:
        """``record``: a file to record the session to, True for a fresh temp file
        (:func:`default_recording_path`), None/False not to record."""
        executor = Executor(config=config or default_config(seed, nodes), bus=EventBus(),
                            on_cluster=self._on_cluster)
        self.seed = seed
        self.workload = Workload(seed)
        self.workload.enabled = workload
        super().__init__(executor, playing=playing, speed=speed)
        self.recorder: Recorder | None = None
        self.recording_path: Path | None = None
        self.recording_problem = ""
        if record:
            self.start_recording(default_recording_path(seed) if record is True else Path(record))
        self.preloaded = preload
        self._preload_pending = preload
        self.workload.reset(self.cluster.now)

    def start(self, host: Host) -> None:
        """Write the starter keys now, when the app's tape listens (their versions then
        show in the Versions panel like any other), once."""
        super().start(host)
        self.preload()

    def preload(self) -> None:
        if self._preload_pending:
            self._preload_pending = False
            for text in preload_commands():
                self.run_setup(text)

    @property
    def title(self) -> str:
        return "dynviz"

    def first_key(self) -> bytes | None:
        """The key selected at start: the first preloaded one (nobody else writes it)."""
        return PRELOAD[0][0].encode() if self.preloaded else None

    def known_keys(self) -> Iterable[str]:
        return [k for k, _ in PRELOAD] if self.preloaded else []

    def _on_cluster(self, cluster: Cluster) -> None:
        self.workload.reset(cluster.now)
        host = self.host
        if host is not None:
            host.cluster_replaced()

    def supports(self, action: str) -> bool:
        if action == "workload":
            return True
        if action == "save":
            return self.recording
        return super().supports(action)

    def _actions(self) -> dict[str, Callable[[], object]]:
        return {**super()._actions(), "workload": self.toggle_workload}

    def toggle_workload(self) -> None:
        self.workload.enabled = not self.workload.enabled
        if self.workload.enabled:
            self.workload.reset(self.cluster.now)
        self.tell(f"workload {'on' if self.workload.enabled else 'off'}", timeout=2)

    def close(self) -> None:
        super().close()
        self.stop_recording()

    # -- time, with the workload firing at its instants --------------------------------------

    def advance(self, duration: int) -> None:
        cluster = self.cluster
        end = cluster.now + duration
        budget = MAX_EVENTS_PER_FRAME
        deadline = time.perf_counter() + FRAME_BUDGET_S
        while budget > 0:
            target = end
            fire = False
            if self.workload.enabled:
                due = self.workload.due(cluster.now)
                if due <= end:
                    target, fire = due, True
            ran, reached = cluster.advance(max(0, target - cluster.now), min(budget, 500))
            budget -= ran
            if reached and fire:
                text = self.workload.fire(cluster)
                command = c.parse_line(text)
                assert command is not None
                self.submit(text, command, "workload", ignore)
            elif reached and target >= end:
                return
            if time.perf_counter() > deadline:
                return

    # -- recording -----------------------------------------------------------------------

    def start_recording(self, path: Path) -> None:
        """Record from now on to ``path`` (header: this cluster's config and seed)."""
        self.stop_recording()
        try:
            self.recorder = Recorder.for_executor(path, self.executor)
        except (SessionError, OSError) as exc:
            self.recorder = None
            self.recording_problem = f"not recording: {exc}"
            return
        self.recording_path = path
        self.recording_problem = ""

    def stop_recording(self) -> None:
        """Write the footer (digests of the cluster now) and close the recording."""
        if self.recorder is not None and not self.recorder.closed:
            self.recorder.close(self.cluster)

    @property
    def recording(self) -> bool:
        return self.recorder is not None and not self.recorder.closed

    def record(self, text: str, command: c.Command, origin: str) -> None:
        """Write ``text`` to the recording before it runs (so it carries the instant it
        was issued at). Lesson-only commands act on nothing and are not recorded; a
        command no session may hold (a cluster on disk) ends the recording, footless."""
        recorder = self.recorder
        if recorder is None or recorder.closed or isinstance(command, LESSON_ONLY):
            return
        try:
            recorder.record(self.cluster, text, origin)
        except SessionError as exc:
            recorder.close()
            self.recording_problem = f"recording stopped: {exc.message}"
            self.tell(self.recording_problem, "warning", 8)

    def run_setup(self, text: str) -> Outcome:
        """A startup write (the preload): recorded as ``setup`` and run synchronously."""
        command = c.parse_line(text)
        assert command is not None
        self.record(text, command, "setup")
        return self.executor.execute(command)

    # -- saving (ctrl+s) -----------------------------------------------------------------------

    def save_name(self) -> str:
        return f"dynviz-seed{self.seed}.jsonl"

    def save_title(self) -> str:
        return "save the recording"

    def save_to(self, path: str) -> str:
        """Write the recording so far to ``path`` as a complete session (its footer holds
        the digests of the cluster now); recording goes on. Returns a message."""
        if self.recorder is None or self.recording_path is None:
            raise SessionError(self.recording_problem or "this app is not recording")
        session = parse_session(self.recording_path.read_bytes(), str(self.recording_path))
        if session.footer is None:
            cluster = self.cluster
            session = type(session)(session.header, session.commands,
                                    Footer(cluster.now, cluster.scheduler.events_run, len(session.commands),
                                           cluster.digest(), cluster.state_digest()), str(path))
        write_session(session, path)
        return f"saved {plural(len(session.commands), 'command')} to {path}"
