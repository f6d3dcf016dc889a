r"""The small drawing kit the text panels share: a panel lays its picture out as lines
of ``(text, role)`` runs (a ``Canvas`` helps place text on a grid), and ``LinesView``
draws them with Textual's Line API, a role being a component class of the widget. The
space-time diagram, the version histories, the Merkle diff and the gossip panel are
``LinesView``\s.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.reactive import var
from textual.scroll_view import ScrollView
from textual.strip import Strip

from dynviz.core.units import SECOND

if TYPE_CHECKING:
    pass

Run = tuple[str, str]
"""``(text, role)``: text drawn in the style of the widget's ``<prefix>--<role>`` component
class (``""``: the widget's own style)."""
Line = tuple[Run, ...]



def fmt_time(us: int, digits: int = 3) -> str:
    """Virtual time (µs) as seconds: ``3.204s``."""
    return f"{us / SECOND:.{digits}f}s"


def printable(data: bytes | str | None, limit: int = 24) -> str:
    """User data (keys, values) made safe for a cell grid: one cell per character,
    control and wide characters replaced by ``·``, cut to ``limit`` cells with ``…``."""
    if data is None:
        return ""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    out = "".join(ch if ch.isprintable() and cell_len(ch) == 1 else "·" for ch in text)
    return out if len(out) <= limit else out[: max(limit - 1, 0)] + "…"


def new_since(buffer: Any, last: object) -> list[Any] | None:
    """Events appended to a tape buffer after ``last`` (all of them when ``last`` is None;
    None when ``last`` is no longer there: it fell off the bounded tape, or the tape was
    cleared). Reads from the end back, so a frame costs what is new, not the tape."""
    if last is None:
        return list(buffer)
    fresh: list[Any] = []
    for event in reversed(buffer):
        if event is last:
            fresh.reverse()
            return fresh
        fresh.append(event)
    return None


def line_text(line: Line) -> str:
    return "".join(text for text, _ in line)


# -- drawing on a grid -------------------------------------------------------------------

UP, RIGHT, DOWN, LEFT = 1, 2, 4, 8
_JOINS = {
    0: " ", UP: "│", DOWN: "│", UP | DOWN: "│", LEFT: "─", RIGHT: "─", LEFT | RIGHT: "─",
    RIGHT | DOWN: "╭", LEFT | DOWN: "╮", UP | RIGHT: "╰", UP | LEFT: "╯",
    UP | RIGHT | DOWN: "├", UP | LEFT | DOWN: "┤", LEFT | RIGHT | DOWN: "┬",
    UP | LEFT | RIGHT: "┴", UP | RIGHT | DOWN | LEFT: "┼",
}


class Canvas:
    """A grid to draw boxes, connectors and text on, read back as lines of runs.

    Line cells remember which directions they connect (a bit mask), so lines that meet
    or cross get the right junction glyph whatever order they were drawn in; text drawn
    on a cell replaces its line.
    """

    __slots__ = ("_text", "_lines")

    def __init__(self) -> None:
        self._text: dict[tuple[int, int], tuple[str, str]] = {}
        self._lines: dict[tuple[int, int], tuple[int, str]] = {}

    def text(self, x: int, y: int, text: str, role: str = "") -> None:
        for i, ch in enumerate(text):
            self._text[(x + i, y)] = (ch, role)

    def join(self, x: int, y: int, mask: int, role: str = "") -> None:
        old, _ = self._lines.get((x, y), (0, role))
        self._lines[(x, y)] = (old | mask, role)

    def hline(self, x0: int, x1: int, y: int, role: str = "") -> None:
        """A horizontal line between two cells (inclusive), joined at its ends."""
        lo, hi = min(x0, x1), max(x0, x1)
        for x in range(lo, hi + 1):
            self.join(x, y, (LEFT if x > lo else 0) | (RIGHT if x < hi else 0), role)

    def vline(self, x: int, y0: int, y1: int, role: str = "") -> None:
        lo, hi = min(y0, y1), max(y0, y1)
        for y in range(lo, hi + 1):
            self.join(x, y, (UP if y > lo else 0) | (DOWN if y < hi else 0), role)

    def box(self, x: int, y: int, width: int, height: int, role: str = "") -> None:
        """A rounded box whose outer corners are (x, y) and (x+width-1, y+height-1)."""
        right, bottom = x + width - 1, y + height - 1
        self.hline(x, right, y, role)
        self.hline(x, right, bottom, role)
        self.vline(x, y, bottom, role)
        self.vline(right, y, bottom, role)

    def line(self, y: int = 0) -> Line:
        """Row ``y`` alone (empty when nothing was drawn there)."""
        found = self.lines()
        return found[y] if y < len(found) else ()

    def lines(self) -> list[Line]:
        cells: dict[tuple[int, int], tuple[str, str]] = {
            pos: (_JOINS[mask], role) for pos, (mask, role) in self._lines.items()
        }
        cells.update(self._text)
        if not cells:
            return []
        height = max(y for _, y in cells) + 1
        rows: list[dict[int, tuple[str, str]]] = [{} for _ in range(height)]
        for (x, y), cell in cells.items():
            rows[y][x] = cell
        out: list[Line] = []
        for row in rows:
            runs: list[list[str]] = []
            for x in range(max(row, default=-1) + 1):
                ch, role = row.get(x, (" ", ""))
                if runs and runs[-1][1] == role:
                    runs[-1][0] += ch
                else:
                    runs.append([ch, role])
            out.append(tuple((text, role) for text, role in runs))
        return out


# -- a scrollable view of runs, drawn with the Line API -------------------------------------


class LinesView(ScrollView, can_focus=True):
    """A panel whose picture is lines of ``(text, role)`` runs, drawn line by line.

    Subclasses build their lines in ``refresh_view`` (the app calls it every frame),
    skipping the work when their inputs did not change, and hand them to
    ``set_lines``. Strips are cached per line until the lines or the styles change.
    An optional header line stays put when scrolling down.
    """

    DEFAULT_CSS = """
    LinesView {
        height: 1fr;
        background: $surface;
        scrollbar-size-vertical: 1;
    }
    """

    ROLE_PREFIX = "lines"
    FOLLOWS = False
    """Whether the view is a timeline that can follow its newest line (see ``follow``)."""
    follow: var[bool] = var(False)
    """Keep the newest (last) line in view as lines are added; scrolling up clears it,
    scrolling back to the end sets it again (only in views that ``FOLLOWS``)."""

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None, disabled: bool = False) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._lines: Sequence[Line] = ()
        self._header: Line | None = None
        self._strips: dict[int, Strip] = {}
        self._roles: dict[str, Style] = {}
        self._signature: object = None

    # -- content -------------------------------------------------------------------------

    def set_lines(self, lines: Sequence[Line], header: Line | None = None, width: int | None = None) -> None:
        """Replace the picture (and the fixed header line, if any)."""
        self._lines = lines
        self._header = header
        self._strips.clear()
        self._resize(width)

    def _resize(self, width: int | None = None) -> None:
        if width is None:
            width = max((sum(cell_len(t) for t, _ in line) for line in self._lines), default=0)
            if self._header is not None:
                width = max(width, sum(cell_len(t) for t, _ in self._header))
        self.virtual_size = Size(width, self.line_count() + (self._header is not None))
        if self.follow and self.is_mounted:
            self.scroll_end(animate=False, x_axis=False)  # after layout: max_scroll_y is known then
        self.refresh()

    def line_count(self) -> int:
        return len(self._lines)

    def line_at(self, index: int) -> Line:
        """Line ``index`` of the picture (subclasses may build lines on demand)."""
        return self._lines[index]

    def plain_lines(self) -> list[str]:
        """The whole picture as text (header first), for tests and copy-out."""
        head = [line_text(self._header)] if self._header is not None else []
        return head + [line_text(self.line_at(i)) for i in range(self.line_count())]

    # -- drawing -------------------------------------------------------------------------

    def _role_style(self, role: str) -> Style:
        style = self._roles.get(role)
        if style is None:
            style = (self.get_component_rich_style(f"{self.ROLE_PREFIX}--{role}",
                                                   default=Style.null())
                     if role else Style.null())
            self._roles[role] = style
        return style

    def _strip(self, line: Line, base: Style) -> Strip:
        return Strip([Segment(text, base + self._role_style(role)) for text, role in line if text])

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self.rich_style
        if self._header is not None:
            if y == 0:
                return self._strip(self._header, base).crop_extend(scroll_x, scroll_x + width, base)
            y -= 1
        index = scroll_y + y
        if index >= self.line_count():
            return Strip.blank(width, base)
        return self._line_strip(index, base).crop_extend(scroll_x, scroll_x + width, base)

    def _line_strip(self, index: int, base: Style) -> Strip:
        """The uncropped strip of line ``index``, cached until the lines change."""
        strip = self._strips.get(index)
        if strip is None:
            strip = self._strips[index] = self._strip(self.line_at(index), base)
        return strip

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._roles.clear()
        self._strips.clear()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if not self.FOLLOWS:
            return
        if new_value < old_value and new_value < self.max_scroll_y:  # not a clamp to a new end
            self.follow = False
        elif new_value >= self.max_scroll_y - 1 and new_value > old_value:
            self.follow = True

    def watch_follow(self, follow: bool) -> None:
        self._follow_changed(follow)

    def _follow_changed(self, follow: bool) -> None:
        """Hook for subclasses to show whether they follow the newest line."""

    def action_scroll_end(self) -> None:
        if not self.FOLLOWS:
            super().action_scroll_end()
            return
        # Lines keep coming while an animated scroll runs: jump, and follow from now on.
        self.follow = True
        self.scroll_end(animate=False, x_axis=False)

    def action_toggle_follow(self) -> None:
        self.follow = not self.follow and self.FOLLOWS
        if self.follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    # -- the app's state -----------------------------------------------------------------

    def unchanged(self, *inputs: Any) -> bool:
        """True when ``inputs`` equal those of the last call (then skip the rebuild).
        Inputs are compared by identity first, so pass the objects themselves."""
        if inputs == self._signature:
            return True
        self._signature = inputs
        return False


