"""Carry out parsed commands on a cluster and describe what happened.

One executor serves every front end: ``dynviz run`` prints its outcomes as text or
JSON, the TUI shows them in the log, lessons check them. An outcome is data (a dict
that serialises to JSON deterministically) plus one human line; errors a user can
cause come back as an outcome with ``ok`` false, never as an exception.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from dynviz import commands as c
from dynviz import manual
from dynviz.client import GetResult, PutResult, VersionView
from dynviz.cluster import Cluster, ClusterConfig, ClusterError, Inspection, Pending
from dynviz.core.units import MS, SECOND
from dynviz.events import EventBus, Narration
from dynviz.storage.base import StorageError
from dynviz.wording import plural


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of one command."""

    cmd: str
    line: int
    ok: bool
    time: int
    data: dict[str, Any] = field(default_factory=dict)
    text: str = ""
    error: str = ""
    invalid: bool = False  # the command itself was wrong (unknown node...), not a protocol failure

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"cmd": self.cmd, "line": self.line, "ok": self.ok, "time_us": self.time}
        out.update(self.data)
        if self.error:
            out["error"] = self.error
        return out


def show_bytes(value: bytes | None) -> str | None:
    if value is None:
        return None
    return value.decode("utf-8", errors="backslashreplace")


def version_json(v: VersionView) -> dict[str, Any]:
    return {
        "value": show_bytes(v.value),
        "tombstone": v.value is None,
        "clock": v.clock,
        "dot": [v.dot[0], v.dot[1]],
        "timestamp_us": v.timestamp,
    }


def fmt_time(micros: int) -> str:
    return f"{micros / SECOND:8.3f}s"


def fmt_clock(clock: dict[str, int]) -> str:
    return "{" + ",".join(f"{k}:{v}" for k, v in clock.items()) + "}"


