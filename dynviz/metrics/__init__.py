"""Measurements of a running cluster: bounded time series on virtual time (DESIGN §8).

:mod:`dynviz.metrics.observer` holds the event-bus subscriber and the snapshot the app
plots; :mod:`dynviz.metrics.series` the percentile and bucket arithmetic.
"""

from dynviz.metrics.observer import Metrics, MetricsSnapshot, StalenessRow, versions_shares

__all__ = ["Metrics", "MetricsSnapshot", "StalenessRow", "versions_shares"]
