"""The status line at the top: time, how it moves (playing, paused, a lesson waiting for
the reader, a long command working, live), N/R/W, the nodes, the selection."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widget import Widget

from dynviz.core.hashing import show_key
from dynviz.wording import plural

if TYPE_CHECKING:
    from dynviz.tui.view import Frame

STATES: dict[str, tuple[str, str]] = {
    "playing": ("● playing", "bold green"),
    "paused": ("▮▮ paused", "bold yellow"),
    "waiting": ("▮▮ waiting for you", "bold yellow"),
    "working": ("◔ working", "bold cyan"),
    "live": ("● live", "bold green"),
    "stale": ("● no answer", "bold red"),
}
"""How each clock state reads (see :class:`~dynviz.tui.view.Clock`)."""


def format_speed(speed: float) -> str:
    return f"x{speed:g}"


class StatusBar(Widget):
    """One line of facts about the running cluster."""

    DEFAULT_CSS = """
    StatusBar {
        dock: top;
        height: 1;
        background: $primary-darken-2;
        color: $text;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._key: tuple[object, ...] | None = None
        self._text = Text()

    def refresh_view(self, frame: Frame) -> None:
        view = frame.view
        key = (view.now, frame.clock, frame.key, frame.node, frame.workload, id(view),
               len(view.node_names()), self.size.width, frame.endpoint)
        if key == self._key:
            return
        self._key = key
        self._text = self.build(frame)
        self.refresh()

    @staticmethod
    def build(frame: Frame) -> Text:
        view, clock = frame.view, frame.clock
        cfg = view.config
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append(" dynviz ", style="bold reverse")
        t.append(f" t={view.now / 1e6:.3f}s ", style="bold")
        label, style = STATES.get(clock.state, (clock.state, "bold"))
        t.append(f" {label} ", style=style)
        if clock.state in ("playing", "paused", "working"):
            t.append(f"{format_speed(clock.speed)} ", style="bold")
        if clock.detail:
            t.append(f"{clock.detail} ", style=style.replace("bold ", ""))
        t.append("│ ", style="dim")
        if clock.state not in ("live", "stale"):
            t.append(f"seed {cfg.seed} ")
        t.append(f"N{cfg.n} R{cfg.r} W{cfg.w} {cfg.versioning} ")
        names = view.node_names()
        down = sum(1 for n in names if not view.is_up(n))
        t.append(plural(len(names), "node") + (f" ({down} down)" if down else "") + " ",
                 style="bold red" if down else "")
        if frame.workload is not None:
            t.append("│ ", style="dim")
            t.append("workload " + ("on " if frame.workload else "off "),
                     style="green" if frame.workload else "dim")
        if frame.endpoint is not None:
            t.append("│ ", style="dim")
            t.append(frame.endpoint + " ", style="bold cyan")
        if frame.key is not None:
            t.append("│ key ", style="dim")
            t.append(show_key(frame.key) + " ", style="bold")
        if frame.node is not None:
            t.append("│ node ", style="dim")
            t.append(frame.node + " ", style="bold")
        return t

    def plain(self) -> str:
        return self._text.plain

    def render(self) -> Text:
        return self._text
