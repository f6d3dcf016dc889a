"""Figures written as SVG files: the app's own plot widget, photographed headless.

``dynviz paper --plot DIR``, ``dynviz check --plot DIR``, ``dynviz explore --plot DIR``
and the Metrics screen's export all come here. Each figure is drawn by
:class:`~dynviz.tui.widgets.plot.FigureView` in a headless Textual app of a fixed size,
and the screen is saved with Textual's SVG export: the file shows exactly what the app
would, with no second plotting library to keep in step.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from textual.app import App, ComposeResult

from dynviz.metrics.figure import Figure
from dynviz.tui.widgets.plot import FigureView

SIZE = (100, 30)
"""Columns and rows of each plot's terminal: wide enough for braille curves to read."""


class _Photographer(App[None]):
    """Shows one figure at a time; :func:`save_figures` takes its pictures."""

    CSS = "Screen { background: $background; }"

    def compose(self) -> ComposeResult:
        yield from ()


class PlotFileError(Exception):
    """The directory cannot be written (the message says why)."""


def save_figures(figures: Sequence[Figure], directory: Path, size: tuple[int, int] = SIZE) -> list[Path]:
    """Write ``<figure.name>.svg`` into ``directory`` (made if missing) for each figure;
    return the paths. Runs its own event loop: call it from plain code, not from a
    running app (there, await :func:`save_figures_async`)."""
    return asyncio.run(save_figures_async(figures, directory, size))


async def save_figures_async(figures: Sequence[Figure], directory: Path,
                             size: tuple[int, int] = SIZE) -> list[Path]:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PlotFileError(f"cannot make {directory}: {exc.strerror or exc}") from None
    written: list[Path] = []
    app = _Photographer()
    async with app.run_test(size=size) as pilot:
        for figure in figures:
            # A fresh view per figure: a reused plot keeps the margins' old text where
            # the new labels are shorter.
            await app.query(FigureView).remove()
            view = FigureView()
            await app.screen.mount(view)
            await pilot.pause()
            view.show(figure)
            await pilot.pause()
            await pilot.pause()  # the plot lays out, then draws on its sized canvas
            path = directory / f"{figure.name}.svg"
            try:
                path.write_text(app.export_screenshot(title=figure.title), encoding="utf-8")
            except OSError as exc:
                raise PlotFileError(f"cannot write {path}: {exc.strerror or exc}") from None
            written.append(path)
    return written
