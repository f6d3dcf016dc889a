"""The workload of one check seed: clients and faults, recorded as commands (DESIGN §6, §7).

Everything random comes from ``stream(seed, "checker")`` and the cluster's own seeded
streams, so a seed is a complete, reproducible bug report.

The keys
    ``keys`` keys spread over the whole ring: key ``i`` is the first of ``ki``,
    ``ki.1``, ``ki.2``... whose token falls in the ``i``-th of ``keys`` equal slices of
    the token space, so every part of the ring (and, on an equal-partition ring, every
    partition when there are as many keys) is written. Half the operations go to the
    first eighth of the keys, so concurrent writes still meet on the same key.

The clients
    ``clients`` clients, each with at most one operation in flight. Operations:
    read-modify-write (get, then put a fresh value over the get's context), blind write
    (the client forgets the key first: no context), delete (get, then delete over the
    get's context), plain get, and a *foreign-context* write (get one key, then put
    another over that context: ``put K V context=K2``, which every node must refuse).
    Every value written is unique (``"<client>-<i>"``). Between operations a client
    thinks for 0-20 ms of virtual time.

    Quorums vary per request: ``r`` and ``w`` of 1, 2 (most often) or N, and now and
    then ``pr``/``pw`` of 2, so an accounting bug that W=R=2 hides (a failure counted as
    an ack) changes an answer. ``w=1`` leaves a single copy until the coordinator's
    other replicas answer, and a lost disk could take that copy: it is the fault
    schedule, not the protocol, that would lose the write. So each seed chooses one of
    the two: writes with ``w=1``, or the ``wipe`` fault.
    Half the clients are partition-aware (they send to a replica), half go through a
    load balancer (any node, which coordinates itself if it can, as a stand-in or not).
    A client whose read failed forgets the key: it writes blind rather than over a
    context the checker cannot attribute.

The faults (:data:`INJECTORS`, a dict so later faults plug in by name)
    crash a node and recover it later (never more than a minority down at once);
    partition the nodes into two groups and heal later; message loss 5% for a while;
    clock skew of one node by up to ±5 s; slow links (every message up to 6 s) for a
    while; duplicated messages between nodes for a while (``dup``); one inbox or link
    held and then delivered in a random order (``reorder``); a node joins (at most two); a node that is
    not a seed leaves (at most one, never below four live members); a node loses its
    disk (at most one). A fault comes every 20-250 ms while clients are busy. Undos not
    yet due when the clients finish are dropped: the ending
    (:meth:`dynviz.check.scenario.Scenario.end`) undoes everything itself.

The recording
    Every operation and fault is kept as the command that replays it
    (:attr:`Workload.recording`, what the shrinker cuts down). A fault is *applied* as
    that command. A request is submitted the way its client routes it, then recorded
    with the node it entered through (``as c1 get k3 via=n2``), so a replay needs no
    router; a write by a client that holds no context for the key is recorded as a
    fresh client's (``as c1b7 put ...``), so a replay writes blind too.
"""

from __future__ import annotations

from collections.abc import Callable
from random import Random

from dynviz.check.scenario import Recording, Scenario
from dynviz.client import GetResult, PutResult
from dynviz.cluster import Pending
from dynviz.core.hashing import token_of
from dynviz.core.units import MS, SECOND
from dynviz.sim.choices import pending_messages
from dynviz.sim.rng import stream

TOKENS = 1 << 128
"""The size of the token space (MD5)."""


def workload_keys(count: int) -> tuple[bytes, ...]:
    """The keys a workload of ``count`` keys runs over, spread over the ring (see the
    module docstring): ``k0``, ``k1``... where that name falls in its slice."""
    keys = []
    for i in range(count):
        lo, hi = i * TOKENS // count, (i + 1) * TOKENS // count
        name = f"k{i}".encode()
        j = 0
        while not lo <= token_of(name) < hi:
            j += 1
            name = f"k{i}.{j}".encode()
        keys.append(name)
    return tuple(keys)


