"""The ``dynviz`` command: one entry point, a subcommand per way of using dynviz.

Errors a user can cause (bad options, bad files) end as one line on stderr and a
non-zero exit; they never show a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from dynviz import __version__
from dynviz.interrupts import discard_stdout, holding_interrupts, interrupted
from dynviz.wording import plural


class UserError(Exception):
    """An error caused by the user's input; printed as one line, exit status 2."""


def _whole(text: str) -> int:
    """A whole number, 0 or more (seeds)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of 0 or more, got {value}")
    return value


def _positive_int(text: str) -> int:
    """A whole number, 1 or more (counts, sizes)."""
    value = _whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {value}")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse that exits with one line (no usage dump) on a bad option, and takes no
    abbreviations (``ring --n 3`` must not be read as the app's ``--nodes``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # ArgumentParser's own, passed on unchanged
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"dynviz: error: {message} (see '{self.prog} --help')\n")


def cmd_ring(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from dynviz.core.hashing import as_key, token_hex, token_of
    from dynviz.core.ring import RingError, build_ring, node_names

    try:
        nodes = node_names(args.nodes)
        if args.n < 1:
            raise UserError(f"--n must be at least 1, got {args.n}")
        if args.n > len(nodes):
            raise UserError(f"--n {args.n} is more than the {plural(len(nodes), 'node')} of the ring")
        ring = build_ring(
            nodes, args.strategy, partitions=args.partitions, vnodes=args.vnodes,
            seed=args.seed, n=args.n,
        )
    except RingError as exc:
        raise UserError(str(exc)) from None
    share = ring.ownership()
    result: dict[str, object] = {
        "strategy": args.strategy,
        "nodes": list(ring.nodes),
        "vnodes": {n: len(ring.tokens_of(n)) for n in ring.nodes},
        "ownership": share,
        "n": args.n,
    }
    preference: list[str] = []
    extended: list[str] = []
    if args.key is not None:
        key = as_key(args.key)
        token = token_of(key)
        preference = list(ring.preference_list(key, args.n))
        extended = list(ring.extended_preference_list(key))
        result.update(
            key=args.key,
            token=token_hex(token),
            range=ring.range_index(token),
            preference_list=preference,
            extended_preference_list=extended,
        )
    if args.json:
        print(json.dumps(result))
        return 0
    console = Console()
    table = Table(title=f"ring: {plural(len(ring.nodes), 'node')}, {plural(len(ring), 'vnode')}, "
                        f"strategy {args.strategy}")
    table.add_column("node")
    table.add_column("vnodes", justify="right")
    table.add_column("share of ring", justify="right")
    table.add_column("", min_width=20)
    fair = 1 / len(ring.nodes)
    for node in ring.nodes:
        bar = "█" * max(1, round(20 * share[node] / (2 * fair)))
        table.add_row(node, str(len(ring.tokens_of(node))), f"{share[node]:.2%}", bar)
    console.print(table)
    values = list(share.values())
    console.print(f"balance (mean/max share): {sum(values) / len(values) / max(values):.3f}")
    if args.key is not None:
        console.print(f"key {args.key!r} -> token {result['token']} (range {result['range']})")
        console.print(f"preference list (N={args.n}): {', '.join(preference)}")
        console.print(f"extended (sloppy-quorum fallbacks in order): {', '.join(extended)}")
    return 0


def read_text_file(path: str, what: str = "command file") -> str:
    """Read a UTF-8 text file or raise a one-line UserError saying what is wrong."""
    from pathlib import Path

    file = Path(path)
    if not file.exists():
        raise UserError(f"{what} {path!r} does not exist")
    if file.is_dir():
        raise UserError(f"{what} {path!r} is a directory, not a file")
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {what} {path!r}: {exc.strerror}") from None
    if b"\x00" in data:
        raise UserError(f"{what} {path!r} is a binary file, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{what} {path!r} is not UTF-8 text (bad byte at offset {exc.start})") from None


def cmd_run(args: argparse.Namespace) -> int:
    from dynviz.commands import CommandError, parse_script
    from dynviz.executor import Executor, fmt_time

    text = read_text_file(args.file)
    try:
        script = parse_script(text)
    except CommandError as exc:
        raise UserError(f"{args.file}: {exc}") from None
    executor = Executor(seed=args.seed)
    invalid = 0
    done = 0  # commands whose outcome is printed in full
    try:
        for command in script:
            outcome = executor.execute(command)
            invalid += outcome.invalid
            # A request issued while the network is held answers after a later choice:
            # its outcome is printed when it comes, after the command that let it finish.
            with holding_interrupts():  # an outcome is printed whole or not at all
                for shown in (outcome, *executor.take_finished()):
                    if args.json:
                        print(json.dumps(shown.as_json(), sort_keys=True))
                    else:
                        lines = shown.text.splitlines() or [""]
                        print(f"[{fmt_time(shown.time)}] {lines[0]}")
                        for extra in lines[1:]:
                            print(f"{'':12}{extra}")
                sys.stdout.flush()  # each outcome as it happens, also into a pipe: a long step shows progress
                done += 1
    except KeyboardInterrupt:
        command = script[done]
        text = " ".join((command.source or command.name).split())
        raise KeyboardInterrupt(f"interrupted at line {command.line} of {args.file} ({text[:60]}); "
                                f"{plural(done, 'command')} of {len(script)} finished") from None
    cluster = executor.cluster
    if args.json:
        print(json.dumps({"summary": True, "commands": len(script), "time_us": cluster.now,
                          "digest": cluster.digest(), "state_digest": cluster.state_digest()}, sort_keys=True))
    else:
        print(f"{plural(len(script), 'command')}, virtual time {cluster.now / 1e6:.3f}s, trace digest {cluster.digest()[:16]}")
    return 1 if invalid else 0


def cmd_check(args: argparse.Namespace) -> int:
    from dynviz.check.cli import main_check

    try:
        return main_check(args)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def cmd_explore(args: argparse.Namespace) -> int:
    from dynviz.explore.cli import main_explore

    try:
        return main_explore(args)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def cmd_dynamodb(args: argparse.Namespace) -> int:
    from dynviz.wire.cli import main_dynamodb

    try:
        return main_dynamodb(args)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def cmd_paper(args: argparse.Namespace) -> int:
    from dynviz.paper.cli import main_paper

    try:
        return main_paper(args)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def _app_nodes(text: str) -> int:
    value = _whole(text)
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"--nodes must be between 1 and 64, got {value}")
    return value


def _history(text: str) -> int:
    value = _whole(text)
    if not 100 <= value <= 10_000_000:
        raise argparse.ArgumentTypeError(f"--history must be between 100 and 10000000 events, got {value}")
    return value


def cmd_app(args: argparse.Namespace) -> int:
    """No subcommand: open the terminal app on the embedded default cluster, recording
    the session (to ``--record FILE``, else a temp file; ``--no-record`` turns it off)."""
    from dynviz.tui.dynamodb import ListenError
    from dynviz.tui.launch import run_app

    record: str | bool = False if args.no_record else (args.record or True)
    try:
        return run_app(seed=args.app_seed, nodes=args.app_nodes, record=record, history=args.history,
                       data=args.data, welcome=not args.no_welcome, dynamodb=args.dynamodb)
    except ListenError as exc:  # --dynamodb: the port is taken
        raise UserError(str(exc)) from None


def _port(text: str) -> int:
    value = _whole(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"--port must be between 0 and 65535, got {value}")
    return value


def serve_command(seed: int, nodes: int) -> str:
    """The shell command textual-serve runs for each browser that connects: this Python
    running the app (recording to a temp file, as in a terminal)."""
    import shlex

    return shlex.join([sys.executable, "-m", "dynviz", "--seed", str(seed), "--nodes", str(nodes)])


def cmd_serve(args: argparse.Namespace) -> int:
    """``dynviz serve``: the app in a web browser, through textual-serve, on a page that
    needs nothing from the internet (``dynviz.serve``)."""
    from dynviz.serve import serve, textual_serve_dir

    textual_serve_dir()  # ServeError (one line) when textual-serve is not installed
    url = f"http://{args.host}:{args.port}"
    print(f"dynviz: serving the app on {url} (Ctrl+C stops)", flush=True)
    serve(serve_command(args.app_seed, args.app_nodes), args.host, args.port, "dynviz", args.public_url or url)
    return 0


def cmd_attach(args: argparse.Namespace) -> int:
    """``dynviz attach [HOST:PORT]``: the app on a live TCP cluster (``dynviz up``)."""
    from dynviz.net.address import parse_addr
    from dynviz.net.cli import resolve_secret
    from dynviz.tui.launch import run_attach

    if not 0.05 <= args.interval <= 60:
        raise UserError(f"--interval must be between 0.05 and 60 seconds, got {args.interval:g}")
    data = args.data
    if args.address:
        parse_addr(args.address, "address")
        via = args.address
    else:
        from dynviz.net.launcher import load_cluster

        data = data or ".dynviz"
        via = load_cluster(data)[0].address
    return run_attach(via, resolve_secret(args, data), data=data, interval=args.interval, history=args.history)


def cmd_screenshots(args: argparse.Namespace) -> int:
    from dynviz.tui.screenshots import write_screenshots

    for path in write_screenshots(args.out, seed=args.app_seed, nodes=args.app_nodes,
                                  size=(args.width, args.height)):
        print(path)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="dynviz",
        description="A Dynamo-style key-value store you can watch.",
    )
    parser.add_argument("--version", action="version", version=f"dynviz {__version__}")
    parser.add_argument("--seed", dest="app_seed", type=_whole, default=0,
                        help="seed of the app's cluster and workload (default 0)")
    parser.add_argument("--nodes", dest="app_nodes", type=_app_nodes, default=8,
                        help="nodes in the app's cluster (default 8)")
    parser.add_argument("--record", metavar="FILE", default=None,
                        help="record the session to FILE (default: a temp file, printed on exit)")
    parser.add_argument("--no-record", action="store_true", help="do not record the session")
    parser.add_argument("--no-welcome", action="store_true",
                        help="open on the cluster, without the welcome screen (also a setting on that screen)")
    parser.add_argument("--history", type=_history, default=20_000,
                        help="events the app keeps for its log and message views (ring buffers; default 20000)")
    parser.add_argument("--data", metavar="DIR", default=None,
                        help="durable nodes: each keeps its versions and hints in DIR/<node>.sqlite "
                             "(recording is off: a session cannot hold a cluster on disk)")
    parser.add_argument("--dynamodb", metavar="PORT", type=_port, default=None,
                        help="also serve DynamoDB's HTTP API on 127.0.0.1:PORT on the app's cluster: each "
                             "request shows in the log and selects its item on the ring (recording is off)")
    parser.set_defaults(func=cmd_app)
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    serve = sub.add_parser("serve", help="serve the app in a web browser (textual-serve)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8000, help="port (default 8000)")
    serve.add_argument("--public-url", default=None,
                       help="the URL browsers use, when behind a proxy (default http://HOST:PORT)")
    serve.add_argument("--seed", dest="app_seed", type=_whole, default=0, help="seed (default 0)")
    serve.add_argument("--nodes", dest="app_nodes", type=_app_nodes, default=8, help="nodes (default 8)")
    serve.set_defaults(func=cmd_serve)

    attach = sub.add_parser("attach", help="open the app on a live TCP cluster (started with 'dynviz up')")
    attach.add_argument("address", nargs="?", metavar="HOST:PORT",
                        help="any node of the cluster (default: the first node in DIR/cluster.json)")
    attach.add_argument("--data", default=None, metavar="DIR",
                        help="the cluster directory of 'dynviz up': its secret, and kill/recover of node "
                             "processes (default .dynviz when no HOST:PORT is given)")
    secret = attach.add_mutually_exclusive_group()
    secret.add_argument("--secret", help="the cluster secret (visible in ps; prefer --secret-file)")
    secret.add_argument("--secret-file", help="a file holding the cluster secret (default DIR/secret)")
    attach.add_argument("--interval", type=float, default=0.5, help="seconds between polls of the nodes (default 0.5)")
    attach.add_argument("--history", type=_history, default=20_000, help="events the app keeps (default 20000)")
    attach.set_defaults(func=cmd_attach)

    shots = sub.add_parser("screenshots", help="run scripted scenes of the app headless and write SVG screenshots")
    shots.add_argument("--out", default="screenshots", help="directory for the SVGs (default screenshots/)")
    shots.add_argument("--seed", dest="app_seed", type=_whole, default=0, help="seed (default 0)")
    shots.add_argument("--nodes", dest="app_nodes", type=_app_nodes, default=8, help="nodes (default 8)")
    shots.add_argument("--width", type=_positive_int, default=120, help="terminal columns (default 120)")
    shots.add_argument("--height", type=_positive_int, default=36, help="terminal rows (default 36)")
    shots.set_defaults(func=cmd_screenshots)

    ring = sub.add_parser("ring", help="print the ring for a cluster shape and a key's preference list")
    ring.add_argument("--nodes", default="8", help="node count (named n1..nN) or comma-separated names (default 8)")
    ring.add_argument("--strategy", choices=["equal", "random"], default="equal",
                      help="equal: Q equal partitions (paper strategy 3, default); random: T random tokens per node (strategy 1)")
    ring.add_argument("--partitions", type=_positive_int, default=None,
                      help="Q, the number of equal partitions (power of two; default max(64, 8 per node))")
    ring.add_argument("--vnodes", type=_positive_int, default=8, help="T, tokens per node for --strategy random (default 8)")
    ring.add_argument("--n", type=_positive_int, default=3, help="replicas per key (default 3)")
    ring.add_argument("--seed", type=_whole, default=0, help="seed for random tokens (default 0)")
    ring.add_argument("--key", help="show this key's token and preference list")
    ring.add_argument("--json", action="store_true", help="print one JSON object")
    ring.set_defaults(func=cmd_ring)

    run = sub.add_parser("run", help="execute a command file headless (see 'Command language' in the README)")
    run.add_argument("file", help="a text file of commands, one per line ('#' comments)")
    run.add_argument("--json", action="store_true", help="print one JSON object per command result")
    run.add_argument("--seed", type=_whole, default=None, help="override the cluster's seed")
    run.set_defaults(func=cmd_run)

    from dynviz.net.cli import add_net_commands
    from dynviz.session.cli import add_session_commands

    add_session_commands(sub)
    add_net_commands(sub)

    from dynviz.check.cli import add_check_arguments

    check = sub.add_parser(
        "check", help="Jepsen-style check: seeded random workloads under faults, then lost/phantom/converged")
    add_check_arguments(check)
    check.set_defaults(func=cmd_check)

    from dynviz.explore.cli import add_explore_arguments

    explore = sub.add_parser(
        "explore", help="model-check a small scenario: every interleaving of its messages and faults, breadth-first")
    add_explore_arguments(explore)
    explore.set_defaults(func=cmd_explore)

    from dynviz.wire.cli import add_dynamodb_arguments

    dynamodb = sub.add_parser(
        "dynamodb", help="serve DynamoDB's HTTP API on the cluster, for boto3, the AWS CLI and PynamoDB (issue 19)")
    add_dynamodb_arguments(dynamodb)
    dynamodb.set_defaults(func=cmd_dynamodb)

    from dynviz.paper.cli import add_paper_arguments

    paper = sub.add_parser(
        "paper", help="reproduce the Dynamo paper's Figure 8, section 6.3, Table 2 and PBS t-visibility on the cluster")
    add_paper_arguments(paper)
    paper.set_defaults(func=cmd_paper)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        from dynviz.sim.tuning import tune_for_simulation

        parser = build_parser()
        args = parser.parse_args(argv)
        tune_for_simulation()
        func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
        if func is None:
            parser.print_help()
            return 0
        return func(args)
    except (UserError, ValueError) as exc:
        # Subcommands raise ValueError (or a subclass) for input a user got wrong.
        print(f"dynviz: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        return interrupted(str(exc))
    except BrokenPipeError:  # e.g. `dynviz check --json | head`: the reader left
        discard_stdout()
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
