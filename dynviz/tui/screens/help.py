"""The help screen (``?``): every key binding and every command of the language."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from dynviz.commands import command_help, table_help


def bindings_table(bindings: list[tuple[str, str]]) -> Table:
    table = Table(title="Keys", title_style="bold", box=None, expand=True, pad_edge=False)
    table.add_column("key", style="bold cyan", no_wrap=True)
    table.add_column("action")
    for key, description in bindings:
        table.add_row(key, description)
    return table


def commands_table() -> Table:
    table = Table(title="Commands (type them after /)", title_style="bold", box=None, expand=True,
                  pad_edge=False)
    table.add_column("syntax", style="bold green", no_wrap=False, ratio=1)
    table.add_column("does", ratio=1)
    for syntax, description in [*command_help(), *table_help()]:
        table.add_row(syntax, description)
    table.add_row("tables", "Open the Tables screen (T).")
    table.add_row("help", "Open this screen.")
    return table


class HelpScreen(ModalScreen[None]):
    """Lists the app's bindings (passed in, from the one place they are declared) and
    the command language (``dynviz.commands.command_help``)."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90%;
        height: 90%;
        border: round $accent;
        border-title-color: $text-accent;
        background: $surface;
        padding: 0 1;
    }
    """
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "close"),
    ]

    def __init__(self, bindings: list[tuple[str, str]]) -> None:
        super().__init__()
        self.bindings = bindings

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "dynviz help  (esc to close)"
            yield Static(Text.from_markup(
                "Everything on screen comes from the running cluster. Click a node label to select "
                "it, click a log line about a key to select the key; keys typed in put/get/delete/"
                "inspect become the selected key. Ctrl+P opens the command palette."), id="help-intro")
            yield Static(bindings_table(self.bindings), id="help-keys")
            yield Static(commands_table(), id="help-commands")

    def action_dismiss(self, result: None = None) -> None:  # type: ignore[override]
        self.dismiss(None)
