"""Merkle trees over one key range of the ring, and the diff between two of them.

Dynamo (paper section 4.7) keeps one Merkle tree per key range a node replicates, so two
replicas can find out which keys differ by exchanging a few hashes instead of every key:
compare the roots, descend only into children whose hashes differ, and exchange only the
keys under the leaves that differ.

Shape: a fixed fan-out ``F`` and depth ``D``, so two replicas of the same range always
build trees of the same shape and can compare node by node. Leaves are buckets of keys by
token position inside the range, which keeps a key in the same leaf on every replica
whatever the insertion order.

Hashes:

- per-key digest: the first 16 bytes of ``sha256(key + b"\\0" + version_digest)``, as an int;
- leaf hash: the XOR of the per-key digests of its keys (16 bytes, zero when empty), which
  is independent of insertion order and updated in O(1) when one key changes;
- interior hash: ``sha256`` (first 16 bytes) of its children's hashes concatenated, so it
  changes whenever any child changes.

Interior hashes are recomputed lazily: an update marks its leaf dirty, and the next
``root()``/``node_hash()``/``diff()`` rehashes only the paths above dirty leaves,
O(F * D) per changed leaf. Nodes whose hash equals the empty subtree's hash are not
stored, so a tree over an empty range costs almost no memory (a node keeps one tree per
range it holds).
"""

from __future__ import annotations

from dataclasses import dataclass
from hashlib import sha256

from dynviz.core.hashing import RING_SIZE

HASH_BYTES = 16
"""Width of every node hash (leaf and interior)."""

_EMPTY_LEAF = bytes(HASH_BYTES)


def version_digest(encoded: bytes) -> bytes:
    """The digest a tree stores for a key's encoded sibling set: ``sha256(encoded)[:16]``.

    Replicas holding equal sibling sets (same canonical encoding) get equal digests.
    """
    return sha256(encoded).digest()[:HASH_BYTES]


def _key_digest(key: bytes, digest: bytes) -> int:
    # The key is mixed in so two keys holding the same value do not cancel out in the XOR.
    return int.from_bytes(sha256(key + b"\0" + digest).digest()[:HASH_BYTES], "big")