class Executor:
    """Applies commands to a cluster, creating the default one on first use."""

    def __init__(self, config: ClusterConfig | None = None, seed: int | None = None,
                 bus: EventBus | None = None,
                 on_cluster: Callable[[Cluster], None] | None = None) -> None:
        self.base = config or ClusterConfig()
        self.seed = seed
        self.bus = bus or EventBus()
        self.on_cluster = on_cluster
        self._cluster: Cluster | None = None
        # Requests issued while the network is held answer later, when the learner's
        # choices let their messages through; their outcomes wait here for run_script.
        self._finished: list[Outcome] = []

    @property
    def cluster(self) -> Cluster:
        if self._cluster is None:
            self._new_cluster(self.base)
        assert self._cluster is not None
        return self._cluster

    def _new_cluster(self, config: ClusterConfig) -> Cluster:
        if self.seed is not None:
            config = replace(config, seed=self.seed)
        if self._cluster is not None:
            self._cluster.close()
        self._cluster = Cluster(config, bus=self.bus)
        if self.on_cluster is not None:
            self.on_cluster(self._cluster)
        return self._cluster

    def adopt(self, cluster: Cluster, *, announce: bool = True) -> None:
        """Carry on with ``cluster`` (one restored from a checkpoint) in place of the
        current one. The current one is not closed: a restore swaps a copy in, and the
        original may still be read. ``announce``: tell ``on_cluster``, as a new cluster
        does (a lesson stepping back restores its own event list instead)."""
        self._cluster = cluster
        if announce and self.on_cluster is not None:
            self.on_cluster(cluster)

    # -- running -----------------------------------------------------------------------

    def run_script(self, commands: Iterable[c.Command]) -> Iterator[Outcome]:
        """Each command's outcome, and after it those of held requests it let finish."""
        for command in commands:
            yield self.execute(command)
            yield from self.take_finished()

    def take_finished(self) -> list[Outcome]:
        """Outcomes of requests that were issued while the network was held and have
        finished since the last call, in the order they finished."""
        done = self._finished[:]
        self._finished.clear()  # in place: pending requests hold its append
        return done

    def execute(self, command: c.Command, *, wait: bool = False) -> Outcome:
        """Carry out ``command`` to its end. Under a hold a request is only issued (its
        outcome comes from :meth:`take_finished`), unless ``wait``: a lesson's check runs
        its get to the answer, with whatever the held messages let through."""
        if isinstance(command, (c.Put, c.Get, c.Delete)) and self.cluster.network.holds and not wait:
            # Run to its answer, a request would wait out its deadline: the messages it
            # needs are held. It is issued and answers when the choices let it through.
            if self.submit(command, self._finished.append):
                return self._out(command, True, {"pending": True},
                                 f"{command.source or command.name}: issued; the network is held, so it "
                                 "answers when its messages are delivered ('network' lists them)")
            return self._finished.pop()
        handler = _HANDLERS.get(type(command))
        try:
            if handler is None:
                if isinstance(command, (c.Pause, c.Expect, c.Script)):
                    raise ClusterError(f"'{command.name}' works in lessons only: run this file with "
                                       "'dynviz lesson FILE' (add --check to test its expects)")
                raise ClusterError(f"'{command.name}' is not available here")
            return handler(self, command)
        except (ClusterError, StorageError) as exc:
            now = self._cluster.now if self._cluster is not None else 0
            return Outcome(command.source or command.name, command.line, False, now, {}, f"error: {exc}",
                           str(exc), invalid=True)

    def submit(self, command: c.Command, on_done: Callable[[Outcome], None]) -> bool:
        """Start ``command`` without running the simulation to its end, for front ends
        that let virtual time flow (the TUI): requests (put, get, delete) complete
        later, when the simulation reaches their answer, and call ``on_done`` then;
        every other command completes now. Returns True when the command is pending."""
        try:
            cluster = self.cluster
            pending: Pending[Any]
            if isinstance(command, c.Put):
                pending = cluster.submit_put(command.key, command.value, command.client, command.via,
                                             command.n, command.w, command.pw, command.context)
            elif isinstance(command, c.Delete):
                pending = cluster.submit_delete(command.key, command.client, command.via, None, command.w)
            elif isinstance(command, c.Get):
                pending = cluster.submit_get(command.key, command.client, command.via, command.n,
                                             command.r, command.pr)
            elif isinstance(command, c.AntiEntropy):
                cluster.start_antientropy(
                    command.a, command.b, lambda reports: on_done(self._antientropy_outcome(command, reports)))
                return True
            else:
                on_done(self.execute(command))
                return False
        except (ClusterError, StorageError) as exc:
            now = self._cluster.now if self._cluster is not None else 0
            on_done(Outcome(command.source or command.name, command.line, False, now, {}, f"error: {exc}",
                            str(exc), invalid=True))
            return False

        def finished(p: Any) -> None:
            result = p.result
            if isinstance(result, GetResult):
                on_done(self._get_outcome(command, result))
            else:
                on_done(self._put_outcome(command, result))

        pending.callbacks.append(finished)
        return True

    def _out(self, command: c.Command, ok: bool, data: dict[str, Any], text: str, error: str = "") -> Outcome:
        return Outcome(command.source or command.name, command.line, ok, self.cluster.now, data, text, error)

    # -- handlers ----------------------------------------------------------------------

    def do_cluster(self, command: c.Cluster) -> Outcome:
        options = dict(command.options)
        config = ClusterConfig.from_options(options)
        cluster = self._new_cluster(config)
        cfg = cluster.config
        data = {
            "nodes": list(cfg.nodes), "n": cfg.n, "r": cfg.r, "w": cfg.w, "strategy": cfg.strategy,
            "versioning": cfg.versioning, "resolver": cfg.resolver, "seed": cfg.seed,
            "vnodes": len(cluster.ring),
        }
        text = (f"cluster of {plural(len(cfg.nodes), 'node')} ({', '.join(cfg.nodes)}), N={cfg.n} R={cfg.r} W={cfg.w}, "
                f"{cfg.versioning}, {cfg.strategy} ring of {len(cluster.ring)} vnodes, seed {cfg.seed}")
        return self._out(command, True, data, text)

    def do_put(self, command: c.Put) -> Outcome:
        result = self.cluster.put(command.key, command.value, command.client, command.via,
                                  command.n, command.w, command.pw, command.context)
        return self._put_outcome(command, result)

    def do_delete(self, command: c.Delete) -> Outcome:
        result = self.cluster.delete(command.key, command.client, command.via, None, command.w)
        return self._put_outcome(command, result)

    def _put_outcome(self, command: c.Command, result: PutResult) -> Outcome:
        data: dict[str, Any] = {
            "op": result.op, "key": show_bytes(result.key), "coordinator": result.coordinator,
            "acks": list(result.acks), "hints": [{"holder": h, "intended": i} for h, i in result.hints],
            "entry": result.entry, "hops": result.hops, "latency_us": result.finished - result.started,
        }
        if result.ok:
            text = f"{result.op} {show_bytes(result.key)} ok: coordinator {result.coordinator}, acks {','.join(result.acks)}"
            if result.hints:
                text += "; hints " + ", ".join(f"{h} holds for {i}" for h, i in result.hints)
            if result.hops:
                text += f" (forwarded by {result.entry})"
        else:
            text = f"{result.op} {show_bytes(result.key)} FAILED: {result.error}"
        return self._out(command, result.ok, data, text, result.error)

    def do_get(self, command: c.Get) -> Outcome:
        result = self.cluster.get(command.key, command.client, command.via, command.n, command.r, command.pr)
        return self._get_outcome(command, result)

    def _get_outcome(self, command: c.Command, result: GetResult) -> Outcome:
        data: dict[str, Any] = {
            "op": "get", "key": show_bytes(result.key),
            "values": [show_bytes(v) for v in result.values],
            "versions": [version_json(v) for v in result.versions],
            "siblings": len(result.versions), "coordinator": result.coordinator,
            "replier": result.replier, "replies": list(result.replies), "context": result.context,
            "entry": result.entry, "hops": result.hops, "latency_us": result.finished - result.started,
        }
        if result.ok:
            if result.versions:
                shown = "; ".join(
                    f"{show_bytes(v.value) if v.value is not None else '(deleted)'} {fmt_clock(v.clock)}"
                    for v in result.versions)
            else:
                shown = "not found"
            text = f"get {show_bytes(result.key)}: {shown}  [coordinator {result.coordinator}, replies {','.join(result.replies)}]"
        else:
            text = f"get {show_bytes(result.key)} FAILED: {result.error}"
        return self._out(command, result.ok, data, text, result.error)

    def do_kill(self, command: c.Kill) -> Outcome:
        self.cluster.kill(command.node)
        return self._out(command, True, {"node": command.node}, f"{command.node} crashed")

    def do_recover(self, command: c.Recover) -> Outcome:
        self.cluster.recover(command.node)
        return self._out(command, True, {"node": command.node}, f"{command.node} recovered")

    def do_wipe(self, command: c.Wipe) -> Outcome:
        self.cluster.wipe(command.node)
        node = self.cluster.nodes[command.node]
        return self._out(command, True, {"node": command.node, "actor": node.actor},
                         f"{command.node} lost its disk and restarted empty as actor {node.actor}")

    def do_partition(self, command: c.Partition) -> Outcome:
        self.cluster.partition(command.groups)
        groups = self.cluster.network.groups
        listed: dict[int, list[str]] = {}
        for node, g in groups.items():
            listed.setdefault(g, []).append(node)
        shown = " | ".join(",".join(v) for _, v in sorted(listed.items()))
        return self._out(command, True, {"groups": [v for _, v in sorted(listed.items())]}, f"partitioned: {shown}")

    def do_heal(self, command: c.Heal) -> Outcome:
        self.cluster.heal()
        return self._out(command, True, {}, "partition healed")

    def do_loss(self, command: c.Loss) -> Outcome:
        self.cluster.set_loss(command.p)
        return self._out(command, True, {"loss": command.p}, f"message loss set to {command.p:.1%}")

    def do_latency(self, command: c.Latency) -> Outcome:
        self.cluster.set_latency(command.lo, command.hi)
        return self._out(command, True, {"latency_us": [command.lo, command.hi]},
                         f"latency {command.lo / MS:g}ms..{command.hi / MS:g}ms")

    def do_skew(self, command: c.Skew) -> Outcome:
        self.cluster.skew(command.node, command.micros)
        return self._out(command, True, {"node": command.node, "skew_us": command.micros},
                         f"{command.node}'s clock is {command.micros / SECOND:+g}s off")

    def do_run(self, command: c.Run) -> Outcome:
        self.cluster.run(command.micros)
        return self._out(command, True, {}, f"ran {command.micros / SECOND:g}s")

    def do_step(self, command: c.Step) -> Outcome:
        ran = self.cluster.step(command.count)
        return self._out(command, True, {"events": ran}, f"stepped {ran} event{'s' if ran != 1 else ''}")

    def do_settle(self, command: c.Settle) -> Outcome:
        cluster = self.cluster
        start = cluster.now
        settled = cluster.settle(command.limit or 60 * SECOND)
        took = cluster.now - start
        text = f"settled after {took / SECOND:g}s" if settled else f"not settled after {took / SECOND:g}s"
        return self._out(command, settled, {"settled": settled, "took_us": took}, text,
                         "" if settled else "the cluster did not settle in time")

    def do_inspect(self, command: c.Inspect) -> Outcome:
        inspection = self.cluster.inspect(command.key, command.node)
        return self._out(command, True, inspection_json(inspection), inspection_text(inspection))

    def do_join(self, command: c.Join) -> Outcome:
        change = self.cluster.join(command.node, command.vnodes)
        return self._out(command, True, {"change": change, "node": command.node},
                         f"{change}: planned; {command.node} pulls the ranges it gains, then the ring commits")

    def do_leave(self, command: c.Leave) -> Outcome:
        change = self.cluster.leave(command.node)
        return self._out(command, True, {"change": change, "node": command.node},
                         f"{change}: planned; the ranges {command.node} held move to their new owners")

    def do_remove(self, command: c.Remove) -> Outcome:
        change = self.cluster.remove(command.node)
        return self._out(command, True, {"change": change, "node": command.node},
                         f"{change}: {command.node} is gone; its ranges are rebuilt from the other replicas")

    def do_gossip(self, command: c.Gossip) -> Outcome:
        peer = self.cluster.gossip_round(command.node)
        return self._out(command, True, {"node": command.node, "peer": peer},
                         f"{command.node} gossips with {peer}" if peer else f"{command.node} has nobody to gossip with")

    def do_views(self, command: c.Views) -> Outcome:
        views = self.cluster.views()
        data = {"views": {
            observer: [{"node": m.name, "status": m.status, "version": m.version, "generation": m.generation,
                        "heartbeat": m.heartbeat, "tokens": len(m.tokens),
                        "pending_tokens": None if m.pending is None else len(m.pending)} for m in members]
            for observer, members in views.items()}}
        lines = ["membership views (each node's own opinion):"]
        for observer, members in views.items():
            shown = " ".join(f"{m.name}:{m.status}" for m in members)
            lines.append(f"  {observer}: {shown}")
        return self._out(command, True, data, "\n".join(lines))

    def do_antientropy(self, command: c.AntiEntropy) -> Outcome:
        return self._antientropy_outcome(command, self.cluster.antientropy(command.a, command.b))

    def _antientropy_outcome(self, command: c.AntiEntropy, reports: list[Any]) -> Outcome:
        done = [r for r in reports if r.ok]
        hashes = sum(r.hashes_compared for r in reports)
        keys = sorted({k for r in reports for k in r.keys_exchanged})
        moved = sum(r.bytes_moved for r in reports)
        differing = [r.range_index for r in reports if r.leaves]
        data = {
            "a": command.a, "b": command.b, "ranges": len(reports), "completed": len(done),
            "ranges_differing": differing, "hashes_compared": hashes,
            "keys_exchanged": [show_bytes(k) for k in keys], "bytes_moved": moved,
        }
        text = (f"anti-entropy {command.a} <-> {command.b}: {plural(len(reports), 'shared range')}, "
                f"{len(differing)} differed, {plural(hashes, 'hash', 'hashes')} compared, "
                f"{plural(len(keys), 'key')} exchanged, {plural(moved, 'byte')}")
        ok = len(done) == len(reports)
        return self._out(command, ok, data, text, "" if ok else "some exchanges did not finish")

    # -- tables (issue 7): dynviz.table.console runs them on the cluster's table desk --

    @property
    def tables(self) -> Any:
        """The :class:`~dynviz.table.console.TableDesk` of the current cluster."""
        from dynviz.table.console import desk_for

        return desk_for(self.cluster)

    def do_table(self, command: c.Command) -> Outcome:
        from dynviz.table.console import run

        result = run(self.tables, command)
        out = self._out(command, result.ok, result.data, result.text, result.error)
        return replace(out, invalid=result.invalid) if result.invalid else out

    def do_abort(self, command: c.Abort) -> Outcome:
        """Headless, commands run to the end before the next is read: nothing is ever
        running to abort. (The app stops its sliced step/run/settle on ``abort``; a
        replay finds the effect in the next command's recorded instant.)"""
        return self._out(command, True, {}, "nothing to abort")

    def do_say(self, command: c.Say) -> Outcome:
        cluster = self.cluster
        if self.bus.active:
            self.bus.emit(Narration(cluster.now, command.text))
        return self._out(command, True, {"text": command.text}, command.text)


    # -- the learner as the network (issue 16; dynviz/manual.py) -------------------------

    def do_network(self, command: c.ShowNetwork) -> Outcome:
        choices = self.cluster.choices()
        key = command.key.encode() if command.key is not None else None
        kind = (command.kind or "").lower()
        messages = [m for m in choices.messages
                    if (command.node is None or command.node in (m.src, m.dst))
                    and (key is None or m.key == key) and kind in m.kind.lower()]
        timers = [t for t in choices.timers
                  if key is None and (command.node is None or t.node == command.node)
                  and kind in t.purpose.lower()]
        data = {
            "holds": list(choices.holds),
            "messages": [{"id": m.id, "from": m.src, "to": m.dst, "kind": m.kind, "key": show_bytes(m.key),
                          "sent_us": m.sent, "due_us": m.due, "held": m.held} for m in messages],
            "timers": [{"id": t.id, "node": t.node, "purpose": t.purpose, "due_us": t.due} for t in timers],
        }
        lines = [f"holding: {', '.join(choices.holds) or 'nothing'}; "
                 f"{plural(len(messages), 'message')}, {plural(len(timers), 'timer')}"]
        lines += [f"  {manual.describe(m):40} {'held' if m.held else 'due ' + fmt_time(m.due).strip()}"
                  for m in messages]
        lines += [f"  {t.id:12} {t.node} {t.purpose:24} due {fmt_time(t.due).strip()}" for t in timers]
        return self._out(command, True, data, "\n".join(lines))

    def do_hold(self, command: c.Hold) -> Outcome:
        choice = manual.hold(self.cluster, command.src, command.dst)
        return self._out(command, True, {"holds": list(self.cluster.choices().holds)}, choice.text)

    def do_release(self, command: c.Release) -> Outcome:
        choice = manual.release(self.cluster, command.src, command.dst, command.every)
        return self._out(command, True, {"holds": list(self.cluster.choices().holds)}, choice.text)

    def _choice(self, command: c.Command, choice: manual.Choice) -> Outcome:
        data: dict[str, Any] = {"id": choice.target}
        if choice.copy is not None:
            data["copy"] = choice.copy
        if choice.due is not None:
            data["due_us"] = choice.due
        return self._out(command, True, data, choice.text)

    def do_deliver(self, command: c.Deliver) -> Outcome:
        return self._choice(command, manual.deliver(self.cluster, command.message))

    def do_drop(self, command: c.DropMessage) -> Outcome:
        return self._choice(command, manual.drop(self.cluster, command.message))

    def do_duplicate(self, command: c.Duplicate) -> Outcome:
        return self._choice(command, manual.duplicate(self.cluster, command.message))

    def do_delay(self, command: c.Delay) -> Outcome:
        return self._choice(command, manual.delay(self.cluster, command.message, command.micros))

    def do_fire(self, command: c.Fire) -> Outcome:
        return self._choice(command, manual.fire_timer(self.cluster, command.timer))


