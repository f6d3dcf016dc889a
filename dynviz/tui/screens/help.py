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
    table.add_column("key", style="bold cyan", ratio=1)
    table.add_column("action", ratio=3)
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
    table.add_row("select KEY · select node NODE", "Select a key or a node (s opens a picker).")
    table.add_row("lessons", "Pick a lesson (L).")
    table.add_row("tables", "Open the Tables screen (T).")
    table.add_row("seek 12.5s · seek #42 · branches", "When replaying: go to a time or a command; the branches.")
    table.add_row("help", "Open this screen.")
    return table


INTROS = {
    "live": "You are on a live simulated cluster: time runs (space pauses it), a gentle workload writes "
            "keys of its own, and everything you do is recorded (ctrl+s saves it).",
    "lesson": "You are in a lesson: each narration waits for you. n (or enter) goes on, b goes back with the "
              "cluster as it was, h lists every narration. You can type commands too: b undoes them.",
    "replay": "You are replaying a recorded session: space plays, [ ] seek a second, { } jump between "
              "commands, g seeks anywhere. Acting after seeking back starts a branch (b lists them).",
    "attached": "You are attached to a live TCP cluster: time is real, commands act on the node processes.",
}


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

    def __init__(self, bindings: list[tuple[str, str]], mode: str = "live") -> None:
        super().__init__()
        self.bindings = bindings
        self.mode = mode

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "dynviz help  (esc to close)"
            yield Static(Text(
                INTROS.get(self.mode, "") + " Everything on screen comes from the running cluster. s picks a "
                "node or a key (or ← → and ↑ ↓ on the ring, or a click); keys typed in put/get/delete/inspect "
                "become the selected key. L picks a lesson. Ctrl+P opens the command palette, with every "
                "action below."), id="help-intro")
            yield Static(bindings_table(self.bindings), id="help-keys")
            yield Static(commands_table(), id="help-commands")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
