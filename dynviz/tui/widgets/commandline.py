"""The command line: the command language of DESIGN §4, typed.

Completion knows the command names, the cluster's node names and the keys seen so far
(the first match shows in grey; → accepts it); Up/Down walk the history. Tab completes
only a word the user has started typing, and only as far as the matches agree (``n``
stays ``n`` with eight nodes, ``cart:a`` becomes ``cart:alice``), never adding a word of
its own: a line is never one Enter away from a command nobody typed (``cluster n1 n1``
was). ``/`` opens a
clean line; typed into an empty line it is swallowed, since no command starts with it.

The line is parsed here with ``dynviz.commands.parse_line``; a parse error is shown in
red under the input with a caret at its column, and nothing runs. A parsed command is
posted to the app (``CommandLine.Submitted``), which runs it and shows its outcome.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.suggester import Suggester
from textual.widget import Widget
from textual.widgets import Input, Static

from dynviz.commands import COMMAND_NAMES, Command, CommandError, parse_line

EXTRA_WORDS = ("help", "tables", "select", "lessons", "seek", "branches")
"""Words the TUI understands besides the command language (``help`` opens the help,
``select KEY``/``select node N`` selects, ``lessons`` opens the lesson picker; when
replaying, ``seek 12.5s`` or ``seek #42`` and ``branches``)."""

_NODE_ARGS = {"kill", "recover", "wipe", "skew", "leave", "remove", "gossip", "antientropy", "partition"}
_KEY_ARGS = {"put", "get", "delete", "inspect", "select"}
_NO_ARGS = {"cluster", "help", "tables", "lessons", "views", "heal", "abort", "pause"}
"""Commands whose arguments are never completed (``cluster`` rebuilds everything)."""


class CommandSuggester(Suggester):
    """Completes the last word of the line from commands, nodes and keys."""

    def __init__(self, nodes: Callable[[], Iterable[str]], keys: Callable[[], Iterable[str]]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.nodes = nodes
        self.keys = keys

    def candidates(self, value: str) -> list[str]:
        """Completions of the word being typed (none for an empty word)."""
        words = value.split(" ")
        last = words[-1]
        if not last:
            return []
        before = [w for w in words[:-1] if w]
        if before and before[0] == "as":
            before = before[2:]
        if not before:
            pool: Iterable[str] = [*COMMAND_NAMES, *EXTRA_WORDS, "as"]
        else:
            command = before[0]
            if command in _NO_ARGS:
                return []
            if command == "select" and len(before) == 1:
                pool = ["node", *sorted(self.keys())]
            elif command == "select" and before[1:] == ["node"]:
                pool = list(self.nodes())
            elif command in _KEY_ARGS and len(before) == 1:
                pool = sorted(self.keys())
            elif command in _NODE_ARGS or "via=" in last or last.startswith("on"):
                pool = list(self.nodes())
            elif command == "inspect" and len(before) >= 2:
                pool = ["on"] + list(self.nodes())
            else:
                pool = list(self.nodes())
            if "," in last:  # partition n1,n2
                head, _, last = last.rpartition(",")
                return [f"{head},{p}" for p in pool if p.startswith(last) and p != last]
            if last.startswith("via="):
                return [f"via={p}" for p in pool if p.startswith(last[4:]) and p != last[4:]]
        return [p for p in pool if p.startswith(last) and p != last]

    async def get_suggestion(self, value: str) -> str | None:
        if not value or value.endswith(" "):
            return None
        found = self.candidates(value)
        if not found:
            return None
        head = value[: len(value) - len(value.split(" ")[-1])]
        return head + found[0]


class CommandLine(Widget):
    """An input line with completion, history and inline errors."""

    DEFAULT_CSS = """
    CommandLine {
        height: auto;
        background: $panel;
    }
    CommandLine > Input {
        border: none;
        height: 1;
        padding: 0 1;
        background: $panel;
        &:focus { border: none; background: $boost; }
    }
    CommandLine > #cmd-error {
        color: $text-error;
        padding: 0 1;
        height: auto;
        display: none;
    }
    CommandLine.-error > #cmd-error { display: block; }
    """

    BINDINGS = [
        Binding("up", "history(-1)", "previous command", show=False),
        Binding("down", "history(1)", "next command", show=False),
        Binding("tab", "complete", "complete", show=False, priority=True),
        Binding("escape", "leave", "leave the command line", show=False),
    ]

    class Submitted(Message):
        """A line that parsed (``command`` is None for the TUI's own words like help)."""

        def __init__(self, text: str, command: Command | None) -> None:
            super().__init__()
            self.text = text
            self.command = command

    def __init__(self, suggester: CommandSuggester, *, placeholder: str = "", id: str | None = None) -> None:
        super().__init__(id=id)
        self.suggester = suggester
        self.placeholder = placeholder or "/ to type a command · help lists them"
        self.history: list[str] = []
        self._history_at = 0
        self.error: str = ""

    def compose(self) -> ComposeResult:
        yield Input(placeholder=self.placeholder, suggester=self.suggester, id="cmd-input")
        yield Static("", id="cmd-error")

    @property
    def input(self) -> Input:
        return self.query_one("#cmd-input", Input)

    def set_hint(self, hint: str) -> None:
        """The hint an empty line shows. Kept for the input when it is composed: a new
        mode recomposes the screen, and a frame can come between this line's mounting
        and its input's."""
        self.placeholder = hint
        for field in self.query("#cmd-input").results(Input):
            field.placeholder = hint

    def focus_input(self) -> None:
        """Open a clean line (what ``/`` does); nothing while the line is being composed."""
        for field in self.query("#cmd-input").results(Input):
            if field.value and not self.error:
                field.value = ""
            field.focus()

    def show_error(self, text: str, message: str, column: int | None = None) -> None:
        self.error = message
        shown = Text()
        if column is not None:
            shown.append(" " * max(0, column - 1) + "^ ", style="bold red")
        shown.append(message, style="red")
        self.query_one("#cmd-error", Static).update(shown)
        self.add_class("-error")

    def clear_error(self) -> None:
        self.error = ""
        self.remove_class("-error")

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.value == "/":  # the key that opens the line, typed again: not text
            self.input.value = ""
            return
        if self.error:
            self.clear_error()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value
        if not text.strip():
            return
        if not self.history or self.history[-1] != text:
            self.history.append(text)
        self._history_at = len(self.history)
        if text.strip().split()[0] in EXTRA_WORDS:
            self.input.value = ""
            self.post_message(self.Submitted(text, None))
            return
        try:
            command = parse_line(text)
        except CommandError as exc:
            self.show_error(text, str(exc.message), exc.column)
            return
        self.input.value = ""
        if command is not None:
            self.post_message(self.Submitted(text, command))

    def action_history(self, delta: int) -> None:
        if not self.history:
            return
        self._history_at = max(0, min(len(self.history), self._history_at + delta))
        value = self.history[self._history_at] if self._history_at < len(self.history) else ""
        self.input.value = value
        self.input.cursor_position = len(value)

    def action_complete(self) -> None:
        if not self.input.has_focus:
            self.screen.focus_next()
            return
        value = self.input.value
        found = self.suggester.candidates(value)
        last = value.split(" ")[-1]
        head = value[: len(value) - len(last)]
        if len(found) == 1:
            self.input.value = head + found[0] + " "
        elif found:
            # Several fit (n -> n1..n8): go as far as they agree, as a shell does, and
            # let the user choose; never pick one for them (→ accepts the grey hint).
            common = os.path.commonprefix(found)
            if len(common) > len(last):
                self.input.value = head + common
        self.input.cursor_position = len(self.input.value)

    def action_leave(self) -> None:
        self.screen.set_focus(None)
