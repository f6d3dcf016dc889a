"""The dynviz terminal app: a live view of a running cluster (DESIGN §5).

The app owns an :class:`~dynviz.executor.Executor` (and through it the cluster), an
:class:`~dynviz.tui.tape.EventTape` on the cluster's event bus, and the selection
(``selected_key``, ``selected_node``). A timer advances the simulation a bounded slice
of virtual time per frame (``Cluster.advance``) and then asks every panel to
``refresh_view()``; panels read the cluster's snapshots and the tape and skip work when
nothing they show has changed. The app never changes a node itself: faults, requests
and ring changes are commands (logged like typed ones) or cluster methods.

Key bindings are declared once, in ``DynvizApp.BINDINGS``; the help screen and the
command palette are built from them and from the app's current nodes and keys.

Recording (issue 6): every command the app carries out goes through :meth:`DynvizApp.issue`,
which writes it to the session :class:`~dynviz.session.recording.Recorder` (when
recording) with its origin: ``typed`` (command line), ``key`` (a binding such as ``k``,
``j``, ``l``, or a dialog opened by one), ``palette``, ``mouse`` (a dialog's button
clicked), ``workload`` (the background workload's ``as workload get/put``) and
``setup`` (the preload). The footer is written when the app unmounts; ``Ctrl+S`` saves
the recording so far (with a footer for the state now) under a name. Replaying a
session (:func:`run_replay`) and running a lesson (:func:`run_lesson`) are subclasses
of the app, in :mod:`dynviz.tui.replay` and :mod:`dynviz.tui.lesson`.
"""

from __future__ import annotations

import gc
import itertools
import math
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, TabbedContent, TabPane

from dynviz import commands as c
from dynviz.cluster import Cluster, ClusterConfig
from dynviz.commands import Command, CommandError, parse_line
from dynviz.core.hashing import as_key
from dynviz.events import EventBus, RequestDone, VersionCreated
from dynviz.executor import Executor, Outcome
from dynviz.node.node import SECOND
from dynviz.session.recording import Recorder, SessionError, parse_session, write_session
from dynviz.sim.tuning import tune_for_app
from dynviz.tui.journal import Journal
from dynviz.tui.palette import DynvizCommands
from dynviz.tui.screens.help import HelpScreen
from dynviz.tui.screens.logfilter import LogFilterScreen
from dynviz.tui.screens.pair import PairScreen
from dynviz.tui.screens.partition import PartitionScreen
from dynviz.tui.screens.session import SaveScreen
from dynviz.tui.screens.tables import TablesScreen
from dynviz.tui.tape import DEFAULT_LIMIT, EventTape
from dynviz.tui.widgets.commandline import CommandLine, CommandSuggester
from dynviz.tui.widgets.eventlog import EventLog
from dynviz.tui.widgets.gossip import GossipPanel
from dynviz.tui.widgets.history import VersionHistory
from dynviz.tui.widgets.merkle import MerklePanel
from dynviz.tui.widgets.nodes import NodesTable
from dynviz.tui.widgets.panel import Panel
from dynviz.tui.widgets.preflist import PreferenceList
from dynviz.tui.widgets.ring import RingView
from dynviz.tui.widgets.spacetime import SpaceTime
from dynviz.tui.widgets.statusbar import StatusBar, format_speed
from dynviz.tui.workload import PRELOAD, Workload, default_config, preload_commands

