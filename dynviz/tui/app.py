"""The dynviz terminal app: one App, whatever drives it (DESIGN §5 and §8).

:class:`DynvizApp` owns what is the same in every mode: the selection (key, node,
table), the event tape on the driver's bus, the journal of commands and outcomes, the
main screen with its panels, the frame loop, the key bindings, the palette, and the
dialogs. What differs between the live simulator, a lesson, a replay and an attached TCP
cluster is the :class:`~dynviz.tui.driver.Driver` handed to it (``dynviz/tui/drivers/``):
it moves time, carries out commands and says which actions work; ``check_action`` hides
the rest from the footer, the help and the palette.

Each frame the app asks the driver to tick (bounded: a driver never blocks a frame),
builds one :class:`~dynviz.tui.view.Frame` and hands it to every panel's
``refresh_view``; panels never reach into the app. Commands, whether typed, bound to a
key, picked in the palette or clicked in a dialog, go through :meth:`DynvizApp.run_command`
with their origin; their outcome is shown in full under the panels (the result pane)
until the next command, and in the log.

Bindings are declared once, in :mod:`dynviz.tui.keys`; the help screen and the palette
are built from them. The main screen's two layouts are :mod:`dynviz.tui.screens.main`.
On a plain ``dynviz`` the welcome screen comes first, with the lesson picker (also
``L``); choosing a lesson swaps the driver, and leaving it (``L``, the palette) returns
to the live cluster as it was.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import platformdirs
from textual.app import App
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input

from dynviz import commands as c
from dynviz.commands import Command, CommandError, parse_line
from dynviz.core.hashing import as_key
from dynviz.executor import Outcome
from dynviz.explore.here import spec_here
from dynviz.explore.search import Finding
from dynviz.metrics import Metrics
from dynviz.session.lesson import LessonError, list_lessons, load_lesson
from dynviz.tui import keys
from dynviz.tui import panels as registry
from dynviz.tui.driver import FPS, Cue, Driver, Exploring, Saving
from dynviz.tui.drivers.lesson import LessonDriver
from dynviz.tui.drivers.live import LiveDriver
from dynviz.tui.dynamodb import AppEndpoint
from dynviz.tui.jobs import LONG_COMMANDS
from dynviz.tui.journal import Journal, LogLine
from dynviz.tui.palette import DynvizCommands, Entry, palette_entries
from dynviz.tui.progress import Progress
from dynviz.tui.screens.explore import ExploreScreen
from dynviz.tui.screens.help import HelpScreen
from dynviz.tui.screens.lessons import LessonPickerScreen
from dynviz.tui.screens.logfilter import LogFilterScreen
from dynviz.tui.screens.main import MainScreen
from dynviz.tui.screens.metrics import MetricsScreen
from dynviz.tui.screens.pair import PairScreen
from dynviz.tui.screens.partition import PartitionScreen
from dynviz.tui.screens.reading import ReadingScreen
from dynviz.tui.screens.select import SelectScreen
from dynviz.tui.screens.session import SaveScreen
from dynviz.tui.screens.tables import TablesScreen
from dynviz.tui.screens.welcome import WelcomeChoice, WelcomeScreen
from dynviz.tui.tape import DEFAULT_LIMIT, EventTape
from dynviz.tui.view import Frame
from dynviz.tui.widgets.commandline import CommandLine, CommandSuggester
from dynviz.tui.widgets.eventlog import EventLog
from dynviz.tui.widgets.network import NetworkPanel
from dynviz.tui.widgets.nodes import NodesTable
from dynviz.tui.widgets.panel import Panel
from dynviz.tui.widgets.result import ResultPane
from dynviz.tui.widgets.ring import RingView

FIRST_ACTIONS: tuple[tuple[str, str], ...] = (
    ("get cart:alice", "read a key: its replicas answer, the coordinator merges"),
    ("kill n3", "crash a node, then put cart:alice milk: a stand-in keeps a hint"),
    ("partition n1,n2,n3,n4 | n5,n6,n7,n8", "split the network: both sides keep taking writes"),
)
"""The welcome screen's suggested first actions (command line, why)."""


