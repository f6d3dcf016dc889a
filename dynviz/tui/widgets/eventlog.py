"""The event log: what the cluster did, coloured by kind, filterable, clickable.

Lines come from two places: the cluster's events on the app's ``EventTape`` (every
kind but raw message traffic; drops are kept), and the app's journal of commands the
user typed and their results. Each line keeps the key it is about, so clicking a line
selects that key. It is a ``ScrollView`` on the Line API: only visible lines are
rendered, each line's strip is cached, and new lines are appended incrementally
(the tape is read from its end back to the last event already shown).

Keyboard: focused, ↑ ↓ (page up/down, home/end) move a cursor over the lines; enter
shows the line under it in full (a line is cut at the panel's width) and selects the
key it is about. While the cursor is on the newest line the log follows new lines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from dynviz.events import Event
from dynviz.tui.journal import LogLine

if TYPE_CHECKING:
    from dynviz.tui.view import Frame

KIND_STYLES: dict[str, str] = {
    "send": "blue",
    "deliver": "blue",
    "drop": "bold red",
    "fault": "bold red",
    "request": "cyan",
    "store": "green",
    "hint": "magenta",
    "repair": "yellow",
    "detector": "dark_orange",
    "gossip": "bright_blue",
    "rebalance": "bright_magenta",
    "antientropy": "bright_cyan",
    "say": "bold italic bright_white",
    "wire": "bold cyan",
    "command": "bold bright_white",
    "result": "bold green",
    "error": "bold red",
}
"""Style per line kind (event kinds, plus the journal's command/result/error)."""

EVENT_KINDS: tuple[str, ...] = (
    "request", "store", "hint", "repair", "fault", "drop", "detector", "gossip",
    "rebalance", "antientropy", "wire", "say",
)
"""Kinds the log can show (raw send/deliver traffic lives in the space-time panel)."""

KIND_LABELS: dict[str, str] = {
    "request": "req", "detector": "detect", "rebalance": "rebal", "antientropy": "anti-e",
    "command": "cmd",
}
"""Short labels for the kind column (six characters wide)."""

MAX_LINES = 5000


class EventLog(ScrollView, can_focus=True):
    """The cluster's story, line by line."""

    DEFAULT_CSS = """
    EventLog {
        height: 1fr;
        background: $surface;
        overflow-x: hidden;
        scrollbar-size-vertical: 1;
    }
    """

    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "cursor_page(-1)", "Page up", show=False),
        Binding("pagedown", "cursor_page(1)", "Page down", show=False),
        Binding("home", "cursor_to(0)", "First line", show=False),
        Binding("end", "cursor_to(-1)", "Newest line", show=False),
        Binding("enter", "open_line", "Read the line", show=False),
    ]

    class KeyClicked(Message):
        """The user clicked a line about a key."""

        def __init__(self, key: bytes) -> None:
            super().__init__()
            self.key = key

    class LineOpened(Message):
        """The user asked to read a line in full (enter on it)."""

        def __init__(self, line: LogLine) -> None:
            super().__init__()
            self.line = line

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: list[LogLine] = []
        self._view: list[LogLine] = []
        self._last_event: Event | None = None
        self._tape_version = -1
        self._journal_seen = 0
        self._journal_epoch = 0
        self._hidden: frozenset[str] = frozenset()
        self._cache: dict[int, Strip] = {}
        self._styles: dict[str, Style] = {}
        self._follow = True  # stick to the newest line until the user scrolls up
        self.cursor: int | None = None  # index into the shown lines; None: following the newest

    # -- contract with the app -------------------------------------------------------

    def refresh_view(self, frame: Frame) -> None:
        tape = frame.tape
        journal = frame.journal
        hidden = frame.log_hidden
        if hidden != self._hidden:
            self._hidden = hidden
            self._rebuild_view()
        if journal.epoch != self._journal_epoch:  # the app started over (a replay seeked back)
            self._journal_epoch = journal.epoch
            self.lines.clear()
            self._last_event = None
            self._tape_version = -1
            self._journal_seen = journal.count - len(journal.lines)
            self._rebuild_view()
        if tape.version == self._tape_version and journal.count == self._journal_seen:
            return
        self._tape_version = tape.version
        fresh: list[LogLine] = []
        batch: list[Event] = []
        for event in reversed(tape.log):
            if event is self._last_event:
                break
            batch.append(event)
        if tape.log:
            self._last_event = tape.log[-1]
        fresh.extend(LogLine.of_event(e) for e in reversed(batch))
        fresh.extend(journal.since(self._journal_seen))
        self._journal_seen = journal.count
        if not fresh:
            return
        fresh.sort(key=lambda line: (line.time, line.rank))
        self._append(fresh)

    def _append(self, fresh: list[LogLine]) -> None:
        at_end = self._follow
        self.lines.extend(fresh)
        if len(self.lines) > MAX_LINES + 1000:
            del self.lines[: len(self.lines) - MAX_LINES]
            self._rebuild_view()
        else:
            self._view.extend(line for line in fresh if line.kind not in self._hidden)
        self._resize()
        if at_end and self.cursor is not None:
            self.cursor = len(self._view) - 1
        if at_end:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
            self.call_after_refresh(self.scroll_end, animate=False, x_axis=False)
        self.refresh()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._follow = new_value >= self.max_scroll_y - 1

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def _rebuild_view(self) -> None:
        self.cursor = None
        self._cache.clear()
        self._view = [line for line in self.lines if line.kind not in self._hidden]
        self._resize()
        self.refresh()

    def _resize(self) -> None:
        self.virtual_size = Size(max(self.size.width, 1), len(self._view))

    def visible_text(self) -> list[str]:
        """The log's lines as shown (for tests and screenshots' captions)."""
        return [self.format(line) for line in self._view]

    @staticmethod
    def format(line: LogLine) -> str:
        return f"{line.time / 1e6:8.3f}s {KIND_LABELS.get(line.kind, line.kind):<6} {line.text}"

    # -- rendering ---------------------------------------------------------------------

    def _style(self, name: str) -> Style:
        found = self._styles.get(name)
        if found is None:
            found = self._styles[name] = Style.parse(name)
        return found

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        base = self.rich_style
        if index >= len(self._view):
            return Strip.blank(width, base)
        line = self._view[index]
        strip = self._cache.get(id(line))
        if strip is None and index == self.cursor and self.has_focus:
            cursor = base + self._style("reverse")
            strip = Strip([Segment(f"{self.format(line)}".replace("\n", " ⏎ "), cursor)])
            return strip.crop_extend(scroll_x, scroll_x + width, cursor)
        if strip is None:
            if len(self._cache) > 4 * MAX_LINES:
                self._cache.clear()
            text = line.text.replace("\n", " ⏎ ")
            segments = [
                Segment(f"{line.time / 1e6:8.3f}s ", base + self._style("grey50")),
                Segment(f"{KIND_LABELS.get(line.kind, line.kind):<6} ",
                        base + self._style(KIND_STYLES.get(line.kind, "white"))),
                Segment(text, base + (self._style(KIND_STYLES[line.kind]) if line.rank != 1 else Style())),
            ]
            strip = Strip(segments)
            self._cache[id(line)] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def on_click(self, event: Click) -> None:
        index = self.scroll_offset.y + event.y
        if 0 <= index < len(self._view):
            self._move_cursor(index)
            key = self._view[index].key
            if key is not None:
                self.post_message(self.KeyClicked(key))
                event.stop()

    # -- the cursor ----------------------------------------------------------------------

    def _move_cursor(self, index: int) -> None:
        if not self._view:
            self.cursor = None
            return
        index = max(0, min(len(self._view) - 1, index))
        old = self.cursor
        self.cursor = index
        self._follow = index == len(self._view) - 1
        for changed in (old, index):
            if changed is not None and changed < len(self._view):
                self._cache.pop(id(self._view[changed]), None)
        self.scroll_to_region_of(index)
        self.refresh()

    def scroll_to_region_of(self, index: int) -> None:
        top = self.scroll_offset.y
        height = max(1, self.size.height)
        if index < top:
            self.scroll_to(y=index, animate=False)
        elif index >= top + height:
            self.scroll_to(y=index - height + 1, animate=False)

    def action_cursor(self, delta: int) -> None:
        start = self.cursor if self.cursor is not None else len(self._view) - (1 if delta < 0 else 0)
        self._move_cursor(start + delta if self.cursor is not None else start)

    def action_cursor_page(self, delta: int) -> None:
        start = self.cursor if self.cursor is not None else len(self._view) - 1
        self._move_cursor(start + delta * max(1, self.size.height - 1))

    def action_cursor_to(self, index: int) -> None:
        self._move_cursor(len(self._view) - 1 if index < 0 else index)

    def action_open_line(self) -> None:
        if self.cursor is None or self.cursor >= len(self._view):
            self._move_cursor(len(self._view) - 1)
        if self.cursor is not None and self.cursor < len(self._view):
            line = self._view[self.cursor]
            if line.key is not None:
                self.post_message(self.KeyClicked(line.key))
            self.post_message(self.LineOpened(line))