class MerkleTree:
    """A Merkle tree over the ring range ``(lo, hi]`` (wrapping when ``lo >= hi``;
    ``lo == hi`` is the whole ring).

    It remembers each key's token and per-key digest, so a diff can name exactly the keys
    that differ under a differing leaf.
    """

    __slots__ = (
        "_lo",
        "_hi",
        "_width",
        "_fanout",
        "_depth",
        "_leaves",
        "_keys",
        "_buckets",
        "_leaf_xor",
        "_nodes",
        "_empty",
        "_dirty",
    )

    def __init__(self, lo: int, hi: int, fanout: int = 16, depth: int = 3) -> None:
        if not (0 <= lo < RING_SIZE and 0 <= hi < RING_SIZE):
            raise ValueError(f"range bounds must be tokens in [0, 2**128): got lo={lo}, hi={hi}")
        if fanout < 2:
            raise ValueError(f"fanout must be at least 2, got {fanout}")
        if depth < 0:
            raise ValueError(f"depth must be at least 0, got {depth}")
        self._lo = lo
        self._hi = hi
        self._width = (hi - lo) % RING_SIZE or RING_SIZE
        self._fanout = fanout
        self._depth = depth
        self._leaves: int = fanout**depth  # an int: depth >= 0 was checked above
        self._keys: dict[bytes, tuple[int, int]] = {}
        self._buckets: dict[int, set[bytes]] = {}
        self._leaf_xor: dict[int, int] = {}
        # _nodes[level] holds only the hashes that differ from _empty[level].
        self._nodes: list[dict[int, bytes]] = [{} for _ in range(depth + 1)]
        empty = [_EMPTY_LEAF]
        for _ in range(depth):
            empty.append(sha256(empty[-1] * fanout).digest()[:HASH_BYTES])
        empty.reverse()
        self._empty: tuple[bytes, ...] = tuple(empty)
        self._dirty: set[int] = set()

    # -- shape -------------------------------------------------------------------------

    @property
    def lo(self) -> int:
        return self._lo

    @property
    def hi(self) -> int:
        return self._hi

    @property
    def fanout(self) -> int:
        return self._fanout

    @property
    def depth(self) -> int:
        return self._depth

    @property
    def leaves(self) -> int:
        """Number of leaves: ``fanout ** depth``."""
        return self._leaves

    def __len__(self) -> int:
        """Number of keys in the tree."""
        return len(self._keys)

    def leaf_of(self, token: int) -> int:
        """The leaf whose bucket holds ``token``; ValueError if it is outside the range."""
        off = (token - self._lo) % RING_SIZE or RING_SIZE
        if off > self._width or not 0 <= token < RING_SIZE:
            raise ValueError(
                f"token {token:032x} is outside this tree's range "
                f"({self._lo:032x}, {self._hi:032x}]"
            )
        return (off - 1) * self._leaves // self._width

    # -- updates -----------------------------------------------------------------------

    def update(self, key: bytes, token: int, digest: bytes | None) -> None:
        """Set ``key``'s version digest (``None`` removes the key). O(1); hashes above
        the leaf are recomputed on the next read."""
        leaf = self.leaf_of(token)
        old = self._keys.get(key)
        if old is not None:
            old_token, old_d = old
            old_leaf = leaf if old_token == token else self.leaf_of(old_token)
            self._leaf_xor[old_leaf] ^= old_d
            bucket = self._buckets[old_leaf]
            bucket.discard(key)
            if not bucket:
                del self._buckets[old_leaf]
            self._dirty.add(old_leaf)
        if digest is None:
            if old is not None:
                del self._keys[key]
            return
        d = _key_digest(key, digest)
        self._keys[key] = (token, d)
        self._leaf_xor[leaf] = self._leaf_xor.get(leaf, 0) ^ d
        new_bucket = self._buckets.get(leaf)
        if new_bucket is None:
            self._buckets[leaf] = {key}
        else:
            new_bucket.add(key)
        self._dirty.add(leaf)

    def _refresh(self) -> None:
        """Rehash the paths above dirty leaves, bottom-up, each parent once."""
        dirty = self._dirty
        if not dirty:
            return
        depth, fanout, nodes, empty = self._depth, self._fanout, self._nodes, self._empty
        leaf_nodes, leaf_xor = nodes[depth], self._leaf_xor
        for leaf in dirty:
            x = leaf_xor.get(leaf, 0)
            if x:
                leaf_nodes[leaf] = x.to_bytes(HASH_BYTES, "big")
            else:
                leaf_xor.pop(leaf, None)
                leaf_nodes.pop(leaf, None)
        for level in range(depth - 1, -1, -1):
            dirty = {i // fanout for i in dirty}
            child, child_empty = nodes[level + 1], empty[level + 1]
            cur, cur_empty = nodes[level], empty[level]
            for i in dirty:
                base = i * fanout
                h = sha256(
                    b"".join([child.get(c, child_empty) for c in range(base, base + fanout)])
                ).digest()[:HASH_BYTES]
                if h == cur_empty:
                    cur.pop(i, None)
                else:
                    cur[i] = h
        self._dirty = set()

    # -- reads -------------------------------------------------------------------------

    def root(self) -> bytes:
        """The root hash (16 bytes). Equal roots mean equal key -> digest maps (up to
        hash collisions)."""
        self._refresh()
        return self._nodes[0].get(0, self._empty[0])

    def node_hash(self, level: int, index: int) -> bytes:
        """Hash of node ``index`` at ``level`` (0 = root, ``depth`` = leaves)."""
        if not 0 <= level <= self._depth or not 0 <= index < self._fanout**level:
            raise ValueError(
                f"no node ({level}, {index}) in a tree of fanout {self._fanout} "
                f"and depth {self._depth}"
            )
        self._refresh()
        return self._nodes[level].get(index, self._empty[level])

    def leaf_keys(self, leaf: int) -> list[bytes]:
        """The keys in ``leaf``, sorted (what a replica ships for a differing leaf)."""
        if not 0 <= leaf < self._leaves:
            raise ValueError(f"no leaf {leaf}: the tree has {self._leaves} leaves")
        return sorted(self._buckets.get(leaf, ()))

    def key_digest(self, key: bytes) -> int | None:
        """The per-key digest stored for ``key`` (as an int), or None if absent."""
        entry = self._keys.get(key)
        return None if entry is None else entry[1]


@dataclass(frozen=True, slots=True)
class MerkleDiff:
    """What comparing two replicas' trees found, and what it cost."""

    differing_leaves: tuple[int, ...]
    """Leaves whose hashes differ, ascending."""
    keys: tuple[bytes, ...]
    """Exactly the keys whose digests differ or that exist on one side only; by leaf,
    then sorted."""
    hashes_compared: int
    """Every node-hash comparison made (1 for identical trees)."""
    path: tuple[tuple[int, int], ...]
    """``(level, index)`` of every node found different, top-down, for drawing."""


def diff(a: MerkleTree, b: MerkleTree) -> MerkleDiff:
    """Compare two trees of the same range and shape, descending only where hashes differ
    (paper section 4.7)."""
    if (a.lo, a.hi, a.fanout, a.depth) != (b.lo, b.hi, b.fanout, b.depth):
        raise ValueError(
            "cannot diff Merkle trees of different ranges or shapes: "
            f"(lo={a.lo:032x}, hi={a.hi:032x}, fanout={a.fanout}, depth={a.depth}) vs "
            f"(lo={b.lo:032x}, hi={b.hi:032x}, fanout={b.fanout}, depth={b.depth})"
        )
    a._refresh()
    b._refresh()
    compared = 1
    if a._nodes[0].get(0, a._empty[0]) == b._nodes[0].get(0, b._empty[0]):
        return MerkleDiff((), (), compared, ())
    fanout = a.fanout
    path: list[tuple[int, int]] = [(0, 0)]
    frontier = [0]
    for level in range(1, a.depth + 1):
        na, nb, e = a._nodes[level], b._nodes[level], a._empty[level]
        nxt: list[int] = []
        for parent in frontier:
            base = parent * fanout
            for c in range(base, base + fanout):
                if na.get(c, e) != nb.get(c, e):
                    nxt.append(c)
                    path.append((level, c))
            compared += fanout
        frontier = nxt
    keys: list[bytes] = []
    ka, kb = a._keys, b._keys
    for leaf in frontier:
        under = a._buckets.get(leaf, set()) | b._buckets.get(leaf, set())
        for key in sorted(under):
            ea, eb = ka.get(key), kb.get(key)
            if ea is None or eb is None or ea[1] != eb[1]:
                keys.append(key)
    return MerkleDiff(tuple(frontier), tuple(keys), compared, tuple(path))
