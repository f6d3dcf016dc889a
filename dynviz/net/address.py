"""Addresses (``host:port``), node ids, and the ``id=host:port,...`` peer lists."""

from __future__ import annotations

import re

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def check_node_id(name: str) -> str:
    """A node id usable on the ring and on the wire (letters, digits, '-', '_')."""
    if not _ID.fullmatch(name):
        raise ValueError(f"bad node id {name!r}: use 1-64 letters, digits, '-' and '_'")
    return name


def parse_addr(text: str, what: str = "address") -> tuple[str, int]:
    """``host:port`` -> ``(host, port)``; ``[::1]:7001`` for IPv6."""
    text = text.strip()
    host, sep, port = text.rpartition(":")
    if not sep or not host:
        raise ValueError(f"bad {what} {text!r}: expected HOST:PORT, e.g. 127.0.0.1:7001")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        number = int(port)
    except ValueError:
        raise ValueError(f"bad {what} {text!r}: the port {port!r} is not a number") from None
    if not 0 < number < 65536:
        raise ValueError(f"bad {what} {text!r}: the port must be 1..65535")
    return host, number


def format_addr(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def parse_peers(text: str) -> dict[str, str]:
    """``n1=127.0.0.1:7001,n2=...`` -> ``{"n1": "127.0.0.1:7001", ...}`` (ordered)."""
    peers: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, sep, addr = part.partition("=")
        if not sep:
            raise ValueError(f"bad peer {part!r}: expected ID=HOST:PORT")
        check_node_id(name)
        parse_addr(addr, f"address of {name}")
        if name in peers:
            raise ValueError(f"peer {name} is listed twice")
        peers[name] = addr.strip()
    return peers


def parse_seeds(text: str) -> list[str]:
    """``127.0.0.1:7001,127.0.0.1:7002`` -> the addresses, validated."""
    seeds = [s.strip() for s in text.split(",") if s.strip()]
    for s in seeds:
        parse_addr(s, "seed address")
    return seeds