SPEEDS: tuple[float, ...] = (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
"""Speeds (virtual seconds per real second) on a log scale; x1 is real time."""

FPS = 20
MAX_EVENTS_PER_FRAME = 3000
FRAME_BUDGET_S = 0.022
"""Wall-clock time the simulation may use per frame; the rest is for drawing."""

PANELS: tuple[tuple[str, str, Callable[..., Widget]], ...] = (
    ("ring", "Ring", RingView),
    ("preflist", "Preference list", PreferenceList),
    ("history", "Versions", VersionHistory),
    ("log", "Log", EventLog),
    ("nodes", "Nodes", NodesTable),
    ("messages", "Messages", SpaceTime),
    ("gossip", "Gossip", GossipPanel),
    ("merkle", "Merkle", MerklePanel),
)
"""Every panel: (name, title, widget class). The view's id is the name; its frame's
id is ``panel-NAME``."""

WIDE_WIDTH = 150
WIDE_HEIGHT = 40

_LESSON_ONLY = (c.WaitUntil, c.Pause, c.Expect)


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


def _ignore(outcome: Outcome) -> None:
    return None


def _panel(name: str) -> Panel:
    for pname, title, cls in PANELS:
        if pname == name:
            view = cls(id=name)
            view.add_class("view")
            return Panel(title, view, id=f"panel-{name}")
    raise KeyError(name)


def _tabs(names: list[str], tabs_id: str) -> ComposeResult:
    titles = {pname: title for pname, title, _ in PANELS}
    with TabbedContent(id=tabs_id):
        for n in names:
            yield TabPane(titles[n], _panel(n), id=f"tab-{n}")


class MainScreen(Screen):
    """The one main screen. Two arrangements of the same panels: narrow (fits 80x24:
    ring and preference list, the rest in tabs) and wide (three columns, most panels
    visible at once); crossing the size threshold recomposes."""

    AUTO_FOCUS = "#ring"
    wide: reactive[bool] = reactive(False, recompose=True)

    def compose(self) -> ComposeResult:
        app: DynvizApp = self.app  # type: ignore[assignment]
        yield StatusBar(id="status")
        if self.wide:
            with Horizontal(id="body"):
                with Vertical(id="col-left"):
                    yield _panel("ring")
                    yield _panel("nodes")
                with Vertical(id="col-mid"):
                    yield _panel("preflist")
                    yield _panel("history")
                with Vertical(id="col-right"):
                    yield _panel("log")
                    yield from _tabs(["messages", "gossip", "merkle"], "tabs")
        else:
            with Horizontal(id="body"):
                with Vertical(id="col-left"):
                    yield _panel("ring")
                    yield _panel("preflist")
                yield from _tabs(["log", "nodes", "history", "messages", "gossip", "merkle"], "tabs")
        yield from app.compose_extra()
        yield CommandLine(app.suggester, id="command")
        yield Footer()

    def on_resize(self) -> None:
        self.wide = self.size.width >= WIDE_WIDTH and self.size.height >= WIDE_HEIGHT
        self.set_class(self.wide, "-wide")


class DynvizApp(App[None]):
    """The terminal app. ``workload``/``playing``/``preload`` exist so tests and
    screenshots can start from a fixed, quiet state."""

    CSS_PATH = "app.tcss"
    TITLE = "dynviz"
    COMMANDS = App.COMMANDS | {DynvizCommands}
    ALLOW_IN_MAXIMIZED_VIEW = "StatusBar, CommandLine, Footer"

    BINDINGS = [
        Binding("space", "toggle_play", "Play/pause", tooltip="Run or stop virtual time"),
        Binding("full_stop", "step", "Step", key_display=".", tooltip="Process the next event (pauses)"),
        Binding("greater_than_sign", "step_request", "Step request", key_display=">",
                tooltip="Run events until no request is in progress (pauses)"),
        Binding("plus,equals_sign", "faster", "Faster", key_display="+", tooltip="Speed up: x0.1 .. x1000"),
        Binding("minus", "slower", "Slower", key_display="-", tooltip="Slow down"),
        Binding("k", "kill_toggle", "Kill/recover", tooltip="Crash the selected node, or recover it"),
        Binding("p", "partition", "Partition", tooltip="Partition editor: pick groups, apply or heal"),
        Binding("j", "join", "Join", show=False, tooltip="Join the next new node (join nX)"),
        Binding("l", "leave", "Leave", show=False, tooltip="The selected node leaves (leave nX)"),
        Binding("a", "antientropy", "Anti-entropy", show=False,
                tooltip="Merkle anti-entropy between two chosen nodes"),
        Binding("w", "toggle_workload", "Workload", show=False, tooltip="Background reads/writes on or off"),
        Binding("f", "log_filter", "Log filter", show=False, tooltip="Choose the kinds of events the log shows"),
        Binding("T", "tables", "Tables", key_display="T",
                tooltip="Tables screen: items page by page, queries, stream, capacity, cache, placement"),
        Binding("m", "maximize_toggle", "Maximise", show=False,
                tooltip="Maximise the focused panel, or restore"),
        Binding("slash", "focus_command", "Command", key_display="/", tooltip="Type a command"),
        Binding("ctrl+s", "save", "Save", show=False,
                tooltip="Save the recording so far under a name (a session file)"),
        Binding("question_mark", "help", "Help", key_display="?", tooltip="This screen"),
        Binding("q", "quit", "Quit", show=False, tooltip="Leave dynviz"),
    ]
    HELP_EXTRA: tuple[tuple[str, str], ...] = (
        ("ctrl+p", "Command palette: every action, with the current nodes and keys"),
        ("tab / shift+tab", "Move focus between panels"),
        ("escape", "Restore a maximised panel; leave the command line"),
        ("up / down (command line)", "Command history"),
        ("tab or → (command line)", "Accept the completion"),
        ("click a node label", "Select the node (ring, nodes table)"),
        ("click a log line", "Select the key it is about"),
    )

    selected_key: reactive[bytes | None] = reactive(None)
    selected_node: reactive[str | None] = reactive(None)
    selected_table: reactive[str | None] = reactive(None)  # the Tables screen's; the ring marks its partitions
    playing: reactive[bool] = reactive(True)
    speed: reactive[float] = reactive(1.0)

    def __init__(self, seed: int = 0, nodes: int = 8, *, workload: bool = True, playing: bool = True,
                 preload_keys: bool = True, speed: float = 1.0, config: ClusterConfig | None = None,
                 record: str | os.PathLike[str] | bool | None = None,
                 executor: Executor | None = None, history: int = DEFAULT_LIMIT) -> None:
        """``record``: a file to record the session to, True for a fresh temp file
        (:func:`default_recording_path`), None/False not to record (the ``dynviz``
        command records by default; tests and screenshots do not). ``executor``: run on
        this executor (its bus gets the app's tape) instead of a new one."""
        super().__init__()
        self.seed = seed
        self.tape = EventTape(history)
        self.journal = Journal()
        self.log_hidden: set[str] = set()
        self.workload = Workload(seed)
        self.workload.enabled = workload
        if executor is None:
            executor = Executor(config=config or default_config(seed, nodes), bus=EventBus(),
                                on_cluster=self._on_cluster)
        self.executor = executor
        self.executor.bus.subscribe(self.tape)
        cluster = self.executor.cluster
        self.recorder: Recorder | None = None
        self.recording_path: Path | None = None
        self.recording_problem = ""
        if record:
            self.start_recording(default_recording_path(seed) if record is True else Path(record))
        if preload_keys:
            for text in preload_commands():
                self.run_setup(text)
        self.workload.reset(cluster.now)
        self.suggester = CommandSuggester(lambda: list(self.cluster.nodes), self.known_keys)
        self._typed_keys: set[str] = set()
        self._last_frame = time.perf_counter()
        self.set_reactive(DynvizApp.playing, playing)
        self.set_reactive(DynvizApp.speed, speed)
        if preload_keys:
            self.set_reactive(DynvizApp.selected_key, as_key(PRELOAD[0][0]))
        self.frame_times: list[float] = []
        self._failed_views: set[str] = set()

    # -- the cluster -------------------------------------------------------------------

    @property
    def cluster(self) -> Cluster:
        """The current cluster (a ``cluster`` command replaces it: read it fresh)."""
        return self.executor.cluster

    def _on_cluster(self, cluster: Cluster) -> None:
        self.tape.clear()
        if self.workload is not None:
            self.workload.reset(cluster.now)
        if self.is_running:
            if self.selected_node is not None and self.selected_node not in cluster.nodes:
                self.selected_node = None

    def get_default_screen(self) -> Screen:
        return MainScreen()

    def _settle_memory(self) -> None:
        """Move what survived so far out of the cyclic GC's sight (gc.freeze): the tape
        and the cluster hold hundreds of thousands of long-lived objects, and a full
        collection over them stalled frames for 200 ms. Garbage is still freed by
        reference counting; cycles among frozen objects wait for the full collection
        done once a minute (unfreeze, collect, freeze again), so memory stays bounded
        (the soak benchmark watches it)."""
        self._settles += 1
        if self._settles % 30 == 0:
            gc.unfreeze()
            gc.collect()
        gc.freeze()

    def on_mount(self) -> None:
        self._settles = 0
        self.set_interval(2.0, self._settle_memory)
        self._last_frame = time.perf_counter()
        self.set_interval(1 / FPS, self.tick)
        self.refresh_views()

    def on_unmount(self) -> None:
        self.stop_recording()

    def compose_extra(self) -> Iterable[Widget]:
        """Widgets the main screen shows above the command line (replay's timeline, a
        lesson's panel); none in the live app."""
        return ()

    # -- recording ---------------------------------------------------------------------

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

    def record(self, text: str, command: Command, origin: str) -> None:
        """Write ``text`` to the recording (before it runs, so it carries the instant it
        was issued at). Lesson-only commands act on nothing and are not recorded; a
        command no session may hold (a cluster on disk) ends the recording, footless."""
        recorder = self.recorder
        if recorder is None or recorder.closed or isinstance(command, _LESSON_ONLY):
            return
        try:
            recorder.record(self.cluster, text, origin)
        except SessionError as exc:
            recorder.close()
            self.recording_problem = f"recording stopped: {exc.message}"
            if self.is_running:
                self.notify(self.recording_problem, severity="warning", timeout=8)

    def save_recording(self, path: str | os.PathLike[str]) -> str:
        """Write the recording so far to ``path`` as a complete session (its footer holds
        the digests of the cluster now); recording goes on. Returns a message."""
        from dynviz.session.recording import Footer

        if self.recorder is None or self.recording_path is None:
            raise SessionError(self.recording_problem or "this app is not recording")
        session = parse_session(self.recording_path.read_bytes(), str(self.recording_path))
        if session.footer is None:
            cluster = self.cluster
            session = type(session)(session.header, session.commands,
                                    Footer(cluster.now, cluster.scheduler.events_run, len(session.commands),
                                           cluster.digest(), cluster.state_digest()), str(path))
        write_session(session, path)
        return f"saved {len(session.commands)} commands to {path}"

    def default_save_name(self) -> str:
        return f"dynviz-seed{self.seed}.jsonl"

    def action_save(self) -> None:
        def apply(path: str | None) -> None:
            if not path:
                return
            try:
                message = self.save_to(path)
            except (SessionError, OSError, ValueError) as exc:
                self.notify(f"not saved: {exc}", severity="error", timeout=8)
                return
            self.notify(message, timeout=5)

        self.push_screen(SaveScreen(self.default_save_name(), self.save_title()), apply)

    def save_title(self) -> str:
        return "save the recording"

    def save_to(self, path: str) -> str:
        return self.save_recording(path)

    # -- the frame loop ----------------------------------------------------------------

    def tick(self) -> None:
        now = time.perf_counter()
        elapsed = min(0.25, now - self._last_frame)
        self._last_frame = now
        if self.playing:
            self.advance(int(elapsed * self.speed * SECOND))
        self.refresh_views()
        self.frame_times.append(time.perf_counter() - now)
        if len(self.frame_times) > 200:
            del self.frame_times[:100]

    def advance(self, duration: int) -> None:
        """Run ``duration`` µs of virtual time, firing the workload at its instants,
        within this frame's event and wall-clock budget (the UI must never freeze:
        when the budget runs out, virtual time simply falls behind)."""
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
                command = parse_line(text)
                assert command is not None
                self.run_command(text, command, "workload")
            elif reached and target >= end:
                return
            if time.perf_counter() > deadline:
                return

    def run_for(self, duration: int) -> None:
        """Advance exactly ``duration`` µs of virtual time with the workload firing, with
        no frame budget (scripted scenes and tests; the timer uses ``advance``)."""
        end = self.cluster.now + duration
        while self.cluster.now < end:
            before = self.cluster.now
            self.advance(end - before)
            if self.cluster.now == before and self.cluster.scheduler.next_time() is None:
                self.cluster.scheduler.now = end  # nothing scheduled: time just passes

    def refresh_views(self) -> None:
        screen = self.screen
        if not isinstance(screen, MainScreen):
            screen = next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)
            if screen is None:
                return
        for widget in screen.query(".view, StatusBar"):
            if widget.display and widget.size.area:
                try:
                    widget.refresh_view()  # type: ignore[attr-defined]
                except Exception as exc:  # noqa: BLE001 - a panel must never take the app down
                    name = type(widget).__name__
                    if name not in self._failed_views:
                        self._failed_views.add(name)
                        self.log.error(f"{name}.refresh_view failed: {exc!r}")
                        self.notify(f"{name} could not draw: {exc}", severity="error", timeout=6)

    # -- commands ----------------------------------------------------------------------

    def known_keys(self) -> list[str]:
        """Keys seen so far: preloaded, written (tape), typed, selected."""
        keys = {k for k, _ in PRELOAD} | self._typed_keys
        for event in self.tape.versions:
            keys.add(event.key.decode("utf-8", errors="backslashreplace"))
        if self.selected_key is not None:
            keys.add(self.selected_key.decode("utf-8", errors="backslashreplace"))
        return sorted(keys)

    def run_line(self, text: str, origin: str = "script") -> str | None:
        """Parse and run one command line (palette, bindings, screens use this; say where
        it came from with ``origin``); returns the error message if it did not parse
        (shown inline by the command line)."""
        try:
            command = parse_line(text)
        except CommandError as exc:
            self.journal.add(self.cluster.now, "error", f"{text}: {exc.message}", rank=2)
            return exc.message
        if command is not None:
            self.run_command(text, command, origin)
        return None

    def run_command(self, text: str, command: Command, origin: str = "typed") -> None:
        """Run a parsed command: selected and logged (except the workload's, which would
        flood the log), recorded, and submitted (requests complete as time flows)."""
        if origin == "workload":
            self.issue(text, command, origin, _ignore)
            return
        key = getattr(command, "key", None)
        key_bytes = as_key(key) if isinstance(key, (str, bytes)) and key else None
        if isinstance(command, c.TABLE_COMMANDS) and isinstance(getattr(command, "table", None), str):
            self.selected_table = command.table  # type: ignore[attr-defined]
        if key_bytes is not None:
            self.selected_key = key_bytes
            self._typed_keys.add(key_bytes.decode("utf-8", errors="backslashreplace"))
        self.journal.add(self.cluster.now, "command", f"> {text.strip()}", key_bytes, rank=0)

        def done(outcome: Outcome) -> None:
            out_key = outcome.data.get("key") if isinstance(outcome.data, dict) else None
            k = as_key(out_key) if isinstance(out_key, str) else key_bytes
            self.journal.add(outcome.time, "result" if outcome.ok else "error", outcome.text, k, rank=2)

        self.issue(text, command, origin, done)

    def issue(self, text: str, command: Command, origin: str, done: Callable[[Outcome], None]) -> None:
        """Carry out one command: record it, then submit it. Every command of the app
        passes here (a replay overrides it to branch the timeline)."""
        self.record(text, command, origin)
        self.executor.submit(command, done)

    def run_setup(self, text: str) -> None:
        """A startup write (the preload): recorded as ``setup`` and run synchronously."""
        command = parse_line(text)
        assert command is not None
        self.record(text, command, "setup")
        self.executor.execute(command)

    def tui_word(self, text: str) -> bool:
        """A line of the TUI's own words (``help``...); True when it was handled."""
        word = text.strip().split()[0]
        if word == "tables":
            self.action_tables()
            return True
        if word == "help":
            self.action_help()
            return True
        return False

    def on_command_line_submitted(self, message: CommandLine.Submitted) -> None:
        if message.command is None:
            if not self.tui_word(message.text):
                self.notify(f"'{message.text.strip().split()[0]}' works when replaying a session "
                            f"(dynviz replay FILE)", severity="warning", timeout=4)
            return
        self.run_command(message.text, message.command, "typed")

    def on_ring_view_node_clicked(self, message: RingView.NodeClicked) -> None:
        self.select_node(message.node)

    def on_event_log_key_clicked(self, message: EventLog.KeyClicked) -> None:
        self.selected_key = message.key

    def on_data_table_row_selected(self, message: NodesTable.RowSelected) -> None:
        if isinstance(message.data_table, NodesTable) and message.row_key.value:
            self.select_node(str(message.row_key.value))

    def select_node(self, node: str | None) -> None:
        self.selected_node = node if node is None or node in self.cluster.nodes else None

    def select_key(self, key: str | bytes | None) -> None:
        self.selected_key = None if key is None else as_key(key)

    # -- actions (bound in BINDINGS; the palette offers them too) -----------------------

    def action_toggle_play(self) -> None:
        self.playing = not self.playing
        self._last_frame = time.perf_counter()

    def action_step(self) -> None:
        self.playing = False
        ran = self.cluster.step()
        if not ran:
            self.notify("nothing left to run", timeout=2)
        self.refresh_views()

    def busy(self) -> bool:
        """A request is in progress somewhere (a client waiting or a coordinator running)."""
        cluster = self.cluster
        return bool(cluster.pending) or any(n.coordinators for n in cluster.nodes.values())

    def action_step_request(self, limit: int = 20_000) -> None:
        """Run events until no request is in progress (bounded)."""
        self.playing = False
        cluster = self.cluster
        if not self.busy():
            self.notify("no request in progress", timeout=2)
            return
        start = cluster.now
        ran = 0
        while self.busy() and ran < limit and cluster.step():
            ran += 1
        self.journal.add(cluster.now, "result",
                         f"stepped {ran} events ({(cluster.now - start) / 1e3:.1f}ms) to the end of the request")
        self.refresh_views()

    def _set_speed(self, index: int) -> None:
        index = max(0, min(len(SPEEDS) - 1, index))
        self.speed = SPEEDS[index]

    def _speed_index(self) -> int:
        return min(range(len(SPEEDS)), key=lambda i: abs(math.log(SPEEDS[i]) - math.log(self.speed)))

    def action_faster(self) -> None:
        self._set_speed(self._speed_index() + 1)

    def action_slower(self) -> None:
        self._set_speed(self._speed_index() - 1)

    def _target_node(self) -> str | None:
        if self.selected_node is not None:
            return self.selected_node
        self.notify("select a node first: click its label on the ring or its row in Nodes", severity="warning")
        return None

    def action_kill_toggle(self, origin: str = "key") -> None:
        node = self._target_node()
        if node is None:
            return
        self.run_line(f"{'kill' if self.cluster.is_up(node) else 'recover'} {node}", origin)

    def action_join(self, origin: str = "key") -> None:
        names = set(self.cluster.nodes)
        i = len(names) + 1
        while f"n{i}" in names:
            i += 1
        self.run_line(f"join n{i}", origin)

    def action_leave(self, origin: str = "key") -> None:
        node = self._target_node()
        if node is not None:
            self.run_line(f"leave {node}", origin)

    def _dialog_done(self, screen: Screen, origin: str) -> Callable[[str | None], None]:
        """The callback of a dialog that returns a command line: a click on its button
        makes it a ``mouse`` command, else it keeps the origin that opened the dialog."""

        def apply(command: str | None) -> None:
            if command:
                self.run_line(command, "mouse" if getattr(screen, "by_mouse", False) else origin)

        return apply

    def action_partition(self, origin: str = "key") -> None:
        cluster = self.cluster
        groups = dict(cluster.network.groups) if cluster.network.groups else None
        screen = PartitionScreen(list(cluster.nodes), groups)
        self.push_screen(screen, self._dialog_done(screen, origin))

    def action_antientropy(self, origin: str = "key") -> None:
        cluster = self.cluster
        first = self.selected_node
        second = None
        if self.selected_key is not None:
            plist = cluster.ring.preference_list(self.selected_key, cluster.config.n)
            first = first or plist[0]
            second = next((n for n in plist if n != first), None)

        screen = PairScreen("antientropy", list(cluster.nodes), first, second)
        self.push_screen(screen, self._dialog_done(screen, origin))

    def action_toggle_workload(self) -> None:
        self.workload.enabled = not self.workload.enabled
        if self.workload.enabled:
            self.workload.reset(self.cluster.now)
        self.notify(f"workload {'on' if self.workload.enabled else 'off'}", timeout=2)

    def action_tables(self) -> None:
        if not isinstance(self.screen, TablesScreen):
            self.push_screen(TablesScreen())

    def action_log_filter(self) -> None:
        def apply(hidden: set[str] | None) -> None:
            if hidden is not None:
                self.log_hidden = hidden

        self.push_screen(LogFilterScreen(self.log_hidden), apply)

    def set_log_filter(self, hidden: set[str]) -> None:
        self.log_hidden = set(hidden)

    def action_focus_command(self) -> None:
        self.screen.query_one(CommandLine).focus_input()

    def help_bindings(self) -> list[tuple[str, str]]:
        rows = []
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            rows.append((binding.key_display or binding.key, binding.tooltip or binding.description))
        return rows + list(self.HELP_EXTRA)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.help_bindings()))

    def panel(self, name: str) -> Panel:
        return self.screen.query_one(f"#panel-{name}", Panel)

    def maximize_panel(self, name: str) -> None:
        screen = self.screen
        panel = screen.query_one(f"#panel-{name}", Panel)
        pane = panel.parent
        if isinstance(pane, TabPane):
            tabs = pane.parent
            while tabs is not None and not isinstance(tabs, TabbedContent):
                tabs = tabs.parent
            if tabs is not None and pane.id:
                tabs.active = pane.id
        screen.maximize(panel, container=False)
        (panel.view if panel.view.focusable else panel).focus()
        self.refresh_views()

    def restore_panels(self) -> None:
        self.screen.minimize()

    def action_maximize_toggle(self) -> None:
        screen = self.screen
        if screen.maximized is not None:
            screen.minimize()
            return
        node: Any = screen.focused
        while node is not None and not isinstance(node, Panel):
            node = node.parent
        if isinstance(node, Panel) and node.id:
            self.maximize_panel(node.id.removeprefix("panel-"))
        else:
            self.maximize_panel("ring")

    # -- facts for tests and screenshots -----------------------------------------------

    def last_request(self, key: bytes) -> RequestDone | None:
        for event in reversed(self.tape.log):
            if isinstance(event, RequestDone) and event.key == key:
                return event
        return None

    def versions_of(self, key: bytes) -> list[VersionCreated]:
        return [v for v in self.tape.versions if v.key == key]

    def status_text(self) -> str:
        return f"{format_speed(self.speed)} {'playing' if self.playing else 'paused'}"


