"""Pick a node or a key with the keyboard (``s``): one list, nodes then keys.

A node or a key selected here is what ``k``, ``l``, the preference list, the Versions
panel and the ring act on and show; the same as clicking, or ``select n3`` /
``select cart:alice`` on the command line, for people on a terminal without a mouse.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option

Choice = tuple[str, str]  # ("node", name) or ("key", key)


class SelectScreen(ModalScreen[Choice | None]):
    """Nodes and keys in one list; enter selects, escape closes."""

    DEFAULT_CSS = """
    SelectScreen { align: center middle; }
    SelectScreen > Vertical {
        width: 60; height: auto; max-height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    SelectScreen OptionList { height: auto; max-height: 100%; }
    """
    BINDINGS = [Binding("escape", "cancel", "Close")]

    def __init__(self, nodes: Sequence[tuple[str, bool]], keys: Sequence[str], node: str | None = None,
                 key: str | None = None) -> None:
        """``nodes``: (name, up); ``node``/``key``: the current selection."""
        super().__init__()
        self.nodes = list(nodes)
        self.keys = list(keys)
        self.node = node
        self.key = key

    def compose(self) -> ComposeResult:
        options: list[Option | None] = [Option("nodes", disabled=True)]
        for name, up in self.nodes:
            mark = "▶" if name == self.node else " "
            options.append(Option(f" {mark} {name}  {'● up' if up else '○ down'}", id=f"node:{name}"))
        options.append(None)
        options.append(Option("keys", disabled=True))
        for key in self.keys:
            mark = "▶" if key == self.key else " "
            options.append(Option(f" {mark} {key}", id=f"key:{key}"))
        with Vertical() as box:
            box.border_title = "select a node or a key"
            box.border_subtitle = "↑ ↓ · enter selects · esc closes"
            yield OptionList(*options, id="select-list")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.focus()
        wanted = f"node:{self.node}" if self.node else (f"key:{self.key}" if self.key else None)
        for index in range(options.option_count):
            option = options.get_option_at_index(index)
            if option.id is not None and (wanted is None or option.id == wanted):
                options.highlighted = index
                break

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        kind, _, name = (event.option.id or "").partition(":")
        if kind in ("node", "key"):
            self.dismiss((kind, name))

    def action_cancel(self) -> None:
        self.dismiss(None)
