"""The Streams API (boto3's ``dynamodbstreams`` client): ListStreams, DescribeStream,
GetShardIterator and GetRecords over the streams of one cluster's tables.

The streams themselves (shards, records, iterators, trimming) are in streams.py;
this module finds them by ARN and checks the requests' parameters.
"""

from __future__ import annotations

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
        name = p.get("TableName")
        out = []
        for t in self.catalog.tables.values():
            if name is not None and t.name != name:
                continue
            for s in t.streams():
                out.append({"StreamArn": s.arn, "TableName": t.name, "StreamLabel": s.label})
        return {"Streams": out}

    def describe_stream(self, p: dict[str, Any]) -> dict[str, Any]:
        s = self.catalog.stream(p.get("StreamArn"))
        limit = p.get("Limit")
        if limit is not None and an_int(limit, "Limit") < 1:
            raise ValidationException(f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy "
                                      "constraint: Member must have value greater than or equal to 1")
        s.trim(self.cluster.now)
        return {"StreamDescription": s.describe(limit, p.get("ExclusiveStartShardId"))}

    def get_shard_iterator(self, p: dict[str, Any]) -> dict[str, Any]:
        s = self.catalog.stream(p.get("StreamArn"))
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
        limit = p.get("Limit", 1000)
        if not isinstance(limit, int) or not 1 <= limit <= 1000:
            raise ValidationException(f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy "
                                      "constraint: Member must have value less than or equal to 1000")
        records, nxt = s.read(shard_id, pos, limit, now)
        out: dict[str, Any] = {"Records": [copy_record(r) for r in records]}
        if nxt is not None:
            out["NextShardIterator"] = nxt
        return out