def inspection_json(ins: Inspection) -> dict[str, Any]:
    return {
        "key": show_bytes(ins.key), "token": ins.token, "preference_list": list(ins.preference_list),
        "replicas": [
            {
                "node": r.node, "role": r.role, "up": r.up,
                "values": [show_bytes(v.value) for v in r.versions if v.value is not None],
                "versions": [version_json(v) for v in r.versions],
                "hints": [{"intended": i, "versions": [version_json(v) for v in vs]} for i, vs in r.hints],
            }
            for r in ins.replicas
        ],
        "hints_held": sum(len(r.hints) for r in ins.replicas),
    }


def inspection_text(ins: Inspection) -> str:
    parts = [f"{show_bytes(ins.key)} (token {ins.token[:8]}…, preference list {','.join(ins.preference_list)}):"]
    for r in ins.replicas:
        shown = ", ".join(
            f"{show_bytes(v.value) if v.value is not None else '(deleted)'} {fmt_clock(v.clock)}" for v in r.versions
        ) or "-"
        status = "" if r.up else " (down)"
        line = f"  {r.node}{status} [{r.role}]: {shown}"
        for intended, vs in r.hints:
            line += f"; hint for {intended}: " + ", ".join(
                show_bytes(v.value) or "(deleted)" for v in vs)
        parts.append(line)
    return "\n".join(parts)


