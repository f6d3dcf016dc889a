"""A :class:`~dynviz.metrics.figure.Figure` drawn with textual-plot's ``PlotWidget``.

One drawing routine for the Metrics screen and for the SVG files ``--plot DIR`` writes
(:mod:`dynviz.tui.plotfile`), so a saved plot is the plot the app shows. textual-plot
is a maintained plotting widget for Textual (line, scatter and bar plots in braille
or block characters, with axes, ticks and a legend); dynviz only maps its figures on.
"""

from __future__ import annotations

from textual.widget import Widget
from textual.widgets import Static
from textual_plot import HiResMode, PlotWidget
from textual_plot.axis_formatter import CategoricalAxisFormatter, NumericAxisFormatter
from textual_plot.plot_widget import LegendLocation

from dynviz.metrics.figure import Figure

PALETTE: tuple[str, ...] = ("#5fafff", "#ffaf00", "#ff5f87", "#87d75f", "#d787ff", "#5fd7d7", "#ffd75f", "#d7875f")
"""Series colours in order (readable on dark and light themes)."""


LEGEND_AT = {"top-left": LegendLocation.TOPLEFT, "top-right": LegendLocation.TOPRIGHT,
             "bottom-left": LegendLocation.BOTTOMLEFT, "bottom-right": LegendLocation.BOTTOMRIGHT}


Y_LABEL_FITS = 16
"""Characters of a y-axis label the plot's left margin shows whole; a longer one goes
into the figure's title line (the widget would cut it at the screen's edge)."""


def draw(plot: PlotWidget, figure: Figure, legend: bool = True) -> None:
    """Replace what ``plot`` shows with ``figure``."""
    plot.clear()
    bars = [s for s in figure.series if s.kind == "bar"]
    width = 0.8 / max(1, len(bars))
    for i, series in enumerate(figure.series):
        style = series.style or PALETTE[i % len(PALETTE)]
        if not series.x:
            continue
        if series.kind == "bar":  # side by side: the k-th of m bar series shifted within its slot
            # (zero-height bars are left out: the widget would still fill their bottom cell)
            shift = (bars.index(series) - (len(bars) - 1) / 2) * width
            shown = [(x + shift, y) for x, y in zip(series.x, series.y, strict=True) if y]
            plot.bar([x for x, _ in shown], [y for _, y in shown], bar_style=style, label=series.label,
                     width=width * 0.9, hires_mode=HiResMode.QUADRANT)
        elif series.kind == "scatter":
            plot.scatter(list(series.x), list(series.y), marker_style=style, hires_mode=HiResMode.BRAILLE,
                         label=series.label)
        else:
            plot.plot(list(series.x), list(series.y), line_style=style, hires_mode=HiResMode.BRAILLE,
                      label=series.label)
    plot.set_xlabel(figure.x_label)
    plot.set_ylabel(figure.y_label if len(figure.y_label) <= Y_LABEL_FITS else "")  # else in the title
    x_min, x_max, y_min = figure.x_min, figure.x_max, figure.y_min
    if figure.categories:  # whole bars at both ends
        x_min = 0.5 if x_min is None else x_min
        x_max = len(figure.categories) + 0.5 if x_max is None else x_max
    if bars and y_min is None:
        y_min = 0.0
    plot.set_xlimits(x_min, x_max)
    plot.set_ylimits(y_min, figure.y_max)
    if figure.categories:
        plot.set_x_formatter(CategoricalAxisFormatter(list(figure.categories)))
        plot.set_xticks([float(i) for i in range(1, len(figure.categories) + 1)])
    else:
        plot.set_x_formatter(NumericAxisFormatter())
        plot.set_xticks(None)
    where = figure.legend or ("top-right" if bars else "bottom-right")
    plot.show_legend(LEGEND_AT[where], is_visible=legend and any(s.label for s in figure.series))


class FigureView(Widget):
    """A figure with its title above and its note below: the unit the Metrics screen
    stacks and the SVG writer photographs."""

    DEFAULT_CSS = """
    FigureView { height: 1fr; layout: vertical; }
    FigureView > .figure--title { height: 1; text-style: bold; padding: 0 1; }
    FigureView > .figure--note { height: auto; color: $text-muted; padding: 0 1; }
    FigureView > .figure--empty { height: 1fr; content-align: center middle; color: $text-muted; }
    FigureView > PlotWidget { height: 1fr; }
    """

    def __init__(self, figure: Figure | None = None, *, id: str | None = None, empty: str = "no data yet") -> None:
        super().__init__(id=id)
        self.figure = figure
        self.empty_text = empty

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static("", classes="figure--title")
        yield Static(self.empty_text, classes="figure--empty")
        yield PlotWidget(allow_pan_and_zoom=False)
        yield Static("", classes="figure--note")

    def on_mount(self) -> None:
        if self.figure is not None:  # after the plot's own mount, which clears it
            self.call_after_refresh(self.show, self.figure)

    def show(self, figure: Figure) -> None:
        """Draw ``figure`` (the title, the plot or a 'no data' line, the note)."""
        self.figure = figure
        if not self.is_mounted:
            return
        y_label = f"  ({figure.y_label} ↑)" if len(figure.y_label) > Y_LABEL_FITS else ""
        self.query_one(".figure--title", Static).update(figure.title + y_label)
        note = self.query_one(".figure--note", Static)
        note.update(figure.note)
        note.display = bool(figure.note)
        plot = self.query_one(PlotWidget)
        empty = self.query_one(".figure--empty", Static)
        empty.display = figure.empty
        plot.display = not figure.empty
        if not figure.empty:
            draw(plot, figure)
