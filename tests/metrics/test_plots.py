"""Plots from summaries (issue 18 item 3): ``dynviz check --plot`` and ``dynviz explore
--plot`` write SVGs drawn by the app's plot widget, whose figures add up to the
summary's own numbers; a figure is validated when made."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dynviz.check.campaign import run_campaign
from dynviz.check.plots import campaign_figures
from dynviz.check.run import CheckConfig
from dynviz.cli import main
from dynviz.metrics.figure import Figure, Series

SHIPPED = Path(__file__).resolve().parents[2] / "sessions" / "explore"


def test_campaign_figures_add_up_to_the_reports() -> None:
    campaign = run_campaign(range(1, 4), CheckConfig(seed=1, ops=60))
    latency, lost = campaign_figures(campaign)
    answers = sum(sum(bins) for r in campaign.reports for _, bins in r.latency_bins)
    assert sum(sum(s.y) for s in latency.series) == answers
    assert answers >= campaign.ops - campaign.failed_ops
    seeds_with = dict(zip(lost.categories, lost.series[0].y, strict=True))
    assert seeds_with and all(1 <= n <= campaign.seeds for n in seeds_with.values())
    assert sum(n for r in campaign.reports for _, n in r.faults) >= len(seeds_with)


def test_check_plot_writes_svgs_and_lists_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", "--seeds", "2", "--ops", "40", "--jobs", "1", "--json", "--plot", str(tmp_path / "p")])
    summary = json.loads(capsys.readouterr().out)
    assert code == (0 if not summary["failing_seeds"] else 1)
    assert sorted(Path(p).name for p in summary["plots"]) == ["check-latency.svg", "check-lost-by-fault.svg"]
    assert all(Path(p).read_text().startswith("<svg") for p in summary["plots"])


def test_explore_plot_writes_growth_and_violations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["explore", str(SHIPPED / "vclock-lost-update.dyn"), "--depth", "6", "--json",
                 "--repro-dir", str(tmp_path / "f"), "--plot", str(tmp_path / "p")])
    summary = json.loads(capsys.readouterr().out)
    assert code == 1
    names = sorted(Path(p).name for p in summary["plots"])
    assert names == ["explore-states.svg", "explore-violations.svg"]
    svg = (tmp_path / "p" / "explore-violations.svg").read_text()
    assert "lost" in svg


def test_unwritable_plot_dir_is_said_not_raised(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code = main(["explore", str(SHIPPED / "dvv-lost-update.dyn"), "--depth", "3", "--plot", str(blocker / "p")])
    captured = capsys.readouterr()
    assert code == 0
    assert "plots not written" in captured.err


def test_figures_are_checked_when_made() -> None:
    with pytest.raises(ValueError, match="x values"):
        Series("a", (1.0,), ())
    with pytest.raises(ValueError, match="figure name"):
        Figure("no spaces", "t", "x", "y", ())
