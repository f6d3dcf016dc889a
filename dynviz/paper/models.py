"""PBS's production latency models, as per-message latencies for the simulated network.

Bailis et al. ("Probabilistically Bounded Staleness for Practical Partial Quorums", VLDB
2012, section 5) model a Dynamo-style request by four one-way legs, *WARS*: **W** the
write request from coordinator to replica, **A** the replica's ack, **R** the read request,
**S** the read's response. Each leg is drawn independently per replica from a fitted
distribution, a mixture of a Pareto body and an exponential tail (their Table 3, the fits
to LinkedIn's Voldemort and Yammer's Riak production latencies). Times are in ms, an
exponential's ``λ`` is its rate per ms (mean ``1/λ``). ``WAN`` is ``LNKD-DISK`` with 75 ms
added to each leg to a replica in another data center.

The parameters are copied from the paper's LaTeX source as its authors published it
(github.com/pbailis/pbs-vldb-historical-paper-material, ``writeup/ernst.tex``, table
"Distribution fits for production latency distributions"), as are the published results
:data:`PAPER_T_VISIBILITY` and :data:`PAPER_CONSISTENT_AT`.

:class:`LegModel` is a :data:`dynviz.sim.network.LatencyModel`: set it as ``Network.model``
and every message takes the leg latency of its kind, drawn from the network's seeded rng.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random
from typing import Any

from dynviz.node.messages import ReplicaGet, ReplicaGetReply, ReplicaPut


@dataclass(frozen=True, slots=True)
class Mixture:
    """With probability ``share`` a Pareto(``xm`` ms, ``alpha``), else an exponential
    of rate ``rate`` per ms. ``share`` 1 is a plain Pareto."""

    share: float
    xm: float
    alpha: float
    rate: float = 1.0

    def sample(self, rng: Random) -> float:
        """One draw, in ms."""
        if rng.random() < self.share:
            return self.xm * rng.paretovariate(self.alpha)
        return rng.expovariate(self.rate)

    def describe(self) -> str:
        pareto = f"Pareto(xm={self.xm:g} ms, α={self.alpha:g})"
        if self.share >= 1:
            return pareto
        return f"{self.share:.2%} {pareto}, {1 - self.share:.2%} exponential(λ={self.rate:g}/ms)"


LNKD_SSD_LEG = Mixture(0.9122, 0.235, 10, 1.66)
LNKD_DISK_W = Mixture(0.38, 1.05, 1.51, 0.183)
YMMR_W = Mixture(0.939, 3, 3.35, 0.0028)
YMMR_ARS = Mixture(0.982, 1.5, 3.8, 0.0217)


@dataclass(frozen=True, slots=True)
class LegModel:
    """Latencies per WARS leg (ms distributions) plus ``remote_ms`` added to every
    message between two nodes (the WAN model's other data centers). A message that is
    none of the four legs (gossip, hand-offs) takes an ``a`` draw; a message to or from a
    client takes ``client_ms`` (0: the client sits beside its coordinator, as PBS's proxy
    did, so an acknowledgement reaches it the instant the write commits)."""

    name: str
    w: Mixture
    a: Mixture
    r: Mixture
    s: Mixture
    remote_ms: float = 0.0
    client_ms: float = 0.0
    source: str = ""

    def leg(self, msg: Any) -> Mixture:
        kind = type(msg)
        if kind is ReplicaPut:
            return self.w
        if kind is ReplicaGet:
            return self.r
        if kind is ReplicaGetReply:
            return self.s
        return self.a  # ReplicaPutAck and everything else

    def __call__(self, src: str, dst: str, msg: Any, rng: Random) -> int:
        """µs for ``msg`` from ``src`` to ``dst`` (a :data:`~dynviz.sim.network.LatencyModel`)."""
        if src.startswith("client:") or dst.startswith("client:"):
            return int(self.client_ms * 1000)
        return int((self.leg(msg).sample(rng) + self.remote_ms) * 1000)

    def describe(self) -> str:
        if self.w == self.a == self.r == self.s:
            text = f"W=A=R=S: {self.w.describe()}"
        elif self.a == self.r == self.s:
            text = f"W: {self.w.describe()}; A=R=S: {self.a.describe()}"
        else:
            text = f"W: {self.w.describe()}; A: {self.a.describe()}; R: {self.r.describe()}; S: {self.s.describe()}"
        if self.remote_ms:
            text += f"; +{self.remote_ms:g} ms on every leg to another data center"
        return text


MODELS: dict[str, LegModel] = {
    "LNKD-SSD": LegModel("LNKD-SSD", LNKD_SSD_LEG, LNKD_SSD_LEG, LNKD_SSD_LEG, LNKD_SSD_LEG,
                         source="LinkedIn Voldemort on SSDs"),
    "LNKD-DISK": LegModel("LNKD-DISK", LNKD_DISK_W, LNKD_SSD_LEG, LNKD_SSD_LEG, LNKD_SSD_LEG,
                          source="LinkedIn Voldemort on 15k RPM disks"),
    "YMMR": LegModel("YMMR", YMMR_W, YMMR_ARS, YMMR_ARS, YMMR_ARS, source="Yammer Riak"),
    "WAN": LegModel("WAN", LNKD_DISK_W, LNKD_SSD_LEG, LNKD_SSD_LEG, LNKD_SSD_LEG, remote_ms=75.0,
                    source="LNKD-DISK with replicas in three data centers, 75 ms apart"),
}

QUORUMS: tuple[tuple[int, int], ...] = ((1, 1), (1, 2), (2, 1), (2, 2))
"""(R, W) pairs measured, N=3: PBS's partial quorums and one strict one."""

PAPER_T_VISIBILITY: dict[str, dict[tuple[int, int], float]] = {
    # PBS Table 4: t (ms) after which 99.9% of reads are consistent, N=3; 0 for R+W>N.
    "YMMR": {(1, 1): 1364.0, (1, 2): 1352.0, (2, 1): 202.0, (2, 2): 0.0},
    "WAN": {(1, 1): 113.0, (1, 2): 0.0, (2, 1): 30.2, (2, 2): 0.0},
    "LNKD-SSD": {(1, 1): 1.85, (1, 2): 1.79, (2, 1): 0.0, (2, 2): 0.0},
    "LNKD-DISK": {(1, 1): 45.5, (1, 2): 43.3, (2, 1): 13.6, (2, 2): 0.0},
}
"""Keys are (R, W). The table's R=1,W=2 WAN entry is 0 and its R=2,W=1 LNKD-SSD entry is 0
("we never observed message reordering ... across 10,000,000 writes")."""

PAPER_CONSISTENT_AT: dict[str, dict[float, float]] = {
    # PBS section 5.6, N=3, R=W=1: probability of a consistent read t ms after commit.
    "YMMR": {0.0: 0.893, 10.0: 0.939},
    "LNKD-SSD": {0.0: 0.975, 10.0: 1.0},
    "LNKD-DISK": {0.0: 0.439, 10.0: 0.925},
}
"""Published only for R=W=1 and these three models; WAN's curve is given only as a plot."""


def wars_trial(model: LegModel, n: int, r: int, w: int, rng: Random) -> float:
    """One Monte Carlo trial of PBS's WARS model (their section 5.1): the smallest ``t``
    (ms after the write commits) at which a read returns the write. The coordinator holds
    no data; with ``remote_ms`` one replica is local to the writer and one, chosen
    independently, to the reader. A check of the models against the paper's own method,
    not a run of the cluster."""
    writer = rng.randrange(n) if model.remote_ms else -1
    reader = rng.randrange(n) if model.remote_ms else -1
    ws = [model.w.sample(rng) + (model.remote_ms if i != writer and writer >= 0 else 0) for i in range(n)]
    acks = sorted(ws[i] + model.a.sample(rng) + (model.remote_ms if i != writer and writer >= 0 else 0)
                  for i in range(n))
    commit = acks[w - 1]
    extra = [model.remote_ms if i != reader and reader >= 0 else 0.0 for i in range(n)]
    rs = [model.r.sample(rng) + extra[i] for i in range(n)]
    ss = [model.s.sample(rng) + extra[i] for i in range(n)]
    first = sorted(range(n), key=lambda i: rs[i] + ss[i])[:r]
    # replica i answers with the write if it arrived before the read request: ws[i] <= commit + t + rs[i]
    return max(0.0, min(ws[i] - commit - rs[i] for i in first))
