"""The tables as the command language and the TUI see them (issue 7, item 8).

``table create/put/get/delete/query/scan/stream/list/describe/drop`` commands
(:mod:`dynviz.commands`) run here, on the :class:`TableDesk` of the executor's cluster:
values typed by the user become DynamoDB attribute values (a key attribute written as a
word or a string takes the type its table declares), the request goes through the
boto3-shaped client (through the accelerator for tables created with
``accelerator=on``), and the answer comes back as JSON-able data (DynamoDB's wire
shape: numbers as strings, binary as base64) plus one human text. A table error is an
unsuccessful result carrying DynamoDB's code and message.

The desk lives on the cluster, in its table slot (``cluster.tables.desk``, slot.py)
beside the engine, so a snapshot of the cluster (a replay's checkpoint pickles it)
carries its tables, their pending index updates (timers on the cluster's scheduler)
and the accelerator's caches with it. It also keeps what the views show: the last page
of each table's scan and query, the stream positions of ``table stream`` and the
throttle events.
"""

from __future__ import annotations

import base64
import json
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import reduce
from typing import Any

from dynviz import commands as c
from dynviz.cluster import Cluster
from dynviz.commands.lexer import quote
from dynviz.commands.table import ATTR_NAME
from dynviz.table.accelerator import AcceleratedClient
from dynviz.table.client import TableClient
from dynviz.table.engine import TableEngine
from dynviz.table.errors import TableError, ValidationException
from dynviz.table.expressions import And, Between, Compare, ConditionTree, Func, Value
from dynviz.table.slot import slot_for
from dynviz.table.values import from_wire
from dynviz.table.views import AcceleratorStats, PartitionPlacement, TableSnapshot
from dynviz.wording import plural

USER_ERRORS = frozenset({"ValidationException", "ResourceNotFoundException", "ResourceInUseException",
                         "LimitExceededException"})
"""Codes that mean the command itself was wrong (``Outcome.invalid``), not the system."""
THROTTLE = "ProvisionedThroughputExceededException"
SHOWN_ITEMS = 10


@dataclass(frozen=True, slots=True)
class ThrottleEvent:
    time: int
    table: str
    op: str
    message: str


@dataclass(slots=True)
class Page:
    """The last page a scan or query of a table returned (what the Tables screen shows)."""

    op: str  # scan | query
    command: str
    items: list[dict[str, Any]]
    count: int
    scanned: int
    consumed: float | None
    last_key: dict[str, Any] | None
    next_command: str | None
    time: int
    cached: bool = False


@dataclass(slots=True)
class TableResult:
    ok: bool
    data: dict[str, Any]
    text: str
    error: str = ""
    invalid: bool = False


