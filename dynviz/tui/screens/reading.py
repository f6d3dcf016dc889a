"""A text to read in full, on top of the app: a log line, the narration history.

The main screen's panels cut long lines at their width; this modal shows a text whole,
wrapped and scrollable (arrows, page up/down), and closes with escape or enter.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class ReadingScreen(ModalScreen[None]):
    """``body`` in a scrollable frame titled ``title``."""

    DEFAULT_CSS = """
    ReadingScreen { align: center middle; }
    ReadingScreen > VerticalScroll {
        width: 90%; max-width: 110; height: auto; max-height: 90%;
        border: round $accent; border-title-color: $text-accent;
        border-subtitle-color: $text-muted; background: $surface; padding: 0 1;
    }
    """
    BINDINGS = [Binding("escape,enter,q", "close", "Close")]

    def __init__(self, title: str, body: Text) -> None:
        super().__init__()
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="reading") as scroll:
            scroll.border_title = self.title_text
            scroll.border_subtitle = "esc closes"
            yield Static(self.body, id="reading-text")

    def on_mount(self) -> None:
        self.query_one("#reading", VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)


def narration_history(title: str, narrations: Sequence[str]) -> ReadingScreen:
    """Every narration read so far, numbered, the current one last and bold."""
    body = Text()
    for i, said in enumerate(narrations, start=1):
        last = i == len(narrations)
        body.append(f"{i:>2}. ", style="bold cyan" if last else "dim")
        body.append(said + ("\n" if last else "\n\n"), style="bold" if last else "")
    if not narrations:
        body.append("no narration yet", style="dim")
    return ReadingScreen(f"{title}: every narration so far", body)
