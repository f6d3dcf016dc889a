"""The consistent-hashing ring: tokens, vnodes, partitioning strategies, preference lists.

Dynamo (paper sections 4.2 and 6.2) places each physical node at many positions
("virtual nodes", tokens) on a 128-bit ring. A key belongs to the first position
clockwise from its MD5 token; its *preference list* continues the clockwise walk and
skips positions of nodes already chosen, so it names distinct physical nodes. The list
is longer than N so that a coordinator can skip nodes it believes down (sloppy quorum).

The paper's three strategies are offered:

* ``random`` (strategy 1): every node draws T random tokens. Ranges are the arcs
  between consecutive tokens, so they have unequal sizes and the load is uneven.
* ``random-equal`` (strategy 2): every node draws T random tokens as in strategy 1,
  but the ring is cut into Q equal partitions that do not move with the tokens: a
  key's range is the equal partition it falls in, and that partition's preference
  list is the clockwise walk of the token ring from the partition's end. As the paper
  puts it, the tokens "are only used to build the function that maps values in the
  hash space to the ordered lists of nodes and not to decide the partitioning".
* ``equal`` (strategy 3, the default): the ring is cut into Q equal partitions (a fixed
  power of two, like Riak's ring size) and each node claims Q/S of them. A claim step
  keeps every node at k or k+1 partitions and avoids giving one node two partitions
  within N positions of each other, so a key's N replicas are distinct nodes wherever
  it can.

Ranges are the unit of replication, hand-off, Merkle trees and transfers (DESIGN §7):
range ``r`` is ``(tokens[r-1], tokens[r]]``, range 0 wrapping around zero.
"""

from __future__ import annotations

import hashlib
import random
import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from dynviz.core.hashing import RING_SIZE, token_of

STRATEGIES = ("equal", "random", "random-equal")
DEFAULT_VNODES = 8
"""Tokens per node for the ``random`` strategy."""

_CACHED_PREFIX = 8
"""How many distinct nodes of each range's walk are cached; longer lists are walked."""
_KEYS_CACHED = 8192
"""Keys whose extended preference list a ring remembers (then it starts again)."""


class RingError(ValueError):
    """A ring that cannot be built as asked (a message the user can act on)."""


@dataclass(frozen=True, slots=True)
class Range:
    """One arc of the ring, ``(lo, hi]``, and the node whose token ends it."""

    index: int
    lo: int
    hi: int
    owner: str

    @property
    def width(self) -> int:
        return (self.hi - self.lo) % RING_SIZE or RING_SIZE

    def contains(self, token: int) -> bool:
        if self.lo < self.hi:
            return self.lo < token <= self.hi
        return token > self.lo or token <= self.hi


@dataclass(frozen=True, slots=True)
class RangeChange:
    """A stretch of the ring whose first-N replica set differs between two rings."""

    lo: int
    hi: int
    before: tuple[str, ...]
    after: tuple[str, ...]

    @property
    def gained(self) -> tuple[str, ...]:
        """Nodes that must receive this stretch's data."""
        return tuple(n for n in self.after if n not in self.before)

    @property
    def lost(self) -> tuple[str, ...]:
        """Nodes that no longer replicate this stretch."""
        return tuple(n for n in self.before if n not in self.after)

    @property
    def width(self) -> int:
        return (self.hi - self.lo) % RING_SIZE or RING_SIZE


