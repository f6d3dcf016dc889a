"""Merkle-tree anti-entropy between the replicas of a key range (paper section 4.7).

Hinted handoff and read repair fix what they happen to touch; anti-entropy finds what
they missed. Each node keeps one Merkle tree per ring range it replicates (DESIGN §7:
ranges are the unit), built lazily from its store and kept up to date incrementally: a
local write only marks its key dirty (O(1) on the write path), and dirty keys are
folded into their range's tree (O(depth) each) before the tree is read.

An exchange (a *session*) is between an initiator A and a peer B for one range:

1. A sends its root hash (``AEHashes`` at level 0).
2. The receiver compares the hashes it got with its own. Where they are equal it stops;
   where they differ it answers with its own hashes of the *children* of the differing
   nodes (``AEHashes`` one level down, plus its hashes of the differing nodes, so the
   initiator can draw both trees). The two sides alternate, level by level.
3. Whoever finds differing *leaves* sends the per-key digests of its keys under them
   (``AEKeyDigests``); the other side answers with the ``(key, siblings)`` pairs whose
   digests differ or are missing on the far side, and the keys it wants in return
   (``AEKeyData``); the last ``AEKeyData`` carries those.
4. Each side *merges* what it receives (``Node.store_siblings``): anti-entropy never
   overwrites a concurrent version, it only adds what a replica lacks.

Only the initiator keeps session state (for its report, its timeout and its event);
the responder answers each message on its own, so a crashed or partitioned peer costs
the initiator one timeout and nothing else. Sessions that time out are abandoned; the
next one starts from the roots again.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from dynviz.core.hashing import token_of
from dynviz.core.merkle import HASH_BYTES, MerkleTree
from dynviz.core.ring import Range, Ring
from dynviz.core.units import SECOND
from dynviz.core.versions import Siblings, digest_siblings, encode_siblings
from dynviz.events import AntiEntropyAbandoned, AntiEntropyExchange, NodeHashes, leaves_differ
from dynviz.node.component import Component
from dynviz.wording import plural

if TYPE_CHECKING:
    from dynviz.node.node import Node

DEFAULT_INTERVAL = 10 * SECOND
"""Time between two periodic exchanges started by one node (µs)."""
DEFAULT_SESSION_TIMEOUT = 2 * SECOND
"""An exchange not finished after this long is abandoned (a message was lost)."""
FANOUT = 16
DEPTH = 2

Hashes = tuple[tuple[int, bytes], ...]
"""``(index, hash)`` pairs of tree nodes at one level."""


# -- messages --------------------------------------------------------------------------
# Typed NamedTuples like dynviz/node/messages.py. Every message names its session by
# (origin, sid): ``origin`` is the initiator, whose counter makes ``sid`` unique.


class AEHashes(NamedTuple):
    """The sender's hashes at ``level`` of the nodes the receiver must compare next."""

    sid: int
    origin: str
    range_index: int
    lo: int
    hi: int
    fanout: int
    depth: int
    level: int
    hashes: Hashes
    differing: Hashes = ()
    """The sender's hashes of the nodes at ``level - 1`` it found different."""


class AEInSync(NamedTuple):
    """Nothing differs among the hashes compared at ``level``: the session is over."""

    sid: int
    origin: str
    range_index: int
    level: int


class AEKeyDigests(NamedTuple):
    """Differing leaves found: the sender's per-key digests of every key under them."""

    sid: int
    origin: str
    range_index: int
    lo: int
    hi: int
    leaves: Hashes
    """``(leaf, sender's leaf hash)`` for each differing leaf."""
    digests: tuple[tuple[bytes, bytes], ...]


class AEKeyData(NamedTuple):
    """Sibling sets the receiver lacks or holds differently, and keys wanted back."""

    sid: int
    origin: str
    range_index: int
    lo: int
    hi: int
    entries: tuple[tuple[bytes, Siblings], ...]
    want: tuple[bytes, ...] = ()


class AERefused(NamedTuple):
    """The peer cannot take part (it does not replicate the range, or sees it differently)."""

    sid: int
    origin: str
    range_index: int
    reason: str


