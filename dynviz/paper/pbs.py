"""PBS t-visibility (Bailis et al., VLDB 2012) measured on the cluster.

For each of PBS's production latency models (:mod:`dynviz.paper.models`: every replica
request, ack, read request and read response takes its own leg's latency through
``Network.model``) and each (R, W) with N=3, on a 3-node cluster: write a fresh key (one
value, so "the latest write" is unambiguous), and when the client sees the put
acknowledged, schedule reads of it ``t`` later on virtual time, for every ``t`` of a grid;
a read is *consistent* if it returns the value. The probability of a consistent read at
``t`` is the share over many writes; "t for 99.9%" is the first ``t`` of the grid from
which at least 99.9% of reads are consistent. Read repair and anti-entropy are off (PBS's
WARS model leaves them out: they only make reads fresher); timeouts are raised so the
long tails are waited for.

Reads are counted here per exact ``t`` rather than through :meth:`Metrics.staleness`,
whose buckets (0, 1 ms, 2 ms, 5 ms, ...) are too coarse for a 99.9% threshold.

**Where the cluster differs from WARS.** In PBS's model (and their Cassandra validation,
through a proxy holding no data) the coordinator is not a replica, so every replica is
reached over the network. In dynviz, as in Dynamo (§4.5), the coordinator is one of the N
replicas: it stores a write and reads its own copy with no network leg. We pick each
write's and each read's coordinator at random among the three replicas (a load balancer
over N=3 nodes). So W=1 commits the instant the coordinator stores (no head start for the
other copies) and R=1 reads only the coordinator's own copy: with R=W=1 a read is
consistent at once only when both chose the same node (1/3), then as the W legs land.
To show the models themselves reproduce PBS, :func:`dynviz.paper.models.wars_trial` runs
the paper's own Monte Carlo of WARS on the same parameters (``wars`` in the output).
"""

from __future__ import annotations

from collections.abc import Callable
from random import Random
from typing import Any

from dynviz.cluster import Cluster, ClusterConfig
from dynviz.core.units import SECOND
from dynviz.metrics.figure import Figure, Series
from dynviz.paper.models import MODELS, PAPER_CONSISTENT_AT, PAPER_T_VISIBILITY, QUORUMS, wars_trial
from dynviz.paper.result import Experiment, pct
from dynviz.sim.rng import stream

GRID_MS: tuple[float, ...] = (0, 0.5, 1, 2, 3, 5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 1000, 1500, 2000)
TARGET = 0.999
X_MAX = {"LNKD-SSD": 10.0, "LNKD-DISK": 100.0, "YMMR": 2000.0, "WAN": 300.0}


def t_for(curve: list[float], grid: tuple[float, ...] = GRID_MS, target: float = TARGET) -> float | None:
    """The first grid ``t`` from which every share is at least ``target`` (None: never)."""
    found = None
    for t, share in zip(grid, curve, strict=True):
        if share >= target:
            if found is None:
                found = t
        else:
            found = None
    return found


def measure(model_name: str, r: int, w: int, writes: int, seed: int) -> list[float]:
    """Share of consistent reads at each grid ``t`` on the cluster (see the module docstring)."""
    nodes = ("n1", "n2", "n3")
    cfg = ClusterConfig(nodes=nodes, n=3, r=r, w=w, seed=seed, readrepair=False, antientropy=False,
                        replica_timeout=30 * SECOND, request_timeout=60 * SECOND, suspect_after=600 * SECOND)
    cluster = Cluster(cfg)
    cluster.network.model = MODELS[model_name]
    rng = stream(seed, "paper.pbs", model_name, r, w)
    fresh = [0] * len(GRID_MS)
    reads = [0] * len(GRID_MS)

    def read(key: str, value: bytes, i: int) -> None:
        pending: Any = cluster.submit_get(key, client="reader", via=nodes[rng.randrange(3)], r=r)
        pending.callbacks.append(lambda p: seen(p, value, i))

    def seen(p: Any, value: bytes, i: int) -> None:
        if p.result.ok:
            reads[i] += 1
            fresh[i] += value in p.result.values

    def acked(p: Any, key: str, value: bytes) -> None:
        if not p.result.ok:
            return
        now = cluster.now
        for i, t in enumerate(GRID_MS):
            cluster.scheduler.at(now + int(t * 1000), read, key, value, i)

    for trial in range(writes):
        key, value = f"pbs:{trial}", f"v{trial}".encode()
        pending: Any = cluster.submit_put(key, value, client="writer", via=nodes[rng.randrange(3)], w=w)
        pending.callbacks.append(lambda p, key=key, value=value: acked(p, key, value))
        if trial % 200 == 199:
            cluster.run(5 * SECOND)
    while cluster.pending:  # the last writes
        cluster.run(5 * SECOND)
    cluster.run(int(GRID_MS[-1] * 1000) + SECOND)  # every read is issued by then
    while cluster.pending:
        cluster.run(5 * SECOND)
    return [f / n if n else 0.0 for f, n in zip(fresh, reads, strict=True)]


def wars(model_name: str, r: int, w: int, trials: int, rng: Random) -> dict[str, float]:
    """PBS's own Monte Carlo of WARS for the same model: P(consistent) at 0 and 10 ms, t for 99.9%."""
    ts = sorted(wars_trial(MODELS[model_name], 3, r, w, rng) for _ in range(trials))
    return {"p_at_0": sum(t <= 0 for t in ts) / trials, "p_at_10ms": sum(t <= 10 for t in ts) / trials,
            "t_99.9_ms": ts[min(trials - 1, int(TARGET * trials))]}


