"""Between DynamoDB's JSON and the table client's shapes.

On the wire a binary value is base64 text (``{"B": "AAE="}``) and a timestamp is
seconds since the epoch; the table client (boto3's shapes) takes and gives ``bytes``
and ``datetime``. Requests are decoded only where the API puts attribute values (an
item, a key, expression values, the legacy conditions, PartiQL parameters), so an attribute that happens
to be named ``B`` is never mistaken for a binary value; responses are encoded whole,
since JSON has no ``bytes`` or ``datetime`` anywhere.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from decimal import Decimal
from typing import Any

from dynviz.wire.protocol import WireError

_CONDITIONS = ("Expected", "KeyConditions", "QueryFilter", "ScanFilter")
"""Legacy parameters: ``{name: {"Value": av, "AttributeValueList": [av]}}``."""


def _blob(text: Any, where: str) -> bytes:
    if not isinstance(text, str):
        raise WireError("SerializationException", f"{where}: a binary value must be base64 text, "
                                                  f"not {type(text).__name__}")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise WireError("SerializationException", f"{where}: {text[:40]!r} is not valid base64") from None


MAX_NESTING = 32
"""DynamoDB nests attribute values up to 32 levels deep, the item itself being the
first level: a chain of at most 31 maps or lists."""


STRING_MEMBERS = frozenset({
    "TableName", "IndexName", "ConditionExpression", "UpdateExpression", "ProjectionExpression", "FilterExpression",
    "KeyConditionExpression", "Select", "ReturnValues", "ReturnConsumedCapacity", "ReturnItemCollectionMetrics",
    "ReturnValuesOnConditionCheckFailure", "ClientRequestToken", "ConditionalOperator", "ExclusiveStartTableName",
    "ResourceArn", "StreamArn", "ShardId", "ShardIteratorType", "SequenceNumber", "ShardIterator",
    "ExclusiveStartStreamArn", "ExclusiveStartShardId", "BillingMode", "TableClass", "Statement", "NextToken",
    "BackupName", "BackupArn", "TargetTableName", "SourceTableName", "SourceTableArn",
})
"""Request members whose type is a string in DynamoDB's model, at any level a request
nests them (an action of a transaction, a table of a batch)."""
SCALAR_MEMBERS = {"Limit": "Integer", "Segment": "Integer", "TotalSegments": "Integer",
                  "ConsistentRead": "Boolean", "ScanIndexForward": "Boolean"}
"""Request members that are numbers or booleans in the model: a string, a list or a map
given for one is refused the same way (which numbers make a boolean is left to the
table layer's checks)."""


def _wrong_type(value: Any, where: str, wanted: str = "String") -> WireError:
    """DynamoDB's deserializer refuses a JSON value of the wrong type before any
    validation runs, naming the JSON token it met (a SerializationException)."""
    if isinstance(value, bool):
        token = "TRUE_VALUE" if value else "FALSE_VALUE"
        return WireError("SerializationException", f"{token} cannot be converted to {wanted} ({where})")
    if isinstance(value, (int, float)):
        return WireError("SerializationException", f"NUMBER_VALUE cannot be converted to {wanted} ({where})")
    if isinstance(value, str):
        return WireError("SerializationException", f"STRING_VALUE cannot be converted to {wanted} ({where})")
    if isinstance(value, list):
        return WireError("SerializationException", f"Start of list found where not expected ({where})")
    return WireError("SerializationException", f"Start of structure or map found where not expected ({where})")


def check_member_types(params: dict[str, Any], where: str = "") -> None:
    """Refuse a string member, or a name of ExpressionAttributeNames, given as another
    JSON type, and a number or boolean member given as a string, list or map (a JSON
    null is an absent member, as DynamoDB reads it)."""
    prefix = f"{where}." if where else ""
    for name in STRING_MEMBERS.intersection(params):
        value = params[name]
        if value is not None and not isinstance(value, str):
            raise _wrong_type(value, prefix + name)
    for name in SCALAR_MEMBERS.keys() & params.keys():
        value = params[name]
        if isinstance(value, (str, list, dict)):
            raise _wrong_type(value, prefix + name, SCALAR_MEMBERS[name])
    names = params.get("ExpressionAttributeNames")
    if isinstance(names, dict):
        for placeholder, value in names.items():
            if not isinstance(value, str):
                raise _wrong_type(value, f"{prefix}ExpressionAttributeNames.{placeholder}")


def value_in(av: Any, where: str, level: int = 2) -> Any:
    """One attribute value off the wire (anything not shaped like one is left for the
    table layer to reject with DynamoDB's message). ``level``: how deep the value sits,
    the item being level 1, so a document deeper than DynamoDB stores is refused here,
    while it is read, before any recursion on it could run out of stack."""
    if not isinstance(av, dict) or len(av) != 1:
        return av
    (kind, v), = av.items()
    if kind in ("S", "N") and v is not None and not isinstance(v, str):
        raise _wrong_type(v, f"{where}.{kind}")
    if kind == "B":
        return {"B": _blob(v, where)}
    if kind == "BS" and isinstance(v, list):
        return {"BS": [_blob(x, where) for x in v]}
    if kind in ("L", "M") and level > MAX_NESTING:
        raise WireError("ValidationException", "One or more parameter values were invalid: Nesting Levels have "
                                               f"exceeded supported limits: {where} is nested deeper than "
                                               f"{MAX_NESTING} levels")
    if kind == "L" and isinstance(v, list):
        return {"L": [value_in(x, where, level + 1) for x in v]}
    if kind == "M" and isinstance(v, dict):
        return {"M": {k: value_in(x, where, level + 1) for k, x in v.items()}}
    return av


def item_in(item: Any, where: str) -> Any:
    if not isinstance(item, dict):
        return item
    return {k: value_in(v, f"{where}.{k}") for k, v in item.items()}


def _conditions_in(conds: Any, where: str) -> Any:
    if not isinstance(conds, dict):
        return conds
    out = {}
    for name, cond in conds.items():
        if isinstance(cond, dict):
            cond = dict(cond)
            if "Value" in cond:
                cond["Value"] = value_in(cond["Value"], f"{where}.{name}.Value")
            if isinstance(cond.get("AttributeValueList"), list):
                cond["AttributeValueList"] = [value_in(v, f"{where}.{name}.AttributeValueList")
                                              for v in cond["AttributeValueList"]]
        out[name] = cond
    return out


def _request_items_in(requests: Any) -> Any:
    """BatchGetItem's ``{table: {"Keys": [key]}}`` and BatchWriteItem's
    ``{table: [{"PutRequest": {"Item": item}} | {"DeleteRequest": {"Key": key}}]}``."""
    if not isinstance(requests, dict):
        return requests
    out: dict[str, Any] = {}
    for table, req in requests.items():
        where = f"RequestItems.{table}"
        if isinstance(req, dict):
            check_member_types(req, where)
        if isinstance(req, dict) and isinstance(req.get("Keys"), list):
            req = {**req, "Keys": [item_in(k, f"{where}.Keys") for k in req["Keys"]]}
        elif isinstance(req, list):
            req = [_write_request_in(w, where) for w in req]
        out[table] = req
    return out


def _write_request_in(w: Any, where: str) -> Any:
    if not isinstance(w, dict):
        return w
    w = dict(w)
    for kind, member in (("PutRequest", "Item"), ("DeleteRequest", "Key")):
        inner = w.get(kind)
        if isinstance(inner, dict) and member in inner:
            w[kind] = {**inner, member: item_in(inner[member], f"{where}.{kind}.{member}")}
    return w


def _transact_items_in(items: Any) -> Any:
    """TransactWriteItems' and TransactGetItems' ``[{"Put" | "Update" | ...: {...}}]``:
    each action's parameters are those of a single-item request."""
    if not isinstance(items, list):
        return items
    out = []
    for action in items:
        if isinstance(action, dict):
            action = {kind: request_in(spec) if isinstance(spec, dict) else spec for kind, spec in action.items()}
        out.append(action)
    return out


def request_in(params: dict[str, Any]) -> dict[str, Any]:
    """A request's parameters with every binary value as ``bytes``, once every
    string member is a string."""
    check_member_types(params)
    out = dict(params)
    if "TransactItems" in out:
        out["TransactItems"] = _transact_items_in(out["TransactItems"])
    for name in ("Item", "Key", "ExclusiveStartKey"):
        if name in out:
            out[name] = item_in(out[name], name)
    if "ExpressionAttributeValues" in out:
        out["ExpressionAttributeValues"] = item_in(out["ExpressionAttributeValues"], "ExpressionAttributeValues")
    if "AttributeUpdates" in out:
        out["AttributeUpdates"] = _conditions_in(out["AttributeUpdates"], "AttributeUpdates")
    for name in _CONDITIONS:
        if name in out:
            out[name] = _conditions_in(out[name], name)
    if "RequestItems" in out:
        out["RequestItems"] = _request_items_in(out["RequestItems"])
    if isinstance(out.get("Parameters"), list):  # PartiQL's ``?`` values
        out["Parameters"] = [value_in(v, f"Parameters[{i}]") for i, v in enumerate(out["Parameters"])]
    for name in ("Statements", "TransactStatements"):  # PartiQL batches and transactions
        if isinstance(out.get(name), list):
            out[name] = [request_in(s) if isinstance(s, dict) else s for s in out[name]]
    return out


def response_out(response: dict[str, Any]) -> dict[str, Any]:
    """A client response as JSON: bytes as base64, datetimes as epoch seconds, without
    boto3's ``ResponseMetadata`` (the HTTP headers carry it)."""
    return {k: json_value(v) for k, v in response.items() if k != "ResponseMetadata"}


def json_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    return value
