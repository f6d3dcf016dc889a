"""One seed start to end: it passes a correct store, sees loss where loss happens, and
is a pure function of its seed."""

from __future__ import annotations

import pytest

from dynviz.check.run import CheckConfig, check_seed
from dynviz.core.hashing import token_of


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


def test_seeds_alternate_read_repair_and_ring_strategy_unless_told() -> None:
    modes = {(CheckConfig(seed=s).cluster().readrepair, CheckConfig(seed=s).cluster().strategy) for s in range(4)}
    assert modes == {(True, "equal"), (False, "equal"), (True, "random"), (False, "random")}
    fixed = CheckConfig(seed=3, readrepair="on", ring="equal").cluster()
    assert (fixed.readrepair, fixed.strategy) == (True, "equal")
    with pytest.raises(ValueError, match="--readrepair"):
        CheckConfig(seed=1, readrepair="sometimes")
    with pytest.raises(ValueError, match="--ring"):
        CheckConfig(seed=1, ring="square")


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
    keys = config.key_names()
    assert len(keys) == 3 and keys[0] == b"k0"
    # One key in each third of the token space (the workload spreads keys over the ring).
    assert [token_of(k) * 3 >> 128 for k in keys] == [0, 1, 2]
    assert config.with_seed(10) == CheckConfig(seed=10, nodes=4, versioning="vclock", resolver="lww", keys=3)


def test_a_seed_whose_run_raises_fails_with_the_error_and_the_campaign_goes_on(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from dynviz.check import workload
    from dynviz.check.campaign import run_campaign
    from dynviz.cluster import ClusterError

    def broken(self: workload.Workload) -> None:
        if self.scenario.cluster.config.seed == 2:
            raise ClusterError("every node is down")
        original(self)

    original = workload.Workload.run
    monkeypatch.setattr(workload.Workload, "run", broken)
    campaign = run_campaign(range(1, 4), CheckConfig(seed=1, ops=30))
    assert campaign.failing_seeds == [2] and campaign.seeds == 3
    assert campaign.reports[1].error == "ClusterError: every node is down"
    assert campaign.as_json()["failures"][0]["error"] == "ClusterError: every node is down"