# -- entry points (``dynviz``, ``dynviz replay FILE``, ``dynviz lesson NAME``) ------------


def run_app(seed: int = 0, nodes: int = 8, record: str | os.PathLike[str] | bool | None = True,
            history: int = DEFAULT_LIMIT, data: str | None = None) -> int:
    """Open the live app; records to ``record`` (True: a temp file) and says where.
    With ``data``, every node keeps its versions and hints in DATA/<node>.sqlite (a
    durable cluster; sessions cannot record a cluster on disk, so recording is off)."""
    tune_for_app()
    config = None
    if data is not None:
        from dataclasses import replace

        config = replace(default_config(seed, nodes), storage="sqlite", dir=data)
        record = None
    app = DynvizApp(seed=seed, nodes=nodes, record=record, history=history, config=config)
    app.run()
    app.stop_recording()
    if app.recording_path is not None:
        print(f"dynviz: session recorded to {app.recording_path} "
              f"(replay it with: dynviz replay {app.recording_path})")
    elif app.recording_problem:
        print(f"dynviz: {app.recording_problem}")
    return 0


def run_replay(session: Any, *, playing: bool = True) -> int:
    """Open the app on a recorded session (``dynviz replay FILE``)."""
    from dynviz.tui.replay import ReplayApp

    ReplayApp(session, playing=playing).run()
    return 0


def run_lesson(lesson: Any) -> int:
    """Open the app on a lesson (``dynviz lesson NAME``)."""
    from dynviz.tui.lesson import LessonApp

    LessonApp(lesson).run()
    return 0
