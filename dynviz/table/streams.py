"""DynamoDB Streams on virtual time (spec §5).

One lineage of shards per stream: a shard is open for four virtual hours (as the
service's shards roll over), then it is closed and a child opens with it as parent.
Every record of a table goes to the open shard, appended in the same step as the item
write (after the cluster acknowledged it), so each change appears exactly once and the
changes of one item appear in the order they were made. A write that changes nothing
makes no record. Records older than 24 h are trimmed lazily; shard iterators expire
15 minutes after they were issued.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from dynviz.core.units import SECOND
from dynviz.table.errors import (
    ExpiredIteratorException,
    ResourceNotFoundException,
    TrimmedDataAccessException,
    ValidationException,
)
from dynviz.table.values import Item, copy_item, item_size

HOUR = 3600 * SECOND
RETENTION = 24 * HOUR
SHARD_LIFETIME = 4 * HOUR
ITERATOR_LIFETIME = 15 * 60 * SECOND
FIRST_SEQUENCE = 100000000000000000001
ITERATOR_TYPES = ("TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER")
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
"""Virtual time 0 as a wall-clock date (for ARNs, labels and timestamps)."""
UNIX_ZERO = datetime.fromtimestamp(0, UTC)
REGION = "us-east-1"
ACCOUNT = "123456789012"


def wall(now: int) -> datetime:
    return EPOCH + timedelta(microseconds=now)


def _date(now: int, unix: int | None) -> datetime:
    """The date of virtual time ``now``: Unix µs ``unix`` when the caller dates it by
    its catalog's clock (Catalog.unix, which a wall-clock server moves), else the fixed
    epoch's."""
    return wall(now) if unix is None else UNIX_ZERO + timedelta(microseconds=unix)


@dataclass(slots=True)
class Shard:
    shard_id: str
    parent: str | None
    start: int  # first sequence number
    opened: int
    end: int | None = None  # last sequence number once closed
    closed_at: int | None = None
    records: list[dict[str, Any]] = field(default_factory=list)
    seqs: list[int] = field(default_factory=list)
    times: list[int] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        rng: dict[str, Any] = {"StartingSequenceNumber": str(self.start)}
        if self.end is not None:
            rng["EndingSequenceNumber"] = str(self.end)
        out: dict[str, Any] = {"ShardId": self.shard_id, "SequenceNumberRange": rng}
        if self.parent:
            out["ParentShardId"] = self.parent
        return out


