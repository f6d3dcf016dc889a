"""The main screen: every panel, in one of two arrangements.

Narrow (fits 80x24): the ring and the preference list, the rest in tabs. Wide (at least
``WIDE_WIDTH`` x ``WIDE_HEIGHT``): three columns, most panels visible at once. Crossing
the size threshold, or a change of mode (a new driver), recomposes the screen; the app
hears of it through :meth:`MainHost.layout_changed` and gives the focus back.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, TabbedContent, TabPane

from dynviz.tui import panels as registry
from dynviz.tui.widgets.commandline import CommandLine, CommandSuggester
from dynviz.tui.widgets.panel import Panel
from dynviz.tui.widgets.result import ResultPane
from dynviz.tui.widgets.statusbar import StatusBar

WIDE_WIDTH = 150
WIDE_HEIGHT = 40

NARROW_TABS = ["log", "nodes", "versions", "messages", "network", "gossip", "merkle"]
WIDE_TABS = ["messages", "network", "gossip", "merkle"]


class MainHost(Protocol):
    """What the main screen needs from the app."""

    suggester: CommandSuggester

    def command_hint(self) -> str: ...

    def mode_widgets(self) -> Iterable[Widget]:
        """The driver's own widgets (a lesson's narration, a replay's timeline)."""
        ...

    def layout_changed(self) -> None: ...


def _panel(name: str) -> Panel:
    info = registry.info(name)
    view = info.make(id=name)
    view.add_class("view")
    return Panel(info.title, view, id=f"panel-{name}")


def _tabs(names: list[str], tabs_id: str) -> ComposeResult:
    with TabbedContent(id=tabs_id):
        for n in names:
            yield TabPane(registry.TITLES[n], _panel(n), id=f"tab-{n}")


class MainScreen(Screen[None]):
    """The one main screen (see the module docstring)."""

    AUTO_FOCUS = "#ring"
    wide: reactive[bool] = reactive(False, recompose=True)
    mode: reactive[int] = reactive(0, recompose=True)

    def __init__(self, host: MainHost) -> None:
        super().__init__()
        self.host = host

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        if self.wide:
            with Horizontal(id="body"):
                with Vertical(id="col-left"):
                    yield _panel("ring")
                    yield _panel("nodes")
                with Vertical(id="col-mid"):
                    yield _panel("preflist")
                    yield _panel("versions")
                with Vertical(id="col-right"):
                    yield _panel("log")
                    yield from _tabs(WIDE_TABS, "tabs")
        else:
            with Horizontal(id="body"):
                with Vertical(id="col-left"):
                    yield _panel("ring")
                    yield _panel("preflist")
                yield from _tabs(NARROW_TABS, "tabs")
        for widget in self.host.mode_widgets():
            widget.add_class("mode-widget")
            yield widget
        yield ResultPane(id="result")
        yield CommandLine(self.host.suggester, placeholder=self.host.command_hint(), id="command")
        yield Footer()

    def on_resize(self) -> None:
        self.wide = self.size.width >= WIDE_WIDTH and self.size.height >= WIDE_HEIGHT
        self.set_class(self.wide, "-wide")

    def watch_wide(self) -> None:
        self.host.layout_changed()

    def watch_mode(self) -> None:
        self.host.layout_changed()

    def panel(self, name: str) -> Panel | None:
        """Panel ``name`` if it is on this screen."""
        found = self.query(f"#panel-{name}")
        return found.first(Panel) if found else None

    def bring_forward(self, name: str) -> Panel | None:
        """Make panel ``name`` visible: its tab comes forward when it sits in one."""
        panel = self.panel(name)
        if panel is None:
            return None
        pane = panel.parent
        if isinstance(pane, TabPane):
            tabs = pane.parent
            while tabs is not None and not isinstance(tabs, TabbedContent):
                tabs = tabs.parent
            if tabs is not None and pane.id:
                tabs.active = pane.id
        return panel

    def result_pane(self) -> ResultPane | None:
        """The result pane, unless the screen is between compositions."""
        if not self.is_mounted:
            return None
        panes = self.query(ResultPane)
        return panes.first() if panes else None
