"""What the clients of a check saw, kept as the judge needs it (:mod:`dynviz.check.judge`).

A check drives a cluster two ways, and both keep their history here: the live workload
(:mod:`dynviz.check.workload`) and the replay of a recorded one (the shrinker). A write
records what its context observed; the history knows that by mirroring each client's
remembered context, as :class:`dynviz.client.Client` keeps the context itself: a
successful get or put sets it to what its answer showed, :meth:`History.forget` clears it.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from dynviz.check.judge import Item, Write, items
from dynviz.client import GetResult, PutResult
from dynviz.cluster import Cluster, Pending
from dynviz.core.versions import Dot, Version


class History:
    """The writes clients attempted (with what each observed and whether it was
    acknowledged) and every value their reads returned, for one cluster."""

    __slots__ = ("writes", "reads", "answers", "_tombstones", "_observed", "_write_of")

    def __init__(self, cluster: Cluster) -> None:
        self.writes: list[Write] = []
        self.reads: dict[bytes, set[bytes]] = {}
        self.answers: dict[bytes, list[tuple[Item, ...]]] = {}  # key -> what each ok get returned, when 2+ siblings
        self._tombstones: dict[int, Dot] = {}  # request id -> the tombstone its coordinator made
        self._observed: dict[tuple[str, bytes], tuple[Item, ...]] = {}  # (client, key) -> its context saw
        self._write_of: dict[int, int] = {}  # request id -> its index in ``writes``
        # A delete's tombstone has no value: its dot names it, learnt from the coordinator
        # through the nodes' observer hook (they are not otherwise touched).
        cluster.observe_versions(self._created)

    def _created(self, req: int, version: Version) -> None:
        if version.value is None:
            self._tombstones[req] = version.dot
            # The coordinator may make the tombstone after its client gave up (slow
            # links): the delete still names it, or a write that saw the tombstone would
            # not cover what the delete replaced.
            index = self._write_of.get(req)
            if index is not None:
                self.writes[index] = replace(self.writes[index], dot=version.dot)

    def acked(self) -> int:
        """How many puts were acknowledged."""
        return sum(1 for w in self.writes if w.acked and w.value is not None)

    def observed(self, client: str, key: bytes) -> tuple[Item, ...]:
        """What ``client``'s context for ``key`` observed: its next write's ``observed``."""
        return self._observed.get((client, key), ())

    def forget(self, client: str, key: bytes) -> None:
        """``client`` forgot its context for ``key``: its next write there is blind."""
        self._observed.pop((client, key), None)

    def track_get(self, client: str, pending: Pending[GetResult]) -> None:
        """Follow a get ``client`` submitted: what it returns is what the client's
        context for the key observes from then on. (The callbacks are bound methods,
        not closures, so a history pickles with its cluster: the explorer clones both.)"""
        pending.callbacks.append(partial(self._got, client))

    def _got(self, client: str, p: Pending[GetResult]) -> None:
        result = p.result
        assert isinstance(result, GetResult)
        if result.ok:
            shown = items(result.siblings)
            self._observed[(client, result.key)] = shown
            self.reads.setdefault(result.key, set()).update(result.values)
            if len(shown) > 1:  # one sibling cannot supersede another
                self.answers.setdefault(result.key, []).append(shown)

    def track_write(self, client: str, pending: Pending[PutResult]) -> None:
        """Follow a put or delete ``client`` submitted just now, over its context."""
        index = len(self.writes)
        self.writes.append(Write(pending.key, pending.value, self.observed(client, pending.key)))
        self._write_of[pending.req] = index
        pending.callbacks.append(partial(self._written, client, index))

    def _written(self, client: str, index: int, p: Pending[PutResult]) -> None:
        result = p.result
        assert isinstance(result, PutResult)
        w = self.writes[index]
        self.writes[index] = Write(w.key, w.value, w.observed, result.ok, self._tombstones.get(p.req, w.dot))
        if result.ok and result.siblings is not None:
            self._observed[(client, w.key)] = items(result.siblings)