class Stream:
    """One stream of one table (re-enabling a stream makes a new one)."""

    def __init__(self, table: str, view_type: str, key_schema: list[dict[str, str]], now: int, seq: int,
                 unix: int | None = None) -> None:
        """``unix``: when the stream was made, by the catalog's clock (see ``_date``)."""
        self.table = table
        self.view_type = view_type
        self.key_schema = key_schema
        self.created = now
        self.born = _date(now, unix)
        self.label = self.born.strftime("%Y-%m-%dT%H:%M:%S.") + f"{self.born.microsecond // 1000:03d}"
        self.arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}/stream/{self.label}"
        self.enabled = True
        self.disabled_at: int | None = None
        self.shards: list[Shard] = []
        self._shard_no = 0
        self._open(now, seq, None)

    def _open(self, now: int, seq: int, parent: str | None) -> Shard:
        self._shard_no += 1
        digest = hashlib.md5(f"{self.arn}/{self._shard_no}".encode()).hexdigest()[:24]
        shard = Shard(f"shardId-{self._shard_no:08d}-{digest}", parent, seq, now)
        self.shards.append(shard)
        return shard

    @property
    def open_shard(self) -> Shard | None:
        last = self.shards[-1] if self.shards else None
        return last if last is not None and last.end is None else None

    def close(self, now: int, next_seq: int) -> None:
        shard = self.open_shard
        if shard is not None:
            shard.end = shard.seqs[-1] if shard.seqs else next_seq - 1
            shard.closed_at = now
        self.enabled = False
        self.disabled_at = now

    def append(self, now: int, seq: int, event: str, keys: Item, old: Item | None, new: Item | None,
               by_service: bool = False, unix: int | None = None) -> dict[str, Any]:
        """Append a record; ``by_service`` marks a deletion DynamoDB made itself (TTL);
        ``unix`` dates it by the catalog's clock (see ``_date``)."""
        shard = self.open_shard
        assert shard is not None
        if now - shard.opened >= SHARD_LIFETIME:
            shard.end = shard.seqs[-1] if shard.seqs else seq - 1
            shard.closed_at = now
            shard = self._open(now, seq, shard.shard_id)
        view = self.view_type
        body: dict[str, Any] = {
            "ApproximateCreationDateTime": _date(now, unix).replace(microsecond=0),
            "Keys": copy_item(keys),
            "SequenceNumber": str(seq),
            "StreamViewType": view,
        }
        size = item_size(keys)
        if new is not None and view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES"):
            body["NewImage"] = copy_item(new)
            size += item_size(new)
        if old is not None and view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES"):
            body["OldImage"] = copy_item(old)
            size += item_size(old)
        body["SizeBytes"] = size
        record = {
            "eventID": hashlib.md5(f"{self.arn}/{seq}".encode()).hexdigest(),
            "eventName": event,
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": REGION,
            "dynamodb": body,
        }
        if by_service:
            record["userIdentity"] = {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}
        shard.records.append(record)
        shard.seqs.append(seq)
        shard.times.append(now)
        return record

    def trim(self, now: int) -> None:
        """Drop records (and whole closed shards) older than 24 h."""
        horizon = now - RETENTION
        keep = []
        for shard in self.shards:
            if shard.end is not None and shard.closed_at is not None and shard.closed_at < horizon and (
                    not shard.times or shard.times[-1] < horizon):
                continue
            cut = 0
            while cut < len(shard.times) and shard.times[cut] < horizon:
                cut += 1
            if cut:
                del shard.records[:cut], shard.seqs[:cut], shard.times[:cut]
            keep.append(shard)
        self.shards = keep

    def shard(self, shard_id: str) -> Shard:
        for s in self.shards:
            if s.shard_id == shard_id:
                return s
        raise ResourceNotFoundException(f"Requested resource not found: Shard does not exist: {shard_id}")

    def describe(self, limit: int | None = None, start_after: str | None = None) -> dict[str, Any]:
        shards = self.shards
        if start_after is not None:  # shard ids sort as they were opened: the page is the ids after it
            shards = [s for s in shards if s.shard_id > str(start_after)]
        out: dict[str, Any] = {
            "StreamArn": self.arn,
            "StreamLabel": self.label,
            "StreamStatus": "ENABLED" if self.enabled else "DISABLED",
            "StreamViewType": self.view_type,
            "CreationRequestDateTime": self.born,
            "TableName": self.table,
            "KeySchema": self.key_schema,
        }
        if limit is not None and len(shards) > limit:
            shards = shards[:limit]
            out["LastEvaluatedShardId"] = shards[-1].shard_id
        out["Shards"] = [s.describe() for s in shards]
        return out

    # -- iterators

    def iterator(self, shard_id: str, kind: str, seq: str | None, now: int, next_seq: int) -> str:
        if kind not in ITERATOR_TYPES:
            raise ValidationException(
                f"1 validation error detected: Value '{kind}' at 'shardIteratorType' failed to satisfy constraint: "
                "Member must satisfy enum value set: [TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER]")
        if seq is not None and kind in ("TRIM_HORIZON", "LATEST"):
            raise ValidationException(f"Invalid SequenceNumber: a {kind} iterator takes no SequenceNumber, "
                                      "only AT_SEQUENCE_NUMBER and AFTER_SEQUENCE_NUMBER ones do")
        self.trim(now)
        shard = self.shard(shard_id)
        if kind == "TRIM_HORIZON":
            pos = shard.seqs[0] if shard.seqs else (shard.end + 1 if shard.end is not None else next_seq)
            if not shard.seqs and shard.end is None:
                pos = shard.start
        elif kind == "LATEST":
            pos = shard.end + 1 if shard.end is not None else next_seq
        else:  # AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER
            if seq is None:
                raise ValidationException(f"SequenceNumber is required for ShardIteratorType {kind}")
            try:
                n = int(seq)
            except ValueError:
                raise ValidationException(f"Invalid SequenceNumber: {seq}") from None
            if n < shard.start or (shard.end is not None and n > shard.end):
                raise ValidationException(f"Invalid SequenceNumber {seq} for shard {shard_id}")
            if shard.seqs and n < shard.seqs[0] or (not shard.seqs and shard.end is not None and n <= shard.end
                                                     and now - (shard.closed_at or now) > RETENTION):
                raise TrimmedDataAccessException(
                    "The operation attempted to read past the oldest stream record in a shard.")
            pos = n if kind == "AT_SEQUENCE_NUMBER" else n + 1
        return _encode_iterator(self.arn, shard_id, pos, now)

    def read(self, shard_id: str, pos: int, limit: int, now: int) -> tuple[list[dict[str, Any]], str | None]:
        self.trim(now)
        shard = self.shard(shard_id)
        if shard.seqs and pos < shard.seqs[0]:
            pos = shard.seqs[0]
        import bisect

        i = bisect.bisect_left(shard.seqs, pos)
        records = shard.records[i:i + limit]
        nxt = shard.seqs[i + len(records) - 1] + 1 if records else pos
        if shard.end is not None and nxt > shard.end:
            return records, None
        return records, _encode_iterator(self.arn, shard_id, nxt, now)


def _encode_iterator(arn: str, shard_id: str, pos: int, issued: int) -> str:
    raw = json.dumps([arn, shard_id, pos, issued], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii")


def decode_iterator(text: Any, now: int) -> tuple[str, str, int]:
    """(stream ARN, shard id, position) of a shard iterator; checks its age."""
    try:
        arn, shard_id, pos, issued = json.loads(base64.urlsafe_b64decode(str(text).encode("ascii")))
        pos, issued = int(pos), int(issued)
    except (ValueError, TypeError):
        raise ValidationException("Invalid ShardIterator") from None
    if now - issued > ITERATOR_LIFETIME:
        raise ExpiredIteratorException(
            f"Iterator expired. The iterator was created at time {wall(issued).isoformat()} while right now it is "
            f"{wall(now).isoformat()} which is further in the future than the tolerated delay of 900000 milliseconds.")
    return arn, shard_id, pos
