"""``dynviz check``'s options and what it prints."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from dynviz.check import cli
from dynviz.check.campaign import CampaignReport
from dynviz.check.cli import add_check_arguments, main_check, parse_faults
from dynviz.check.workload import FAULTS
from dynviz.scale import Backend


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_check_arguments(parser)
    return parser.parse_args(list(argv))


def test_fault_names() -> None:
    assert parse_faults("all") == FAULTS
    assert parse_faults("none") == ()
    assert parse_faults("skew, crash,skew") == ("skew", "crash")
    with pytest.raises(ValueError, match="unknown fault 'meteor'"):
        parse_faults("crash,meteor")


def test_main_check_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main_check(_args("--seeds", "2", "--ops", "40", "--json")) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["seeds"] == 2 and out["lost"] == 0 and out["phantoms"] == 0
    assert out["converged"] == 2 and out["failing_seeds"] == []
    assert out["acked"] > 0


def test_main_check_prints_failing_seeds_with_their_command(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    status = main_check(_args("--seeds", "2", "--first-seed", "4", "--ops", "60", "--faults", "none",
                              "--versioning", "vclock", "--repro-dir", str(tmp_path)))
    assert status == 1
    out = capsys.readouterr().out
    assert "dynviz check --seeds 1 --first-seed 4 --ops 60 --nodes 5 --faults none --versioning vclock" in out
    assert f"seed 4: minimal reproduction: dynviz replay {tmp_path / 'check-seed-4.jsonl'}" in out
    with pytest.raises(ValueError):
        main_check(_args("--seeds", "0"))


def test_failing_seeds_are_shrunk_to_session_files_unless_told_not_to(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    argv = ("--seeds", "1", "--first-seed", "4", "--ops", "60", "--faults", "none", "--versioning", "vclock",
            "--json", "--repro-dir", str(tmp_path / "out"))
    assert main_check(_args(*argv, "--no-repro")) == 1
    assert json.loads(capsys.readouterr().out)["sessions"] == {}
    assert not (tmp_path / "out").exists()
    assert main_check(_args(*argv)) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["failing_seeds"] == [4]
    assert out["sessions"] == {"4": str(tmp_path / "out" / "check-seed-4.jsonl")}


@pytest.mark.parametrize("text", ["0", "-1", "two", "1.5"])
def test_jobs_must_be_a_whole_number_of_at_least_one(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    from dynviz.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["check", "--jobs", text])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "argument --jobs:" in err and "worker process" in err and err.count("\n") == 1
    with pytest.raises(ValueError, match="at least 1"):  # a caller passing 0 past argparse
        main_check(argparse.Namespace(**{**vars(_args("--seeds", "1")), "jobs": 0}))


def test_jobs_left_out_means_one_worker_per_core(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []

    def campaign(seeds: object, base: object, progress: object = None, jobs: int = 1,
                 backend: Backend | None = None) -> CampaignReport:
        assert backend is not None and backend.workers == jobs
        seen.append(jobs)
        return CampaignReport()

    monkeypatch.setattr(cli, "run_campaign", campaign)
    monkeypatch.setattr(cli.os, "cpu_count", lambda: 7)
    main_check(_args("--seeds", "1", "--json"))
    main_check(_args("--seeds", "1", "--json", "--jobs", "3"))
    assert seen == [7, 3]
    assert _args().jobs is None
