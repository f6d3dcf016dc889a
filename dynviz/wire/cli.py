"""``dynviz dynamodb``: DynamoDB's HTTP API on an embedded simulated cluster.

Importing this module loads neither aiohttp nor the cluster (the parser is built on
every ``dynviz`` run); :func:`main_dynamodb` does.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from dynviz.wire.served import served_summary

if TYPE_CHECKING:
    from dynviz.cluster import Cluster
    from dynviz.table.client import TableClient
    from dynviz.wire.journal import TableJournal

DESCRIPTION = """\
Serve DynamoDB's HTTP API (JSON 1.0, as boto3, the AWS CLI and PynamoDB speak it) on an
embedded Dynamo cluster: each request runs through the table layer as a quorum read or
write on the item's preference list. Point a client at it with --endpoint-url
http://HOST:PORT (boto3: endpoint_url=...). SigV4: with --credentials FILE every request
must be signed with a key pair of that file (an AWS credentials file, as ~/.aws/credentials)
and a wrongly signed one gets DynamoDB's refusal; without it any signature is accepted (an
Authorization header is still required, as DynamoDB requires one), so use any access key,
secret and region. """ + served_summary() + ' GET / answers health checks ("healthy: HOST:PORT").'


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"--port must be between 0 and 65535, got {value}")
    return value


def _nodes(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"--nodes must be between 1 and 64, got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of 0 or more, got {value}")
    return value


def add_dynamodb_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1, this machine only; without "
                             "--credentials nothing is authenticated, so anyone who can reach another address "
                             "can read and write)")
    parser.add_argument("--port", type=_port, default=8000, help="port (default 8000, DynamoDB Local's; 0: any free one)")
    parser.add_argument("--nodes", type=_nodes, default=8, help="nodes in the cluster, N3 R2 W2 (default 8)")
    parser.add_argument("--seed", type=_seed, default=0, help="seed of the cluster (default 0)")
    parser.add_argument("--data", metavar="DIR", default=None,
                        help="durable nodes: each keeps its versions and hints in DIR/<node>.sqlite, and "
                             "DIR/tables.sqlite keeps the table definitions, so a restarted server has its "
                             "tables and items again (stream records from before a restart are not kept)")
    parser.add_argument("--credentials", metavar="FILE", default=None,
                        help="check each request's SigV4 signature against the key pairs of FILE, an AWS "
                             "credentials file (every profile's aws_access_key_id / aws_secret_access_key); "
                             "default: accept any signature")
    parser.add_argument("--clock", choices=("wall", "requests"), default="wall",
                        help="wall: virtual time follows the wall clock while serving (default); requests: it "
                             "moves only while requests run, so the same requests give the same answers")


def cluster_for(nodes: int, seed: int, data: str | None) -> Cluster:
    """The cluster served: ``nodes`` nodes n1..nN, N3 R2 W2 (fewer with fewer nodes),
    dotted version vectors, as the app's default; on SQLite in ``data`` if given."""
    from dynviz.cluster import Cluster, ClusterConfig

    n = min(3, nodes)
    names = tuple(f"n{i}" for i in range(1, nodes + 1))
    if data is not None:
        Path(data).mkdir(parents=True, exist_ok=True)
        config = ClusterConfig(nodes=names, n=n, r=min(2, n), w=min(2, n), versioning="dvv", seed=seed,
                               storage="sqlite", dir=data)
    else:
        config = ClusterConfig(nodes=names, n=n, r=min(2, n), w=min(2, n), versioning="dvv", seed=seed)
    return Cluster(config)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _stop_on_sigterm() -> Callable[[], None]:
    """SIGTERM (a service manager, ``kill``) stops the server as Ctrl+C does, so the
    node databases of ``--data`` are closed, not cut off. Returns what puts the
    previous handler back."""
    import signal
    import threading

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.signal(signal.SIGTERM, stop)

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    return restore


def main_dynamodb(args: argparse.Namespace) -> int:
    import asyncio

    from dynviz.table.connect import make_client
    from dynviz.wire.operations import Endpoint
    from dynviz.wire.server import WireServer, serve
    from dynviz.wire.sigv4 import Credentials

    credentials = Credentials.from_file(args.credentials) if args.credentials is not None else None
    try:
        cluster = cluster_for(args.nodes, args.seed, args.data)
    except OSError as exc:
        raise ValueError(f"--data {args.data}: {exc.strerror or exc}") from None
    client = make_client(cluster)
    journal = None
    if args.data is not None:
        try:
            journal, found = _reopen(args.data, client)
        except ValueError:
            cluster.close()
            raise
        for name, items in found.items():
            print(f"dynviz: table {name} found again on {args.data}: {items} item(s)", flush=True)
    server = WireServer(Endpoint(client, journal), clock=args.clock, credentials=credentials)
    if credentials is None and not _loopback(args.host):
        print(f"dynviz: warning: listening on {args.host}: signatures are not checked, so anyone who can reach "
              "this address can read and write every table", file=sys.stderr)

    def ready(port: int) -> None:
        where = f" on {args.data}" if args.data else ""
        signed = (f"signatures checked against {len(credentials.keys)} key(s)" if credentials is not None
                  else "any signature accepted")
        print(f"dynviz: DynamoDB endpoint on http://{args.host}:{port} ({args.nodes} nodes{where}, "
              f"seed {args.seed}, {signed}; Ctrl+C stops)", flush=True)

    restore = _stop_on_sigterm()
    try:
        asyncio.run(serve(server, args.host, args.port, ready))
    except OSError as exc:  # the port is taken, the address is not ours
        raise ValueError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    except KeyboardInterrupt:
        print("dynviz: stopped", file=sys.stderr)
    finally:
        restore()
        if journal is not None:
            journal.close()
        cluster.close()
    return 0


def _reopen(data: str, client: TableClient) -> tuple[TableJournal, dict[str, int]]:
    """The journal of ``data`` and the tables it makes again, with their items found."""
    import sqlite3

    from dynviz.wire.journal import TableJournal

    try:
        journal = TableJournal(data)
        return journal, journal.replay(client)
    except sqlite3.Error as exc:
        raise ValueError(f"--data {data}: cannot use the table journal: {exc}") from None
