"""Choose which kinds of events the log shows (``f``). Returns the hidden kinds."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, SelectionList

from dynviz.tui.widgets.eventlog import EVENT_KINDS


class LogFilterScreen(ModalScreen[set[str] | None]):
    DEFAULT_CSS = """
    LogFilterScreen { align: center middle; }
    LogFilterScreen > Vertical {
        width: 48; height: auto; max-height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    LogFilterScreen SelectionList { height: auto; max-height: 16; }
    LogFilterScreen Horizontal { height: auto; }
    LogFilterScreen Horizontal > Button { width: 1fr; min-width: 6; }
    """
    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self, hidden: set[str]) -> None:
        super().__init__()
        self.hidden = set(hidden)

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "log: kinds shown"
            box.border_subtitle = "space toggles · esc cancels"
            yield SelectionList[str](*[(k, k, k not in self.hidden) for k in EVENT_KINDS], id="kinds")
            with Horizontal():
                yield Button("Apply", id="apply", variant="primary")
                yield Button("All", id="all")
                yield Button("Cancel", id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "apply":
            shown = set(self.query_one("#kinds", SelectionList).selected)
            self.dismiss({k for k in EVENT_KINDS if k not in shown})
        elif event.button.id == "all":
            self.dismiss(set())
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
