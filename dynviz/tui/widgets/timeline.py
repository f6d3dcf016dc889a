"""The replay's timeline scrubber: the session's virtual time span, where the replay is,
and a mark for every command (the user's bright, the workload's faint). Click it to
seek there; the keys are the app's (``[``/``]`` ±1 s, ``{``/``}`` previous/next
command, ``home``/``end``, ``g`` seek, ``b`` branches)."""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING, Protocol

from rich.text import Text
from textual.events import Click
from textual.widget import Widget

if TYPE_CHECKING:
    from dynviz.session.timeline import Timeline
    from dynviz.tui.view import Frame


class ReplayState(Protocol):
    """What the bar reads of the replay (the replay driver)."""

    timeline: Timeline
    playing: bool
    end_check: str

    def seek_to(self, time: int) -> None: ...

USER_MARK = "┃"
WORKLOAD_MARK = "╷"
HEAD = "●"


def _s(micros: int) -> str:
    return f"{micros / 1e6:.3f}s"


class TimelineBar(Widget):
    """Two lines: facts (time, command, branch, verification) and the scrubber bar."""

    DEFAULT_CSS = """
    TimelineBar {
        height: 2;
        background: $panel;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self, replay: ReplayState, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.replay = replay
        self._key: tuple[object, ...] | None = None
        self._text = Text()

    def refresh_view(self, frame: Frame) -> None:
        app = self.replay
        tl = app.timeline
        branch = tl.branch_data
        key = (tl.now, tl.index, tl.current, len(branch.commands), tl.end, self.size.width, app.playing,
               app.end_check, len(tl.branches()))
        if key == self._key:
            return
        self._key = key
        self._text = self.build()
        self.refresh()

    def bar_width(self) -> int:
        return max(10, self.size.width - 2)

    def build(self) -> Text:
        app = self.replay
        tl = app.timeline
        branch = tl.branch_data
        now, end = tl.now, max(1, tl.end)
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append("⏵ replay " if app.playing else "▮▮ replay ", style="bold green" if app.playing else "bold yellow")
        t.append(f"{_s(now)} / {_s(tl.end)} ", style="bold")
        t.append("│ ", style="dim")
        t.append(f"command #{tl.index} of {len(branch.commands)} " if tl.index else
                 f"no command yet of {len(branch.commands)} ")
        t.append("│ ", style="dim")
        count = len(tl.branches())
        t.append(f"branch {tl.current}" + (f" of {count}" if count > 1 else "") + " ",
                 style="bold magenta" if tl.current else "")
        if branch.parent is not None:
            t.append(f"(from {branch.parent} at #{branch.fork}) ", style="magenta")
        if app.end_check:
            t.append("│ ", style="dim")
            t.append(app.end_check + " ", style="bold green" if app.end_check.startswith("✓") else "bold red")
        t.append("│ [ ] ±1s · { } command · g seek · b branches · home end", style="dim")
        t.append("\n")
        width = self.bar_width()
        cells: list[tuple[str, str]] = [("─", "grey35")] * width
        head = min(width - 1, int(now * width / end))
        for x in range(head):
            cells[x] = ("━", "green")
        for i, rc in enumerate(branch.commands):
            if rc.origin == "setup":
                continue
            x = min(width - 1, int(branch.starts[i] * width / end))
            user = rc.origin != "workload"
            if user:
                cells[x] = (USER_MARK, "bold yellow")
            elif cells[x][0] not in (USER_MARK,):
                cells[x] = (WORKLOAD_MARK, "grey58" if x < head else "grey42")
        cells[head] = (HEAD, "bold bright_white")
        for ch, style in cells:
            t.append(ch, style=style)
        return t

    def time_at(self, x: int) -> int:
        """The session time under column ``x`` of the bar (0 = the bar's first cell)."""
        tl = self.replay.timeline
        width = self.bar_width()
        return max(0, min(tl.end, round(x * tl.end / width)))

    def on_click(self, event: Click) -> None:
        if event.y == 1:
            event.stop()
            self.replay.seek_to(self.time_at(event.x - 1))

    def render(self) -> Text:
        return self._text


def command_at_or_before(starts: list[int], time: int) -> int:
    """Index of the last command issued at or before ``time`` (-1 when none)."""
    return bisect.bisect_right(starts, time) - 1