_HANDLERS: dict[type, Callable[[Executor, Any], Outcome]] = {
    c.Cluster: Executor.do_cluster,
    c.Put: Executor.do_put,
    c.Get: Executor.do_get,
    c.Delete: Executor.do_delete,
    c.Kill: Executor.do_kill,
    c.Recover: Executor.do_recover,
    c.Wipe: Executor.do_wipe,
    c.Partition: Executor.do_partition,
    c.Heal: Executor.do_heal,
    c.Loss: Executor.do_loss,
    c.Latency: Executor.do_latency,
    c.Skew: Executor.do_skew,
    c.Run: Executor.do_run,
    c.Step: Executor.do_step,
    c.Settle: Executor.do_settle,
    c.Inspect: Executor.do_inspect,
    c.Say: Executor.do_say,
    c.Abort: Executor.do_abort,
    c.Join: Executor.do_join,
    c.Leave: Executor.do_leave,
    c.Remove: Executor.do_remove,
    c.Gossip: Executor.do_gossip,
    c.Views: Executor.do_views,
    c.AntiEntropy: Executor.do_antientropy,
    c.ShowNetwork: Executor.do_network,
    c.Hold: Executor.do_hold,
    c.Release: Executor.do_release,
    c.Deliver: Executor.do_deliver,
    c.DropMessage: Executor.do_drop,
    c.Duplicate: Executor.do_duplicate,
    c.Delay: Executor.do_delay,
    c.Fire: Executor.do_fire,
    **{cls: Executor.do_table for cls in c.TABLE_COMMANDS},
}
