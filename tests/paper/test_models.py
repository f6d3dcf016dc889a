"""The PBS latency models: the paper's parameters, legs by message kind, WARS check."""

from __future__ import annotations

from random import Random

import pytest

from dynviz.node.messages import ReplicaGet, ReplicaGetReply, ReplicaPut, ReplicaPutAck
from dynviz.paper.models import (
    LNKD_DISK_W,
    LNKD_SSD_LEG,
    MODELS,
    YMMR_ARS,
    YMMR_W,
    Mixture,
    wars_trial,
)


def test_the_fits_are_the_papers() -> None:
    assert LNKD_SSD_LEG == Mixture(0.9122, 0.235, 10, 1.66)
    assert LNKD_DISK_W == Mixture(0.38, 1.05, 1.51, 0.183)
    assert YMMR_W == Mixture(0.939, 3, 3.35, 0.0028)
    assert YMMR_ARS == Mixture(0.982, 1.5, 3.8, 0.0217)
    assert MODELS["WAN"].remote_ms == 75.0


def test_a_mixture_draws_its_pareto_floor_or_an_exponential() -> None:
    rng = Random(4)
    pure = Mixture(1.0, 2.0, 3.0)
    assert min(pure.sample(rng) for _ in range(2000)) >= 2.0
    mean = sum(Mixture(0.0, 1.0, 1.0, 0.5).sample(rng) for _ in range(20000)) / 20000
    assert 1.8 < mean < 2.2


def test_each_message_kind_takes_its_leg() -> None:
    disk = MODELS["LNKD-DISK"]
    assert disk.leg(ReplicaPut.__new__(ReplicaPut, *[None] * len(ReplicaPut._fields))) is LNKD_DISK_W
    for kind in (ReplicaPutAck, ReplicaGet, ReplicaGetReply):
        assert disk.leg(kind.__new__(kind, *[None] * len(kind._fields))) is LNKD_SSD_LEG
    rng = Random(1)
    assert disk("client:c", "n1", object(), rng) == 0
    wan = MODELS["WAN"]
    ack = ReplicaPutAck.__new__(ReplicaPutAck, *[None] * len(ReplicaPutAck._fields))
    assert wan("n1", "n2", ack, rng) >= 75_000


@pytest.mark.parametrize(("name", "expected"), [("LNKD-SSD", 0.975), ("LNKD-DISK", 0.439)])
def test_wars_reproduces_the_papers_consistency_at_commit(name: str, expected: float) -> None:
    rng = Random(7)
    trials = 20000
    p0 = sum(wars_trial(MODELS[name], 3, 1, 1, rng) == 0 for _ in range(trials)) / trials
    assert abs(p0 - expected) < 0.02


def test_a_strict_quorum_is_always_consistent_in_wars() -> None:
    rng = Random(2)
    assert all(wars_trial(MODELS["YMMR"], 3, 2, 2, rng) == 0 for _ in range(2000))
