"""The Metrics screen (issue 18, ``M``): live plots of what the cluster's clients see.

Tabs of one plot each (latency percentiles per operation, throughput and success,
hints held, anti-entropy traffic, per-node load, staleness, versions per read), with
sparklines of the small series above them and a line of the latest figures. It reads
a :class:`~dynviz.metrics.observer.MetricsSnapshot` through the function the app
gives it, twice a wall-clock second and only for the tab in view, so plotting never
eats into the frames the cluster runs in. ``s`` saves every plot as SVG and the series
as JSON (:mod:`dynviz.tui.plotfile`); the cluster keeps running behind the screen, and
``/`` types a command to it (``latency 1ms..50ms``, ``kill n3``) while the plots move.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Sparkline, Static, TabbedContent, TabPane, Tabs

from dynviz.metrics import charts
from dynviz.metrics.figure import Figure
from dynviz.metrics.observer import OPS, MetricsSnapshot
from dynviz.tui.plotfile import PlotFileError, save_figures
from dynviz.tui.widgets.plot import FigureView

TABS: tuple[tuple[str, str], ...] = (
    ("latency", "Latency"), ("traffic", "Traffic"), ("hints", "Hints"), ("antientropy", "Anti-entropy"),
    ("load", "Load"), ("staleness", "Staleness"), ("versions", "Versions"),
)
"""(id, title) of each tab, in order; keys 1-7 select them."""

REFRESH_S = 0.5
EXPORT_DIR = "dynviz-metrics"


def headline(snap: MetricsSnapshot) -> str:
    """The latest figures in one line (fits 80 columns with two operations)."""
    parts = [f"t={snap.now / 1e6:.1f}s"]
    for op in OPS:
        p999 = snap.latest(op, "p99.9")
        if p999 is not None:
            parts.append(f"{op} p50 {snap.latest(op, 'p50') or 0:.1f} p99.9 {p999:.1f}ms")
    per_window = max(1, snap.window // snap.bucket)
    recent = snap.throughput[-per_window:]
    rate = sum(recent) / len(recent) if recent else 0.0
    ok = next((s for s in reversed(snap.success) if s is not None), None)
    parts.append(f"{rate:.1f}/s" + (f" {ok:.0%} ok" if ok is not None else ""))
    return " · ".join(parts)


class MetricsScreen(Screen[None]):
    """See the module docstring. ``snapshot`` returns the app's metrics as they stand."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("M", "app.pop_screen", "Back", show=False),
        Binding("slash", "command", "Cmd", key_display="/"),
        Binding("o", "next_op", "Operation"),
        Binding("s", "save", "Save plots"),
        *(Binding(str(i), f"tab('{tab}')", title, show=False) for i, (tab, title) in enumerate(TABS, 1)),
    ]

    DEFAULT_CSS = """
    MetricsScreen #metrics-head { height: 1; padding: 0 1; background: $boost; }
    MetricsScreen #metrics-sparks { height: 1; padding: 0 1; }
    MetricsScreen #metrics-sparks Label { width: auto; padding: 0 1 0 0; }
    MetricsScreen #metrics-sparks Sparkline { width: 1fr; margin: 0 2 0 0; }
    MetricsScreen TabbedContent { height: 1fr; }
    MetricsScreen TabPane { padding: 0; height: 1fr; }
    MetricsScreen #metrics-command { height: 1; border: none; padding: 0 1; }
    """

    def __init__(self, snapshot: Callable[[], MetricsSnapshot], run: Callable[[str], str | None] | None = None,
                 export_dir: Path | None = None) -> None:
        """``run`` runs a command line on the app's cluster and returns why it did not
        (None when it ran); without it the screen has no command line."""
        super().__init__()
        self.snapshot = snapshot
        self.run = run
        self.export_dir = export_dir or Path(EXPORT_DIR)
        self.op = "get"
        self.last: MetricsSnapshot | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="metrics-head")
        with Horizontal(id="metrics-sparks"):
            yield Label("answered/s")
            yield Sparkline([], id="spark-rate")
            yield Label("hints")
            yield Sparkline([], id="spark-hints")
            yield Label("versions/read")
            yield Sparkline([], id="spark-versions")
        with TabbedContent(id="metrics-tabs"):
            for tab, title in TABS:
                with TabPane(title, id=f"tab-{tab}"):
                    yield FigureView(id=f"fig-{tab}", empty="no data yet: requests draw these plots as they finish")
        if self.run is not None:
            yield Input(placeholder="/ a command: latency 1ms..50ms · loss 0.05 · kill n3 · recover n3",
                        id="metrics-command")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_plots()
        self.set_interval(REFRESH_S, self.refresh_plots)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.refresh_plots()

    # -- drawing ---------------------------------------------------------------------

    def figure_for(self, tab: str, snap: MetricsSnapshot) -> Figure:
        if tab == "latency":
            return charts.latency(snap, self.op)
        made: dict[str, Callable[[MetricsSnapshot], Figure]] = {
            "traffic": charts.throughput, "hints": charts.hints, "antientropy": charts.antientropy,
            "load": charts.load, "staleness": charts.staleness, "versions": charts.versions,
        }
        return made[tab](snap)

    @property
    def active_tab(self) -> str:
        active = self.query_one(TabbedContent).active
        return active.removeprefix("tab-") if active else TABS[0][0]

    def refresh_plots(self) -> None:
        snap = self.snapshot()
        self.last = snap
        self.query_one("#metrics-head", Static).update(headline(snap))
        self.query_one("#spark-rate", Sparkline).data = list(snap.throughput[-60:])
        self.query_one("#spark-hints", Sparkline).data = [float(h or 0) for h in snap.hints[-60:]]
        self.query_one("#spark-versions", Sparkline).data = [v or 0.0 for v in snap.versions_mean[-60:]]
        tab = self.active_tab
        self.query_one(f"#fig-{tab}", FigureView).show(self.figure_for(tab, snap))

    # -- actions ---------------------------------------------------------------------

    def action_back(self) -> None:
        """Escape leaves the command line first, then the screen."""
        if isinstance(self.focused, Input):
            self.query_one(Tabs).focus()
        else:
            self.app.pop_screen()

    def action_command(self) -> None:
        if self.run is not None:
            self.query_one("#metrics-command", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text or self.run is None:
            return
        why = self.run(text)
        if why is None:
            event.input.value = ""
            self.notify(f"ran: {text}", timeout=3)
        else:
            self.notify(f"{text}: {why}", severity="error", timeout=6)

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = f"tab-{tab}"

    def action_next_op(self) -> None:
        """The latency tab shows the next operation that has answers (get, put, delete)."""
        seen = [op for op in OPS if self.last is None or op in self.last.latency] or list(OPS)
        self.op = seen[(seen.index(self.op) + 1) % len(seen)] if self.op in seen else seen[0]
        self.action_tab("latency")
        self.refresh_plots()
        self.notify(f"latency of {self.op}", timeout=2)

    def action_save(self) -> None:
        snap = self.snapshot()
        self.notify(f"saving plots to {self.export_dir}/ …", timeout=2)
        self._save(snap)

    @work(thread=True, exclusive=True, group="metrics-save")
    def _save(self, snap: MetricsSnapshot) -> None:
        """Off the UI thread: the SVGs are made by a headless app of their own."""
        try:
            paths = save_figures(charts.all_figures(snap), self.export_dir)
            series = self.export_dir / "metrics.json"
            series.write_text(json.dumps(snap.to_json(), indent=1) + "\n", encoding="utf-8")
        except (PlotFileError, OSError) as exc:
            self.app.call_from_thread(self.notify, f"not saved: {exc}", severity="error", timeout=8)
            return
        self.app.call_from_thread(self.notify, f"saved {len(paths)} plots and metrics.json in {self.export_dir}/",
                                  timeout=6)