class Ring:
    """An immutable ring built from each node's tokens.

    Lookup is a bisect over the sorted tokens (O(log V)); the first few distinct nodes
    of every range's clockwise walk are cached on first use, so a preference list costs
    one MD5, one bisect and a tuple slice.

    With ``partitions`` Q (strategy 2, ``random-equal``) the ranges are the Q equal
    partitions instead of the arcs between tokens: ``tokens`` are then the partitions'
    ends and ``owners`` their first replicas, while every walk still follows the nodes'
    own tokens, starting at the first token at or after the partition's end.
    """

    __slots__ = ("tokens", "owners", "nodes", "partitions", "_walk_cache", "_node_tokens", "_extended_cache",
                 "_walk_owners", "_walk_starts", "_extended_by_key")

    def __init__(self, node_tokens: Mapping[str, Iterable[int]], partitions: int = 0) -> None:
        pairs: list[tuple[int, str]] = []
        seen: dict[int, str] = {}
        for node, toks in node_tokens.items():
            for t in toks:
                if not 0 <= t < RING_SIZE:
                    raise RingError(f"token {t} of {node} is outside the ring")
                if t in seen:
                    raise RingError(f"token {t:032x} is claimed by both {seen[t]} and {node}")
                seen[t] = node
                pairs.append((t, node))
        if not pairs:
            raise RingError("a ring needs at least one node with at least one token")
        if partitions < 0 or partitions & (partitions - 1):
            raise RingError(f"partitions must be a power of two, got {partitions}")
        pairs.sort()
        self.tokens: list[int] = [t for t, _ in pairs]
        self.owners: list[str] = [n for _, n in pairs]
        self.partitions = partitions
        self._walk_owners = self.owners  # the token ring every walk follows
        self._walk_starts: list[int] | None = None  # range -> where its walk starts (strategy 2)
        if partitions:
            tokens = self.tokens
            ends = [partition_token(i, partitions) for i in range(partitions)]
            self._walk_starts = starts = [bisect_left(tokens, end) % len(tokens) for end in ends]
            self.tokens = ends
            self.owners = [self._walk_owners[s] for s in starts]
        self.nodes: tuple[str, ...] = tuple(node_tokens)
        self._node_tokens = {n: tuple(sorted(t)) for n, t in node_tokens.items()}
        self._walk_cache: list[tuple[str, ...] | None] = [None] * len(self.tokens)
        self._extended_cache: dict[int, tuple[str, ...]] = {}
        # key -> its extended preference list: every request asks it twice (the client
        # picking its entry node, the coordinator its replicas), and a key's bytes hash
        # once, where its token is an MD5 behind an LRU cache and a bisect.
        self._extended_by_key: dict[bytes, tuple[str, ...]] = {}

    # -- ranges ---------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.tokens)

    def range_index(self, token: int) -> int:
        """Index of the range holding ``token``: the first vnode at or after it."""
        i = bisect_left(self.tokens, token)
        return 0 if i == len(self.tokens) else i

    def range_of_key(self, key: bytes) -> int:
        return self.range_index(token_of(key))

    def range(self, index: int) -> Range:
        return Range(index, self.tokens[index - 1], self.tokens[index], self.owners[index])

    def ranges(self) -> list[Range]:
        return [self.range(i) for i in range(len(self.tokens))]

    def tokens_of(self, node: str) -> tuple[int, ...]:
        return self._node_tokens.get(node, ())

    def node_tokens(self) -> dict[str, tuple[int, ...]]:
        return dict(self._node_tokens)

    # -- preference lists -----------------------------------------------------------

    def _walk(self, index: int, limit: int) -> tuple[str, ...]:
        owners = self._walk_owners
        size = len(owners)
        if self._walk_starts is not None:
            index = self._walk_starts[index]
        chosen: list[str] = []
        seen: set[str] = set()  # membership only: the order is kept by ``chosen``
        for step in range(size):
            node = owners[(index + step) % size]
            if node not in seen:
                seen.add(node)
                chosen.append(node)
                if len(chosen) == limit:
                    break
        return tuple(chosen)

    def replicas_of_range(self, index: int, n: int) -> tuple[str, ...]:
        """The first ``n`` distinct nodes walking clockwise from range ``index``."""
        if n <= _CACHED_PREFIX:
            cached = self._walk_cache[index]
            if cached is None:
                cached = self._walk(index, _CACHED_PREFIX)
                self._walk_cache[index] = cached
            return cached[:n]
        return self._walk(index, n)

    def preference_list(self, key: bytes, n: int) -> tuple[str, ...]:
        """The key's top ``n`` distinct nodes (fewer if the ring has fewer nodes)."""
        # range_index and replicas_of_range, inline: every request asks this.
        tokens = self.tokens
        index = bisect_left(tokens, token_of(key))
        if index == len(tokens):
            index = 0
        if n <= _CACHED_PREFIX:
            cached = self._walk_cache[index]
            if cached is None:
                cached = self._walk_cache[index] = self._walk(index, _CACHED_PREFIX)
            return cached[:n]
        return self._walk(index, n)

    def preference_list_for_token(self, token: int, n: int) -> tuple[str, ...]:
        return self.replicas_of_range(self.range_index(token), n)

    def extended_preference_list(self, key: bytes) -> tuple[str, ...]:
        """Every node, in the order a sloppy quorum falls back through them."""
        found = self._extended_by_key.get(key)
        if found is not None:
            return found
        tokens = self.tokens  # range_index, inline
        index = bisect_left(tokens, token_of(key))
        found = self.extended_for_range(index if index < len(tokens) else 0)
        if len(self._extended_by_key) >= _KEYS_CACHED:
            self._extended_by_key.clear()  # bounded (a ring lives as long as its membership)
        self._extended_by_key[key] = found
        return found

    def extended_for_range(self, index: int) -> tuple[str, ...]:
        """The whole clockwise walk from range ``index`` (cached per range)."""
        found = self._extended_cache.get(index)
        if found is None:
            found = self._extended_cache[index] = self._walk(index, len(self._node_tokens))
        return found

    # -- shares and changes ---------------------------------------------------------

    def ownership(self) -> dict[str, float]:
        """Fraction of the ring each node owns as primary (sums to 1)."""
        share = {n: 0 for n in self._node_tokens}
        for r in range(len(self.tokens)):
            lo, hi = self.tokens[r - 1], self.tokens[r]
            share[self.owners[r]] += (hi - lo) % RING_SIZE or RING_SIZE
        return {n: w / RING_SIZE for n, w in share.items()}

    def replica_changes(self, other: Ring, n: int) -> list[RangeChange]:
        """Stretches of the ring whose first-``n`` replica set differs in ``other``.

        The boundaries of both rings cut the ring into segments that lie inside one
        range of each; a segment whose replica set changed must be transferred
        (joins, leaves and removals stream exactly these).
        """
        cuts = sorted(set(self.tokens) | set(other.tokens))
        changes: list[RangeChange] = []
        for i, hi in enumerate(cuts):
            lo = cuts[i - 1]
            before = self.preference_list_for_token(hi, n)
            after = other.preference_list_for_token(hi, n)
            if set(before) != set(after):
                if changes and changes[-1].hi == lo and changes[-1].before == before \
                        and changes[-1].after == after:
                    prev = changes.pop()
                    lo = prev.lo
                changes.append(RangeChange(lo, hi, before, after))
        return changes


