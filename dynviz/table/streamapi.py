"""The Streams API (boto3's ``dynamodbstreams`` client): ListStreams, DescribeStream,
GetShardIterator and GetRecords over the streams of one cluster's tables.

The streams themselves (shards, records, iterators, trimming) are in streams.py;
this module finds them by ARN and checks the requests' parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dynviz.table.errors import ValidationException
from dynviz.table.params import an_int, invalid_type
from dynviz.table.state import Catalog
from dynviz.table.streams import decode_iterator
from dynviz.table.values import copy_item

if TYPE_CHECKING:
    from dynviz.cluster import Cluster


def copy_record(r: dict[str, Any]) -> dict[str, Any]:
    """A stream record as GetRecords returns it: its images copied, never shared."""
    body = dict(r["dynamodb"])
    for k in ("Keys", "NewImage", "OldImage"):
        if k in body:
            body[k] = copy_item(body[k])
    return {**r, "dynamodb": body}


@dataclass(slots=True, eq=False)
class StreamsApi:
    """The stream operations on one cluster's tables."""

    catalog: Catalog
    cluster: Cluster

    def list_streams(self, p: dict[str, Any]) -> dict[str, Any]:
        """The streams in ARN order, ``Limit`` (1 to 100) at a time: ARN order keeps a
        paged listing whole while tables come and go between its pages."""
        name = p.get("TableName")
        limit = _limit(p.get("Limit"), 100)
        start = p.get("ExclusiveStartStreamArn")
        if start is not None:
            stream_arn(start, "exclusiveStartStreamArn")
        found = sorted((s.arn, t.name, s.label) for t in self.catalog.tables.values()
                       if name is None or t.name == name for s in t.streams())
        page = [f for f in found if start is None or f[0] > start]
        out: dict[str, Any] = {"Streams": [{"StreamArn": arn, "TableName": table, "StreamLabel": label}
                                           for arn, table, label in page[:limit]]}
        if len(page) > limit:
            out["LastEvaluatedStreamArn"] = page[limit - 1][0]
        return out

    def describe_stream(self, p: dict[str, Any]) -> dict[str, Any]:
        s = self.catalog.stream(stream_arn(p.get("StreamArn")))
        limit = _limit(p.get("Limit"), 100)
        s.trim(self.cluster.now)
        return {"StreamDescription": s.describe(limit, p.get("ExclusiveStartShardId"))}

    def get_shard_iterator(self, p: dict[str, Any]) -> dict[str, Any]:
        s = self.catalog.stream(stream_arn(p.get("StreamArn")))
        seq = p.get("SequenceNumber")
        if seq is not None and not isinstance(seq, (str, int)):
            raise invalid_type("SequenceNumber", seq, str)
        it = s.iterator(p.get("ShardId", ""), p.get("ShardIteratorType", ""), None if seq is None else str(seq),
                        self.cluster.now, self.catalog.stream_seq)
        return {"ShardIterator": it}

    def get_records(self, p: dict[str, Any]) -> dict[str, Any]:
        now = self.cluster.now
        arn, shard_id, pos = decode_iterator(p.get("ShardIterator"), now)
        s = self.catalog.stream(arn)
        limit = _limit(p.get("Limit"), 1000)
        records, nxt = s.read(shard_id, pos, limit, now)
        out: dict[str, Any] = {"Records": [copy_record(r) for r in records]}
        if nxt is not None:
            out["NextShardIterator"] = nxt
        return out


_STREAM_ARN = re.compile(r"arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[A-Za-z0-9_.-]{3,255}/stream/\S+")


def stream_arn(arn: Any, member: str = "streamArn") -> str:
    """``arn`` if it is shaped as a stream's ARN. A malformed one is a
    ValidationException (it could name no stream), a well-formed one no stream has is
    the caller's ResourceNotFoundException."""
    if not isinstance(arn, str) or not 37 <= len(arn) <= 1024 or not _STREAM_ARN.fullmatch(arn):
        raise ValidationException(f"Invalid StreamArn: 1 validation error detected: Value '{arn}' at '{member}' "
                                  "failed to satisfy constraint: Member must be the ARN of a stream")
    return arn


def _limit(value: Any, most: int) -> int:
    """A ``Limit`` of the Streams API: 1 to ``most`` (100 for ListStreams and
    DescribeStream, 1000 for GetRecords); ``most`` when not given."""
    if value is None:
        return most
    n = an_int(value, "Limit")
    if not 1 <= n <= most:
        bound = "greater than or equal to 1" if n < 1 else f"less than or equal to {most}"
        raise ValidationException(f"1 validation error detected: Value '{value}' at 'limit' failed to satisfy "
                                  f"constraint: Member must have value {bound}")
    return n
