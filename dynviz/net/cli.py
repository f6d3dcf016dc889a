"""The ``node``, ``up``, ``down``, ``client`` and ``status`` subcommands.

``add_net_commands(subparsers)`` registers them on the ``dynviz`` parser (and on
``python -m dynviz.net``, which node processes are started with). Each handler returns
an exit status; user errors are raised as ``ValueError`` with a one-line message.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
from pathlib import Path
from typing import Any

from dynviz.core.units import MS
from dynviz.net.address import parse_addr, parse_peers, parse_seeds
from dynviz.wording import plural

DEFAULT_DATA = ".dynviz"


def _ms(text: str) -> int:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected milliseconds, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of milliseconds, got {text!r}")
    return int(value * MS)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def _add_secret(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--secret", help="the cluster secret (visible in ps; prefer --secret-file)")
    g.add_argument("--secret-file", help="a file holding the cluster secret (dynviz up writes DIR/secret)")


def resolve_secret(args: argparse.Namespace, data: str | None) -> bytes:
    """--secret, --secret-file, DIR/secret, or $DYNVIZ_SECRET, in that order."""
    from dynviz.net.launcher import SECRET_FILE, read_secret_file

    secret: str | None = getattr(args, "secret", None)
    if secret:
        return secret.encode()
    if getattr(args, "secret_file", None):
        return read_secret_file(args.secret_file)
    if data and (Path(data) / SECRET_FILE).exists():
        return read_secret_file(Path(data) / SECRET_FILE)
    env = os.environ.get("DYNVIZ_SECRET")
    if env:
        return env.encode()
    raise ValueError("no cluster secret: pass --secret-file FILE (or --secret), or --data DIR of a "
                     "cluster started with 'dynviz up'")


def _add_tuning(p: argparse.ArgumentParser) -> None:
    """Options every node of a cluster must agree on, plus timings (passed through by up)."""
    p.add_argument("--n", type=_count, default=3, help="replicas per key (default 3)")
    p.add_argument("--r", type=_count, default=2, help="read quorum (default 2)")
    p.add_argument("--w", type=_count, default=2, help="write quorum (default 2)")
    p.add_argument("--partitions", type=_count, default=None, help="Q equal partitions (power of two)")
    p.add_argument("--versioning", choices=["dvv", "vclock"], default="dvv")
    p.add_argument("--fsync", choices=["full", "normal", "off"], default="full",
                   help="full (default): a replica acks only what is on disk, even across power loss; "
                        "normal: survives a killed process; off: neither")
    p.add_argument("--gossip-ms", type=_ms, default=1000 * MS, help="gossip interval (default 1000)")
    p.add_argument("--suspect-after-ms", type=_ms, default=5000 * MS,
                   help="suspect a peer whose heartbeat stalls this long (default 5000)")
    p.add_argument("--suspect-for-ms", type=_ms, default=2000 * MS,
                   help="how long a peer that timed out stays suspected (default 2000)")
    p.add_argument("--replica-timeout-ms", type=_ms, default=200 * MS, help="per-replica timeout (default 200)")
    p.add_argument("--request-timeout-ms", type=_ms, default=1000 * MS, help="request deadline (default 1000)")
    p.add_argument("--handoff-ms", type=_ms, default=1000 * MS, help="hinted handoff interval (default 1000)")
    p.add_argument("--antientropy-ms", type=_ms, default=10_000 * MS,
                   help="anti-entropy interval (default 10000)")
    p.add_argument("--no-antientropy", action="store_true", help="turn periodic anti-entropy off")


_TUNING = [("n", "--n"), ("r", "--r"), ("w", "--w"), ("partitions", "--partitions"),
           ("versioning", "--versioning"), ("fsync", "--fsync")]
_TIMINGS = [("gossip_ms", "--gossip-ms"), ("suspect_after_ms", "--suspect-after-ms"),
            ("suspect_for_ms", "--suspect-for-ms"), ("replica_timeout_ms", "--replica-timeout-ms"),
            ("request_timeout_ms", "--request-timeout-ms"), ("handoff_ms", "--handoff-ms"),
            ("antientropy_ms", "--antientropy-ms")]


def _tuning_argv(args: argparse.Namespace) -> list[str]:
    out: list[str] = []
    for attr, flag in _TUNING:
        value = getattr(args, attr)
        if value is not None:
            out += [flag, str(value)]
    for attr, flag in _TIMINGS:
        out += [flag, f"{getattr(args, attr) / MS:g}"]
    if args.no_antientropy:
        out.append("--no-antientropy")
    return out


# -- node ---------------------------------------------------------------------------------


def cmd_node(args: argparse.Namespace) -> int:
    from dynviz.net.process import NodeOptions, run_node

    host, _ = parse_addr(args.listen, "--listen address")
    if host not in ("127.0.0.1", "localhost", "::1") and not args.allow_remote:
        raise ValueError(f"--listen {args.listen} is not loopback; add --allow-remote to listen there "
                         "(anyone who can reach it and holds the secret can use the node)")
    peers = parse_peers(args.peers or "")
    seeds = tuple(parse_seeds(args.seeds or ""))
    members = tuple(m.strip() for m in args.members.split(",") if m.strip()) if args.members else ()
    options = NodeOptions(
        id=args.id, data=args.data, secret=resolve_secret(args, args.data), listen=args.listen,
        peers=peers, seeds=seeds, members=members, n=args.n, r=args.r, w=args.w,
        partitions=args.partitions, versioning=args.versioning, fsync=args.fsync,
        gossip_interval=args.gossip_ms, suspect_after=args.suspect_after_ms, suspect_for=args.suspect_for_ms,
        replica_timeout=args.replica_timeout_ms, request_timeout=args.request_timeout_ms,
        handoff_interval=args.handoff_ms, antientropy=not args.no_antientropy,
        antientropy_interval=args.antientropy_ms, events=args.events,
    )
    logging.basicConfig(level=getattr(logging, args.log_level.upper()),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return asyncio.run(run_node(options))
    except OSError as exc:
        raise ValueError(f"cannot listen on {args.listen}: {exc.strerror or exc}") from None


# -- up / down ----------------------------------------------------------------------------


def cmd_up(args: argparse.Namespace) -> int:
    from dynviz.net.launcher import read_secret_file, up

    if args.host not in ("127.0.0.1", "localhost", "::1") and not args.allow_remote:
        raise ValueError(f"--host {args.host} is not loopback; add --allow-remote to listen there")
    secret = args.secret.encode() if args.secret else (
        read_secret_file(args.secret_file) if args.secret_file else None)
    node_args = _tuning_argv(args)
    if args.allow_remote:
        node_args.append("--allow-remote")
    started = up(args.data, args.nodes, args.host, args.base_port, secret, node_args, timeout=args.timeout)
    if args.json:
        print(json.dumps([{"id": e.id, "address": e.address, "pid": pid, "started": new}
                          for e, pid, new in started]))
        return 0
    for entry, pid, new in started:
        print(f"{entry.id}  {entry.address}  pid {pid}  {'started' if new else 'already running'}")
    print(f"cluster data and logs in {Path(args.data).resolve()}; "
          f"try: dynviz client put KEY VALUE --data {args.data}")
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    from dynviz.net.launcher import down

    stopped = down(args.data, timeout=args.timeout)
    for name, pid, how in stopped:
        print(f"{name}  pid {pid}  {how}")
    if not stopped:
        print("no node was running")
    return 0


# -- client / status ----------------------------------------------------------------------


def _via(args: argparse.Namespace) -> str:
    via: str | None = args.via
    if via:
        parse_addr(via, "--via address")
        return via
    from dynviz.net.launcher import load_cluster

    nodes = load_cluster(args.data)
    return nodes[0].address


def _key(text: str) -> bytes:
    return text.encode("utf-8")


def _state_path(args: argparse.Namespace) -> Path:
    if args.state:
        return Path(args.state)
    if args.via is None or (Path(args.data) / "cluster.json").exists():
        return Path(args.data) / ".client.json"
    return Path.home() / ".dynviz-client.json"


def cmd_client(args: argparse.Namespace) -> int:
    from dynviz.net.client import ClientState, NetClient

    if args.op == "put" and args.value is None:
        raise ValueError("put needs a VALUE: dynviz client put KEY VALUE")
    if args.op != "put" and args.value is not None:
        raise ValueError(f"{args.op} takes no VALUE")
    key = _key(args.key)
    value = args.value.encode("utf-8") if args.value is not None else None
    if value is not None and len(value) > 1 << 20:
        raise ValueError(f"value is {len(value)} bytes; the limit is 1 MiB")
    via = _via(args)
    secret = resolve_secret(args, args.data)
    state = ClientState.load(_state_path(args))

    async def go() -> Any:
        async with NetClient(via, secret, timeout=args.timeout) as client:
            if args.op == "get":
                return await client.get(key, r=args.r)
            context = None if args.blind else state.contexts.get(key)
            return await client.put(key, value, context, w=args.w)

    reply = asyncio.run(go())
    state.remember(key, reply)
    if reply.ok:
        state.save()
    print(_format_reply(args.op, key, reply, via, args.json))
    return 0 if reply.ok else 1


def _format_reply(op: str, key: bytes, reply: Any, via: str, as_json: bool) -> str:
    from dynviz.client import version_views
    from dynviz.executor import fmt_clock, show_bytes

    views = version_views(reply.siblings)
    if as_json:
        return json.dumps({
            "op": op, "ok": reply.ok, "key": show_bytes(key), "coordinator": reply.coordinator,
            "values": [show_bytes(v.value) for v in views if v.value is not None],
            "versions": [{"value": show_bytes(v.value), "tombstone": v.value is None, "clock": v.clock,
                          "dot": list(v.dot), "timestamp_us": v.timestamp} for v in views],
            "acks": list(reply.acks), "hints": [{"holder": h, "intended": i} for h, i in reply.hints],
            "context": reply.context, "error": reply.error, "via": via, "hops": reply.hops,
        }, sort_keys=True)
    name = show_bytes(key)
    if not reply.ok:
        return f"{op} {name} FAILED: {reply.error}"
    if op == "get":
        if views:
            shown = "; ".join(f"{show_bytes(v.value) if v.value is not None else '(deleted)'} {fmt_clock(v.clock)}"
                              for v in views)
        else:
            shown = "not found"
        text = f"get {name}: {shown}  [coordinator {reply.coordinator}, replies {','.join(reply.acks)}]"
    else:
        text = f"{op} {name} ok: coordinator {reply.coordinator}, acks {','.join(reply.acks)}"
        if reply.hints:
            text += "; hints " + ", ".join(f"{h} holds for {i}" for h, i in reply.hints)
        if len(views) > 1:
            text += f"; {len(views)} siblings now: " + "; ".join(
                f"{show_bytes(v.value) if v.value is not None else '(deleted)'} {fmt_clock(v.clock)}"
                for v in views)
    if reply.context:
        text += f"\ncontext {reply.context}"
    return text


def cmd_status(args: argparse.Namespace) -> int:
    from dynviz.net.remote import RemoteCluster
    from dynviz.net.snapshot import NodeSnapshot

    via = _via(args)
    secret = resolve_secret(args, args.data)

    async def go() -> tuple[NodeSnapshot, dict[str, NodeSnapshot | str]]:
        async with RemoteCluster(via, secret, timeout=args.timeout) as cluster:
            first = await cluster.snapshot(cluster.entry)
            return first, await cluster.snapshots()

    first, snaps = asyncio.run(go())
    if args.json:
        print(json.dumps({name: s.to_json() if isinstance(s, NodeSnapshot) else {"error": s}
                          for name, s in snaps.items()}, sort_keys=True))
        return 0
    print(f"membership as {first.id} ({first.address}) sees it:")
    print(f"  {'node':8} {'status':8} {'gen':>4} {'hb age':>8} {'tokens':>6}  {'address':22} "
          f"{'keys':>6} {'hints':>5}  process")
    ring_share = _shares(first.ring)
    for m in first.members:
        snap = snaps.get(m.name)
        addr = first.peers.get(m.name, "?")
        if isinstance(snap, NodeSnapshot):
            proc = f"up {snap.uptime_us / 1e6:.0f}s, actor {snap.actor}" + (
                f", suspects {','.join(snap.suspects)}" if snap.suspects else "")
            keys, hints = str(snap.keys), str(snap.hints)
        else:
            proc, keys, hints = "unreachable", "-", "-"
        flag = " suspected" if m.suspected else ""
        print(f"  {m.name:8} {m.status:8} {m.generation:>4} {m.heartbeat_age_us / 1e6:>7.1f}s {m.tokens:>6}  "
              f"{addr:22} {keys:>6} {hints:>5}  {proc}{flag}")
    print(f"ring: {plural(sum(len(t) for t in first.ring.values()), 'vnode')}; share of the ring: "
          + ", ".join(f"{n} {s:.1%}" for n, s in ring_share.items()))
    return 0


def _shares(ring: dict[str, tuple[str, ...]]) -> dict[str, float]:
    from dynviz.core.ring import Ring

    if not ring:
        return {}
    built = Ring({n: tuple(int(t, 16) for t in toks) for n, toks in ring.items()})
    return built.ownership()


# -- registration -------------------------------------------------------------------------


def add_net_commands(subparsers: Any) -> None:
    """Register ``node``, ``up``, ``down``, ``client`` and ``status``."""
    node = subparsers.add_parser("node", help="run one durable node process over TCP")
    node.add_argument("--id", required=True, help="this node's id, e.g. n1")
    node.add_argument("--listen", default="127.0.0.1:7001", help="HOST:PORT to listen on (default 127.0.0.1:7001)")
    node.add_argument("--peers", help="the address book: ID=HOST:PORT,... (the members, unless --members)")
    node.add_argument("--seeds", help="seed addresses HOST:PORT,... (ids are learned by handshake)")
    node.add_argument("--members", help="initial members ID,... (default: the ids in --peers)")
    node.add_argument("--data", required=True, help="directory for DIR/<id>.sqlite")
    node.add_argument("--events", type=int, default=512, help="recent events kept for the admin endpoint (0: off)")
    node.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --listen address")
    node.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    _add_secret(node)
    _add_tuning(node)
    node.set_defaults(func=cmd_node)

    upp = subparsers.add_parser("up", help="start a local cluster of node processes in the background")
    upp.add_argument("--nodes", type=_count, default=5, help="how many nodes (default 5)")
    upp.add_argument("--data", default=DEFAULT_DATA, help=f"cluster directory (default {DEFAULT_DATA})")
    upp.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    upp.add_argument("--base-port", type=_count, default=None, help="first port (default: any free ports)")
    upp.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --host")
    upp.add_argument("--timeout", type=float, default=15.0, help="seconds to wait for each node to listen")
    upp.add_argument("--json", action="store_true", help="print one JSON list")
    _add_secret(upp)
    _add_tuning(upp)
    upp.set_defaults(func=cmd_up)

    dn = subparsers.add_parser("down", help="stop the local cluster started by 'dynviz up'")
    dn.add_argument("--data", default=DEFAULT_DATA, help=f"cluster directory (default {DEFAULT_DATA})")
    dn.add_argument("--timeout", type=float, default=5.0, help="seconds before SIGTERM becomes SIGKILL")
    dn.set_defaults(func=cmd_down)

    cl = subparsers.add_parser("client", help="put, get or delete a key on a TCP cluster")
    cl.add_argument("op", choices=["put", "get", "delete"])
    cl.add_argument("key")
    cl.add_argument("value", nargs="?")
    cl.add_argument("--via", help="HOST:PORT of any node (default: the first node in DIR/cluster.json)")
    cl.add_argument("--data", default=DEFAULT_DATA, help=f"cluster directory (default {DEFAULT_DATA})")
    cl.add_argument("--state", help="client state file of contexts (default DIR/.client.json)")
    cl.add_argument("--blind", action="store_true", help="put without the remembered context")
    cl.add_argument("--r", type=_count, default=None, help="read quorum for this get")
    cl.add_argument("--w", type=_count, default=None, help="write quorum for this put")
    cl.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the reply")
    cl.add_argument("--json", action="store_true", help="print one JSON object")
    _add_secret(cl)
    cl.set_defaults(func=cmd_client)

    st = subparsers.add_parser("status", help="print a TCP cluster's membership and ring")
    st.add_argument("--via", help="HOST:PORT of any node (default: the first node in DIR/cluster.json)")
    st.add_argument("--data", default=DEFAULT_DATA, help=f"cluster directory (default {DEFAULT_DATA})")
    st.add_argument("--timeout", type=float, default=3.0, help="seconds to wait for each node")
    st.add_argument("--json", action="store_true", help="print one JSON object")
    _add_secret(st)
    st.set_defaults(func=cmd_status)
