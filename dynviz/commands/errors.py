"""The one error of the command language, and how a user's text is shown inside it.

Every mistake in a command line, a lesson predicate or a table term is a
:class:`CommandError` that says where (1-based line and column) and what was expected, so
the TUI can put a caret under it and a script runner can print ``file:line:column``.
"""

from __future__ import annotations


class CommandError(ValueError):
    """A command the user wrote cannot be parsed; says where and what was expected.

    ``str(error)`` is one line: ``line L, column C: message``. Columns are 1-based
    character positions in the line as given (before any stripping).
    """

    def __init__(self, line: int, column: int, message: str) -> None:
        message = " ".join(message.split())  # always a single line
        super().__init__(f"line {line}, column {column}: {message}")
        self.line = line
        self.column = column
        self.message = message

    def __reduce__(self) -> tuple[type[CommandError], tuple[int, int, str]]:
        # keep pickling (e.g. across processes) working
        return (type(self), (self.line, self.column, self.message))


def show(text: str, limit: int = 40) -> str:
    """``text`` quoted for an error message, shortened and with control characters escaped."""
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return repr(text) if text.isprintable() else ascii(text)
