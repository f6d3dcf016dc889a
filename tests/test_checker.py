"""The checker's promises: it passes a correct store, sees loss where loss happens, and
is a pure function of its seed."""

from __future__ import annotations

import argparse
import json

import pytest

from dynviz.checker import (
    FAULTS,
    INJECTORS,
    CheckConfig,
    Write,
    add_check_arguments,
    check_seed,
    judge,
    main_check,
    parse_faults,
    reproduce_command,
    run_campaign,
)

K = b"k"

# -- the rules, over hand-built histories ---------------------------------------------


def test_a_write_seen_by_a_surviving_write_is_not_lost() -> None:
    writes = [Write(K, b"v1", (), acked=True), Write(K, b"v2", (b"v1",), acked=True)]
    verdict = judge(writes, {K: (b"v2",)})
    assert verdict.lost_values == ()
    assert verdict.phantom_values == ()


def test_an_empty_final_read_with_no_delete_loses_every_acked_write() -> None:
    writes = [Write(K, b"v1", (), acked=True), Write(K, b"v2", (b"v1",), acked=True)]
    assert judge(writes, {K: ()}).lost_values == (b"v1", b"v2")


def test_coverage_is_transitive_and_unacked_writes_count_as_observers() -> None:
    writes = [
        Write(K, b"v1", (), acked=True),
        Write(K, b"v2", (b"v1",), acked=False),  # failed, but stored and seen
        Write(K, b"v3", (b"v2",), acked=True),
    ]
    assert judge(writes, {K: (b"v3",)}).lost_values == ()


def test_a_concurrent_write_missing_from_the_final_read_is_lost() -> None:
    writes = [
        Write(K, b"v1", (), acked=True),
        Write(K, b"a", (b"v1",), acked=True),
        Write(K, b"b", (b"v1",), acked=True),  # same context as a: a sibling
    ]
    assert judge(writes, {K: (b"a",)}).lost_values == (b"b",)
    assert judge(writes, {K: (b"a", b"b")}).lost_values == ()


def test_a_delete_covers_what_it_saw_while_its_tombstone_or_an_observer_survives() -> None:
    tomb = ("n1", 4)
    writes = [
        Write(K, b"v1", (), acked=True),
        Write(K, None, (b"v1",), acked=True, dot=tomb),
        Write(K, b"v2", (tomb,), acked=True),  # read the tombstone, wrote over it
    ]
    assert judge(writes[:2], {K: (tomb,)}).lost_values == ()
    assert judge(writes, {K: (b"v2",)}).lost_values == ()
    # v2 was written over the tombstone, so a final state of just the tombstone lost it.
    assert judge(writes, {K: (tomb,)}).lost_values == (b"v2",)
    # Neither the tombstone nor anything that saw it survived: v1 and v2 are lost.
    assert judge(writes, {K: ()}).lost_values == (b"v1", b"v2")


def test_a_value_nobody_wrote_is_a_phantom() -> None:
    writes = [Write(K, b"v1", (), acked=True)]
    verdict = judge(writes, {K: (b"v1", b"ghost")}, {K: {b"v1", b"boo"}})
    assert verdict.phantom_values == (b"boo", b"ghost")
    # A value written to another key is a phantom here too.
    assert judge([Write(b"other", b"x", (), acked=True)], {K: (b"x",)}).phantom_values == (b"x",)


# -- whole runs ---------------------------------------------------------------------------


def test_dvv_with_every_fault_loses_nothing_and_converges() -> None:
    campaign = run_campaign(range(1, 11), CheckConfig(seed=1, ops=100))
    assert campaign.seeds == 10
    assert campaign.acked > 500
    assert campaign.lost == 0
    assert campaign.phantoms == 0
    assert campaign.converged == 10
    assert campaign.failing_seeds == []


def test_lww_under_skew_loses_acknowledged_writes() -> None:
    reports = [check_seed(CheckConfig(seed=s, ops=100, faults=("skew",), resolver="lww")) for s in (1, 2, 3)]
    assert all(r.lost > 0 for r in reports)
    assert all(r.phantoms == 0 for r in reports)
    assert not any(r.ok for r in reports)


