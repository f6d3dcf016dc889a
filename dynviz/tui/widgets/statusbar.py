"""The status line at the top: virtual time, play state, speed, seed, N/R/W, selection."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widget import Widget

if TYPE_CHECKING:
    from dynviz.cluster import Cluster


def format_speed(speed: float) -> str:
    return f"x{speed:g}"


class StatusBar(Widget):
    """One line of facts about the running simulation."""

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
        self._key: tuple | None = None
        self._text = Text()

    def refresh_view(self) -> None:
        app = self.app
        cluster: Cluster = app.cluster  # type: ignore[attr-defined]
        key = (cluster.now, app.playing, app.speed, app.selected_key, app.selected_node,  # type: ignore[attr-defined]
               app.workload.enabled, id(cluster), len(cluster.nodes), self.size.width)  # type: ignore[attr-defined]
        if key == self._key:
            return
        self._key = key
        self._text = self.build(cluster)
        self.refresh()

    def build(self, cluster: Cluster) -> Text:
        app = self.app
        cfg = cluster.config
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append(" dynviz ", style="bold reverse")
        t.append(f" t={cluster.now / 1e6:.3f}s ", style="bold")
        if app.playing:  # type: ignore[attr-defined]
            t.append(" ● playing ", style="bold green")
        else:
            t.append(" ▮▮ paused ", style="bold yellow")
        t.append(f"{format_speed(app.speed)} ", style="bold")  # type: ignore[attr-defined]
        t.append("│ ", style="dim")
        t.append(f"seed {cfg.seed} ")
        t.append(f"N{cfg.n} R{cfg.r} W{cfg.w} {cfg.versioning} ")
        down = len(cluster.network.down)
        t.append(f"{len(cluster.nodes)} nodes" + (f" ({down} down)" if down else "") + " ")
        t.append("│ ", style="dim")
        t.append("workload " + ("on " if app.workload.enabled else "off "),  # type: ignore[attr-defined]
                 style="green" if app.workload.enabled else "dim")  # type: ignore[attr-defined]
        key = app.selected_key  # type: ignore[attr-defined]
        if key is not None:
            t.append("│ key ", style="dim")
            t.append(key.decode("utf-8", errors="backslashreplace") + " ", style="bold")
        node = app.selected_node  # type: ignore[attr-defined]
        if node is not None:
            t.append("│ node ", style="dim")
            t.append(node + " ", style="bold")
        return t

    def render(self) -> Text:
        return self._text
