"""Dialogs of recorded sessions: save under a name (Ctrl+S), seek (replay ``g``), and
the branches of a replay (``b``)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 84; max-width: 100%; height: auto; max-height: 90%;
    border: round $accent; background: $surface; padding: 0 1;
}}
{name} Label {{ color: $text-muted; width: 1fr; }}
{name} OptionList {{ height: auto; max-height: 16; }}
"""


class _AskScreen(ModalScreen[str | None]):
    """One line of input; enter returns it, escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self, title: str, value: str, hint: str, placeholder: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.hint = hint
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self.title_text
            yield Input(self.value, placeholder=self.placeholder, id="ask-input")
            yield Label(self.hint)

    def on_mount(self) -> None:
        field = self.query_one(Input)
        field.focus()
        field.cursor_position = len(field.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class SaveScreen(_AskScreen):
    """Ask for a file name (relative names are in the current directory)."""

    DEFAULT_CSS = _CSS.format(name="SaveScreen")

    def __init__(self, default: str, title: str = "save the recording") -> None:
        super().__init__(title, default, "enter: save as a session file (.jsonl; relative names are "
                                         "in the current directory) · esc: cancel", "file name")


class SeekScreen(_AskScreen):
    """Ask where to go: a time (``12.5s``, ``800ms``) or a command number (``#42``)."""

    DEFAULT_CSS = _CSS.format(name="SeekScreen")

    def __init__(self, current: str = "") -> None:
        super().__init__("seek", current, "a virtual time (12.5s, 800ms, 1m) or a command number "
                                          "(#42) · enter: go · escape: cancel", "12.5s or #42")


class BranchesScreen(ModalScreen[tuple[str, int] | None]):
    """The branches of a replay: enter switches to one, ``s`` saves it."""

    DEFAULT_CSS = _CSS.format(name="BranchesScreen")
    BINDINGS = [
        Binding("escape", "cancel", "cancel"),
        Binding("s", "save", "save the highlighted branch"),
    ]

    def __init__(self, rows: list[tuple[int, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "branches"
            yield OptionList(*[Option(text, id=str(bid)) for bid, text in self.rows], id="branches")
            yield Label("enter: switch to it (same time) · s: save it · escape: close")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.focus()
        current = next((i for i, (_, text) in enumerate(self.rows) if text.startswith("▶")), 0)
        options.highlighted = current

    def _highlighted(self) -> int | None:
        options = self.query_one(OptionList)
        index = options.highlighted
        if index is None:
            return None
        return self.rows[index][0]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.dismiss(("switch", int(event.option.id)))

    def action_save(self) -> None:
        bid = self._highlighted()
        if bid is not None:
            self.dismiss(("save", bid))

    def action_cancel(self) -> None:
        self.dismiss(None)
