"""One seed start to end: it passes a correct store, sees loss where loss happens, and
is a pure function of its seed."""

from __future__ import annotations

import pytest

from dynviz.check.run import CheckConfig, check_seed


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


def test_recording_a_seed_does_not_change_it() -> None:
    config = CheckConfig(seed=5, ops=100)
    recording: list[tuple[int, str]] = []
    assert check_seed(config, recording) == check_seed(config)
    assert recording


def test_a_stand_in_coordinator_never_reissues_a_dot() -> None:
    # Seed 101 once lost three writes in dvv mode: a load-balanced put made a stand-in
    # coordinate, it handed its hint back (forgetting the version), then coordinated
    # the key again and issued the same dot for a new write (node.py keeps ``issued``).
    report = check_seed(CheckConfig(seed=101, ops=200))
    assert report.ok, report


def test_bad_options_are_refused_with_the_option_named() -> None:
    with pytest.raises(ValueError, match="--versioning"):
        CheckConfig(seed=1, versioning="lamport")
    with pytest.raises(ValueError, match="--ops"):
        CheckConfig(seed=1, ops=0)
    with pytest.raises(ValueError, match="--nodes"):
        CheckConfig(seed=1, nodes=2)
    with pytest.raises(ValueError, match="unknown fault 'meteor'"):
        CheckConfig(seed=1, faults=("crash", "meteor"))
    with pytest.raises(ValueError, match="--resolver"):
        CheckConfig(seed=1, resolver="newest")


def test_a_config_names_its_cluster_and_keys() -> None:
    config = CheckConfig(seed=9, nodes=4, versioning="vclock", resolver="lww", keys=3)
    cluster = config.cluster()
    assert cluster.nodes == ("n1", "n2", "n3", "n4")
    assert (cluster.seed, cluster.n, cluster.r, cluster.w) == (9, 3, 2, 2)
    assert (cluster.versioning, cluster.resolver) == ("vclock", "lww")
    assert config.key_names() == (b"k0", b"k1", b"k2")
    assert config.with_seed(10) == CheckConfig(seed=10, nodes=4, versioning="vclock", resolver="lww", keys=3)