# -- reports ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExchangeReport:
    """What one range session did and cost, kept by the initiator (always, bus or not)."""

    a: str
    """The initiator."""
    b: str
    range_index: int
    lo: int
    hi: int
    status: str
    """``done``, ``abandoned`` (timeout, crash, ring change) or ``refused`` by the peer."""
    reason: str
    started: int
    finished: int
    hashes_compared: int
    path: tuple[tuple[int, int], ...]
    """``(level, index)`` of every node found different, top-down."""
    leaves: tuple[int, ...]
    """The differing leaves: the only places keys were exchanged from."""
    keys_sent_by_a: tuple[bytes, ...]
    keys_sent_by_b: tuple[bytes, ...]
    bytes_moved: int
    """Sum of ``len(encode_siblings(s))`` over every sibling set shipped, both ways."""
    key_digests: int
    """Per-key digests shipped (those of every key under the differing leaves, one way)."""
    tree_a: NodeHashes
    tree_b: NodeHashes

    @property
    def keys_exchanged(self) -> tuple[bytes, ...]:
        """Every key shipped in either direction, sorted."""
        return tuple(sorted(set(self.keys_sent_by_a) | set(self.keys_sent_by_b)))

    @property
    def ok(self) -> bool:
        return self.status == "done"

    def event(self) -> AntiEntropyExchange:
        """The event a completed session is reported as (stamped with its end)."""
        return AntiEntropyExchange(
            self.finished, self.a, self.b, self.range_index, self.lo, self.hi,
            self.hashes_compared, self.path, self.leaves, self.keys_sent_by_a,
            self.keys_sent_by_b, self.bytes_moved, self.key_digests, self.tree_a,
            self.tree_b,
        )

    def describe(self) -> str:
        head = f"anti-entropy {self.a} <-> {self.b} range {self.range_index}"
        if self.status != "done":
            return f"{head}: {self.status} ({self.reason})"
        if not self.path:
            return f"{head}: in sync (1 hash compared)"
        return (
            f"{head}: {plural(self.hashes_compared, 'hash', 'hashes')} compared, {leaves_differ(len(self.leaves))}, "
            f"{plural(len(self.keys_sent_by_a), 'key')} {self.a}->{self.b}, "
            f"{plural(len(self.keys_sent_by_b), 'key')} {self.b}->{self.a}, {plural(self.bytes_moved, 'byte')}"
        )


@dataclass(frozen=True, slots=True)
class AntiEntropyStats:
    """Cumulative counters of the sessions a node initiated (for snapshots)."""

    sessions: int
    abandoned: int
    active: int
    hashes_compared: int
    keys_exchanged: int
    bytes_moved: int
    trees: int


@dataclass(slots=True)
class _Session:
    """The initiator's state of one range session."""

    sid: int
    peer: str
    range_index: int
    lo: int
    hi: int
    ring: Ring
    started: int
    on_done: Callable[[ExchangeReport], None] | None
    timer: Any = None
    expect: str = "hashes"  # hashes | data
    hashes_compared: int = 0
    sent: dict[int, tuple[int, ...]] = field(default_factory=dict)
    tree_a: dict[tuple[int, int], bytes] = field(default_factory=dict)
    tree_b: dict[tuple[int, int], bytes] = field(default_factory=dict)
    path: set[tuple[int, int]] = field(default_factory=set)
    leaves: tuple[int, ...] = ()
    keys_a: list[bytes] = field(default_factory=list)
    keys_b: list[bytes] = field(default_factory=list)
    bytes_moved: int = 0
    key_digests: int = 0


def _hex8(h: bytes) -> str:
    return h.hex()[:8]


def _drawn(nodes: dict[tuple[int, int], bytes]) -> NodeHashes:
    return tuple((pos, _hex8(h)) for pos, h in sorted(nodes.items()))


# -- the component ---------------------------------------------------------------------


