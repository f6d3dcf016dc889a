"""The ring: vnodes coloured by owner, node status, the selected key, messages moving.

Drawn on a braille canvas (``canvas.py``). The band of vnodes depends only on the ring
and the widget's size, so it is drawn once and copied each frame; nodes, the selected
key and the messages in flight are laid over the copy. Nodes sit at even angles just
outside the band (a node owns many scattered vnodes, so its label cannot sit on "its"
arc); a message is a bright dot travelling the chord between its two nodes' anchors,
placed by interpolating ``cluster.now`` between its send and arrival times. Clients sit
at the centre. The widget uses the Line API: ``render_line`` returns cached strips.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.style import Style
from textual.events import Click
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from dynviz.core.hashing import RING_SIZE, as_key, token_of
from dynviz.tui.widgets.canvas import BrailleCanvas

if TYPE_CHECKING:
    from dynviz.cluster import Cluster

NODE_COLOURS = (
    "#e06c75", "#61afef", "#98c379", "#e5c07b", "#c678dd", "#56b6c2", "#d19a66", "#be5046",
    "#7f9cf5", "#f687b3", "#68d391", "#f6ad55", "#b794f4", "#4fd1c5", "#fc8181", "#a0aec0",
)


def node_colour(index: int) -> str:
    return NODE_COLOURS[index % len(NODE_COLOURS)]


def token_angle(token: int) -> float:
    """Angle of a token (radians clockwise from 12 o'clock)."""
    return math.tau * token / RING_SIZE


class RingView(Widget, can_focus=True):
    """The consistent-hashing ring of the running cluster, drawn live."""

    DEFAULT_CSS = """
    RingView {
        height: 1fr;
        width: 1fr;
        min-height: 8;
        background: $surface;
    }
    """
    COMPONENT_CLASSES = {"ringview--label", "ringview--down", "ringview--suspect", "ringview--up",
                         "ringview--key", "ringview--message", "ringview--dim"}

    class NodeClicked(Message):
        """The user clicked a node's label."""

        def __init__(self, node: str) -> None:
            super().__init__()
            self.node = node

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._strips: list[Strip] = []
        self._base: BrailleCanvas | None = None
        self._base_key: tuple | None = None
        self._frame_key: tuple | None = None
        self._labels: list[tuple[int, int, int, str]] = []  # (row, x0, x1, node)
        self._styles: dict[str, Style] = {}

    # -- contract with the app -------------------------------------------------------

    def refresh_view(self) -> None:
        app = self.app
        cluster: Cluster = app.cluster  # type: ignore[attr-defined]
        flights = cluster.network.in_flight
        key = (
            id(cluster), cluster.ring, self.size, app.tape.version,  # type: ignore[attr-defined]
            cluster.now if flights else -1, app.selected_key, app.selected_node,  # type: ignore[attr-defined]
            self._table_key(app, cluster),
        )
        if key == self._frame_key:
            return
        self._frame_key = key
        self._draw(cluster)
        self.refresh()

    def _table_key(self, app: object, cluster: Cluster) -> tuple | None:
        """(table, its version): the selected table whose partitions are marked."""
        name = getattr(app, "selected_table", None)
        desk = getattr(cluster, "table_desk", None)
        if name is None or desk is None or name not in desk.engine.tables:
            return None
        return name, desk.engine.tables[name].version, len(desk.engine.tables[name].partitions)

    def table_tokens(self, cluster: Cluster) -> tuple[str, list[int]] | None:
        """The selected table and the ring tokens of its item collections (placement)."""
        key = self._table_key(self.app, cluster)
        if key is None:
            return None
        desk = cluster.table_desk  # type: ignore[attr-defined]
        return key[0], [int(p.token, 16) for p in desk.placement(key[0])]

    def plain_lines(self) -> list[str]:
        """The drawing as text (tests, captions)."""
        return [strip.text for strip in self._strips]

    def render_line(self, y: int) -> Strip:
        if y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width)

    def on_resize(self) -> None:
        self._frame_key = None
        if self.is_attached:
            self.refresh_view()

    def on_click(self, event: Click) -> None:
        for row, x0, x1, node in self._labels:
            if event.y == row and x0 <= event.x < x1:
                self.post_message(self.NodeClicked(node))
                event.stop()
                return

    # -- drawing -----------------------------------------------------------------------

    def _style(self, colour: str, bold: bool = False, dim: bool = False, reverse: bool = False) -> Style:
        name = f"{colour}|{bold}|{dim}|{reverse}"
        found = self._styles.get(name)
        if found is None:
            found = self._styles[name] = Style(color=colour, bold=bold, dim=dim, reverse=reverse)
        return found

    def _geometry(self) -> tuple[float, float, float]:
        w, h = self.size.width, self.size.height
        cx, cy = w, h * 2  # centre in dots
        label_margin = 14 if w >= 40 else 10
        radius = min((w * 2 - label_margin * 2) / 2, (h * 4 - 10) / 2)
        return cx, cy, max(radius, 4.0)

    def _draw(self, cluster: Cluster) -> None:
        w, h = self.size.width, self.size.height
        if w <= 0 or h <= 0:
            self._strips = []
            return
        ring = cluster.ring
        names = list(cluster.nodes)
        colour = {n: node_colour(i) for i, n in enumerate(names)}
        cx, cy, radius = self._geometry()
        base_key = (ring, w, h, tuple(names))
        if self._base is None or self._base_key != base_key:
            base = BrailleCanvas(w, h)
            tokens, owners = ring.tokens, ring.owners
            for i in range(len(tokens)):
                start = token_angle(tokens[i - 1])
                end = token_angle(tokens[i])
                style = self._style(colour.get(owners[i], "white"))
                for dr in (0.0, 1.0, 2.0, 3.0):
                    base.arc(cx, cy, radius - dr, start + 0.6 / max(radius, 1), end, style, layer=1)
            self._base, self._base_key = base, base_key
        canvas = self._base.copy()

        app = self.app
        selected_key: bytes | None = app.selected_key  # type: ignore[attr-defined]
        selected_node: str | None = app.selected_node  # type: ignore[attr-defined]
        views = {v.name: v for v in cluster.node_views()}
        suspected: set[str] = set()
        for v in views.values():
            if v.up:
                suspected.update(v.suspects)
        replicas: tuple[str, ...] = ()
        if selected_key is not None:
            key = as_key(selected_key)
            replicas = ring.preference_list(key, cluster.config.n)
            angle = token_angle(token_of(key))
            rng_index = ring.range_index(token_of(key))
            lo = token_angle(ring.tokens[rng_index - 1])
            hi = token_angle(ring.tokens[rng_index])
            canvas.arc(cx, cy, radius + 2, lo, hi, self._style("white", bold=True), layer=2)
            kx = cx + (radius - 6) * math.sin(angle)
            ky = cy - (radius - 6) * math.cos(angle)
            canvas.write(int(kx / 2), int(ky / 4), "◆", self._style("bright_white", bold=True))

        # The selected table's partitions (item collections): a mark at each one's token.
        marked = self.table_tokens(cluster)
        if marked is not None:
            mark = self._style("bright_yellow", bold=True)
            for tok in marked[1]:
                a = token_angle(tok)
                canvas.write(int((cx + (radius - 3) * math.sin(a)) / 2), int((cy - (radius - 3) * math.cos(a)) / 4),
                             "▲", mark)

        count = max(1, len(names))
        inner = max(radius - 9, 1.0)
        anchors: dict[str, tuple[float, float]] = {}
        for i, name in enumerate(names):
            a = math.tau * i / count
            anchors[name] = (cx + inner * math.sin(a), cy - inner * math.cos(a))
            ax, ay = anchors[name]
            up = views[name].up if name in views else True
            style = self._style(colour[name], bold=True, dim=not up)
            for dx in (-0.5, 0.5):
                for dy in (-0.5, 0.5):
                    canvas.dot(ax + dx, ay + dy, style, layer=3)

        # Messages in flight: a dim chord and a bright head.
        now = cluster.now
        dim = self._style("grey50", dim=True)
        for flight in cluster.network.in_flight.values():
            src, dst, msg, sent, arrives = flight
            p0 = anchors.get(src, (cx, cy))
            p1 = anchors.get(dst, (cx, cy))
            span = max(1, arrives - sent)
            t = min(1.0, max(0.0, (now - sent) / span))
            canvas.line(p0[0], p0[1], p1[0], p1[1], dim, layer=1)
            hx, hy = p0[0] + (p1[0] - p0[0]) * t, p0[1] + (p1[1] - p0[1]) * t
            head = self._style(colour.get(src, "bright_white"), bold=True)
            for dx in (-0.5, 0.5):
                for dy in (-0.5, 0.5):
                    canvas.dot(hx + dx, hy + dy, head, layer=4)

        # Labels outside the band.
        self._labels = []
        groups = {v.name: v.group for v in views.values()}
        show_groups = any(g is not None for g in groups.values())
        for i, name in enumerate(names):
            a = math.tau * i / count
            lx = cx + (radius + 5) * math.sin(a)
            ly = cy - (radius + 4) * math.cos(a)
            view = views.get(name)
            if view is not None and not view.up:
                glyph, gstyle = "○", self._style("red", bold=True)
            elif name in suspected:
                glyph, gstyle = "●", self._style("yellow", bold=True)
            else:
                glyph, gstyle = "●", self._style("green", bold=True)
            rank = f"{replicas.index(name) + 1}:" if name in replicas else ""
            group = groups.get(name)
            suffix = chr(ord("A") + group) if show_groups and group is not None and group < 26 else ""
            label = f"{rank}{name}"
            text = f"{label}{glyph}{suffix}"
            col, row = int(lx / 2), int(ly / 4)
            s = math.sin(a)
            if s > 0.3:
                x0 = col
            elif s < -0.3:
                x0 = col - len(text) + 1
            else:
                x0 = col - len(text) // 2
            x0 = max(0, min(w - len(text), x0))
            row = max(0, min(h - 1, row))
            emphasis = name in replicas or name == selected_node
            lstyle = self._style(colour[name], bold=True, reverse=name == selected_node,
                                 dim=view is not None and not view.up and not emphasis)
            if name in replicas and name != selected_node:
                lstyle = lstyle + Style(underline=True)
            canvas.write(x0, row, label, lstyle)
            canvas.write(x0 + len(label), row, glyph, gstyle)
            if suffix:
                canvas.write(x0 + len(label) + 1, row, suffix, self._style("bright_white", bold=True))
            self._labels.append((row, x0, x0 + len(text), name))

        # Legend, when there is room for it.
        if h >= 10 and w >= 30:
            legend = "● up ● suspect ○ down ◆ key"
            canvas.write(0, h - 1, legend[: w], self._style("grey62"))
            canvas.write(0, h - 1, "●", self._style("green", bold=True))
            canvas.write(5, h - 1, "●", self._style("yellow", bold=True))
            canvas.write(15, h - 1, "○", self._style("red", bold=True))
            flying = len(cluster.network.in_flight)
            info = f"{len(ring)} vnodes  {flying} msg"
            if marked is not None:
                info = f"▲ {marked[0]}: {len(marked[1])} partitions  " + info
            if w - len(info) > len(legend) + 1:
                canvas.write(w - len(info), h - 1, info, self._style("grey62"))
        base_style = self.rich_style
        self._strips = canvas.strips(base_style)
