"""A small braille canvas: 2x4 dots per terminal cell, one colour per cell.

Terminal cells are about twice as tall as they are wide, so a braille dot is square:
a circle of radius ``r`` dots looks round. Each cell keeps one style (the last one
drawn wins, unless a lower ``layer`` tries to overwrite a higher one), and text can be
laid over cells (labels). ``strips()`` turns the canvas into Textual ``Strip`` lines,
merging runs of one style into one segment, so the ring can use the Line API.
"""

from __future__ import annotations

import math

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

# Bit of each dot (dx, dy) inside a cell, per the Unicode braille block.
_BITS = (
    (0x01, 0x02, 0x04, 0x40),
    (0x08, 0x10, 0x20, 0x80),
)
_BRAILLE = 0x2800


class BrailleCanvas:
    """A grid of ``width`` x ``height`` cells, addressed in dots (``2w`` x ``4h``)."""

    __slots__ = ("width", "height", "bits", "styles", "layers", "text")

    def __init__(self, width: int, height: int) -> None:
        self.width = max(0, width)
        self.height = max(0, height)
        cells = self.width * self.height
        self.bits = bytearray(cells)
        self.styles: list[Style | None] = [None] * cells
        self.layers = bytearray(cells)
        self.text: dict[int, tuple[str, Style | None]] = {}

    @property
    def dot_width(self) -> int:
        return self.width * 2

    @property
    def dot_height(self) -> int:
        return self.height * 4

    def copy(self) -> BrailleCanvas:
        other = BrailleCanvas.__new__(BrailleCanvas)
        other.width, other.height = self.width, self.height
        other.bits = bytearray(self.bits)
        other.styles = list(self.styles)
        other.layers = bytearray(self.layers)
        other.text = dict(self.text)
        return other

    # -- drawing ---------------------------------------------------------------------

    def dot(self, x: float, y: float, style: Style | None = None, layer: int = 0) -> None:
        ix, iy = int(round(x)), int(round(y))
        if ix < 0 or iy < 0 or ix >= self.width * 2 or iy >= self.height * 4:
            return
        cell = (iy >> 2) * self.width + (ix >> 1)
        self.bits[cell] |= _BITS[ix & 1][iy & 3]
        if style is not None and layer >= self.layers[cell]:
            self.styles[cell] = style
            self.layers[cell] = layer

    def line(self, x0: float, y0: float, x1: float, y1: float, style: Style | None = None,
             layer: int = 0) -> None:
        steps = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
        for i in range(steps + 1):
            t = i / steps
            self.dot(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, style, layer)

    def arc(self, cx: float, cy: float, radius: float, start: float, end: float,
            style: Style | None = None, layer: int = 0) -> None:
        """Dots along the circle between angles ``start`` and ``end`` (radians,
        clockwise from 12 o'clock)."""
        span = end - start
        if span <= 0:
            span += math.tau
        steps = max(2, int(abs(span) * radius * 3) + 2)
        for i in range(steps + 1):
            a = start + span * i / steps
            self.dot(cx + radius * math.sin(a), cy - radius * math.cos(a), style, layer)

    def write(self, cx: int, cy: int, text: str, style: Style | None = None) -> None:
        """Lay ``text`` over cells starting at cell (cx, cy), clipped to the canvas."""
        if cy < 0 or cy >= self.height:
            return
        for i, ch in enumerate(text):
            x = cx + i
            if 0 <= x < self.width:
                self.text[cy * self.width + x] = (ch, style)

    # -- output ----------------------------------------------------------------------

    def strips(self, base: Style | None = None) -> list[Strip]:
        out: list[Strip] = []
        width = self.width
        bits, styles, text = self.bits, self.styles, self.text
        for row in range(self.height):
            segments: list[Segment] = []
            run: list[str] = []
            run_style: Style | None = None
            start = row * width
            for cell in range(start, start + width):
                over = text.get(cell)
                if over is not None:
                    ch, style = over
                else:
                    b = bits[cell]
                    ch = chr(_BRAILLE + b) if b else " "
                    style = styles[cell] if b else None
                if style is not run_style and run:
                    segments.append(Segment("".join(run), _combine(base, run_style)))
                    run = []
                run_style = style
                run.append(ch)
            if run:
                segments.append(Segment("".join(run), _combine(base, run_style)))
            out.append(Strip(segments, width))
        return out


def _combine(base: Style | None, style: Style | None) -> Style | None:
    if base is None:
        return style
    if style is None:
        return base
    return base + style