def run(quick: bool, seed: int, progress: Callable[[str], None]) -> Experiment:
    writes = 150 if quick else 1500
    trials = 3000 if quick else 50_000
    ours: dict[str, Any] = {"grid_ms": list(GRID_MS), "writes_per_quorum": writes, "models": {}}
    rows: list[tuple[str, ...]] = [("model", "R,W", "P(consistent) t=0: ours / WARS / paper",
                                    "t for 99.9%: ours / WARS / paper")]
    figures = []
    checks: dict[str, bool] = {}
    wars_rng = stream(seed, "paper.pbs.wars")
    for name in MODELS:
        per: dict[str, Any] = {}
        series = []
        for r, w in QUORUMS:
            curve = measure(name, r, w, writes, seed)
            check = wars(name, r, w, trials, wars_rng)
            t999 = t_for(curve)
            per[f"R={r},W={w}"] = {"consistent": curve, "t_99.9_ms": t999, "wars": check}
            paper_t = PAPER_T_VISIBILITY[name][(r, w)]
            paper_p0 = PAPER_CONSISTENT_AT.get(name, {}).get(0.0) if (r, w) == (1, 1) else None
            rows.append((name, f"{r},{w}", f"{pct(curve[0], 1)} / {pct(check['p_at_0'], 1)} / {pct(paper_p0, 1)}",
                         f"{'-' if t999 is None else f'{t999:g} ms'} / {check['t_99.9_ms']:.2f} ms / "
                         f"{paper_t:g} ms"))
            series.append(Series(f"ours R={r} W={w}", GRID_MS, tuple(100 * c for c in curve)))
        progress(f"pbs: {name}, {len(QUORUMS)} quorums, {writes} writes x {len(GRID_MS)} read times each")
        ours["models"][name] = per
        c = {k: v["consistent"][0] for k, v in per.items()}
        checks[f"{name}: R+W>N always consistent"] = all(x == 1.0 for x in per["R=2,W=2"]["consistent"])
        checks[f"{name}: t-visibility rises with R+W"] = (
            c["R=1,W=1"] < min(c["R=1,W=2"], c["R=2,W=1"]) <= c["R=2,W=2"]
            and all(a <= b + 1e-9 for a, b in zip(per["R=1,W=1"]["consistent"], per["R=2,W=2"]["consistent"],
                                                   strict=True)))
        paper_points = [(t, 100 * p) for t, p in PAPER_CONSISTENT_AT.get(name, {}).items()]
        paper_points += [(t, 99.9) for (r, w), t in PAPER_T_VISIBILITY[name].items() if (r, w) == (1, 1)]
        series.append(Series("paper R=W=1", tuple(p[0] for p in paper_points), tuple(p[1] for p in paper_points),
                             kind="scatter"))
        figures.append(Figure(f"pbs-{name.lower()}", f"PBS t-visibility, {name} (N=3)",
                              "t after the write is acknowledged (ms)", "consistent reads (%)", tuple(series),
                              y_min=0.0, y_max=100.0, x_min=0.0, x_max=X_MAX[name],
                              note=f"{MODELS[name].describe()}; paper points: R=W=1"))
    paper = {"source": "PBS (VLDB 2012) section 5.6 and its table of t-visibility at 99.9% (N=3); from the "
                       "authors' LaTeX source, github.com/pbailis/pbs-vldb-historical-paper-material",
             "t_99.9_ms": {m: {f"R={r},W={w}": t for (r, w), t in v.items()} for m, v in PAPER_T_VISIBILITY.items()},
             "consistent_at_ms_R1W1": {m: {f"{t:g}": p for t, p in v.items()} for m, v in PAPER_CONSISTENT_AT.items()},
             "not_published": "P(consistent) at t=0 for other quorums and for WAN, only plotted"}
    model = ("3 nodes, N=3, R,W per request; every replica request (W), ack (A), read request (R) and read "
             "response (S) takes its leg's latency from the PBS model; client messages take 0 ms; each write's "
             "and each read's coordinator is a random replica; read repair and anti-entropy off; "
             f"{writes} writes per (model, R, W), each read at every t of {list(GRID_MS)} ms. Models: "
             + "; ".join(f"{m.name}: {m.describe()}" for m in MODELS.values()))
    differs = ("The WARS Monte Carlo on our copies of the models gives the paper's figures (e.g. LNKD-SSD 97.5% "
               "and LNKD-DISK 43.9% at t=0 for R=W=1), so the models are right. The cluster differs by design: "
               "its coordinator is a replica, so W=1 commits before any other copy is sent and R=1 reads only the "
               "coordinator's copy. R=W=1 is then consistent at t=0 only when both chose the same node (about "
               "1/3) and becomes consistent as the W legs land: the time to 99.9% tracks the W-leg tail, as in "
               "PBS. R+W>N is always consistent and more R or W is never worse, as PBS finds. Our 99.9% times "
               f"are grid points from {writes} writes, so they are coarse.")
    return Experiment("pbs", "PBS: t-visibility under production latency models", ours, paper, model, differs,
                      tuple(rows), tuple(figures), checks)