# -- strategies -----------------------------------------------------------------------


def stable_rng(*parts: object) -> random.Random:
    """A ``random.Random`` seeded from a stable digest of ``parts``.

    ``hash()`` of a str changes per process; sha256 does not, so the same seed gives
    the same tokens in every process (DESIGN §2).
    """
    text = "\x1f".join(str(p) for p in parts).encode()
    return random.Random(int.from_bytes(hashlib.sha256(text).digest()[:8], "big"))


def random_tokens(node: str, count: int, seed: int) -> tuple[int, ...]:
    """Strategy 1: ``count`` tokens drawn at random for ``node`` (stable per seed)."""
    rng = stable_rng(seed, "ring.tokens", node)
    return tuple(sorted(rng.randrange(RING_SIZE) for _ in range(count)))


def partition_token(index: int, partitions: int) -> int:
    """The token that ends partition ``index`` of ``partitions`` equal ones."""
    return index * (RING_SIZE // partitions)


def default_partitions(node_count: int) -> int:
    """Riak-like default ring size: a power of two, at least 64 and 8 per node."""
    q = 64
    while q < 8 * node_count:
        q *= 2
    return q


def _violations(owners: Sequence[str], i: int, spread: int) -> bool:
    """Whether partition ``i`` shares its owner with one of its ``spread-1`` predecessors
    or successors (a key's replicas would then not be distinct)."""
    size = len(owners)
    node = owners[i]
    return any(
        owners[(i + d) % size] == node for d in range(-(spread - 1), spread) if d != 0
    )


def _repair_spacing(owners: list[str], spread: int) -> None:
    """Swap owners pairwise (counts unchanged) until no node owns two partitions within
    ``spread`` positions, where that is possible. Deterministic: scans in index order."""
    size = len(owners)
    spread = min(spread, size)
    for _ in range(size):
        bad = [i for i in range(size) if _violations(owners, i, spread)]
        if not bad:
            return
        fixed = False
        for i in bad:
            for j in range(size):
                if owners[j] == owners[i]:
                    continue
                owners[i], owners[j] = owners[j], owners[i]
                if not _violations(owners, i, spread) and not _violations(owners, j, spread):
                    fixed = True
                    break
                owners[i], owners[j] = owners[j], owners[i]
            if fixed:
                break
        if not fixed:
            return


def claim_initial(nodes: Sequence[str], partitions: int, spread: int = 3) -> list[str]:
    """Strategy 3's first assignment: round-robin (k or k+1 each, ideally spaced),
    repaired where Q is not a multiple of S and the wrap puts one node twice in a row."""
    owners = [nodes[i % len(nodes)] for i in range(partitions)]
    _repair_spacing(owners, min(spread, len(nodes)))
    return owners


def claim_join(owners: Sequence[str], node: str, spread: int = 3) -> list[str]:
    """The claim step for a joining node: take partitions from the most loaded nodes
    until it has its fair share, preferring partitions whose neighbours (within
    ``spread``) are not already its own. Only the partitions it takes change owner."""
    result = list(owners)
    if node in result:
        return result
    members = sorted(set(result)) + [node]
    target = len(result) // len(members)
    spread = min(spread, len(members))
    while result.count(node) < target:
        counts = {m: result.count(m) for m in members}
        donors = sorted((m for m in members if m != node), key=lambda m: (-counts[m], m))
        taken = False
        for donor in donors:
            if counts[donor] <= target:
                break
            candidates = [i for i, o in enumerate(result) if o == donor]
            good = [i for i in candidates if not _would_violate(result, i, node, spread)]
            pick = (good or candidates)[0] if (good or candidates) else None
            if pick is not None:
                result[pick] = node
                taken = True
                break
        if not taken:
            break
    return result


def claim_leave(owners: Sequence[str], node: str, spread: int = 3) -> list[str]:
    """Hand a leaving node's partitions to the least loaded remaining nodes, keeping
    spacing where possible. Only the leaving node's partitions change owner."""
    result = list(owners)
    members = sorted(set(result) - {node})
    if not members:
        raise RingError(f"cannot remove {node}: it is the only node of the ring")
    spread = min(spread, len(members))
    for i, o in enumerate(result):
        if o != node:
            continue
        counts = {m: result.count(m) for m in members}
        least = min(counts.values())
        room = [m for m in members if counts[m] == least]
        good = [m for m in room if not _would_violate(result, i, m, spread)]
        result[i] = (good or room)[0]
    return result


def _would_violate(owners: Sequence[str], i: int, node: str, spread: int) -> bool:
    size = len(owners)
    return any(
        owners[(i + d) % size] == node for d in range(-(spread - 1), spread) if d != 0
    )


def tokens_from_partition_owners(owners: Sequence[str]) -> dict[str, tuple[int, ...]]:
    q = len(owners)
    result: dict[str, list[int]] = {}
    for i, node in enumerate(owners):
        result.setdefault(node, []).append(partition_token(i, q))
    return {n: tuple(t) for n, t in result.items()}


def partition_owners_from_tokens(node_tokens: Mapping[str, Iterable[int]], partitions: int) -> list[str]:
    size = RING_SIZE // partitions
    owners = [""] * partitions
    for node, toks in node_tokens.items():
        for t in toks:
            owners[t // size] = node
    return owners


def build_ring(
    nodes: Sequence[str],
    strategy: str = "equal",
    *,
    partitions: int | None = None,
    vnodes: int = DEFAULT_VNODES,
    seed: int = 0,
    n: int = 3,
) -> Ring:
    """Build a ring for ``nodes`` with one of the paper's strategies, validating input."""
    if not nodes:
        raise RingError("a ring needs at least one node")
    if len(set(nodes)) != len(nodes):
        raise RingError("node names must be distinct")
    if strategy == "equal":
        q = partitions if partitions is not None else default_partitions(len(nodes))
        if q < 1 or q & (q - 1):
            raise RingError(f"partitions must be a power of two, got {q}")
        if q < len(nodes):
            raise RingError(f"{q} partition{'s' if q != 1 else ''} cannot be shared by {len(nodes)} nodes; "
                            f"use more")  # (core imports nothing of dynviz, so not wording.plural)
        owners = claim_initial(nodes, q, spread=n)
        tokens = tokens_from_partition_owners(owners)
        return Ring({node: tokens.get(node, ()) for node in nodes})
    if strategy in ("random", "random-equal"):
        if vnodes < 1:
            raise RingError(f"vnodes must be at least 1, got {vnodes}")
        tokens = {node: random_tokens(node, vnodes, seed) for node in nodes}
        if strategy == "random":
            return Ring(tokens)
        q = partitions if partitions is not None else default_partitions(len(nodes))
        if q < 1 or q & (q - 1):
            raise RingError(f"partitions must be a power of two, got {q}")
        return Ring(tokens, partitions=q)
    raise RingError(f"unknown strategy {strategy!r}; expected one of: {', '.join(STRATEGIES)}")


_COUNT = re.compile(r" *([-+]?[0-9]+) *")
NODE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
"""A node name: ASCII letters, digits, '-' and '_', not starting with '-' or '_'. The
command language's words are ASCII, so a name outside it could not be typed in a
command (``kill NAME``) or a recorded session; a leading '-' reads as an option or a
negative count (``--nodes -3``)."""


def node_names(spec: str | int) -> list[str]:
    """``5`` -> n1..n5; ``"Sx,Sy,Sz"`` -> those names (validated)."""
    if isinstance(spec, int):
        count: int | None = spec
    else:
        count_text = _COUNT.fullmatch(spec)
        count = None if count_text is None else int(count_text.group(1))
    if count is not None:
        if count < 1:
            raise RingError(f"need at least 1 node, got {count}")
        if count > 4096:
            raise RingError(f"at most 4096 nodes, got {count}")
        return [f"n{i}" for i in range(1, count + 1)]
    names = [s.strip() for s in str(spec).split(",")]
    if not names or any(not s for s in names):
        raise RingError(f"bad node list {spec!r}: expected a count or comma-separated names")
    for name in names:
        if not NODE_NAME.fullmatch(name):
            raise RingError(f"bad node name {name!r}: use ASCII letters, digits, '-' and '_', "
                            f"starting with a letter or digit")
    if len(set(names)) != len(names):
        raise RingError(f"node names repeat in {spec!r}")
    return names
