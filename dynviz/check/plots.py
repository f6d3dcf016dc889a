"""A check campaign's summary as figures (``dynviz check --plot DIR``): how long the
clients waited, and which faults the lost writes came with.

Each seed's report carries its latency histogram and the faults it injected (counts),
so the figures add up over seeds whatever backend ran them. A lost write is charged to
every kind of fault its seed injected: the campaign cannot tell which fault lost it
(the shrunk reproduction can), so the figure says "lost in seeds with this fault".
"""

from __future__ import annotations

from dynviz.check.campaign import CampaignReport
from dynviz.metrics.figure import Figure, Series
from dynviz.metrics.series import LATENCY_EDGES, edge_label


def latency_histogram(campaign: CampaignReport) -> Figure:
    ops = sorted({op for r in campaign.reports for op, _ in r.latency_bins})
    totals = {op: [0] * len(LATENCY_EDGES) for op in ops}
    for report in campaign.reports:
        for op, bins in report.latency_bins:
            totals[op] = [a + b for a, b in zip(totals[op], bins, strict=True)]
    last = max((i for counts in totals.values() for i, n in enumerate(counts) if n), default=0)
    cats = tuple(edge_label(e) for e in LATENCY_EDGES[: last + 1])
    xs = tuple(float(i) for i in range(1, len(cats) + 1))
    answers = sum(sum(c) for c in totals.values())
    return Figure("check-latency", f"latency of the {answers:,} answers over {campaign.seeds} seeds, by operation",
                  "latency (at least)", "answers",
                  tuple(Series(op, xs, tuple(float(n) for n in totals[op][: last + 1]), kind="bar") for op in ops),
                  categories=cats, note="faults slow requests: slow links, partitions and crashes make the long tail")


def lost_by_fault(campaign: CampaignReport) -> Figure:
    kinds = sorted({fault for r in campaign.reports for fault, _ in r.faults})
    seeds = dict.fromkeys(kinds, 0)
    lost = dict.fromkeys(kinds, 0)
    for report in campaign.reports:
        for fault, _ in report.faults:
            seeds[fault] += 1
            lost[fault] += report.lost
    xs = tuple(float(i) for i in range(1, len(kinds) + 1))
    return Figure("check-lost-by-fault", f"lost writes by fault kind ({campaign.lost} lost of {campaign.acked:,} acked)",
                  "fault", "seeds / writes",
                  (Series("seeds with it", xs, tuple(float(seeds[k]) for k in kinds), kind="bar"),
                   Series("writes lost in those seeds", xs, tuple(float(lost[k]) for k in kinds), kind="bar")),
                  categories=tuple(kinds),
                  note="a lost write counts for every fault its seed injected (the shrunk session says which)")


def campaign_figures(campaign: CampaignReport) -> list[Figure]:
    return [latency_histogram(campaign), lost_by_fault(campaign)]
