"""Pick two nodes (``a``: anti-entropy between A and B). Returns the command text."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Select


class PairScreen(ModalScreen[str | None]):
    DEFAULT_CSS = """
    PairScreen { align: center middle; }
    PairScreen > Vertical {
        width: 56; max-width: 100%; height: auto; border: round $accent; background: $surface; padding: 0 1;
    }
    PairScreen Horizontal { height: auto; }
    PairScreen Select { width: 1fr; }
    """
    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self, verb: str, nodes: list[str], first: str | None = None, second: str | None = None) -> None:
        super().__init__()
        self.verb = verb
        self.nodes = nodes
        self.first = first if first in nodes else nodes[0]
        rest = [n for n in nodes if n != self.first]
        self.second = second if second in rest else (rest[0] if rest else self.first)

    def compose(self) -> ComposeResult:
        options = [(n, n) for n in self.nodes]
        with Vertical() as box:
            box.border_title = f"{self.verb}: pick two nodes"
            with Horizontal():
                yield Select(options, value=self.first, allow_blank=False, id="first")
                yield Select(options, value=self.second, allow_blank=False, id="second")
            with Horizontal():
                yield Button("Run", id="run", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    by_mouse = False
    """True when the dialog was closed by clicking Run (the command's origin is then ``mouse``)."""
    _mouse = False

    def on_mouse_down(self, event: events.MouseDown) -> None:
        self._mouse = True

    def on_key(self, event: events.Key) -> None:
        self._mouse = False

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.by_mouse = self._mouse
        if event.button.id == "run":
            a = self.query_one("#first", Select).value
            b = self.query_one("#second", Select).value
            if a == b:
                self.notify("pick two different nodes", severity="warning")
                return
            self.dismiss(f"{self.verb} {a} {b}")
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