class Workload:
    """One seed's clients and faults on a scenario's cluster, recorded as commands."""

    __slots__ = ("scenario", "cluster", "rng", "clients", "faults", "recording", "budget", "ops",
                 "failed_ops", "busy", "ended", "active", "joins", "leaves", "wipes", "single_copies", "copies",
                 "latencies", "injected")

    def __init__(self, scenario: Scenario, seed: int, ops: int, clients: int, faults: tuple[str, ...]) -> None:
        self.scenario = scenario
        self.cluster = scenario.cluster
        self.rng: Random = stream(seed, "checker")
        self.clients = clients
        self.faults = faults
        self.recording: Recording = []
        self.budget = ops  # operations not yet started
        self.ops = 0
        self.failed_ops = 0
        self.busy = 0  # clients with an operation in flight
        self.ended = False
        self.active: set[str] = set()  # faults on now that an undo will end (partition, loss)
        self.joins = 0
        self.leaves = 0
        self.wipes = 0
        self.copies: set[str] = set()  # messages the dup fault copied, and their copies
        self.latencies: dict[str, list[int]] = {}  # op -> each answer's latency (µs), for the summary's plots
        self.injected: dict[str, int] = {}  # fault -> times injected
        # w=1 writes or the wipe fault, never both (module docstring).
        self.single_copies = "wipe" not in faults or self.rng.random() < 0.5

    def run(self) -> None:
        """Run every client's operations, faults among them, until the last is answered."""
        cluster = self.cluster
        for i in range(self.clients):
            name = f"c{i + 1}"
            # Both routing paths (DESIGN §3): odd clients hold the ring (zero-hop to a
            # replica), even ones go through a load balancer to any node, which then
            # coordinates as a stand-in or forwards.
            cluster.client(name).routing = "aware" if i % 2 == 0 else "lb"
            _Client(self, name).schedule()
        if self.faults:
            self._fault_loop()
        sched = cluster.scheduler
        while self.busy:
            sched.run_until(sched.now + 50 * MS, stop=lambda: self.busy == 0)
        self.ended = True

    def record(self, text: str) -> None:
        """Keep ``text`` as the command issued now."""
        self.recording.append((self.cluster.now, text))

    def apply(self, text: str) -> None:
        """Apply a fault (or its undo) as the command ``text``, and record it."""
        self.record(text)
        self.scenario.issue(text, strict=True)

    def later(self, lo: int, hi: int, fn: Callable[[], None]) -> None:
        """Run ``fn`` (an undo) in ``lo``-``hi`` µs, unless the workload has ended by then."""
        self.cluster.scheduler.after(self.rng.randint(lo, hi), self._unless_ended, fn)

    def _unless_ended(self, fn: Callable[[], None]) -> None:
        if not self.ended:
            fn()

    def _fault_loop(self) -> None:
        def tick() -> None:
            if self.ended or (self.budget <= 0 and self.busy == 0):
                return
            fault = self.faults[self.rng.randrange(len(self.faults))]
            self.injected[fault] = self.injected.get(fault, 0) + 1
            INJECTORS[fault](self)
            self.cluster.scheduler.after(self.rng.randint(20 * MS, 250 * MS), tick)

        self.cluster.scheduler.after(self.rng.randint(0, 100 * MS), tick)


# --------------------------------------------------------------------------- clients


