"""``dynviz paper --quick``: end to end through the CLI, with the issue's acceptance orderings."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dynviz.cli import main

SEEDS = (1, 2)


@pytest.fixture(scope="module", params=SEEDS)
def report(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["paper", "--quick", "--json", "--seed", str(request.param)]) == 0
    found: dict[str, Any] = json.loads(out.getvalue())
    return found


def test_every_item_holds_ours_and_the_papers(report: dict[str, Any]) -> None:
    for key in ("figure8", "divergence", "table2", "pbs"):
        assert set(report[key]) >= {"ours", "paper", "model", "differs"}
        assert report[key]["ours"] and report[key]["paper"] and report[key]["model"]


def test_strategy_3_is_the_most_efficient_per_byte_of_metadata(report: dict[str, Any]) -> None:
    points = report["figure8"]["ours"]["points"]
    assert {p["strategy"] for p in points} == {"random", "random-equal", "equal"}
    three = [p for p in points if p["strategy"] == "equal"]
    for p in points:
        if p["strategy"] != "equal":
            cheaper = [q["efficiency"] for q in three if q["metadata_bytes"] <= p["metadata_bytes"]]
            assert cheaper and max(cheaper) > p["efficiency"], p


def test_client_driven_is_faster_at_the_average_and_the_999th(report: dict[str, Any]) -> None:
    server, client = report["table2"]["ours"]["server-driven"], report["table2"]["ours"]["client-driven"]
    for name in ("read_mean_ms", "write_mean_ms", "read_p99.9_ms", "write_p99.9_ms"):
        assert client[name] < server[name], name


def test_t_visibility_rises_with_r_plus_w_and_strict_quorums_are_consistent(report: dict[str, Any]) -> None:
    for model, per in report["pbs"]["ours"]["models"].items():
        assert all(x == 1.0 for x in per["R=2,W=2"]["consistent"]), model
        at0 = {k: v["consistent"][0] for k, v in per.items()}
        assert at0["R=1,W=1"] < min(at0["R=1,W=2"], at0["R=2,W=1"]), model
        assert all(a <= b for a, b in zip(per["R=1,W=1"]["consistent"], per["R=2,W=2"]["consistent"], strict=True))


def test_divergence_counts_reads_by_versions(report: dict[str, Any]) -> None:
    shares = report["divergence"]["ours"]["shares"]
    assert shares["1"] > 0.9
    assert abs(sum(shares.values()) - 1) < 1e-9
    assert report["divergence"]["paper"]["shares"]["1"] == 0.9994


def test_the_same_seed_gives_the_same_figures() -> None:
    import contextlib
    import io

    runs = []
    for _ in range(2):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            main(["paper", "--quick", "--json", "--seed", "3"])
        runs.append(json.loads(out.getvalue()))
    assert runs[0] == runs[1]


def test_bad_arguments_are_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Any) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["paper", "--seed", "minus"])
    assert exc.value.code == 2
    assert "--seed" in capsys.readouterr().err
    afile = tmp_path / "f"
    afile.write_text("x")
    assert main(["paper", "--quick", "--plot", str(afile)]) == 2
    assert "is a file" in capsys.readouterr().err