@dataclass(slots=True)
class TableDesk:
    """The tables of one cluster for the command language: its engine, a plain and an
    accelerated client, which tables go through the accelerator, and what views show."""

    cluster: Cluster
    engine: TableEngine
    plain: TableClient
    fast: AcceleratedClient
    accelerated: set[str] = field(default_factory=set)
    pages: dict[tuple[str, str], Page] = field(default_factory=dict)
    stream_positions: dict[str, dict[str, str]] = field(default_factory=dict)
    stream_reads: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    throttles: deque[ThrottleEvent] = field(default_factory=lambda: deque(maxlen=200))
    throttle_count: int = 0

    def now(self) -> int:
        return self.cluster.now

    def client(self, table: str) -> TableClient:
        return self.fast if table in self.accelerated else self.plain

    def names(self) -> list[str]:
        return list(self.engine.tables)

    def has(self, table: str | None) -> bool:
        return table is not None and table in self.engine.tables

    def key_names(self, table: str) -> tuple[str, ...]:
        """The table's key attributes (hash, then range), or () when there is no such table."""
        t = self.engine.tables.get(table)
        return tuple(t.schema.key_names) if t is not None else ()

    def has_stream(self, table: str) -> bool:
        t = self.engine.tables.get(table)
        return t is not None and t.stream is not None

    def layout(self, table: str) -> tuple[int, int] | None:
        """(the table's version, its partition count): what changes when its placement
        on the ring does (the ring view redraws on it); None when there is no such table."""
        t = self.engine.tables.get(table)
        return (t.version, len(t.partitions)) if t is not None else None

    def cache_stats(self) -> AcceleratorStats | None:
        return self.fast.cache_stats() if self.accelerated else None

    # -- read-only views (the screen and the ring call these every frame) --------------

    def snapshot(self, table: str) -> TableSnapshot:
        """``client.snapshot`` without its side effect: reading the capacity gauges
        refills the token buckets to now, and refilling at other instants than a replay
        does could round differently; the buckets are put back as they were."""
        t = self.engine.tables[table]
        buckets = [b for b in (t.read_bucket, t.write_bucket) if b is not None]
        for g in t.gsis.values():
            buckets += [b for b in (g.read_bucket, g.write_bucket) if b is not None]
        saved = [(b.tokens, b.updated) for b in buckets]
        try:
            snap = self.engine.snapshot(table)
        finally:
            for b, (tokens, updated) in zip(buckets, saved, strict=True):
                b.tokens, b.updated = tokens, updated
        if table in self.accelerated:
            snap = replace(snap, cache=self.fast.cache_stats())
        return snap

    def placement(self, table: str) -> list[PartitionPlacement]:
        return self.engine.placement(table)

    def stream_tail(self, table: str, count: int = 50) -> list[dict[str, Any]]:
        """The newest ``count`` records of the table's stream, oldest first (no trimming,
        no iterators: a view of what GetRecords would return)."""
        t = self.engine.tables.get(table)
        if t is None or t.stream is None:
            return []
        out: list[dict[str, Any]] = []
        for shard in reversed(t.stream.shards):
            out[:0] = shard.records[-(count - len(out)):]
            if len(out) >= count:
                break
        return out


def desk_for(cluster: Cluster) -> TableDesk:
    """The table desk of ``cluster`` (created on first use, kept in its table slot
    beside the engine, so a restored copy of the cluster brings both)."""
    slot = slot_for(cluster)
    if slot.desk is None:
        engine = slot.engine
        slot.desk = TableDesk(cluster, engine, TableClient(cluster, engine), AcceleratedClient(cluster, engine))
    return slot.desk


# -- values ------------------------------------------------------------------------------