class DynvizApp(App[None]):
    """The terminal app on ``driver`` (see the module docstring)."""

    CSS_PATH = "app.tcss"
    TITLE = "dynviz"
    COMMANDS = App.COMMANDS | {DynvizCommands}
    ALLOW_IN_MAXIMIZED_VIEW = "StatusBar, CommandLine, Footer, ResultPane, .mode-widget"

    BINDINGS = keys.BINDINGS

    selected_key: reactive[bytes | None] = reactive(None)
    selected_node: reactive[str | None] = reactive(None)
    selected_table: reactive[str | None] = reactive(None)  # the Tables screen's; the ring marks its partitions
    selected_choice: str | None = None  # the message under the Network panel's cursor: the ring draws it

    def __init__(self, driver: Driver, *, history: int = DEFAULT_LIMIT, welcome: bool = False,
                 progress: Progress | None = None, dynamodb: AppEndpoint | None = None) -> None:
        """``welcome``: show the welcome screen first (a plain ``dynviz``), unless the
        learner turned it off. ``progress``: where lesson progress is kept (loaded from
        the user's data directory when not given). ``dynamodb``: a DynamoDB wire
        endpoint to serve on the app's cluster (``dynviz --dynamodb PORT``)."""
        super().__init__()
        self.dynamodb = dynamodb
        self.tape = EventTape(history)
        self.journal = Journal()
        self.log_hidden: set[str] = set()
        self.progress = progress if progress is not None else Progress.load()
        self.welcome = welcome
        self.driver = driver
        self.home: Driver | None = driver if driver.kind == "live" else None
        self._unsubscribe = driver.bus.subscribe(self.tape)
        self.metrics = Metrics()
        self._unmeasure = self.metrics.watch(driver.bus)
        self._typed_keys: set[str] = set()
        self._cue = Cue()
        self._cue_maximized = False
        self._last_frame = time.perf_counter()
        self.frame_times: list[float] = []
        self._failed_views: set[str] = set()
        self._settles = 0
        self._placeholder = ""
        self.suggester = CommandSuggester(lambda: list(self.driver.view.node_names()), self.known_keys)
        self.title = driver.title
        self.set_reactive(DynvizApp.selected_key, self._first_key(driver))

    @classmethod
    def live(cls, seed: int = 0, nodes: int = 8, *, history: int = DEFAULT_LIMIT, welcome: bool = False,
             progress: Progress | None = None, **options: Any) -> DynvizApp:
        """The app on a live simulated cluster (``options`` go to
        :class:`~dynviz.tui.drivers.live.LiveDriver`: workload, playing, preload, speed,
        config, record)."""
        return cls(LiveDriver(seed, nodes, **options), history=history, welcome=welcome, progress=progress)

    # -- the driver --------------------------------------------------------------------

    @staticmethod
    def _first_key(driver: Driver) -> bytes | None:
        first = getattr(driver, "first_key", None)
        return first() if callable(first) else None

    @property
    def cluster(self) -> Any:
        """The driver's cluster (the simulator's for simulator drivers): for tests and
        scripts; panels read ``Frame.view``."""
        return getattr(self.driver, "cluster", self.driver.view)

    def set_driver(self, driver: Driver) -> None:
        """Switch mode: the panels, the tape and the log start over on ``driver``."""
        old = self.driver
        if old is not self.home:
            old.close()
        self._unsubscribe()
        self.driver = driver
        self._unsubscribe = driver.bus.subscribe(self.tape)
        self._unmeasure()
        self.metrics.reset()
        self._unmeasure = self.metrics.watch(driver.bus)
        self.tape.clear()
        self.journal.clear()
        self._typed_keys.clear()
        self._cue = Cue()
        self._cue_maximized = False
        self.selected_node = None
        self.selected_key = self._first_key(driver)
        self.title = driver.title
        main = self.main_screen()
        if main is not None:
            main.minimize()
            main.mode += 1
        self._placeholder = ""
        driver.start(self)
        self.refresh_bindings()

    def mode_widgets(self) -> Sequence[Widget]:
        return self.driver.widgets()

    def main_screen(self) -> MainScreen | None:
        return next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)

    def get_default_screen(self) -> Screen[Any]:
        return MainScreen(self)

    def on_mount(self) -> None:
        self.set_interval(2.0, self._settle_memory)
        self._last_frame = time.perf_counter()
        self.set_interval(1 / FPS, self.tick)
        self.driver.start(self)
        if self.dynamodb is not None:
            self.run_worker(self.dynamodb.start(self), name="dynamodb", exit_on_error=True)
        self.refresh_views()
        if self.welcome and self.progress.show_welcome:
            self.call_after_refresh(self.action_welcome)  # over the main screen, drawn once

    def dynamodb_url(self) -> str:
        if self.dynamodb is None:
            from dynviz.tui.dynamodb import listen

            self.dynamodb = AppEndpoint(listen("127.0.0.1", 0))
            self.run_worker(self.dynamodb.start(self), name="dynamodb", exit_on_error=True)
        return self.dynamodb.url

    async def on_unmount(self) -> None:
        if self.dynamodb is not None:
            await self.dynamodb.stop()
        self.driver.close()
        if self.home is not None and self.home is not self.driver:
            self.home.close()

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

    # -- the Host the driver talks to --------------------------------------------------

    def select_key(self, key: bytes | str | None) -> None:
        self.selected_key = None if key is None else as_key(key)

    def select_node(self, node: str | None) -> None:
        self.selected_node = node if node is None or node in self.driver.view.node_names() else None

    def tell(self, message: str, severity: SeverityLevel = "information", timeout: float = 4) -> None:
        self.notify(message, severity=severity, timeout=timeout)

    def open_screen(self, screen: Screen[Any], callback: Callable[[Any], None] | None = None) -> None:
        self.push_screen(screen, callback)

    def redraw(self) -> None:
        self.refresh_views()

    def cluster_replaced(self) -> None:
        self.tape.clear()
        self.metrics.reset()
        if self.selected_node is not None and self.selected_node not in self.driver.view.node_names():
            self.selected_node = None

    def show_outcome(self, outcome: Outcome) -> None:
        out_key = outcome.data.get("key") if isinstance(outcome.data, dict) else None
        key = as_key(out_key) if isinstance(out_key, str) else None
        self.journal.add(outcome.time, "result" if outcome.ok else "error", outcome.text, key, rank=2)
        pane = self._result_pane()
        if pane is not None:
            pane.command = outcome.cmd
            pane.outcome(pane.serial, outcome)

    def point_at(self, cue: Cue) -> None:
        """Select what a narration is about and bring its panel on screen."""
        if cue.key is not None:
            self.selected_key = cue.key
        if cue.node is not None:
            self.select_node(cue.node)
        self._cue = cue
        if self.is_running:
            self.call_after_refresh(self.show_cue)

    def show_cue(self) -> None:
        """Bring the cued panel on screen: at a wide size its tab comes forward (every
        other panel is always shown); at a narrow one (80x24) it is maximised with the
        narration above it, so nothing it points at is cut off."""
        screen = self.main_screen()
        if screen is None or not screen.is_mounted:
            return
        names = self._cue.panels
        for panel in screen.query(Panel):
            panel.set_class(panel.id is not None and panel.id.removeprefix("panel-") in names, "-pointed")
        if not names:
            if self._cue_maximized:
                screen.minimize()
                self._cue_maximized = False
        elif screen.wide:
            if self._cue_maximized:
                screen.minimize()
                self._cue_maximized = False
            for name in names:
                screen.bring_forward(name)
        else:
            self.maximize_panel(names[0], focus=False)
            self._cue_maximized = True
        # The narration holds the focus: n, b, h and enter are the lesson's, whichever
        # panel is shown (the Log would take enter, the Messages panel a letter).
        for widget in screen.query(".mode-widget"):
            if widget.can_focus:
                widget.focus()
                break
        self.refresh_views()

    def save_session(self) -> None:
        self.action_save()

    # -- the frame loop ------------------------------------------------------------------

    def tick(self) -> None:
        now = time.perf_counter()
        elapsed = min(0.25, now - self._last_frame)
        self._last_frame = now
        self.driver.tick(elapsed)
        self.metrics.sample(self.driver.view)
        self.refresh_views()
        self._update_placeholder()
        self.frame_times.append(time.perf_counter() - now)
        if len(self.frame_times) > 200:
            del self.frame_times[:100]

    def layout_changed(self) -> None:
        """The main screen was recomposed (a resize across the wide threshold, a new
        mode): the ring takes the focus again (← → select nodes), then any cue."""
        self._placeholder = ""
        self.call_after_refresh(self._after_layout)

    def _after_layout(self) -> None:
        screen = self.main_screen()
        if screen is not None and screen.is_mounted and screen.focused is None:
            for ring in screen.query(RingView):
                ring.focus()
        self.show_cue()

    def command_hint(self) -> str:
        """The command line's hint: this cluster's nodes and a key it knows (a lesson on
        nodes Sx, Sy, Sz must not suggest ``kill n3``)."""
        names = self.driver.view.node_names()
        keys = self.known_keys()
        key = keys[0] if keys else "cart"
        node = names[min(2, len(names) - 1)] if names else "n1"
        return f"/ to type a command: get {key} · put {key} milk · kill {node} · help"

    def _update_placeholder(self) -> None:
        hint = self.command_hint()
        if hint != self._placeholder:
            screen = self.main_screen()
            if screen is not None and screen.is_mounted:
                for line in screen.query(CommandLine):
                    line.set_hint(hint)
                self._placeholder = hint

    def frame(self) -> Frame:
        workload = getattr(self.driver, "workload", None)
        return Frame(self.driver.view, self.tape, self.journal, self.selected_key, self.selected_node,
                     self.selected_table, frozenset(self.log_hidden), self.driver.clock(),
                     workload.enabled if workload is not None else None, self.selected_choice,
                     self.dynamodb.label if self.dynamodb is not None else None)

    def refresh_views(self) -> None:
        screen = self.main_screen()
        if screen is None:
            return
        frame = self.frame()
        for widget in screen.query(".view, StatusBar"):
            if widget.display and widget.size.area:
                refresh = getattr(widget, "refresh_view", None)
                if refresh is None:
                    continue
                try:
                    refresh(frame)
                except Exception as exc:  # noqa: BLE001 - a panel must never take the app down
                    name = type(widget).__name__
                    if name not in self._failed_views:
                        self._failed_views.add(name)
                        self.log.error(f"{name}.refresh_view failed: {exc!r}")
                        self.notify(f"{name} could not draw: {exc}", severity="error", timeout=6)

    def run_for(self, duration: int) -> None:
        """Advance ``duration`` µs of virtual time on a simulator driver with no frame
        budget (scripted scenes and tests)."""
        run_for = getattr(self.driver, "run_for", None)
        if run_for is None:
            raise RuntimeError("time is real here: nothing to run")
        view = self.driver.view
        end = view.now + duration
        while view.now < end:  # in the metrics' buckets, sampling each as the frames would
            run_for(min(self.metrics.bucket, end - view.now))
            self.metrics.sample(view)

    # -- commands ----------------------------------------------------------------------

    def known_keys(self) -> list[str]:
        """Keys seen so far: the mode's, typed, written (tape), selected."""
        keys = set(self.driver.known_keys()) | self._typed_keys
        for event in self.tape.versions:
            keys.add(event.key.decode("utf-8", errors="backslashreplace"))
        if self.selected_key is not None:
            keys.add(self.selected_key.decode("utf-8", errors="backslashreplace"))
        return sorted(keys)

    def _result_pane(self) -> ResultPane | None:
        screen = self.main_screen()
        return screen.result_pane() if screen is not None else None

    def run_line(self, text: str, origin: str = "script") -> str | None:
        """Parse and run one command line (palette, bindings, screens use this; say where
        it came from with ``origin``); returns the error message if it did not parse or
        cannot run here (the result pane shows it too)."""
        stripped = text.strip()
        if stripped and stripped.split()[0] in ("help", "tables", "select", "lessons", "seek", "branches"):
            return self.tui_word(stripped)
        try:
            command = parse_line(text)
        except CommandError as exc:
            self._show_error(text, exc.message)
            return exc.message
        if command is not None:
            return self.run_command(text, command, origin)
        return None

    def _show_error(self, text: str, message: str) -> None:
        self.journal.add(self.driver.view.now, "error", f"{text.strip()}: {message}", rank=2)
        pane = self._result_pane()
        if pane is not None:
            pane.error(text, message)

    def run_command(self, text: str, command: Command, origin: str = "typed") -> str | None:
        """Run a parsed command: refused with the reason if this mode cannot run it;
        otherwise its key selected, logged, shown in the result pane, and submitted to
        the driver (requests complete as time flows; the pane fills in then)."""
        why = self.driver.refusal(command)
        if why is not None:
            self._show_error(text, why)
            return why
        key = getattr(command, "key", None)
        key_bytes = as_key(key) if isinstance(key, (str, bytes)) and key and not isinstance(command, c.Say) \
            else None
        table = getattr(command, "table", None)
        if isinstance(command, c.TABLE_COMMANDS) and isinstance(table, str):
            self.selected_table = table
        if key_bytes is not None:
            self.selected_key = key_bytes
            self._typed_keys.add(key_bytes.decode("utf-8", errors="backslashreplace"))
        now = self.driver.view.now
        self.journal.add(now, "command", f"> {text.strip()}", key_bytes, rank=0)
        pane = self._result_pane()
        note = ("running a slice per frame: the status line shows how far; escape stops it"
                if isinstance(command, LONG_COMMANDS) else "waiting for the cluster's answer…")
        serial = pane.pending(text, note) if pane is not None else 0

        def done(outcome: Outcome) -> None:
            out_key = outcome.data.get("key") if isinstance(outcome.data, dict) else None
            k = as_key(out_key) if isinstance(out_key, str) else key_bytes
            self.journal.add(outcome.time, "result" if outcome.ok else "error",
                             outcome.text if outcome.ok else (outcome.error or outcome.text), k, rank=2)
            shown = self._result_pane()
            if shown is not None:
                shown.outcome(serial, outcome)

        self.driver.submit(text, command, origin, done)
        return None

    def tui_word(self, text: str) -> str | None:
        """A line of the app's own words (``help``, ``tables``, ``select ...``,
        ``lessons``, and in a replay ``seek ...``/``branches``)."""
        words = text.split()
        word, rest = words[0], words[1:]
        if word == "help":
            self.action_help()
        elif word == "tables":
            if not self.check_action("tables", ()):
                return self._refuse_word(text, "there are no tables here (they live in the simulator)")
            self.action_tables()
        elif word == "lessons":
            self.action_lessons()
        elif word == "select":
            return self.select_words(text, rest)
        elif word in ("seek", "branches"):
            if not self.driver.supports("seek"):
                return self._refuse_word(text, f"'{word}' works when replaying a session (dynviz replay FILE)")
            self.driver.perform(word, " ".join(rest))
        return None

    def _refuse_word(self, text: str, why: str) -> str:
        self._show_error(text, why)
        return why

    def select_words(self, text: str, rest: list[str]) -> str | None:
        """``select KEY``, ``select key KEY``, ``select node NODE`` (a bare name that is a
        node selects the node)."""
        nodes = self.driver.view.node_names()
        if rest and rest[0] in ("node", "key") and len(rest) == 2:
            kind, name = rest
        elif len(rest) == 1:
            kind, name = ("node" if rest[0] in nodes else "key"), rest[0]
        else:
            return self._refuse_word(text, "select KEY, select key KEY or select node NODE (or press s)")
        if kind == "node" and name not in nodes:
            return self._refuse_word(text, f"no node {name!r}; the nodes are {', '.join(nodes)}")
        if kind == "node":
            self.select_node(name)
        else:
            self.select_key(name)
        pane = self._result_pane()
        if pane is not None:
            pane.note(text, f"selected {kind} {name}")
        return None

    def on_command_line_submitted(self, message: CommandLine.Submitted) -> None:
        line = self.main_screen()
        command = message.command
        if command is None:
            self.tui_word(message.text.strip())
            return
        why = self.driver.refusal(command)
        if why is not None and line is not None:
            # refused here: keep the line under the reason so it can be fixed
            field = line.query_one(CommandLine)
            with field.input.prevent(Input.Changed):  # a change would clear the error
                field.input.value = message.text
            field.show_error(message.text, why)
        self.run_command(message.text, command, "typed")

    def on_ring_view_node_clicked(self, message: RingView.NodeClicked) -> None:
        self.select_node(message.node)

    def on_ring_view_node_cycled(self, message: RingView.NodeCycled) -> None:
        names = list(self.driver.view.node_names())
        if not names:
            return
        at = names.index(self.selected_node) if self.selected_node in names else (-1 if message.delta > 0 else 0)
        self.select_node(names[(at + message.delta) % len(names)])

    def on_ring_view_key_cycled(self, message: RingView.KeyCycled) -> None:
        keys = self.known_keys()
        if not keys:
            self.tell("no key yet: put KEY VALUE writes one", timeout=3)
            return
        current = self.selected_key.decode("utf-8", errors="backslashreplace") if self.selected_key else None
        at = keys.index(current) if current in keys else (-1 if message.delta > 0 else 0)
        self.select_key(keys[(at + message.delta) % len(keys)])

    def on_event_log_key_clicked(self, message: EventLog.KeyClicked) -> None:
        self.selected_key = message.key

    def on_event_log_line_opened(self, message: EventLog.LineOpened) -> None:
        self.push_screen(ReadingScreen("log line", _line_text(message.line)))

    def on_network_panel_chosen(self, message: NetworkPanel.Chosen) -> None:
        self.run_line(message.command, "key")

    def on_network_panel_pointed(self, message: NetworkPanel.Pointed) -> None:
        """The Network panel's cursor is on a message: the ring draws it."""
        self.selected_choice = message.choice
        self.refresh_views()

    def on_data_table_row_selected(self, message: NodesTable.RowSelected) -> None:
        if isinstance(message.data_table, NodesTable) and message.row_key.value:
            self.select_node(str(message.row_key.value))

    # -- actions -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "drive":
            return bool(parameters) and self.driver.supports(str(parameters[0]))
        if action == "save":
            return isinstance(self.driver, Saving) and self.driver.supports("save")
        needs = keys.ACTION_NEEDS.get(action)
        if needs is not None:
            return self.driver.supports(needs)
        return True

    def action_drive(self, action: str) -> None:
        if self.driver.supports(action):
            self.driver.perform(action)
            self.refresh_views()

    def _target_node(self) -> str | None:
        if self.selected_node is not None:
            return self.selected_node
        self.notify("select a node first: s, ← → on the ring, or click its label", severity="warning")
        return None

    def action_kill_toggle(self, origin: str = "key") -> None:
        node = self._target_node()
        if node is None:
            return
        self.run_line(f"{'kill' if self.driver.view.is_up(node) else 'recover'} {node}", origin)

    def action_hold_toggle(self, origin: str = "key") -> None:
        """Hold every message (the clock pauses: you deliver them), or release every hold."""
        self.run_line("release" if self.driver.view.choices().holds else "hold", origin)
        screen = self.main_screen()
        panel = screen.bring_forward("network") if screen is not None else None
        if panel is not None:
            panel.view.focus()

    def action_join(self, origin: str = "key") -> None:
        names = set(self.driver.view.node_names())
        i = len(names) + 1
        while f"n{i}" in names:
            i += 1
        self.run_line(f"join n{i}", origin)

    def action_leave(self, origin: str = "key") -> None:
        node = self._target_node()
        if node is not None:
            self.run_line(f"leave {node}", origin)

    def _dialog_done(self, screen: Screen[Any], origin: str) -> Callable[[str | None], None]:
        """The callback of a dialog that returns a command line: a click on its button
        makes it a ``mouse`` command, else it keeps the origin that opened the dialog."""

        def apply(command: str | None) -> None:
            if command:
                self.run_line(command, "mouse" if getattr(screen, "by_mouse", False) else origin)

        return apply

    def action_partition(self, origin: str = "key") -> None:
        view = self.driver.view
        groups = dict(view.partition_groups()) or None
        screen = PartitionScreen(list(view.node_names()), groups)
        self.push_screen(screen, self._dialog_done(screen, origin))

    def action_antientropy(self, origin: str = "key") -> None:
        view = self.driver.view
        first = self.selected_node
        second = None
        if self.selected_key is not None:
            plist = view.ring.preference_list(self.selected_key, view.config.n)
            first = first or plist[0]
            second = next((n for n in plist if n != first), None)
        screen = PairScreen("antientropy", list(view.node_names()), first, second)
        self.push_screen(screen, self._dialog_done(screen, origin))

    def action_select(self) -> None:
        view = self.driver.view
        current = self.selected_key.decode("utf-8", errors="backslashreplace") if self.selected_key else None

        def apply(choice: tuple[str, str] | None) -> None:
            if choice is None:
                return
            kind, name = choice
            if kind == "node":
                self.select_node(name)
            else:
                self.select_key(name)

        self.push_screen(SelectScreen([(n, view.is_up(n)) for n in view.node_names()], self.known_keys(),
                                      self.selected_node, current), apply)

    def action_tables(self) -> None:
        if not isinstance(self.screen, TablesScreen):
            self.push_screen(TablesScreen(self))

    def action_metrics(self) -> None:
        """The Metrics screen (``M``): live plots of the metrics the app keeps."""
        if not isinstance(self.screen, MetricsScreen):
            self.push_screen(MetricsScreen(lambda: self.metrics.snapshot(self.driver.view.now),
                                           partial(self.run_line, origin="typed")))

    def table_desk(self) -> Any | None:
        """The tables of the driver's cluster (the Tables screen's host)."""
        return self.driver.view.table_desk()

    def action_log_filter(self) -> None:
        def apply(hidden: set[str] | None) -> None:
            if hidden is not None:
                self.log_hidden = hidden

        self.push_screen(LogFilterScreen(self.log_hidden), apply)

    def set_log_filter(self, hidden: set[str]) -> None:
        self.log_hidden = set(hidden)

    def action_focus_command(self) -> None:
        for line in self.screen.query(CommandLine):
            line.focus_input()

    def action_save(self) -> None:
        driver = self.driver
        if not isinstance(driver, Saving):
            return

        def apply(path: str | None) -> None:
            if not path:
                return
            try:
                message = driver.save_to(path)
            except (OSError, ValueError) as exc:  # SessionError is a ValueError
                self.notify(f"not saved: {exc}", severity="error", timeout=8)
                return
            self.notify(message, timeout=5)

        self.push_screen(SaveScreen(driver.save_name(), driver.save_title()), apply)

    def action_explore_here(self) -> None:
        """Explore from here (``e``): pause, search a copy of the cluster as it is now
        (:mod:`dynviz.tui.screens.explore`), and open the chosen violation's path on
        this cluster as commands."""
        driver = self.driver
        if not isinstance(driver, Exploring) or not driver.supports("explore"):
            self.tell("explore from here works on a simulated cluster (not a lesson or a "
                      "TCP cluster)", "warning")
            return
        clock = driver.clock()
        if clock.state == "working":
            self.tell("a long command is running: let it finish or stop it (escape) first", "warning")
            return
        if clock.playing:
            driver.perform("play")  # paused: the copy and this cluster must stay the same
        view = driver.view
        marks: list[tuple[Any, int]] = []

        def here() -> Any:
            marks.append((driver.view, driver.view.now))
            return driver.world_here()

        def apply(finding: Finding | None) -> None:
            if finding is None:
                return
            if not marks or marks[-1] != (driver.view, driver.view.now):
                self.tell("the cluster moved on since the search: its path no longer applies "
                          "(explore again)", "error", 8)
                return
            self.open_path(finding)

        self.journal.add(view.now, "result", "explore from here: the cluster is paused", rank=2)
        self.push_screen(ExploreScreen(here, spec_here), apply)

    def open_path(self, finding: Finding) -> None:
        """Replay ``finding``'s path on the driver's cluster as commands, logged and
        recorded like keys pressed in the Network panel (in a replay: a branch)."""
        lines = list(finding.path)
        if not self.driver.view.choices().holds:
            lines.insert(0, "hold")  # the copy was explored with every message held
        self.journal.add(self.driver.view.now, "result",
                         f"explore: opening the path to '{finding.property}' "
                         f"({len(finding.path)} steps): {'; '.join(finding.path)}", rank=2)
        for number, line in enumerate(lines, start=1):
            why = self.run_line(line, "key")
            if why is not None:
                self.journal.add(self.driver.view.now, "error",
                                 f"explore: step {number} '{line}' could not run: {why}; "
                                 "the rest of the path was not applied", rank=2)
                return
        self.journal.add(self.driver.view.now, "result",
                         f"explore: applied {len(lines)} commands; this state shows "
                         f"{finding.property}: {finding.text}", rank=2)
        self.tell(f"path to '{finding.property}' applied ({len(finding.path)} steps): see the log",
                  timeout=6)
        self.refresh_views()

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """The palette's Screenshot: an SVG in the Downloads directory when there is one,
        else in the current directory, and a notice saying where (or why not)."""
        if self.is_web:  # the browser downloads it
            super().action_screenshot(filename, path)
            return
        if path is None:
            downloads = Path(platformdirs.user_downloads_dir())
            path = str(downloads if downloads.is_dir() else Path.cwd())
        try:
            saved = self.save_screenshot(filename, path)
        except OSError as exc:
            self.notify(f"no screenshot: {exc.strerror or exc} ({path})", severity="error", timeout=8)
            return
        self.notify(f"screenshot saved to {saved}", timeout=6)

    def help_bindings(self) -> list[tuple[str, str]]:
        """The bindings that work in this mode, then the other ways in."""
        return keys.help_rows(self.check_action)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.help_bindings(), mode=self.driver.kind))

    def panel(self, name: str) -> Panel:
        return self.screen.query_one(f"#panel-{name}", Panel)

    def maximize_panel(self, name: str, focus: bool = True) -> None:
        screen = self.main_screen()
        if screen is None:
            return
        panel = screen.bring_forward(name)
        if panel is None:
            return
        screen.maximize(panel, container=False)
        if focus:
            (panel.view if panel.view.focusable else panel).focus()
        self.refresh_views()

    def restore_panels(self) -> None:
        self._cue_maximized = False
        self.screen.minimize()

    def action_maximize_toggle(self) -> None:
        screen = self.screen
        if screen.maximized is not None:
            self.restore_panels()
            return
        node: Any = screen.focused
        while node is not None and not isinstance(node, Panel):
            node = node.parent
        if isinstance(node, Panel) and node.id:
            self.maximize_panel(node.id.removeprefix("panel-"))
        else:
            self.maximize_panel("ring")

    # -- lessons and the welcome ------------------------------------------------------------

    def action_welcome(self) -> None:
        screen = WelcomeScreen([(p.title, p.about) for p in registry.PANELS], FIRST_ACTIONS, list_lessons(),
                               self.progress)
        self.push_screen(screen, self._welcomed)

    def _welcomed(self, choice: WelcomeChoice | None) -> None:
        if choice is None or choice.kind == "explore":
            return
        if choice.kind == "lesson":
            self.start_lesson(choice.value)
        else:
            self.run_line(choice.value, "key")

    def action_lessons(self) -> None:
        current = self.driver.lesson.name if isinstance(self.driver, LessonDriver) else None

        def apply(name: str | None) -> None:
            if name:
                self.start_lesson(name)

        self.push_screen(LessonPickerScreen(list_lessons(), self.progress, current), apply)

    def start_lesson(self, name: str) -> None:
        """Open lesson ``name`` at its first narration (the live cluster waits)."""
        try:
            lesson = load_lesson(name)
        except LessonError as exc:
            self.notify(str(exc), severity="error", timeout=8)
            return
        self.set_driver(LessonDriver(lesson, progress=self.progress))

    def leave_lesson(self) -> None:
        """Back to the live cluster the app started on, as it was."""
        if self.home is not None and self.driver is not self.home:
            self.set_driver(self.home)

    def palette_entries(self) -> Iterator[Entry]:
        return palette_entries(self)

    def table_names(self) -> list[str]:
        desk = self.table_desk()
        return desk.names() if desk is not None else []

    # -- facts for tests and screenshots -----------------------------------------------

    def status_text(self) -> str:
        clock = self.driver.clock()
        return f"x{clock.speed:g} {clock.state}"

    def result_text(self) -> str:
        pane = self._result_pane()
        return pane.plain() if pane is not None else ""


def _line_text(line: LogLine) -> Any:
    from rich.text import Text

    body = Text()
    body.append(f"{line.time / 1e6:.6f}s  ", style="dim")
    body.append(f"{line.kind}\n\n", style="bold")
    body.append(line.text)
    if line.key is not None:
        body.append("\n\nkey: ", style="dim")
        body.append(line.key.decode("utf-8", errors="backslashreplace"), style="bold")
    return body

