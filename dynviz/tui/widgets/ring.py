"""The ring: vnodes coloured by owner, node status, the selected key, messages moving.

Drawn on a braille canvas (``canvas.py``). The band of vnodes depends only on the ring
and the widget's size, so it is drawn once and copied each frame; nodes, the selected
key and the messages in flight are laid over the copy. Nodes sit at even angles just
outside the band (a node owns many scattered vnodes, so its label cannot sit on "its"
arc); a message is a bright dot travelling the chord between its two nodes' anchors,
placed by interpolating ``now`` between its send and arrival times. Clients sit at the
centre. The widget uses the Line API: ``render_line`` returns cached strips.

Keyboard: with the ring focused (it is when the app starts), ← and → select the previous
and next node round the ring, ↑ and ↓ the previous and next known key; the app receives
these as messages, like a click on a node's label.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from rich.style import Style
from textual.binding import Binding
from textual.events import Click
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from dynviz.core.hashing import RING_SIZE, as_key, token_of
from dynviz.tui.view import chosen_message
from dynviz.tui.widgets.canvas import BrailleCanvas
from dynviz.tui.widgets.network import NetworkPanel
from dynviz.wording import plural

if TYPE_CHECKING:
    from dynviz.sim.choices import PendingMessage
    from dynviz.tui.view import ClusterView, Frame

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

    BINDINGS = [
        Binding("left", "cycle_node(-1)", "Previous node", show=False),
        Binding("right", "cycle_node(1)", "Next node", show=False),
        Binding("up", "cycle_key(-1)", "Previous key", show=False),
        Binding("down", "cycle_key(1)", "Next key", show=False),
        Binding("c", "cycle_choice(1)", "Next message", show=False,
                tooltip="Point at the next pending message (drawn bright); d x u y act on it"),
        Binding("d", "choose('deliver')", "Deliver", show=False),
        Binding("x", "choose('drop')", "Drop", show=False),
        Binding("u", "choose('duplicate')", "Duplicate", show=False),
        Binding("y", "choose('delay')", "Delay", show=False),
    ]

    class NodeClicked(Message):
        """The user picked a node (its label clicked, or ← → on the ring)."""

        def __init__(self, node: str) -> None:
            super().__init__()
            self.node = node

    class NodeCycled(Message):
        """The user asked for the previous (-1) or next (1) node round the ring (← →).
        The app owns the selection, so it picks the node: keys pressed faster than the
        frames still move one node each."""

        def __init__(self, delta: int) -> None:
            super().__init__()
            self.delta = delta

    class KeyCycled(Message):
        """The user asked for the previous (-1) or next (1) key (↑ ↓ on the ring)."""

        def __init__(self, delta: int) -> None:
            super().__init__()
            self.delta = delta

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._strips: list[Strip] = []
        self._base: BrailleCanvas | None = None
        self._base_key: tuple[object, ...] | None = None
        self._frame_key: tuple[object, ...] | None = None
        self._frame: Frame | None = None
        self._labels: list[tuple[int, int, int, str]] = []  # (row, x0, x1, node)
        self._styles: dict[str, Style] = {}

    # -- contract with the app -------------------------------------------------------

    def refresh_view(self, frame: Frame) -> None:
        self._frame = frame
        view = frame.view
        flights = view.flights()
        key = (
            id(view), view.ring, self.size, frame.tape.version,
            view.now if flights else -1, frame.key, frame.node, self._table_key(frame), self._chosen(frame),
        )
        if key == self._frame_key:
            return
        self._frame_key = key
        self._draw(frame, flights)
        self.refresh()

    @staticmethod
    def _chosen(frame: Frame) -> PendingMessage | None:
        return chosen_message(frame)

    @staticmethod
    def _table_key(frame: Frame) -> tuple[object, ...] | None:
        """(table, its version): the selected table whose partitions are marked."""
        name = frame.table
        desk = frame.view.table_desk()
        layout = desk.layout(name) if name is not None and desk is not None else None
        return None if layout is None else (name, *layout)

    @staticmethod
    def table_tokens(frame: Frame) -> tuple[str, list[int]] | None:
        """The selected table and the ring tokens of its item collections (placement)."""
        key = RingView._table_key(frame)
        desk = frame.view.table_desk()
        if key is None or desk is None:
            return None
        name = str(key[0])
        return name, [int(p.token, 16) for p in desk.placement(name)]

    def action_cycle_node(self, delta: int) -> None:
        self.post_message(self.NodeCycled(delta))

    def action_cycle_key(self, delta: int) -> None:
        self.post_message(self.KeyCycled(delta))

    def action_cycle_choice(self, delta: int) -> None:
        """Point at the next pending message, as the Network panel's cursor does."""
        frame = self._frame
        ids = [m.id for m in frame.view.choices().messages] if frame is not None else []
        if not ids:
            self.notify("no message is pending (H holds them)", severity="warning")
            return
        at = ids.index(frame.choice) if frame is not None and frame.choice in ids else -1
        self.post_message(NetworkPanel.Pointed(ids[(at + delta) % len(ids)]))

    def action_choose(self, verb: str) -> None:
        """Deliver, drop, duplicate or delay the message the ring points at."""
        chosen = chosen_message(self._frame) if self._frame is not None else None
        if chosen is None:
            self.notify("point at a pending message first (c, or the Network panel)", severity="warning")
            return
        self.post_message(NetworkPanel.Chosen(f"{verb} {chosen.id}" + (" 300ms" if verb == "delay" else "")))

    def plain_lines(self) -> list[str]:
        """The drawing as text (tests, captions)."""
        return [strip.text for strip in self._strips]

    def render_line(self, y: int) -> Strip:
        if y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width)

    def on_resize(self) -> None:
        self._frame_key = None
        if self.is_attached and self._frame is not None:
            self.refresh_view(self._frame)

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

    def _draw(self, frame: Frame, flights: list[Any]) -> None:
        view: ClusterView = frame.view
        w, h = self.size.width, self.size.height
        if w <= 0 or h <= 0:
            self._strips = []
            return
        ring = view.ring
        names = list(view.node_names())
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

        selected_key = frame.key
        selected_node = frame.node
        views = {v.name: v for v in view.node_views()}
        suspected: set[str] = set()
        for v in views.values():
            if v.up:
                suspected.update(v.suspects)
        replicas: tuple[str, ...] = ()
        if selected_key is not None:
            key = as_key(selected_key)
            replicas = ring.preference_list(key, view.config.n)
            angle = token_angle(token_of(key))
            rng_index = ring.range_index(token_of(key))
            lo = token_angle(ring.tokens[rng_index - 1])
            hi = token_angle(ring.tokens[rng_index])
            canvas.arc(cx, cy, radius + 2, lo, hi, self._style("white", bold=True), layer=2)
            kx = cx + (radius - 6) * math.sin(angle)
            ky = cy - (radius - 6) * math.cos(angle)
            canvas.write(int(kx / 2), int(ky / 4), "◆", self._style("bright_white", bold=True))

        # The selected table's partitions (item collections): a mark at each one's token.
        marked = self.table_tokens(frame)
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
        now = view.now
        dim = self._style("grey50", dim=True)
        for flight in flights:
            src, dst, sent, arrives = flight.src, flight.dst, flight.sent, flight.arrives
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

        # The message under the Network panel's cursor: a bright chord, its head at the
        # sender while it is held, else where it has got to on the wire.
        chosen = self._chosen(frame)
        if chosen is not None:
            p0 = anchors.get(chosen.src, (cx, cy))
            p1 = anchors.get(chosen.dst, (cx, cy))
            bright = self._style("bright_yellow", bold=True)
            canvas.line(p0[0], p0[1], p1[0], p1[1], bright, layer=2)
            t = 0.0 if chosen.held else min(1.0, max(0.0, (now - chosen.sent) / max(1, chosen.due - chosen.sent)))
            hx, hy = p0[0] + (p1[0] - p0[0]) * t, p0[1] + (p1[1] - p0[1]) * t
            for dx in (-1.0, -0.5, 0.5, 1.0):
                for dy in (-0.5, 0.5):
                    canvas.dot(hx + dx, hy + dy, bright, layer=5)

        # Labels outside the band.
        self._labels = []
        groups = {v.name: v.group for v in views.values()}
        show_groups = any(g is not None for g in groups.values())
        for i, name in enumerate(names):
            a = math.tau * i / count
            lx = cx + (radius + 5) * math.sin(a)
            ly = cy - (radius + 4) * math.cos(a)
            node_view = views.get(name)
            if node_view is not None and not node_view.up:
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
                                 dim=node_view is not None and not node_view.up and not emphasis)
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
            flying = len(flights)
            info = plural(len(ring), "vnode") + (f"  {flying} msg" if view.observes_messages() else "")
            if marked is not None:
                count = len(marked[1])
                info = f"▲ {marked[0]}: {count} partition{'s' * (count != 1)}  " + info
            if w - len(info) > len(legend) + 1:
                canvas.write(w - len(info), h - 1, info, self._style("grey62"))
        base_style = self.rich_style
        self._strips = canvas.strips(base_style)