def test_vclock_loses_a_concurrent_read_modify_write() -> None:
    # The paper's clocks: two writes over one context through one coordinator get equal
    # clocks and one is dropped. No faults needed.
    reports = [check_seed(CheckConfig(seed=s, ops=100, faults=(), versioning="vclock")) for s in (1, 2)]
    assert all(r.lost > 0 for r in reports)
    assert all(r.converged for r in reports)


def test_a_seed_is_deterministic() -> None:
    config = CheckConfig(seed=5, ops=100)
    first, second = check_seed(config), check_seed(config)
    assert first == second
    assert len(first.digest) == 64
    assert first.ops == 100
    assert check_seed(CheckConfig(seed=6, ops=100)).digest != first.digest


# -- options and the CLI entry ----------------------------------------------------------


def test_fault_names_and_bad_options() -> None:
    assert FAULTS == ("crash", "partition", "loss", "skew", "join", "leave", "wipe") == tuple(INJECTORS)
    assert parse_faults("all") == FAULTS
    assert parse_faults("none") == ()
    assert parse_faults("skew, crash,skew") == ("skew", "crash")
    with pytest.raises(ValueError, match="unknown fault 'meteor'"):
        parse_faults("crash,meteor")
    with pytest.raises(ValueError, match="--versioning"):
        CheckConfig(seed=1, versioning="lamport")
    with pytest.raises(ValueError, match="--ops"):
        CheckConfig(seed=1, ops=0)
    with pytest.raises(ValueError, match="--nodes"):
        CheckConfig(seed=1, nodes=2)


def test_reproduce_command_runs_exactly_that_seed() -> None:
    base = CheckConfig(seed=1, ops=150, nodes=6, faults=("crash", "partition"), versioning="vclock")
    assert reproduce_command(17, base) == (
        "dynviz check --seeds 1 --first-seed 17 --ops 150 --nodes 6 --faults crash,partition --versioning vclock")
    assert reproduce_command(3, CheckConfig(seed=1, resolver="lww")).endswith("--faults all --versioning dvv --resolver lww")
    parser = argparse.ArgumentParser()
    add_check_arguments(parser)
    args = parser.parse_args(reproduce_command(17, base).split()[2:])
    assert (args.seeds, args.first_seed, args.ops, args.nodes, args.faults, args.versioning) == (
        1, 17, 150, 6, "crash,partition", "vclock")


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_check_arguments(parser)
    return parser.parse_args(list(argv))


def test_main_check_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main_check(_args("--seeds", "2", "--ops", "40", "--json")) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["seeds"] == 2 and out["lost"] == 0 and out["phantoms"] == 0
    assert out["converged"] == 2 and out["failing_seeds"] == []
    assert out["acked"] > 0


def test_main_check_prints_failing_seeds_with_their_command(capsys: pytest.CaptureFixture[str]) -> None:
    status = main_check(_args("--seeds", "2", "--first-seed", "4", "--ops", "60", "--faults", "none",
                              "--versioning", "vclock"))
    assert status == 1
    out = capsys.readouterr().out
    assert "dynviz check --seeds 1 --first-seed 4 --ops 60 --nodes 5 --faults none --versioning vclock" in out
    with pytest.raises(ValueError):
        main_check(_args("--seeds", "0"))


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
    import dynviz.checker as checker

    seen: list[int] = []

    def campaign(seeds: object, base: object, progress: object = None, jobs: int = 1) -> checker.CampaignReport:
        seen.append(jobs)
        return checker.CampaignReport()

    monkeypatch.setattr(checker, "run_campaign", campaign)
    monkeypatch.setattr(checker.os, "cpu_count", lambda: 7)
    main_check(_args("--seeds", "1", "--json"))
    main_check(_args("--seeds", "1", "--json", "--jobs", "3"))
    assert seen == [7, 3]
    assert _args().jobs is None


def test_a_stand_in_coordinator_never_reissues_a_dot() -> None:
    # Seed 101 once lost three writes in dvv mode: a load-balanced put made a stand-in
    # coordinate, it handed its hint back (forgetting the version), then coordinated
    # the key again and issued the same dot for a new write (node.py keeps ``issued``).
    report = check_seed(CheckConfig(seed=101, ops=200))
    assert report.ok, report
