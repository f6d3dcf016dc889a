"""Each wire request as a WireRequest on the cluster's bus (dynviz.wire.observe): emitted
only when someone listens; naming the client, the operation, the table, the item's
cluster key (the very key its quorum write ran on) and the status, or the error's code."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from wire_helpers import ONE_TRY, Running, create_keyed

from dynviz.core.hashing import grouped_key
from dynviz.events import Event, VersionCreated, WireRequest
from dynviz.wire import server
from dynviz.wire.observe import client_name, key_words


def test_client_names_come_from_the_user_agent() -> None:
    assert client_name("Boto3/1.35.0 md/Botocore#1.35.0 ua/2.0 os/linux") == "boto3"
    assert client_name("aws-cli/2.15.0 Python/3.11") == "aws-cli"
    assert client_name(None) == "http" and client_name("") == "http"


def test_key_words_are_short_and_quote_only_when_needed() -> None:
    assert key_words({"customer": {"S": "c1"}, "ts": {"N": "7"}}) == "customer=c1 ts=7"
    assert key_words({"name": {"S": "Ada Lovelace"}}) == 'name="Ada Lovelace"'
    assert key_words({"id": {"B": b"\x01\xff"}}) == "id=01ff"


def test_requests_are_emitted_with_their_item_key_when_someone_listens(served: Running) -> None:
    ddb = served.boto(config=ONE_TRY)
    create_keyed(ddb, "observed")
    heard: list[Event] = []
    unsubscribe = served.thread.call(lambda: served.cluster.bus.subscribe(heard.append))
    try:
        ddb.put_item(TableName="observed", Item={"pk": {"S": "a"}, "sk": {"N": "3"}, "v": {"S": "x"}})
        ddb.get_item(TableName="observed", Key={"pk": {"S": "a"}, "sk": {"N": "3"}})
        ddb.query(TableName="observed", KeyConditionExpression="#p = :p", ExpressionAttributeNames={"#p": "pk"},
                  ExpressionAttributeValues={":p": {"S": "a"}})
        try:
            ddb.get_item(TableName="nowhere", Key={"pk": {"S": "a"}})
        except ClientError:
            pass
    finally:
        served.thread.call(unsubscribe)
    wire = [e for e in heard if isinstance(e, WireRequest)]
    table = served.client.engine.tables["observed"]
    item = table.item_key({"S": "a"}, {"N": "3"})
    assert [(e.client, e.operation, e.table, e.key, e.status, e.detail) for e in wire] == [
        ("boto3", "PutItem", "observed", item, 200, "pk=a sk=3"),
        ("boto3", "GetItem", "observed", item, 200, "pk=a sk=3"),
        ("boto3", "Query", "observed", grouped_key(table.group({"S": "a"})), 200, "pk=a"),
        ("boto3", "GetItem", "nowhere", None, 400, "ResourceNotFoundException"),
    ]
    assert wire[0].describe() == "boto3 PutItem observed pk=a sk=3 → 200"
    # the PutItem's own quorum write is on the bus before its WireRequest, on the same key
    first_write = next(i for i, e in enumerate(heard) if isinstance(e, VersionCreated))
    assert heard[first_write].key == item and first_write < heard.index(wire[0])  # type: ignore[attr-defined]


def test_nothing_is_built_when_nobody_listens(served: Running, ddb: Any,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[object] = []
    monkeypatch.setattr(server, "wire_request", lambda *args: built.append(args))
    assert not served.cluster.bus.active
    create_keyed(ddb, "unwatched")
    ddb.put_item(TableName="unwatched", Item={"pk": {"S": "a"}, "sk": {"N": "1"}})
    assert built == []
