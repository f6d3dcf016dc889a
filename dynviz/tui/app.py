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
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, TabbedContent, TabPane

from dynviz.cluster import Cluster, ClusterConfig
from dynviz.commands import Command, CommandError, parse_line
from dynviz.core.hashing import as_key
from dynviz.events import EventBus, RequestDone, VersionCreated
from dynviz.executor import Executor, Outcome
from dynviz.node.node import SECOND
from dynviz.tui.journal import Journal
from dynviz.tui.palette import DynvizCommands
from dynviz.tui.screens.help import HelpScreen
from dynviz.tui.screens.logfilter import LogFilterScreen
from dynviz.tui.screens.pair import PairScreen
from dynviz.tui.screens.partition import PartitionScreen
from dynviz.tui.tape import EventTape
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
from dynviz.tui.workload import PRELOAD, Workload, default_config, preload

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
        Binding("m", "maximize_toggle", "Maximise", show=False,
                tooltip="Maximise the focused panel, or restore"),
        Binding("slash", "focus_command", "Command", key_display="/", tooltip="Type a command"),
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
    playing: reactive[bool] = reactive(True)
    speed: reactive[float] = reactive(1.0)

    def __init__(self, seed: int = 0, nodes: int = 8, *, workload: bool = True, playing: bool = True,
                 preload_keys: bool = True, speed: float = 1.0, config: ClusterConfig | None = None) -> None:
        super().__init__()
        self.seed = seed
        self.tape = EventTape()
        self.journal = Journal()
        self.log_hidden: set[str] = set()
        self.workload = Workload(seed)
        self.workload.enabled = workload
        self.executor = Executor(config=config or default_config(seed, nodes), bus=EventBus(),
                                 on_cluster=self._on_cluster)
        self.executor.bus.subscribe(self.tape)
        cluster = self.executor.cluster
        if preload_keys:
            preload(cluster)
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

    def on_mount(self) -> None:
        self._last_frame = time.perf_counter()
        self.set_interval(1 / FPS, self.tick)
        self.refresh_views()

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
                self.workload.fire(cluster)
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

    def run_line(self, text: str) -> str | None:
        """Parse and run one command line (palette, bindings, screens use this); returns
        the error message if it did not parse (shown inline by the command line)."""
        try:
            command = parse_line(text)
        except CommandError as exc:
            self.journal.add(self.cluster.now, "error", f"{text}: {exc.message}", rank=2)
            return exc.message
        if command is not None:
            self.run_command(text, command)
        return None

    def run_command(self, text: str, command: Command) -> None:
        key = getattr(command, "key", None)
        key_bytes = as_key(key) if isinstance(key, (str, bytes)) and key else None
        if key_bytes is not None:
            self.selected_key = key_bytes
            self._typed_keys.add(key_bytes.decode("utf-8", errors="backslashreplace"))
        self.journal.add(self.cluster.now, "command", f"> {text.strip()}", key_bytes, rank=0)

        def done(outcome: Outcome) -> None:
            out_key = outcome.data.get("key") if isinstance(outcome.data, dict) else None
            k = as_key(out_key) if isinstance(out_key, str) else key_bytes
            self.journal.add(outcome.time, "result" if outcome.ok else "error", outcome.text, k, rank=2)

        self.executor.submit(command, done)

    def on_command_line_submitted(self, message: CommandLine.Submitted) -> None:
        if message.command is None:
            word = message.text.strip().split()[0]
            if word == "help":
                self.action_help()
            return
        self.run_command(message.text, message.command)

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

    def action_kill_toggle(self) -> None:
        node = self._target_node()
        if node is None:
            return
        self.run_line(f"{'kill' if self.cluster.is_up(node) else 'recover'} {node}")

    def action_join(self) -> None:
        names = set(self.cluster.nodes)
        i = len(names) + 1
        while f"n{i}" in names:
            i += 1
        self.run_line(f"join n{i}")

    def action_leave(self) -> None:
        node = self._target_node()
        if node is not None:
            self.run_line(f"leave {node}")

    def action_partition(self) -> None:
        cluster = self.cluster
        groups = dict(cluster.network.groups) if cluster.network.groups else None

        def apply(command: str | None) -> None:
            if command:
                self.run_line(command)

        self.push_screen(PartitionScreen(list(cluster.nodes), groups), apply)

    def action_antientropy(self) -> None:
        cluster = self.cluster
        first = self.selected_node
        second = None
        if self.selected_key is not None:
            plist = cluster.ring.preference_list(self.selected_key, cluster.config.n)
            first = first or plist[0]
            second = next((n for n in plist if n != first), None)

        def apply(command: str | None) -> None:
            if command:
                self.run_line(command)

        self.push_screen(PairScreen("antientropy", list(cluster.nodes), first, second), apply)

    def action_toggle_workload(self) -> None:
        self.workload.enabled = not self.workload.enabled
        if self.workload.enabled:
            self.workload.reset(self.cluster.now)
        self.notify(f"workload {'on' if self.workload.enabled else 'off'}", timeout=2)

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