class _Client:
    """One client: issues its next operation only after the previous one completed."""

    __slots__ = ("workload", "name", "count", "failed")

    def __init__(self, workload: Workload, name: str) -> None:
        self.workload = workload
        self.name = name
        self.count = 0  # values written so far
        self.failed = False

    def schedule(self) -> None:
        work = self.workload
        if work.budget <= 0:
            return
        work.budget -= 1
        work.busy += 1
        work.cluster.scheduler.after(work.rng.randint(0, 20 * MS), self.start)

    def start(self) -> None:
        work = self.workload
        rng = work.rng
        keys = work.scenario.keys
        # Half the operations go to a few hot keys (an eighth of them), so that writes
        # still meet on one key as they did over the old eight; the rest cover the ring.
        hot = keys[:max(1, len(keys) // 8)] if rng.random() < 0.5 else keys
        key = hot[rng.randrange(len(hot))]
        roll = rng.random()
        work.ops += 1
        self.failed = False
        if roll < 0.40:
            self._get(key, then="put")
        elif roll < 0.57:
            self._forget(key)
            self._write(key, self._value())
        elif roll < 0.67:
            self._get(key, then="delete")
        elif roll < 0.75 and len(keys) > 1:
            self._get(key, then="foreign")
        else:
            self._get(key, then=None)

    def _quorum(self, primaries: str, single: bool = True) -> str:
        """The options of one request: ``r=``/``w=`` of 1, 2 or N (and sometimes
        ``pr=``/``pw=`` 2), as command text ("" for the cluster's defaults)."""
        rng = self.workload.rng
        n = self.workload.cluster.config.n
        roll = rng.random()
        if roll < 0.2 and single:
            quorum = 1
        elif roll < 0.4:
            quorum = n
        else:
            return ""
        options = f"{primaries[1]}={quorum}"
        if rng.random() < 0.1:
            options += f" {primaries}={min(2, quorum)}"
        return options

    def _value(self) -> bytes:
        self.count += 1
        return f"{self.name}-{self.count}".encode()

    def _forget(self, key: bytes) -> None:
        self.workload.cluster.client(self.name).forget(key)
        self.workload.scenario.history.forget(self.name, key)

    def _get(self, key: bytes, then: str | None) -> None:
        work = self.workload
        options = self._quorum("pr")
        r, pr = _numbers(options, "r", "pr")
        pending = work.cluster.submit_get(key, client=self.name, r=r, pr=pr)
        work.record(f"as {self.name} get {key.decode()} via={pending.entry}{' ' + options if options else ''}")
        work.scenario.history.track_get(self.name, pending)
        pending.callbacks.append(lambda p: self._got(p, then))

    def _got(self, pending: Pending[GetResult], then: str | None) -> None:
        result = pending.result
        assert isinstance(result, GetResult)
        self._timed(pending.op, result.finished - result.started)
        if not result.ok:
            self.failed = True
            self._forget(result.key)
        if then == "put":
            self._write(result.key, self._value())
        elif then == "delete":
            self._write(result.key, None)
        elif then == "foreign" and result.ok:
            keys = [k for k in self.workload.scenario.keys if k != result.key]
            self._write(keys[self.workload.rng.randrange(len(keys))], self._value(), context_of=result.key)
        else:
            self._done()

    def _write(self, key: bytes, value: bytes | None, context_of: bytes | None = None) -> None:
        work = self.workload
        cluster = work.cluster
        history = work.scenario.history
        options = self._quorum("pw", single=work.single_copies)
        w, pw = _numbers(options, "w", "pw")
        if value is None:
            options = f" w={w}" if w else ""  # a delete takes no pw=
            pending = cluster.submit_delete(key, client=self.name, w=w)
            writer = self.name
            work.record(f"as {writer} delete {key.decode()} via={pending.entry}{options}")
        elif context_of is not None:
            # Over another key's context: refused by every node. The history files it
            # under a client that observed nothing, so that, were it wrongly accepted,
            # it could not vouch for this key's writes (the invariant reports it).
            pending = cluster.submit_put(key, value, client=self.name, w=w, pw=pw, context_of=context_of)
            writer = f"{self.name}x{self.count}"
            work.record(f"as {self.name} put {key.decode()} {value.decode()} via={pending.entry}"
                        f"{' ' + options if options else ''} context={context_of.decode()}")
        else:
            pending = cluster.submit_put(key, value, client=self.name, w=w, pw=pw)
            # A blind write (no context) is a fresh client in the recording.
            writer = self.name if history.observed(self.name, key) or cluster.client(self.name).contexts.get(key) \
                else f"{self.name}b{self.count}"
            work.record(f"as {writer} put {key.decode()} {value.decode()} via={pending.entry}"
                        f"{' ' + options if options else ''}")
        history.track_write(writer, pending)
        pending.callbacks.append(self._written)

    def _written(self, pending: Pending[PutResult]) -> None:
        result = pending.result
        assert isinstance(result, PutResult)
        self._timed(pending.op, result.finished - result.started)
        if not result.ok:
            self.failed = True
        self._done()

    def _timed(self, op: str, latency: int) -> None:
        self.workload.latencies.setdefault(op, []).append(latency)

    def _done(self) -> None:
        work = self.workload
        work.failed_ops += self.failed
        work.busy -= 1
        self.schedule()


# ----------------------------------------------------------------------------- faults


def _crash(work: Workload) -> None:
    cluster = work.cluster
    names = list(cluster.nodes)
    down = cluster.network.down
    if len(down) + 1 > (len(names) - 1) // 2:
        return
    up = [n for n in names if n not in down]
    victim = up[work.rng.randrange(len(up))]
    work.apply(f"kill {victim}")

    def recover() -> None:
        if not cluster.is_up(victim):
            work.apply(f"recover {victim}")

    work.later(100 * MS, 1500 * MS, recover)


def _partition(work: Workload) -> None:
    if "partition" in work.active:
        return
    names = list(work.cluster.nodes)
    work.rng.shuffle(names)
    cut = work.rng.randint(1, len(names) - 1)
    work.apply(f"partition {','.join(sorted(names[:cut]))} | {','.join(sorted(names[cut:]))}")
    _for_a_while(work, "partition", "heal")


def _loss(work: Workload) -> None:
    if "loss" in work.active:
        return
    work.apply("loss 0.05")
    _for_a_while(work, "loss", "loss 0")


def _delay(work: Workload) -> None:
    """Slow links for a while: every message takes up to 6 s, so messages overtake one
    another and answers come back after the timers that gave up on them (a late ack of
    an older handoff arriving after the next round, 5 s later)."""
    if "delay" in work.active:
        return
    lo, hi = work.cluster.config.latency
    work.apply(f"latency {lo}us..{DELAY}us")
    _for_a_while(work, "delay", f"latency {lo}us..{hi}us")


DELAY = 6 * SECOND
"""The slowest message while the ``delay`` fault is on."""


def _node_messages(work: Workload, held: bool = False) -> list[str]:
    """The ids of the messages between nodes now pending (held ones only, or only those
    on the wire). Clients reach the cluster through a load balancer, as for loss: a
    client's request is never duplicated or reordered (that would be a client retry)."""
    cluster = work.cluster
    nodes = cluster.nodes
    return [m.id for m in pending_messages(cluster.network) if m.held == held and m.src in nodes and m.dst in nodes]


def _dup(work: Workload) -> None:
    """Duplicated delivery for a while: every 10-40 ms, each message between nodes on
    the wire is duplicated with probability 0.3 (``duplicate ID``). Every handler must
    be idempotent: a second ack, hint, repair or handoff must not count twice or bring
    anything back."""
    if "dup" in work.active:
        return
    work.active.add("dup")
    until = work.cluster.now + work.rng.randint(100 * MS, 1000 * MS)

    def burst() -> None:
        # Copies are not copied again, and a burst makes at most DUP_BURST: under slow
        # links (the delay fault) messages live for seconds, and copying 30% of them
        # every few ms would grow the wire exponentially.
        made = 0
        for mid in _node_messages(work):
            if made < DUP_BURST and mid not in work.copies and work.rng.random() < 0.3:
                work.apply(f"duplicate {mid}")
                work.copies.add(mid)
                work.copies.add(f"m{work.cluster.network.sent_count}")
                made += 1
        if work.cluster.now < until:
            work.later(10 * MS, 40 * MS, burst)
        else:
            work.active.discard("dup")

    burst()


DUP_BURST = 8
"""The most messages one burst of the ``dup`` fault duplicates."""


def _reorder(work: Workload) -> None:
    """Reordered delivery: hold one node's inbox or one link for 20-400 ms, then deliver
    what it held in a random order and release it (``hold``, ``deliver ID``...,
    ``release``)."""
    if "reorder" in work.active:
        return
    cluster = work.cluster
    live = [n for n in cluster.nodes if cluster.is_up(n) and n not in cluster.departed]
    if len(live) < 2:
        return
    work.rng.shuffle(live)
    target = live[0] if work.rng.random() < 0.5 else f"{live[0]}->{live[1]}"
    work.active.add("reorder")
    work.apply(f"hold {target}")

    def end() -> None:
        held = _node_messages(work, held=True)
        work.rng.shuffle(held)
        for mid in held:
            work.apply(f"deliver {mid}")
        work.apply(f"release {target}")
        work.active.discard("reorder")

    work.later(20 * MS, 400 * MS, end)


def _for_a_while(work: Workload, fault: str, undo: str) -> None:
    """``fault`` is on until the command ``undo`` runs, 100 ms to 1 s from now."""
    work.active.add(fault)

    def end() -> None:
        work.apply(undo)
        work.active.discard(fault)

    work.later(100 * MS, 1000 * MS, end)


def _skew(work: Workload) -> None:
    names = list(work.cluster.nodes)
    node = names[work.rng.randrange(len(names))]
    micros = work.rng.randint(-5 * SECOND, 5 * SECOND)
    work.apply(f"skew {node} {micros:+d}us")


def _join(work: Workload) -> None:
    cluster = work.cluster
    if cluster.ring_change_in_progress() or work.joins >= 2:
        return
    work.joins += 1
    work.apply(f"join n{len(cluster.nodes) + 1}")


def _live_members(work: Workload) -> list[str]:
    cluster = work.cluster
    return [n for n in cluster.nodes
            if cluster.is_up(n) and n not in cluster.departed
            and cluster.gossip_of(n).view.members[n].status == "up"]


def _leave(work: Workload) -> None:
    cluster = work.cluster
    live = _live_members(work)
    if cluster.ring_change_in_progress() or work.leaves >= 1 or len(live) <= 4:
        return
    candidates = [n for n in live if n not in cluster.config.seed_nodes]
    if candidates:
        work.leaves += 1
        work.apply(f"leave {candidates[work.rng.randrange(len(candidates))]}")


def _wipe(work: Workload) -> None:
    """The kv679 fault: a node loses its disk and comes back empty, as a new actor."""
    # One disk lost per run, and only in runs without w=1 writes: with N=3 and W>=2
    # every acknowledged write has two copies, so one wipe can never destroy the last;
    # two wipes before repair could, and so could one after a w=1 write (that is data
    # loss by the fault schedule, not by the protocol, and proves nothing).
    if work.wipes >= 1 or work.single_copies:
        return
    work.wipes += 1
    cluster = work.cluster
    live = [n for n in cluster.nodes if n not in cluster.departed]
    work.apply(f"wipe {live[work.rng.randrange(len(live))]}")


def _numbers(options: str, quorum: str, primaries: str) -> tuple[int | None, int | None]:
    """The ``quorum=`` and ``primaries=`` numbers in ``options`` (None when absent)."""
    found = dict(part.split("=") for part in options.split())
    q, p = found.get(quorum), found.get(primaries)
    return (int(q) if q else None), (int(p) if p else None)


INJECTORS: dict[str, Callable[[Workload], None]] = {
    "crash": _crash,
    "partition": _partition,
    "loss": _loss,
    "skew": _skew,
    "join": _join,
    "leave": _leave,
    "wipe": _wipe,
    "delay": _delay,
    "dup": _dup,
    "reorder": _reorder,
}
"""Fault name -> injector. An injector applies one fault now and schedules its undo
(``Workload.later``); undos are skipped once the workload ends, and the ending heals
everything itself."""

OPT_IN: tuple[str, ...] = ()
"""Faults ``all`` leaves out (``--faults all,NAME`` adds one): none now. A fault that
finds what the campaign cannot yet pass waits here until it is fixed."""

FAULTS: tuple[str, ...] = tuple(name for name in INJECTORS if name not in OPT_IN)