class AntiEntropy(Component):
    """Merkle trees per replicated range, periodic and on-demand exchanges."""

    name = "antientropy"
    # Not through ``watches_writes``: it watches the node's writes only while it has a
    # tree to keep up to date (``tree`` subscribes, ``_drop_trees`` unsubscribes), so a
    # put, which writes at three replicas, makes no call here in a cluster without trees.

    def __init__(
        self,
        node: Node,
        interval: int = DEFAULT_INTERVAL,
        enabled: bool = True,
        session_timeout: int = DEFAULT_SESSION_TIMEOUT,
        fanout: int = FANOUT,
        depth: int = DEPTH,
        history: int = 64,
    ) -> None:
        super().__init__(node)
        if interval <= 0:
            raise ValueError(f"anti-entropy interval must be > 0 µs, got {interval}")
        if session_timeout <= 0:
            raise ValueError(f"anti-entropy session timeout must be > 0 µs, got {session_timeout}")
        self.interval = interval
        self.enabled = enabled
        self.session_timeout = session_timeout
        self.fanout = fanout
        self.depth = depth
        self._ring: Ring | None = None
        self._mine: tuple[int, ...] = ()
        self._mine_set: frozenset[int] = frozenset()
        self._trees: dict[int, MerkleTree] = {}
        self._dirty: dict[bytes, None] = {}
        self._sessions: dict[int, _Session] = {}
        self._next_sid = 0
        self._tick_timer: Any = None
        self._started = False
        self.last_exchange: ExchangeReport | None = None
        """The most recent completed session this node initiated."""
        self.history: deque[ExchangeReport] = deque(maxlen=history)
        """Recent sessions this node initiated (done, abandoned or refused), oldest first."""
        self.sessions_done = 0
        self.sessions_abandoned = 0
        self.hashes_compared = 0
        self.keys_exchanged = 0
        self.bytes_moved = 0

    # -- component hooks -------------------------------------------------------------

    def handlers(self) -> dict[type, Callable[[str, Any], None]]:
        return {
            AEHashes: self._on_hashes,
            AEInSync: self._on_in_sync,
            AEKeyDigests: self._on_key_digests,
            AEKeyData: self._on_key_data,
            AERefused: self._on_refused,
        }

    def start(self) -> None:
        self._started = True
        self._arm(first=True)

    def crash(self) -> None:
        self._started = False
        self._tick_timer = None  # the runtime drops a crashed node's timers
        for session in list(self._sessions.values()):
            self._finish(session, "abandoned", f"{self.node.name} crashed")
        self._drop_trees()

    def wipe(self) -> None:
        self._drop_trees()

    def stored(self, key: bytes, siblings: Siblings | None) -> None:
        # O(1) on the write path: folded into the tree when it is next read. Called only
        # while a tree exists (with none there is nothing to keep up to date: trees build
        # from the store).
        self._dirty[key] = None

    def set_enabled(self, enabled: bool) -> None:
        """Turn periodic exchanges on or off (on-demand exchanges always work)."""
        if enabled == self.enabled:
            return
        self.enabled = enabled
        if enabled:
            self._arm(first=True)
        elif self._tick_timer is not None:
            self.node.runtime.cancel(self._tick_timer)
            self._tick_timer = None

    # -- trees -----------------------------------------------------------------------

    def _drop_trees(self) -> None:
        if self._trees:
            self.node.unwatch_writes(self.stored)
        self._trees.clear()
        self._dirty.clear()

    def _sync_ring(self) -> Ring:
        ring = self.node.ring
        if ring is not self._ring:
            self._ring = ring
            self._drop_trees()
            me, n = self.node.name, self.node.config.n
            self._mine = tuple(r for r in range(len(ring)) if me in ring.replicas_of_range(r, n))
            self._mine_set = frozenset(self._mine)
        return ring

    def _flush(self) -> None:
        dirty = self._dirty
        if not dirty:
            return
        ring, trees, store = self._ring, self._trees, self.node.store
        assert ring is not None
        for key in dirty:
            token = token_of(key)
            tree = trees.get(ring.range_index(token))
            if tree is not None:
                s = store.get(key)
                tree.update(key, token, None if s is None else digest_siblings(s))
        dirty.clear()

    def tree(self, range_index: int) -> MerkleTree:
        """This node's up-to-date tree of ``range_index`` (built from the store if new)."""
        ring = self._sync_ring()
        if not 0 <= range_index < len(ring):
            raise ValueError(f"no range {range_index}: the ring has {len(ring)} ranges")
        self._flush()
        tree = self._trees.get(range_index)
        if tree is None:
            rng = ring.range(range_index)
            tree = MerkleTree(rng.lo, rng.hi, fanout=self.fanout, depth=self.depth)
            store = self.node.store
            for token, key in store.keys_in_range(rng.lo, rng.hi):
                s = store.get(key)
                if s is not None:
                    tree.update(key, token, digest_siblings(s))
            if not self._trees:
                self.node.watch_writes(self.stored)
            self._trees[range_index] = tree
        return tree

    def replicated_ranges(self) -> tuple[int, ...]:
        """Indices of the ranges this node replicates (in the first N of their walk)."""
        self._sync_ring()
        return self._mine

    def shared_ranges(self, peer: str) -> tuple[int, ...]:
        """Ranges both this node and ``peer`` replicate."""
        ring = self._sync_ring()
        n = self.node.config.n
        return tuple(r for r in self._mine if peer in ring.replicas_of_range(r, n))

    def snapshot(self, range_index: int) -> NodeHashes:
        """Every node hash of this node's tree of ``range_index``, top-down, for drawing."""
        tree = self.tree(range_index)
        f = tree.fanout
        return tuple(
            ((level, i), _hex8(tree.node_hash(level, i)))
            for level in range(tree.depth + 1)
            for i in range(f**level)
        )

    def stats(self) -> AntiEntropyStats:
        return AntiEntropyStats(
            self.sessions_done, self.sessions_abandoned, len(self._sessions),
            self.hashes_compared, self.keys_exchanged, self.bytes_moved, len(self._trees),
        )

    # -- starting sessions -----------------------------------------------------------

    def _arm(self, first: bool) -> None:
        if not (self.enabled and self._started):
            return
        rt = self.node.runtime
        if self._tick_timer is not None:
            rt.cancel(self._tick_timer)
        delay = rt.rng.randrange(self.interval) + 1 if first else self.interval
        self._tick_timer = rt.set_timer(delay, self._tick)

    def _tick(self) -> None:
        """Periodic anti-entropy: a random replicated range with a random reachable peer."""
        self._tick_timer = None
        self._arm(first=False)
        ring = self._sync_ring()
        mine = self._mine
        if not mine:
            return
        node = self.node
        rng = node.runtime.rng
        r = mine[rng.randrange(len(mine))]
        peers = [p for p in ring.replicas_of_range(r, node.config.n)
                 if p != node.name and node.detector.reachable(p)]
        if not peers:
            return
        peer = peers[rng.randrange(len(peers))]
        if not self._busy(peer, r):
            self._start(peer, r, None)

    def exchange_with(self, peer: str, ranges: Iterable[int] | None = None,
                      on_done: Callable[[ExchangeReport], None] | None = None) -> int:
        """Start one session with ``peer`` per range both replicate (or per range of
        ``ranges``); returns how many started. ``on_done`` gets each session's report.
        A range already being exchanged with ``peer`` is not started twice."""
        if peer == self.node.name:
            raise ValueError(f"{peer} cannot run anti-entropy with itself")
        shared = self.shared_ranges(peer)
        if ranges is None:
            todo: Iterable[int] = shared
        else:
            todo = list(dict.fromkeys(ranges))
            bad = [r for r in todo if r not in shared]
            if bad:
                raise ValueError(
                    f"{self.node.name} and {peer} do not both replicate range(s) "
                    f"{', '.join(map(str, bad))}"
                )
        started = 0
        for r in todo:
            if not self._busy(peer, r):
                self._start(peer, r, on_done)
                started += 1
        return started

    def active_sessions(self) -> int:
        """Sessions this node initiated that have not ended yet."""
        return len(self._sessions)

    def _busy(self, peer: str, r: int) -> bool:
        return any(s.peer == peer and s.range_index == r for s in self._sessions.values())

    def _start(self, peer: str, r: int, on_done: Callable[[ExchangeReport], None] | None) -> None:
        tree = self.tree(r)
        ring = self._ring
        assert ring is not None
        rng = ring.range(r)
        rt = self.node.runtime
        self._next_sid += 1
        sid = self._next_sid
        s = _Session(sid, peer, r, rng.lo, rng.hi, ring, rt.now(), on_done)
        self._sessions[sid] = s
        root = tree.root()
        s.tree_a[(0, 0)] = root
        s.sent[0] = (0,)
        s.hashes_compared = 1  # the peer compares the root
        s.timer = rt.set_timer(self.session_timeout, self._timeout, sid)
        rt.send(peer, AEHashes(sid, self.node.name, r, rng.lo, rng.hi, tree.fanout, tree.depth,
                               0, ((0, root),)))

    # -- shared steps ----------------------------------------------------------------

    def _compare(self, tree: MerkleTree, level: int, hashes: Hashes) -> tuple[list[int], Hashes]:
        """Indices whose hash differs from ours, and our hashes of every valid index."""
        width = tree.fanout**level if 0 <= level <= tree.depth else 0
        differ: list[int] = []
        ours: list[tuple[int, bytes]] = []
        for i, h in hashes:
            if not 0 <= i < width:
                continue
            mine = tree.node_hash(level, i)
            ours.append((i, mine))
            if mine != h:
                differ.append(i)
        return differ, tuple(ours)

    def _next(self, tree: MerkleTree, head: AEHashes, differ: list[int]) -> Any:
        """The answer to a level compared: in sync, the next level down, or the keys."""
        level = head.level
        if not differ:
            return AEInSync(head.sid, head.origin, head.range_index, level)
        own = tuple((i, tree.node_hash(level, i)) for i in differ)
        if level == tree.depth:
            digests = tuple(
                (key, self._key_digest(tree, key)) for leaf in differ for key in tree.leaf_keys(leaf)
            )
            return AEKeyDigests(head.sid, head.origin, head.range_index, head.lo, head.hi, own, digests)
        f = tree.fanout
        below = level + 1
        children = tuple(
            (c, tree.node_hash(below, c)) for i in differ for c in range(i * f, i * f + f)
        )
        return head._replace(level=below, hashes=children, differing=own)

    @staticmethod
    def _key_digest(tree: MerkleTree, key: bytes) -> bytes:
        d = tree.key_digest(key)
        assert d is not None
        return d.to_bytes(HASH_BYTES, "big")

    def _reconcile(self, tree: MerkleTree, leaves: Iterable[int], lo: int, hi: int,
                   theirs: tuple[tuple[bytes, bytes], ...]
                   ) -> tuple[tuple[tuple[bytes, Siblings], ...], tuple[bytes, ...]]:
        """Given the far side's digests under ``leaves``: what to ship there, what to ask for."""
        span = Range(0, lo, hi, "")
        far = {k: d for k, d in theirs if span.contains(token_of(k))}
        near = {k: self._key_digest(tree, k) for leaf in leaves if 0 <= leaf < tree.leaves
                for k in tree.leaf_keys(leaf)}
        store = self.node.store
        entries: list[tuple[bytes, Siblings]] = []
        want: list[bytes] = []
        for key in sorted(near.keys() | far.keys()):
            a, b = near.get(key), far.get(key)
            if a == b:
                continue
            if a is not None:
                s = store.get(key)
                if s is not None:
                    entries.append((key, s))
            if b is not None:
                want.append(key)
        return tuple(entries), tuple(want)

    def _merge(self, entries: Iterable[tuple[bytes, Siblings]], lo: int, hi: int) -> list[bytes]:
        """Merge received sibling sets (never overwriting: ``store_siblings`` merges)."""
        span = Range(0, lo, hi, "")
        node = self.node
        merged: list[bytes] = []
        for key, siblings in entries:
            if span.contains(token_of(key)):
                node.store_siblings(key, siblings, None, cause="antientropy")
                merged.append(key)
        return merged

    def _current(self, keys: Iterable[bytes]) -> tuple[tuple[bytes, Siblings], ...]:
        store = self.node.store
        return tuple((k, s) for k in keys if (s := store.get(k)) is not None)

    # -- responder side (stateless) ----------------------------------------------------

    def _serving(self, r: int, lo: int, hi: int) -> tuple[MerkleTree | None, str]:
        ring = self._sync_ring()
        me = self.node.name
        if not 0 <= r < len(ring):
            return None, f"{me}'s ring has no range {r}"
        rng = ring.range(r)
        if (rng.lo, rng.hi) != (lo, hi):
            return None, f"{me} sees range {r} with other bounds (ring views differ)"
        if r not in self._mine_set:
            return None, f"{me} does not replicate range {r}"
        return self.tree(r), ""

    def _refuse(self, src: str, msg: Any, reason: str) -> None:
        self.node.runtime.send(src, AERefused(msg.sid, msg.origin, msg.range_index, reason))

    # -- handlers ----------------------------------------------------------------------

    def _session(self, src: str, msg: Any, expect: str) -> tuple[_Session, MerkleTree] | None:
        """The initiator's session a reply belongs to, or None (late, foreign, stale)."""
        s = self._sessions.get(msg.sid)
        if s is None or s.peer != src or s.expect != expect:
            return None
        if self.node.ring is not s.ring:
            self._finish(s, "abandoned", "the ring changed during the exchange")
            return None
        return s, self.tree(s.range_index)

    def _peer_compared(self, s: _Session, level: int, differing: Hashes) -> None:
        """The peer compared our hashes at ``level``: equal where it did not say otherwise."""
        theirs = dict(differing)
        for i in s.sent.get(level, ()):
            pos = (level, i)
            if i in theirs:
                s.tree_b[pos] = theirs[i]
                s.path.add(pos)
            elif pos in s.tree_a:
                s.tree_b[pos] = s.tree_a[pos]

    def _on_hashes(self, src: str, msg: AEHashes) -> None:
        rt = self.node.runtime
        if msg.origin != self.node.name:
            if (msg.fanout, msg.depth) != (self.fanout, self.depth):
                self._refuse(src, msg, f"{self.node.name} builds trees of another shape")
                return
            tree, reason = self._serving(msg.range_index, msg.lo, msg.hi)
            if tree is None:
                self._refuse(src, msg, reason)
                return
            differ, _ = self._compare(tree, msg.level, msg.hashes)
            rt.send(src, self._next(tree, msg, differ))
            return
        found = self._session(src, msg, "hashes")
        if found is None:
            return
        s, tree = found
        level = msg.level
        self._peer_compared(s, level - 1, msg.differing)
        differ, ours = self._compare(tree, level, msg.hashes)
        s.hashes_compared += len(ours)
        theirs = dict(msg.hashes)
        for i, h in ours:
            s.tree_a[(level, i)] = h
            s.tree_b[(level, i)] = theirs[i]
        for i in differ:
            s.path.add((level, i))
        reply = self._next(tree, msg, differ)
        if isinstance(reply, AEInSync):
            self._finish(s)
            return
        if isinstance(reply, AEHashes):
            s.sent[reply.level] = tuple(i for i, _ in reply.hashes)
            for i, h in reply.hashes:
                s.tree_a[(reply.level, i)] = h
            s.hashes_compared += len(reply.hashes)
        else:
            s.leaves = tuple(differ)
            s.key_digests = len(reply.digests)
            s.expect = "data"
        rt.send(src, reply)

    def _on_in_sync(self, src: str, msg: AEInSync) -> None:
        if msg.origin != self.node.name:
            return
        found = self._session(src, msg, "hashes")
        if found is None:
            return
        s, _ = found
        self._peer_compared(s, msg.level, ())
        self._finish(s)

    def _on_key_digests(self, src: str, msg: AEKeyDigests) -> None:
        rt = self.node.runtime
        if msg.origin != self.node.name:
            tree, reason = self._serving(msg.range_index, msg.lo, msg.hi)
            if tree is None:
                self._refuse(src, msg, reason)
                return
            entries, want = self._reconcile(tree, (i for i, _ in msg.leaves), msg.lo, msg.hi,
                                            msg.digests)
            rt.send(src, AEKeyData(msg.sid, msg.origin, msg.range_index, msg.lo, msg.hi,
                                   entries, want))
            return
        found = self._session(src, msg, "hashes")
        if found is None:
            return
        s, tree = found
        depth = tree.depth
        self._peer_compared(s, depth, msg.leaves)
        s.leaves = tuple(sorted(i for i, _ in msg.leaves if i in s.sent.get(depth, ())))
        s.key_digests = len(msg.digests)
        entries, want = self._reconcile(tree, s.leaves, s.lo, s.hi, msg.digests)
        self._shipped(s, entries)
        rt.send(src, AEKeyData(s.sid, msg.origin, s.range_index, s.lo, s.hi, entries, want))
        if want:
            s.expect = "data"
        else:
            self._finish(s)

    def _on_key_data(self, src: str, msg: AEKeyData) -> None:
        rt = self.node.runtime
        if msg.origin != self.node.name:
            tree, reason = self._serving(msg.range_index, msg.lo, msg.hi)
            if tree is None:
                self._refuse(src, msg, reason)
                return
            self._merge(msg.entries, msg.lo, msg.hi)
            if msg.want:
                rt.send(src, msg._replace(entries=self._current(msg.want), want=()))
            return
        found = self._session(src, msg, "data")
        if found is None:
            return
        s, _ = found
        merged = self._merge(msg.entries, s.lo, s.hi)
        s.keys_b.extend(merged)
        s.bytes_moved += sum(len(encode_siblings(sib)) for _, sib in msg.entries)
        if msg.want:
            span = Range(0, s.lo, s.hi, "")
            entries = self._current(k for k in msg.want if span.contains(token_of(k)))
            self._shipped(s, entries)
            rt.send(src, msg._replace(entries=entries, want=()))
        self._finish(s)

    def _on_refused(self, src: str, msg: AERefused) -> None:
        if msg.origin != self.node.name:
            return
        s = self._sessions.get(msg.sid)
        if s is not None and s.peer == src:
            self._finish(s, "refused", msg.reason)

    def _shipped(self, s: _Session, entries: tuple[tuple[bytes, Siblings], ...]) -> None:
        s.keys_a.extend(k for k, _ in entries)
        s.bytes_moved += sum(len(encode_siblings(sib)) for _, sib in entries)

    # -- ending sessions -------------------------------------------------------------

    def _timeout(self, sid: int) -> None:
        s = self._sessions.get(sid)
        if s is not None:
            s.timer = None
            self._finish(s, "abandoned", f"no answer from {s.peer} in time (message lost or peer down)")

    def _finish(self, s: _Session, status: str = "done", reason: str = "") -> None:
        self._sessions.pop(s.sid, None)
        rt = self.node.runtime
        if s.timer is not None:
            rt.cancel(s.timer)
            s.timer = None
        report = ExchangeReport(
            self.node.name, s.peer, s.range_index, s.lo, s.hi, status, reason, s.started,
            rt.now(), s.hashes_compared, tuple(sorted(s.path)), s.leaves, tuple(s.keys_a),
            tuple(s.keys_b), s.bytes_moved, s.key_digests, _drawn(s.tree_a), _drawn(s.tree_b),
        )
        self.history.append(report)
        self.hashes_compared += s.hashes_compared
        self.bytes_moved += s.bytes_moved
        self.keys_exchanged += len(s.keys_a) + len(s.keys_b)
        if status == "done":
            self.sessions_done += 1
            self.last_exchange = report
        else:
            self.sessions_abandoned += 1
        bus = rt.bus
        if bus.active:
            if status == "done":
                bus.emit(report.event())
            else:
                bus.emit(AntiEntropyAbandoned(rt.now(), self.node.name, s.peer, s.range_index,
                                              status, reason))
        if s.on_done is not None:
            s.on_done(report)
