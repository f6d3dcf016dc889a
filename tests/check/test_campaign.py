"""A campaign sums its seeds, the same whatever the parallelism, and names the command
that re-runs each failing seed."""

from __future__ import annotations

import argparse

from dynviz.check.campaign import reproduce_command, run_campaign
from dynviz.check.cli import add_check_arguments
from dynviz.check.run import CheckConfig


def test_dvv_with_every_fault_loses_nothing_and_converges() -> None:
    campaign = run_campaign(range(1, 11), CheckConfig(seed=1, ops=100))
    assert campaign.seeds == 10
    assert campaign.acked > 500
    assert campaign.lost == 0
    assert campaign.phantoms == 0
    assert campaign.converged == 10
    assert campaign.failing_seeds == []


def test_workers_report_exactly_what_one_process_does() -> None:
    base = CheckConfig(seed=1, ops=60, faults=("skew",), resolver="lww")
    seen: list[int] = []
    serial = run_campaign(range(1, 5), base)
    parallel = run_campaign(range(1, 5), base, lambda seed, report: seen.append(seed), jobs=2)
    assert parallel.reports == serial.reports
    assert parallel.as_json() == serial.as_json()
    assert seen == [1, 2, 3, 4]
    assert serial.failing_seeds and not serial.ok


def test_reproduce_command_runs_exactly_that_seed() -> None:
    base = CheckConfig(seed=1, ops=150, nodes=6, faults=("crash", "partition"), versioning="vclock")
    assert reproduce_command(17, base) == (
        "dynviz check --seeds 1 --first-seed 17 --ops 150 --nodes 6 --faults crash,partition --versioning vclock")
    assert reproduce_command(3, CheckConfig(seed=1, resolver="lww")).endswith("--faults all --versioning dvv --resolver lww")
    assert " --faults none " in reproduce_command(3, CheckConfig(seed=1, faults=()))
    parser = argparse.ArgumentParser()
    add_check_arguments(parser)
    args = parser.parse_args(reproduce_command(17, base).split()[2:])
    assert (args.seeds, args.first_seed, args.ops, args.nodes, args.faults, args.versioning) == (
        1, 17, 150, 6, "crash,partition", "vclock")