def to_wire(value: Any) -> Any:
    """A response (items, keys, records) in JSON-able wire shape: bytes as base64."""
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {k: to_wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_wire(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def show_value(av: dict[str, Any]) -> str:
    (kind, v), = av.items()
    if kind == "S":
        return json.dumps(v, ensure_ascii=False)
    if kind == "N":
        return str(v)
    if kind == "B":
        return "b64:" + base64.b64encode(v).decode("ascii") if isinstance(v, bytes) else f"b64:{v}"
    if kind == "BOOL":
        return "true" if v else "false"
    if kind == "NULL":
        return "null"
    if kind == "L":
        return "[" + ", ".join(show_value(x) for x in v) + "]"
    if kind == "M":
        return "{" + ", ".join(f"{k}: {show_value(x)}" for k, x in v.items()) + "}"
    inner = {"SS": "S", "NS": "N", "BS": "B"}[kind]
    return "<<" + ", ".join(show_value({inner: x}) for x in v) + ">>"


def show_item(item: dict[str, Any] | None, first: tuple[str, ...] = ()) -> str:
    """An item on one line, its key attributes first: ``{id: 42, name: "Ada"}``."""
    if item is None:
        return "(none)"
    names = [n for n in first if n in item] + sorted(n for n in item if n not in first)
    return "{" + ", ".join(f"{n}: {show_value(item[n])}" for n in names) + "}"


def key_words(key: dict[str, Any]) -> str:
    """A key as the words that type it again: ``id=42 ts="x"``, or typed JSON when a
    name or a value needs it (binary, odd names)."""
    simple = all(ATTR_NAME.fullmatch(n) and next(iter(v)) in ("S", "N") for n, v in key.items())
    if not simple:
        return json.dumps(to_wire(key), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    parts = []
    for n, v in key.items():
        (kind, x), = v.items()
        parts.append(f"{n}={x}" if kind == "N" else f"{n}={quote(x)}")
    return " ".join(parts)


def _types(desk: TableDesk, table: str) -> dict[str, str]:
    t = desk.engine.tables.get(table)
    return {} if t is None else {d.name: d.type for d in t.schema.attribute_definitions}


def _value(types: dict[str, str], name: str, value: c.TableValue) -> dict[str, Any]:
    try:
        av = value.as_type(types[name]) if name in types else value.attribute()
    except ValueError as exc:
        raise ValidationException(f"{name} is a key attribute of type {types[name]}: {exc}") from None
    request: dict[str, Any] = from_wire(av)
    return request


def _attrs(types: dict[str, str], attrs: c.Attributes) -> dict[str, Any]:
    return {name: _value(types, name, v) for name, v in attrs}


# -- commands ----------------------------------------------------------------------------


def command_text(command: c.TableQuery | c.TableScan, after: dict[str, Any] | None) -> str:
    """The text of ``command`` with its start key replaced by ``after`` (the next page)."""
    parts = ["table", command.verb, command.table]
    if isinstance(command, c.TableQuery):
        parts.append(command.partition.show())
        if command.sort is not None:
            parts.append(command.sort.show())
    if command.where:
        parts.append("where " + " and ".join(t.show() for t in command.where))
    if command.index:
        parts.append(f"index={command.index}")
    if command.limit:
        parts.append(f"limit={command.limit}")
    if isinstance(command, c.TableScan) and command.segment is not None:
        parts.append(f"segment={command.segment[0]}/{command.segment[1]}")
    if isinstance(command, c.TableQuery) and command.descending:
        parts.append("desc")
    if command.consistent:
        parts.append("consistent")
    if after:
        parts.append("after " + key_words(after))
    return " ".join(parts)


class _Values:
    """The ExpressionAttributeValues of a query's or scan's conditions: each value the
    user typed, typed by the table's schema, behind a ``:vN`` placeholder."""

    def __init__(self, types: dict[str, str]) -> None:
        self.types = types
        self.values: dict[str, Any] = {}

    def value(self, attr: str, v: c.TableValue) -> Value:
        k = f":v{len(self.values)}"
        self.values[k] = _value(self.types, attr, v)
        return Value(k, self.values[k])

    def bind(self, term: c.KeyTerm) -> Any:
        """The term's condition (built when the command was parsed) with its values
        typed and put behind placeholders: what the engine evaluates."""
        node = term.condition
        if isinstance(node, Between):
            return Between(node.operand, self.value(term.attr, node.low), self.value(term.attr, node.high))
        if isinstance(node, Func):
            return Func(node.name, (node.args[0], self.value(term.attr, node.args[1])))
        return Compare(node.op, node.left, self.value(term.attr, node.right))

    def all_of(self, terms: Iterable[c.KeyTerm]) -> ConditionTree:
        """Every term must hold: ``a AND b AND c``, as DynamoDB's grammar groups it."""
        return ConditionTree(reduce(And, (self.bind(t) for t in terms)))


def _consumed(out: dict[str, Any]) -> float | None:
    cc = out.get("ConsumedCapacity")
    return float(cc["CapacityUnits"]) if cc else None


def _units(units: float | None, unit: str) -> str:
    return "" if units is None else f", {units:g} {unit}"


def run(desk: TableDesk, command: c.Command) -> TableResult:
    """Carry out one table command; table errors become an unsuccessful result."""
    table = getattr(command, "table", None)
    verb: str = getattr(command, "verb", type(command).__name__)  # every table command has one
    try:
        return _HANDLERS[type(command)](desk, command)
    except TableError as exc:
        code = exc.code
        if code == THROTTLE and isinstance(table, str):
            desk.throttle_count += 1
            desk.throttles.append(ThrottleEvent(desk.now(), table, exc.operation_name or verb, exc.message))
        data = {"op": exc.operation_name, "table": table, "code": code, "message": exc.message}
        shown = f" {table}" if table else ""
        hint = ""
        if code == "ResourceNotFoundException" and isinstance(table, str) and table not in desk.names():
            names = desk.names()
            hint = (f" (no table {table!r}: " + (f"the tables are {', '.join(names)}" if names else "none yet")
                    + f"; table create {table} pk=ATTR makes one)")
        text = f"table {verb}{shown} FAILED: {code}: {exc.message}{hint}"
        return TableResult(False, data, text, f"{code}: {exc.message}{hint}", code in USER_ERRORS)


def _create(desk: TableDesk, cmd: c.TableCreate) -> TableResult:
    defs: dict[str, str] = {}

    def key_schema(pk: tuple[str, str], sk: tuple[str, str] | None) -> list[dict[str, str]]:
        out = [{"AttributeName": pk[0], "KeyType": "HASH"}]
        defs.setdefault(pk[0], pk[1])
        if sk is not None:
            out.append({"AttributeName": sk[0], "KeyType": "RANGE"})
            defs.setdefault(sk[0], sk[1])
        return out

    for name, typ in (cmd.pk, *([cmd.sk] if cmd.sk else [])):
        defs[name] = typ
    for ix in (*cmd.lsis, *cmd.gsis):
        for attr, typ in (ix.pk, *([ix.sk] if ix.sk else [])):
            if defs.get(attr, typ) != typ:
                raise ValidationException(f"attribute {attr} is declared as both {defs[attr]} and {typ}")
    params: dict[str, Any] = {"TableName": cmd.table, "KeySchema": key_schema(cmd.pk, cmd.sk)}
    provisioned = cmd.rcu is not None
    throughput = {"ReadCapacityUnits": cmd.rcu, "WriteCapacityUnits": cmd.wcu}
    if cmd.lsis:
        params["LocalSecondaryIndexes"] = [
            {"IndexName": ix.index, "KeySchema": key_schema(ix.pk, ix.sk), "Projection": {"ProjectionType": ix.projection}}
            for ix in cmd.lsis]
    if cmd.gsis:
        params["GlobalSecondaryIndexes"] = [
            {"IndexName": ix.index, "KeySchema": key_schema(ix.pk, ix.sk), "Projection": {"ProjectionType": ix.projection},
             **({"ProvisionedThroughput": dict(throughput)} if provisioned else {})}
            for ix in cmd.gsis]
    params["AttributeDefinitions"] = [{"AttributeName": n, "AttributeType": t} for n, t in defs.items()]
    if provisioned:
        params["BillingMode"] = "PROVISIONED"
        params["ProvisionedThroughput"] = throughput
    else:
        params["BillingMode"] = "PAY_PER_REQUEST"
    if cmd.stream:
        params["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": cmd.stream}
    if cmd.resolver != "LWW":
        params["Resolver"] = cmd.resolver
    out = desk.plain.create_table(**params)
    if cmd.accelerator:
        desk.accelerated.add(cmd.table)
    else:
        desk.accelerated.discard(cmd.table)
    keys = f"pk {cmd.pk[0]} ({cmd.pk[1]})" + (f", sk {cmd.sk[0]} ({cmd.sk[1]})" if cmd.sk else "")
    billing = f"provisioned {cmd.rcu} RCU / {cmd.wcu} WCU" if provisioned else "on-demand"
    extras = [f"{len(cmd.lsis)} LSI" if cmd.lsis else "", f"{len(cmd.gsis)} GSI" if cmd.gsis else "",
              f"stream {cmd.stream}" if cmd.stream else "", "accelerator on" if cmd.accelerator else "",
              "resolver merge (sets of concurrent versions unioned)" if cmd.resolver == "MERGE" else ""]
    text = f"table {cmd.table} created: {keys}, {billing}" + "".join(f", {e}" for e in extras if e)
    data = {"op": "CreateTable", "table": cmd.table, "accelerator": cmd.accelerator,
            "description": to_wire(out["TableDescription"])}
    return TableResult(True, data, text)


def _put(desk: TableDesk, cmd: c.TablePut) -> TableResult:
    item = _attrs(_types(desk, cmd.table), cmd.item)
    out = desk.client(cmd.table).put_item(TableName=cmd.table, Item=item, ReturnConsumedCapacity="INDEXES")
    t = desk.engine.tables[cmd.table]
    units = _consumed(out)
    text = f"table put {cmd.table} {show_item(item, t.schema.key_names)} ok{_units(units, 'WCU')}"
    return TableResult(True, {"op": "PutItem", "table": cmd.table, "item": to_wire(item),
                              "consumed": to_wire(out.get("ConsumedCapacity"))}, text)


def _get(desk: TableDesk, cmd: c.TableGet) -> TableResult:
    key = _attrs(_types(desk, cmd.table), cmd.item_key)
    client = desk.client(cmd.table)
    hits = desk.fast.item_cache.hits
    out = client.get_item(TableName=cmd.table, Key=key, ConsistentRead=cmd.consistent, ReturnConsumedCapacity="TOTAL")
    cached = client is desk.fast and desk.fast.item_cache.hits > hits
    t = desk.engine.tables[cmd.table]
    item = out.get("Item")
    how = "strongly consistent" if cmd.consistent else "eventually consistent"
    where = "accelerator cache hit" if cached else how + _units(_consumed(out), "RCU")
    text = f"table get {cmd.table} {key_words(key)}: {show_item(item, t.schema.key_names) if item else 'not found'} ({where})"
    return TableResult(True, {"op": "GetItem", "table": cmd.table, "item_key": to_wire(key), "item": to_wire(item),
                              "found": item is not None, "cached": cached,
                              "consumed": to_wire(out.get("ConsumedCapacity"))}, text)


def _delete(desk: TableDesk, cmd: c.TableDelete) -> TableResult:
    key = _attrs(_types(desk, cmd.table), cmd.item_key)
    out = desk.client(cmd.table).delete_item(TableName=cmd.table, Key=key, ReturnValues="ALL_OLD",
                                             ReturnConsumedCapacity="INDEXES")
    old = out.get("Attributes")
    t = desk.engine.tables[cmd.table]
    what = f"deleted {show_item(old, t.schema.key_names)}" if old else "no such item (nothing changed)"
    text = f"table delete {cmd.table} {key_words(key)}: {what}{_units(_consumed(out), 'WCU')}"
    return TableResult(True, {"op": "DeleteItem", "table": cmd.table, "item_key": to_wire(key), "old": to_wire(old),
                              "consumed": to_wire(out.get("ConsumedCapacity"))}, text)


def _read(desk: TableDesk, cmd: c.TableQuery | c.TableScan) -> TableResult:
    types = _types(desk, cmd.table)
    values = _Values(types)
    params: dict[str, Any] = {"TableName": cmd.table, "ReturnConsumedCapacity": "TOTAL"}
    if isinstance(cmd, c.TableQuery):
        keys = [cmd.partition] if cmd.sort is None else [cmd.partition, cmd.sort]
        params["KeyConditionExpression"] = values.all_of(keys)
        if cmd.descending:
            params["ScanIndexForward"] = False
    if cmd.where:
        params["FilterExpression"] = values.all_of(cmd.where)
    if values.values:
        params["ExpressionAttributeValues"] = values.values
    if cmd.index:
        params["IndexName"] = cmd.index
    if cmd.limit:
        params["Limit"] = cmd.limit
    if cmd.consistent:
        params["ConsistentRead"] = True
    if isinstance(cmd, c.TableScan) and cmd.segment is not None:
        params["Segment"], params["TotalSegments"] = cmd.segment
    if cmd.after:
        params["ExclusiveStartKey"] = _attrs(types, cmd.after)
    client = desk.client(cmd.table)
    hits = desk.fast.query_cache.hits
    out = client.query(**params) if isinstance(cmd, c.TableQuery) else client.scan(**params)
    cached = client is desk.fast and desk.fast.query_cache.hits > hits
    t = desk.engine.tables[cmd.table]
    items = out.get("Items", [])
    last = out.get("LastEvaluatedKey")
    units = _consumed(out)
    nxt = command_text(cmd, last) if last else None
    desk.pages[(cmd.table, cmd.verb)] = Page(cmd.verb, cmd.source or command_text(cmd, None), items,
                                             out.get("Count", len(items)), out.get("ScannedCount", len(items)), units,
                                             last, nxt, desk.now(), cached)
    head = (f"table {cmd.verb} {cmd.table}: {plural(out.get('Count', 0), 'item')} (Count {out.get('Count', 0)}, "
            f"ScannedCount {out.get('ScannedCount', 0)})"
            + (", accelerator cache hit" if cached else _units(units, "RCU")))
    lines = [head]
    for it in items[:SHOWN_ITEMS]:
        lines.append("  " + show_item(it, t.schema.key_names))
    if len(items) > SHOWN_ITEMS:
        lines.append(f"  ... and {len(items) - SHOWN_ITEMS} more")
    if last:
        lines.append(f"  more: {nxt}")
    data = {"op": "Query" if isinstance(cmd, c.TableQuery) else "Scan", "table": cmd.table,
            "items": to_wire(items), "count": out.get("Count", 0), "scanned_count": out.get("ScannedCount", 0),
            "last_evaluated_key": to_wire(last), "next": nxt, "cached": cached,
            "consumed": to_wire(out.get("ConsumedCapacity"))}
    return TableResult(True, data, "\n".join(lines))


def _stream(desk: TableDesk, cmd: c.TableStream) -> TableResult:
    client = desk.plain
    desc = client.describe_table(TableName=cmd.table)["Table"]
    arn = desc.get("LatestStreamArn")
    if not arn or not desc.get("StreamSpecification", {}).get("StreamEnabled", True):
        raise ValidationException(f"Table {cmd.table} has no stream (create it with stream=NEW_AND_OLD_IMAGES)")
    shards = client.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    positions = desk.stream_positions.setdefault(cmd.table, {})
    if cmd.start == "trim_horizon":
        positions.clear()
    limit = cmd.limit or 1000
    records: list[dict[str, Any]] = []
    for shard in shards:
        sid = shard["ShardId"]
        if cmd.start == "latest":
            it = client.get_shard_iterator(StreamArn=arn, ShardId=sid, ShardIteratorType="LATEST")["ShardIterator"]
            tail = desk.stream_tail(cmd.table, 1)
            if tail:
                positions[sid] = tail[-1]["dynamodb"]["SequenceNumber"]
            continue
        if sid in positions:
            it = client.get_shard_iterator(StreamArn=arn, ShardId=sid, ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                                           SequenceNumber=positions[sid])["ShardIterator"]
        else:
            it = client.get_shard_iterator(StreamArn=arn, ShardId=sid, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while it and len(records) < limit:
            got = client.get_records(ShardIterator=it, Limit=min(1000, limit - len(records)))
            if not got["Records"]:
                break
            records.extend(got["Records"])
            positions[sid] = got["Records"][-1]["dynamodb"]["SequenceNumber"]
            it = got.get("NextShardIterator")
        if len(records) >= limit:
            break
    desk.stream_reads[cmd.table] = records
    t = desk.engine.tables[cmd.table]
    if cmd.start == "latest":
        text = f"table stream {cmd.table}: positioned at the end; the next read returns new records"
    else:
        lines = [f"table stream {cmd.table}: {plural(len(records), 'new record')}"]
        for r in records[:SHOWN_ITEMS]:
            lines.append("  " + show_record(r, t.schema.key_names))
        if len(records) > SHOWN_ITEMS:
            lines.append(f"  ... and {len(records) - SHOWN_ITEMS} more")
        text = "\n".join(lines)
    return TableResult(True, {"op": "GetRecords", "table": cmd.table, "stream_arn": arn,
                              "records": to_wire(records)}, text)


def show_record(r: dict[str, Any], first: tuple[str, ...] = ()) -> str:
    body = r["dynamodb"]
    text = f"#{body['SequenceNumber']} {r['eventName']:<6} {show_item(body.get('Keys'), first)}"
    if "NewImage" in body:
        text += f" new {show_item(body['NewImage'], first)}"
    elif "OldImage" in body:
        text += f" old {show_item(body['OldImage'], first)}"
    return text


def _list(desk: TableDesk, cmd: c.TableList) -> TableResult:
    names = desk.plain.list_tables()["TableNames"]
    lines = [plural(len(names), "table") + (":" if names else "")]
    rows = []
    for n in names:
        s = desk.snapshot(n)
        rows.append({"table": n, "items": s.item_count, "partitions": s.partitions, "billing": s.billing_mode,
                     "accelerator": n in desk.accelerated})
        lines.append(f"  {n}: {plural(s.item_count, 'item')} in {plural(s.partitions, 'partition')}, {s.billing_mode.lower()}"
                     + (", accelerator" if n in desk.accelerated else ""))
    return TableResult(True, {"op": "ListTables", "tables": rows}, "\n".join(lines))


def _describe(desk: TableDesk, cmd: c.TableDescribe) -> TableResult:
    desc = desk.plain.describe_table(TableName=cmd.table)["Table"]
    s = desk.snapshot(cmd.table)
    g = s.capacity
    lines = [f"table {cmd.table}: keys {', '.join(s.key_schema)}; {plural(s.item_count, 'item')}, "
             f"{plural(s.size_bytes, 'byte')}, "
             f"{plural(s.partitions, 'partition')}"]
    if g.mode == "PROVISIONED":
        lines.append(f"  capacity: {g.read_rate:g} RCU/s ({g.read_available:.1f} of {g.read_burst_max:g} banked), "
                     f"{g.write_rate:g} WCU/s ({g.write_available:.1f} of {g.write_burst_max:g} banked); "
                     f"throttled {plural(g.throttled_reads, 'read')}, {plural(g.throttled_writes, 'write')}")
    else:
        lines.append(f"  capacity: on-demand; consumed {g.consumed_read:g} RCU, {g.consumed_write:g} WCU")
    for ix in s.indexes:
        lag = f", {plural(ix.pending_updates, 'update')} pending" if ix.pending_updates else ""
        lines.append(f"  {ix.kind} index {ix.name}: keys {', '.join(ix.key_schema)}, {ix.projection}, "
                     f"{plural(ix.item_count, 'entry', 'entries')}{lag}")
    if s.stream_arn:
        lines.append(f"  stream {s.stream_view_type}: {plural(s.stream_records, 'record')}, latest #{s.latest_sequence}")
    if cmd.table in desk.accelerated and s.cache is not None:
        lines.append(f"  accelerator: items {s.cache.items.hit_rate:.0%} hits, queries {s.cache.queries.hit_rate:.0%} hits")
    return TableResult(True, {"op": "DescribeTable", "table": cmd.table, "description": to_wire(desc),
                              "accelerator": cmd.table in desk.accelerated}, "\n".join(lines))


def _drop(desk: TableDesk, cmd: c.TableDrop) -> TableResult:
    desk.plain.delete_table(TableName=cmd.table)
    desk.accelerated.discard(cmd.table)
    for key in [k for k in desk.pages if k[0] == cmd.table]:
        del desk.pages[key]
    desk.stream_positions.pop(cmd.table, None)
    desk.stream_reads.pop(cmd.table, None)
    return TableResult(True, {"op": "DeleteTable", "table": cmd.table}, f"table {cmd.table} deleted")


_HANDLERS: dict[type, Callable[[TableDesk, Any], TableResult]] = {
    c.TableCreate: _create,
    c.TablePut: _put,
    c.TableGet: _get,
    c.TableDelete: _delete,
    c.TableQuery: _read,
    c.TableScan: _read,
    c.TableStream: _stream,
    c.TableList: _list,
    c.TableDescribe: _describe,
    c.TableDrop: _drop,
}
