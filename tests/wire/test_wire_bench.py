"""``python -m benchmarks dynamodb`` at a tiny size: both servers answer every request,
and the figures are printed side by side with the ratio."""

from __future__ import annotations

import pytest

from benchmarks import __main__ as registry
from benchmarks import dynamodb_bench


def test_the_benchmark_is_registered() -> None:
    assert registry.BENCHMARKS["dynamodb"][0] == "benchmarks.dynamodb_bench"


def test_a_tiny_run_prints_dynviz_beside_moto(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("moto.server", reason="moto's server mode (moto[server]) is not installed")
    assert dynamodb_bench.main(["--clients", "2", "--ops", "10", "--preload", "10"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.startswith(("dynviz (", "moto "))}
    assert rows["dynviz"][-1] == "0" and rows["moto"][-1] == "0"  # no errors on either side
    assert "20" in rows["dynviz"] and "dynviz / moto: throughput x" in out
