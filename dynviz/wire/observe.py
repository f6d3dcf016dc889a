"""What one wire request was, as a :class:`~dynviz.events.WireRequest` for the bus.

The server builds one after each reply, only when someone listens (the app): it reads
the request's JSON again for its table and item key, so a server nobody watches pays
nothing. The key is the item's *cluster* key (its partition's group, then its sort key:
``Table.item_key``), the very key the quorum read or write ran on, so the app can
select it and draw its preference list. A Query names a partition, not an item: its
key is the partition's group, which every item of the partition is placed by.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from dynviz.core.hashing import grouped_key
from dynviz.events import WireRequest
from dynviz.table.errors import TableError
from dynviz.wire.protocol import WireError

if TYPE_CHECKING:
    from dynviz.table.engine import TableEngine
    from dynviz.table.state import Table
    from dynviz.wire.protocol import Reply

_PLAIN = re.compile(r"[^\s\"'=]{1,40}")
_EQUALS = re.compile(r"(#?[A-Za-z0-9_.\-]+)\s*=\s*(:[A-Za-z0-9_]+)")


def client_name(user_agent: str | None) -> str:
    """The client's product from its User-Agent: ``Boto3/1.35 ...`` -> ``boto3``,
    ``aws-cli/2.15 ...`` -> ``aws-cli``; ``http`` when it says nothing."""
    if not user_agent:
        return "http"
    return user_agent.split("/", 1)[0].split()[0].lower() or "http"


def wire_request(now: int, engine: TableEngine, target: str | None, body: bytes, user_agent: str | None,
                 reply: Reply) -> WireRequest:
    operation = (target or "").rpartition(".")[2] or "?"
    params = _params(body)
    name = params.get("TableName")
    table = name if isinstance(name, str) else ""
    key: bytes | None = None
    words = ""
    t = engine.tables.get(table) if table else None
    if t is not None:
        key, words = _key(t, operation, params)
    detail = words
    if reply.status != 200:
        code = _error_code(reply.body)
        detail = f"{words} {code}".strip() if code else words
    return WireRequest(now, client_name(user_agent), operation, table, key, reply.status, detail)


def _params(body: bytes) -> dict[str, Any]:
    try:
        params = json.loads(body) if body else {}
    except ValueError:
        return {}
    return params if isinstance(params, dict) else {}


def _error_code(body: bytes) -> str:
    try:
        kind = json.loads(body).get("__type", "")
    except (ValueError, AttributeError):
        return ""
    return str(kind).rpartition("#")[2]


def _key(t: Table, operation: str, params: dict[str, Any]) -> tuple[bytes | None, str]:
    """The cluster key and its words (``customer=c1 order=7``), when the request names
    one item (or, for a Query, one partition); (None, "") otherwise."""
    from dynviz.wire.shapes import item_in

    schema = t.schema
    try:
        if operation == "Query":
            pk_av = _query_partition(schema.pk.name, params)
            if pk_av is None:
                return None, ""
            return grouped_key(t.group(pk_av)), key_words({schema.pk.name: pk_av})
        given = params.get("Key") if operation != "PutItem" else params.get("Item")
        if not isinstance(given, dict):
            return None, ""
        item = item_in(given, "Key")
        pk_av = item[schema.pk.name]
        sk_av = item[schema.sk.name] if schema.sk else None
        names = [schema.pk.name] + ([schema.sk.name] if schema.sk else [])
        return t.item_key(pk_av, sk_av), key_words({n: item[n] for n in names})
    except (KeyError, TypeError, ValueError, AttributeError, WireError, TableError):
        return None, ""  # a key the table layer refused (its reply says why): nothing to select


def key_words(key: dict[str, Any]) -> str:
    """A key as short words for the log: ``customer=c1 ts=7`` (JSON for a value with
    spaces or quotes, base64-free hex for a binary one)."""
    parts = []
    for name, av in key.items():
        (kind, value), = av.items()
        if isinstance(value, bytes):
            text = value.hex()
        else:
            text = str(value)
            if not _PLAIN.fullmatch(text):
                text = json.dumps(text, ensure_ascii=False)
        parts.append(f"{name}={text}")
    return " ".join(parts)


def _query_partition(pk: str, params: dict[str, Any]) -> dict[str, Any] | None:
    from dynviz.wire.shapes import item_in

    condition = params.get("KeyConditionExpression")
    values = params.get("ExpressionAttributeValues")
    names = params.get("ExpressionAttributeNames") or {}
    if not isinstance(condition, str) or not isinstance(values, dict) or not isinstance(names, dict):
        return None
    for name, placeholder in _EQUALS.findall(condition):
        if names.get(name, name) == pk and placeholder in values:
            av = item_in({pk: values[placeholder]}, "ExpressionAttributeValues")[pk]
            return av if isinstance(av, dict) else None
    return None
