"""Causal metadata of stored values: vector clocks, dotted version vectors, siblings.

Dynamo (paper section 4.4) keeps every version of a key that is not causally
dominated by another one and hands all of them ("siblings") to the client, with a
context that says what the client saw. The next put over that context supersedes
exactly those versions. Two ways of recording causality live here, chosen per
cluster:

- ``vclock``: the paper's scheme, literally. A version's clock is the context's
  clock with the coordinator's entry incremented, pruned past a size threshold using
  the per-entry timestamps. It reproduces Figure 3, and it loses a write when two
  clients write over one context through one coordinator (both get the same clock):
  that loss is a lesson dynviz shows.
- ``dvv``: dotted version vectors (Preguiça, Baquero, Almeida, Fonte, Gonçalves,
  "Dotted Version Vectors: Logical Clocks for Optimistic Replication", 2010), the fix
  Riak adopted. A version is named by a *dot* (actor, counter) and carries the causal
  past it was written over; it is dropped only when another version's past contains
  its dot, so concurrent writes through one coordinator survive as siblings.

Everything here is immutable and built from tuples: these functions run millions of
times in a simulation campaign. No I/O, no clock, no randomness.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from hashlib import blake2b
from typing import Any, ClassVar

Dot = tuple[str, int]
"""``(actor, counter)``: the event that created a version (DVV's dot)."""


def _slot_setter(cls: type, name: str) -> Callable[[Any, Any], None]:
    """The C-level setter of the slot ``name`` of ``cls``. The value classes below are
    frozen and slotted, and the ``__init__`` dataclasses write for them sets each field
    through ``object.__setattr__`` (a name lookup per field); a put makes four of them
    and a get several, so their ``__init__`` set the slots directly: about half the
    cost, the same objects (equality, hash, pickling and ``replace`` unchanged)."""
    setter: Callable[[Any, Any], None] = cls.__dict__[name].__set__
    return setter


class Order(Enum):
    """How two clocks relate: ``a.compare(b)`` is ``BEFORE`` when ``a`` < ``b``."""

    BEFORE = "before"
    AFTER = "after"
    EQUAL = "equal"
    CONCURRENT = "concurrent"


# --------------------------------------------------------------------------- VClock


@dataclass(frozen=True, slots=True)
class VClock:
    """Immutable vector clock, the paper's [(node, counter)] list with a timestamp per
    entry (for pruning, section 4.4).

    ``entries`` holds ``(actor, counter, timestamp)`` sorted by actor, every counter
    > 0. The timestamp is when the entry was last updated (the coordinator's wall
    clock); it plays no part in ordering, only in ``prune``. Build one with ``of`` or
    from another clock: the constructor trusts its input (hot path).
    """

    entries: tuple[tuple[str, int, int], ...] = ()

    def __init__(self, entries: tuple[tuple[str, int, int], ...] = ()) -> None:
        _set_entries(self, entries)  # see _slot_setter

    @staticmethod
    def of(counters: Mapping[str, int], timestamp: int = 0) -> VClock:
        """A clock from ``{actor: counter}``; zero counters are left out."""
        return VClock(tuple(sorted((a, c, timestamp) for a, c in counters.items() if c > 0)))

    def counter(self, actor: str) -> int:
        """The counter of ``actor``, 0 when absent."""
        for a, c, _ in self.entries:
            if a == actor:
                return c
        return 0

    def increment(self, actor: str, timestamp: int) -> VClock:
        """This clock with ``actor``'s counter one higher, stamped ``timestamp``."""
        entries = self.entries
        for i, (a, c, _) in enumerate(entries):
            if a == actor:
                return VClock((*entries[:i], (a, c + 1, timestamp), *entries[i + 1 :]))
            if a > actor:
                return VClock((*entries[:i], (actor, 1, timestamp), *entries[i:]))
        return VClock((*entries, (actor, 1, timestamp)))

    def merge(self, other: VClock) -> VClock:
        """Pointwise max. Per actor the entry with the larger ``(counter, timestamp)``
        wins, which makes merge commutative, associative and idempotent even for the
        timestamps."""
        a, b = self.entries, other.entries
        if not b or a == b:
            return self
        if not a:
            return other
        out: list[tuple[str, int, int]] = []
        i = j = 0
        na, nb = len(a), len(b)
        while i < na and j < nb:
            x, y = a[i], b[j]
            if x[0] == y[0]:
                out.append(x if (x[1], x[2]) >= (y[1], y[2]) else y)
                i += 1
                j += 1
            elif x[0] < y[0]:
                out.append(x)
                i += 1
            else:
                out.append(y)
                j += 1
        out.extend(a[i:])
        out.extend(b[j:])
        return VClock(tuple(out))

    def compare(self, other: VClock) -> Order:
        """Causal order of the counters (timestamps are ignored)."""
        a, b = self.entries, other.entries
        ge = le = True  # self >= other, self <= other
        i = j = 0
        na, nb = len(a), len(b)
        while i < na and j < nb:
            xa, xc, _ = a[i]
            ya, yc, _ = b[j]
            if xa == ya:
                if xc > yc:
                    le = False
                elif xc < yc:
                    ge = False
                i += 1
                j += 1
            elif xa < ya:
                le = False
                i += 1
            else:
                ge = False
                j += 1
            if not (ge or le):
                return Order.CONCURRENT
        if i < na:
            le = False
        if j < nb:
            ge = False
        if ge:
            return Order.EQUAL if le else Order.AFTER
        return Order.BEFORE if le else Order.CONCURRENT

    def descends(self, other: VClock) -> bool:
        """``self >= other`` pointwise: self has seen everything other has."""
        return self.compare(other) in (Order.AFTER, Order.EQUAL)

    def prune(self, threshold: int = 10) -> VClock:
        """Paper section 4.4: while the clock has more than ``threshold`` entries drop
        the one with the oldest timestamp (ties: the smallest actor). Pruning can make
        a descendant look concurrent with its ancestor (a spurious sibling, never a
        lost write); the paper reports it did not happen in production."""
        if threshold < 0:
            raise ValueError(f"prune threshold must be >= 0, got {threshold}")
        excess = len(self.entries) - threshold
        if excess <= 0:
            return self
        oldest = sorted(self.entries, key=lambda e: (e[2], e[0]))[:excess]
        drop = {e[0] for e in oldest}
        return VClock(tuple(e for e in self.entries if e[0] not in drop))

    def as_dict(self) -> dict[str, int]:
        """``{actor: counter}``, for display and for building contexts."""
        return {a: c for a, c, _ in self.entries}

    def __len__(self) -> int:
        return len(self.entries)


# ------------------------------------------------------------------- CausalContext


_set_entries = _slot_setter(VClock, "entries")


@dataclass(frozen=True, slots=True)
class CausalContext:
    """What a client has seen: a version vector (contiguous counters 1..n per actor)
    plus isolated dots beyond it.

    In vclock mode ``dots`` is always empty. In dvv mode a sibling's history is
    ``past ∪ {dot}``, which may be non-contiguous (Preguiça et al.: a dot is an event
    *outside* the vector it was written over), so the context must keep isolated dots
    exactly — else a later write would "cover" a sibling the client never saw.

    ``vv`` is sorted by actor with counters > 0; ``dots`` is sorted, never holds a dot
    already inside ``vv``, and is normalised (a dot ``(a, vv[a]+1)`` is folded into
    ``vv``, repeatedly), so ``==`` is structural. The constructor trusts its input;
    use ``of`` for anything not already normalised.
    """

    vv: tuple[tuple[str, int], ...] = ()
    dots: tuple[Dot, ...] = ()

    def __init__(self, vv: tuple[tuple[str, int], ...] = (), dots: tuple[Dot, ...] = ()) -> None:
        _set_vv(self, vv)  # see _slot_setter
        _set_dots(self, dots)

    EMPTY: ClassVar[CausalContext]

    @staticmethod
    def of(vv: Mapping[str, int] | None = None, dots: Iterable[Dot] = ()) -> CausalContext:
        """A normalised context from a version vector and any dots."""
        return _normalise(dict(vv) if vv else {}, dots)

    def contains(self, dot: Dot) -> bool:
        """Whether the client saw the event ``dot``."""
        actor, counter = dot
        for a, c in self.vv:
            if a == actor:
                if counter <= c:
                    return True
                break
            if a > actor:
                break
        return dot in self.dots if self.dots else False

    def max_counter(self, actor: str) -> int:
        """The largest counter of ``actor`` seen, in ``vv`` or ``dots`` (0 if none)."""
        best = 0
        for a, c in self.vv:
            if a == actor:
                best = c
                break
        if self.dots:
            for a, c in self.dots:
                if a == actor and c > best:
                    best = c
        return best

    def join(self, other: CausalContext) -> CausalContext:
        """Everything either context saw (a client that read twice)."""
        if not (other.vv or other.dots) or self == other:
            return self
        if not (self.vv or self.dots):
            return other
        vv = dict(self.vv)
        for a, c in other.vv:
            if c > vv.get(a, 0):
                vv[a] = c
        return _normalise(vv, self.dots + other.dots)

    def add(self, dot: Dot) -> CausalContext:
        """This context plus the event ``dot``."""
        if not self.dots:
            # Fast path (the common case, every get's context): one walk of ``vv`` both
            # answers ``contains`` and finds where the dot extends it contiguously.
            actor, counter = dot
            vv = self.vv
            for i, (a, c) in enumerate(vv):
                if a == actor:
                    if counter <= c:
                        return self  # seen already
                    if counter == c + 1:
                        return CausalContext((*vv[:i], (a, counter), *vv[i + 1:]))
                    break
                if a > actor:
                    if counter == 1:
                        return CausalContext((*vv[:i], (actor, 1), *vv[i:]))
                    break
            else:
                if counter == 1:
                    return CausalContext((*vv, (actor, 1)))
            return _normalise(dict(vv), (dot,))
        if self.contains(dot):
            return self
        return _normalise(dict(self.vv), (*self.dots, dot))

    def is_empty(self) -> bool:
        """True for the context of a client that has read nothing."""
        return not (self.vv or self.dots)

    def as_dict(self) -> dict[str, int]:
        """``{actor: max counter}`` (for display; drops the gaps)."""
        out = dict(self.vv)
        for a, c in self.dots:
            if c > out.get(a, 0):
                out[a] = c
        return out


_set_vv = _slot_setter(CausalContext, "vv")
_set_dots = _slot_setter(CausalContext, "dots")


def _normalise(vv: dict[str, int], dots: Iterable[Dot]) -> CausalContext:
    """Fold dots contiguous with ``vv`` into it and drop those already inside."""
    vv = {a: c for a, c in vv.items() if c > 0}
    rest = sorted({d for d in dots if d[1] > vv.get(d[0], 0)})
    kept: list[Dot] = []
    for a, c in rest:  # ascending per actor: after the first gap nothing folds
        if c == vv.get(a, 0) + 1:
            vv[a] = c
        else:
            kept.append((a, c))
    return CausalContext(tuple(sorted(vv.items())), tuple(kept))


EMPTY_CONTEXT = CausalContext()
CausalContext.EMPTY = EMPTY_CONTEXT


# --------------------------------------------------------------- Version, Siblings


@dataclass(frozen=True, slots=True)
class Version:
    """One write (or delete) of a key as a replica stores it.

    ``dot`` names the write, ``past`` is the client's context it was made over (what
    it supersedes). ``clock`` is, in vclock mode, the paper's clock of this version;
    in dvv mode a display-only summary of ``past`` plus ``dot``. ``timestamp`` is the
    coordinator's (possibly skewed) wall clock in µs: last-write-wins reads it, which
    is why LWW can lose data.
    """

    value: bytes | None
    dot: Dot
    past: CausalContext
    clock: VClock
    timestamp: int

    def __init__(self, value: bytes | None, dot: Dot, past: CausalContext, clock: VClock, timestamp: int) -> None:
        _set_value(self, value)  # see _slot_setter
        _set_dot(self, dot)
        _set_past(self, past)
        _set_clock(self, clock)
        _set_timestamp(self, timestamp)

    @property
    def is_tombstone(self) -> bool:
        """A delete is a version with no value, so it can supersede what it saw."""
        return self.value is None


_set_value, _set_dot, _set_past, _set_clock, _set_timestamp = (
    _slot_setter(Version, name) for name in ("value", "dot", "past", "clock", "timestamp"))


def _full_key(v: Version) -> tuple[Any, ...]:
    """A total order on versions, used only to break ties deterministically."""
    return (
        v.timestamp,
        v.value or b"",
        v.value is not None,
        v.dot,
        v.clock.entries,
        v.past.vv,
        v.past.dots,
    )


def _canonical_key(v: Version) -> tuple[Any, ...]:
    return (v.dot, v.clock.entries, *_full_key(v))


@dataclass(frozen=True, slots=True)
class Siblings:
    """A replica's set of concurrent versions of one key, in canonical order (sorted
    by dot) so ``==`` is structural: replicas that converged compare equal and hash
    the same in Merkle trees (paper section 4.7)."""

    versions: tuple[Version, ...] = ()

    def __init__(self, versions: tuple[Version, ...] = ()) -> None:
        _set_versions(self, versions)  # see _slot_setter

    EMPTY: ClassVar[Siblings]

    def values(self) -> list[bytes | None]:
        """The sibling values a get returns (None for tombstones)."""
        return [v.value for v in self.versions]

    def __len__(self) -> int:
        return len(self.versions)

    def __iter__(self) -> Iterator[Version]:
        return iter(self.versions)

    def is_empty(self) -> bool:
        return not self.versions

    def all_tombstones(self) -> bool:
        """True when every sibling is a delete: the key reads as absent."""
        return all(v.value is None for v in self.versions)


_set_versions = _slot_setter(Siblings, "versions")

Siblings.EMPTY = Siblings()


def _siblings(kept: list[Version]) -> Siblings:
    if len(kept) > 1:
        kept.sort(key=_canonical_key)
    return Siblings(tuple(kept))


def _maximal(
    versions: tuple[Version, ...], beats: Callable[[Version, Version], bool]
) -> list[Version]:
    """The versions no other one beats; exact duplicates kept once.

    ``beats`` is a strict partial order, so the result of merging in any grouping is
    the maximal elements of the union: commutative, associative, idempotent.
    """
    kept: list[Version] = []
    for i, v in enumerate(versions):
        for j, w in enumerate(versions):
            if i != j and (beats(w, v) or (j < i and (w is v or w == v))):
                break
        else:
            kept.append(v)
    return kept


# ---------------------------------------------------------------------- Versioning


class Versioning(ABC):
    """The per-cluster way of recording causality (DESIGN section 7)."""

    name: str

    @abstractmethod
    def new_version(
        self,
        stored: Siblings,
        context: CausalContext,
        value: bytes | None,
        actor: str,
        timestamp: int,
        issued: int = 0,
    ) -> Version:
        """The version a coordinator ``actor`` creates for a put over ``context``.

        ``issued`` is the largest counter ``actor`` has issued for this key that it may
        no longer store (a stand-in that handed its hints back): dvv counts past it."""

    @abstractmethod
    def covers(self, w: Version, v: Version) -> bool:
        """Whether ``w`` supersedes ``v`` (syntactic reconciliation, section 4.4)."""

    @abstractmethod
    def context_of(self, s: Siblings) -> CausalContext:
        """The context a get returns for ``s``: everything those siblings saw."""

    @abstractmethod
    def _beats(self, w: Version, v: Version) -> bool:
        """``covers`` plus a deterministic tie-break: a strict partial order."""

    def merge(self, a: Siblings, b: Siblings) -> Siblings:
        """Union, then drop every version covered by another one. Used by puts, read
        repair, hinted handoff, anti-entropy and transfers: commutative,
        associative and idempotent, so replicas converge whatever the order."""
        if a is b or not b.versions:
            return a
        if not a.versions:
            return b
        av, bv = a.versions, b.versions
        beats = self._beats
        if len(av) == 1 and len(bv) == 1:
            # The common case (one version each side): no set machinery.
            v, w = av[0], bv[0]
            if v is w or beats(v, w):
                return a
            if beats(w, v):
                return b
            # Equal versions beat neither way (``beats`` is strict), so the costlier
            # field-by-field comparison is only needed here, not before every write.
            if v == w:
                return a
            return _siblings([v, w])
        if a == b:
            return a
        # Fast paths for the common case, a write that supersedes everything stored:
        # when every version of one side is beaten by the other side, the other side
        # (already maximal and canonical) is the merge.
        if all(any(beats(w, v) for w in bv) for v in av):
            return b
        if all(any(beats(w, v) for w in av) for v in bv):
            return a
        return _siblings(_maximal(a.versions + b.versions, self._beats))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class DvvVersioning(Versioning):
    """Dotted version vectors (Preguiça et al. 2010; DESIGN section 7).

    A new version's dot is one past every counter of ``actor`` the coordinator knows
    for the key (stored histories and the context), and its past is the client's
    context. ``v`` is covered by ``w`` iff ``w.past`` contains ``v.dot``: so two
    writes over one context through one coordinator get different dots, neither past
    contains the other's, and both survive.
    """

    name = "dvv"

    def merge(self, a: Siblings, b: Siblings) -> Siblings:
        """``Versioning.merge``, with the common case (one version each side, two
        different dots: every write a replica stores) decided here in one step, without
        the generic ``_beats`` calls: for different dots ``_beats(w, v)`` is
        ``w.past.contains(v.dot)``, and two versions with different dots are not equal.

        The last merge is remembered by the identity of its two sides: a put's
        coordinator merges the key's stored siblings with the new version, then each
        replica merges what it stores with the very object the coordinator sent, and
        replicas in sync store the very same object (values are immutable and shared
        in the simulator), so two of a put's three merges are this one again. The memo
        holds both sides, so their ids cannot be reused while it lives; a merge is a
        pure function of its sides, so any thread may read it."""
        global _last_dvv_merge
        if a is b:  # replicas that agree hand over the very same object
            return a
        last = _last_dvv_merge
        if last[0] is a and last[1] is b:
            return last[2]
        merged = self._merge(a, b)
        _last_dvv_merge = (a, b, merged)
        return merged

    def _merge(self, a: Siblings, b: Siblings) -> Siblings:
        av, bv = a.versions, b.versions
        if len(av) == 1 and len(bv) == 1:
            v, w = av[0], bv[0]
            vd, wd = v.dot, w.dot
            if v is not w and vd != wd:
                if v.past.contains(wd):
                    return a
                if w.past.contains(vd):
                    return b
                return _siblings([v, w])
        return Versioning.merge(self, a, b)

    def new_version(
        self,
        stored: Siblings,
        context: CausalContext,
        value: bytes | None,
        actor: str,
        timestamp: int,
        issued: int = 0,
    ) -> Version:
        top = context.max_counter(actor)
        if issued > top:
            top = issued
        for v in stored.versions:
            c = v.past.max_counter(actor)
            d_actor, d_counter = v.dot
            if d_actor == actor and d_counter > c:
                c = d_counter
            if c > top:
                top = c
        dot = (actor, top + 1)
        if not context.dots:  # the common case: build the display clock without a dict
            entries = [(a, c, timestamp) for a, c in context.vv if a != actor]
            entries.append((actor, top + 1, timestamp))
            if len(entries) > 1:
                entries.sort()
            return Version(value, dot, context, VClock(tuple(entries)), timestamp)
        shown = context.as_dict()
        shown[actor] = top + 1
        return Version(value, dot, context, VClock.of(shown, timestamp), timestamp)

    def covers(self, w: Version, v: Version) -> bool:
        return w != v and w.past.contains(v.dot)

    def _beats(self, w: Version, v: Version) -> bool:
        if w.dot == v.dot:
            # Identical dots are one write. Two different versions with one dot only
            # arise if an actor is reused after losing its data (why actors carry an
            # epoch); keep one deterministically so replicas still converge.
            return w != v and _full_key(w) > _full_key(v)
        return w.past.contains(v.dot)

    def context_of(self, s: Siblings) -> CausalContext:
        versions = s.versions
        if not versions:
            return EMPTY_CONTEXT
        if len(versions) == 1:
            v = versions[0]
            return v.past.add(v.dot)
        vv: dict[str, int] = {}
        dots: list[Dot] = []
        for v in versions:
            for a, c in v.past.vv:
                if c > vv.get(a, 0):
                    vv[a] = c
            dots.extend(v.past.dots)
            dots.append(v.dot)
        return _normalise(vv, dots)


_last_dvv_merge: tuple[Siblings | None, Siblings | None, Siblings] = (None, None, Siblings.EMPTY)
"""``DvvVersioning.merge``'s memo: (a, b, a merged with b), the latest merge computed."""


class VClockVersioning(Versioning):
    """The paper's vector clocks (section 4.4), literally.

    The new clock is the context's clock with the coordinator's entry incremented,
    pruned past ``prune_threshold`` entries; ``w`` covers ``v`` iff ``w``'s clock
    strictly dominates. Two writes over one context through one coordinator get
    *equal* clocks: the paper has no way to keep both, so one is kept
    deterministically (larger ``(timestamp, value)``) and the other is lost — the
    lesson ``dvv`` mode fixes.
    """

    name = "vclock"

    def __init__(self, prune_threshold: int = 10) -> None:
        if prune_threshold < 1:
            raise ValueError(f"prune threshold must be at least 1, got {prune_threshold}")
        self.prune_threshold = prune_threshold

    def __repr__(self) -> str:
        return f"VClockVersioning(prune_threshold={self.prune_threshold})"

    def new_version(
        self,
        stored: Siblings,
        context: CausalContext,
        value: bytes | None,
        actor: str,
        timestamp: int,
        issued: int = 0,
    ) -> Version:
        counters = context.as_dict() if context.dots else dict(context.vv)
        counter = counters.get(actor, 0) + 1
        counters[actor] = counter
        clock = VClock.of(counters, timestamp)
        excess = len(clock.entries) - self.prune_threshold
        if excess > 0:
            # Every entry carries this write's timestamp (the context keeps counters
            # only), so the prune tie-break (smallest actor first) decides; the
            # coordinator's own entry is kept, or the clock would not name its write.
            drop = {e[0] for e in clock.entries if e[0] != actor}
            drop = set(sorted(drop)[:excess])
            clock = VClock(tuple(e for e in clock.entries if e[0] not in drop))
        return Version(value, (actor, counter), context, clock, timestamp)

    def covers(self, w: Version, v: Version) -> bool:
        return w.clock.compare(v.clock) is Order.AFTER

    def _beats(self, w: Version, v: Version) -> bool:
        order = w.clock.compare(v.clock)
        if order is Order.AFTER:
            return True
        # Equal clocks, different writes: the paper's lost update.
        return order is Order.EQUAL and w != v and _full_key(w) > _full_key(v)

    def context_of(self, s: Siblings) -> CausalContext:
        versions = s.versions
        if not versions:
            return EMPTY_CONTEXT
        clock = versions[0].clock
        for v in versions[1:]:
            clock = clock.merge(v.clock)
        return CausalContext(tuple((a, c) for a, c, _ in clock.entries))


def versioning(name: str, prune_threshold: int = 10) -> Versioning:
    """The versioning of a cluster by name: ``"dvv"`` or ``"vclock"``."""
    if name == "dvv":
        return DvvVersioning()
    if name == "vclock":
        return VClockVersioning(prune_threshold)
    raise ValueError(f"unknown versioning {name!r}: choose 'dvv' or 'vclock'")


def resolve_lww(s: Siblings) -> Siblings:
    """Last-write-wins: keep the one version with the largest ``(timestamp, dot)``.

    The timestamp is the coordinator's wall clock, which can be skewed, so this
    resolver silently drops concurrent writes (and even later ones): dynviz offers it
    to show that loss, as the paper warns (section 4.4)."""
    if len(s.versions) <= 1:
        return s
    return Siblings((max(s.versions, key=_lww_key),))


def merge_lww(a: Siblings, b: Siblings) -> Siblings:
    """The LWW merge: the single version with the largest ``(timestamp, dot)`` of both.

    It ignores causality on purpose: a max is commutative, associative and
    idempotent, so replicas converge in any order, whereas resolving after a causal
    merge does not (a causally newer write with a skewed, smaller timestamp would win
    on one replica and lose on another). The price is LWW's: a later write stamped
    by a slow clock is dropped."""
    if not b.versions:
        return resolve_lww(a)
    if not a.versions:
        return resolve_lww(b)
    return Siblings((max((*a.versions, *b.versions), key=_lww_key),))


def _lww_key(v: Version) -> tuple[int, Dot, bool, bytes]:
    return (v.timestamp, v.dot, v.value is not None, v.value or b"")


# ------------------------------------------------------------------------ encoding

_FORMAT = 1


def encode_siblings(s: Siblings) -> bytes:
    """Compact, deterministic bytes for storage and the wire: JSON with sorted keys,
    each version a flat list, values as latin-1 strings (one char per byte)."""
    rows = [
        [
            v.dot[0],
            v.dot[1],
            v.timestamp,
            None if v.value is None else v.value.decode("latin-1"),
            [list(e) for e in v.past.vv],
            [list(d) for d in v.past.dots],
            [list(e) for e in v.clock.entries],
        ]
        for v in s.versions
    ]
    doc = {"f": _FORMAT, "s": rows}
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class _Bad(Exception):
    pass


def _int(x: object, what: str, positive: bool = False) -> int:
    if type(x) is not int:
        raise _Bad(f"{what} is not an integer")
    if positive and x <= 0:
        raise _Bad(f"{what} must be > 0")
    return x


def _str(x: object, what: str) -> str:
    if type(x) is not str:
        raise _Bad(f"{what} is not a string")
    return x


def _list(x: object, what: str, n: int | None = None) -> list[Any]:
    if type(x) is not list or (n is not None and len(x) != n):
        raise _Bad(f"{what} is not a list" + (f" of {n}" if n is not None else ""))
    return x


def _pairs(x: object, what: str) -> list[tuple[str, int]]:
    return [
        (_str(p[0], f"{what} actor"), _int(p[1], f"{what} counter", positive=True))
        for p in (_list(e, what, 2) for e in _list(x, what))
    ]


def _version(row: object) -> Version:
    r = _list(row, "version", 7)
    dot = (_str(r[0], "dot actor"), _int(r[1], "dot counter", positive=True))
    timestamp = _int(r[2], "timestamp")
    if r[3] is None:
        value = None
    else:
        try:
            value = _str(r[3], "value").encode("latin-1")
        except UnicodeEncodeError:
            raise _Bad("value holds a character outside latin-1") from None
    vv = _pairs(r[4], "past vv")
    if len({a for a, _ in vv}) != len(vv):
        raise _Bad("past vv repeats an actor")
    past = CausalContext.of(dict(vv), _pairs(r[5], "past dots"))
    entries = [
        (
            _str(e[0], "clock actor"),
            _int(e[1], "clock counter", positive=True),
            _int(e[2], "clock timestamp"),
        )
        for e in (_list(e, "clock entry", 3) for e in _list(r[6], "clock"))
    ]
    entries.sort()
    if len({e[0] for e in entries}) != len(entries):
        raise _Bad("clock repeats an actor")
    return Version(value, dot, past, VClock(tuple(entries)), timestamp)


def decode_siblings(b: bytes) -> Siblings:
    """The inverse of ``encode_siblings``; raises ``ValueError`` on anything else."""
    try:
        doc = json.loads(bytes(b).decode("utf-8"))
        if type(doc) is not dict or set(doc) != {"f", "s"}:
            raise _Bad("not a siblings document")
        if doc["f"] != _FORMAT or type(doc["f"]) is not int:
            raise _Bad(f"unknown format {doc['f']!r}")
        versions = [_version(row) for row in _list(doc["s"], "siblings")]
    except _Bad as e:
        raise ValueError(f"stored siblings are malformed: {e}") from None
    except (ValueError, TypeError, RecursionError) as e:
        raise ValueError(f"stored siblings are malformed: {e.__class__.__name__}: {e}") from None
    return _siblings(versions)


# ------------------------------------------------------------------------- digests


def _digest_int(out: bytearray, i: int) -> None:
    raw = i.to_bytes(i.bit_length() // 8 + 1, "big", signed=True)
    out.append(len(raw))
    out += raw


def _digest_str(out: bytearray, s: str) -> None:
    raw = s.encode("utf-8")
    _digest_int(out, len(raw))
    out += raw


def digest_siblings(s: Siblings) -> bytes:
    """A stable 16-byte digest of a sibling set, for Merkle trees (paper section 4.7).

    blake2b over a length-prefixed serialisation of every version in canonical order:
    dot, timestamp, tombstone flag, blake2b of the value, causal past (vv and dots) and
    clock entries. Structurally equal sibling sets (converged replicas) digest the same
    in every process; never ``hash()``, which is randomised per process (DESIGN §2).
    """
    out = bytearray()
    _digest_int(out, len(s.versions))
    for v in s.versions:
        _digest_str(out, v.dot[0])
        _digest_int(out, v.dot[1])
        _digest_int(out, v.timestamp)
        if v.value is None:
            out.append(0)
        else:
            out.append(1)
            out += blake2b(v.value, digest_size=16).digest()
        _digest_int(out, len(v.past.vv))
        for actor, counter in v.past.vv:
            _digest_str(out, actor)
            _digest_int(out, counter)
        _digest_int(out, len(v.past.dots))
        for actor, counter in v.past.dots:
            _digest_str(out, actor)
            _digest_int(out, counter)
        _digest_int(out, len(v.clock.entries))
        for actor, counter, stamp in v.clock.entries:
            _digest_str(out, actor)
            _digest_int(out, counter)
            _digest_int(out, stamp)
    return blake2b(bytes(out), digest_size=16).digest()
