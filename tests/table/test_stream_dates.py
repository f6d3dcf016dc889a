"""A stream's dates follow the catalog's clock, as the table's do: a server whose
virtual time follows the wall clock moves the catalog's epoch (Catalog.epoch), and a
record written then carries that date, not the fixed 2024 one."""

from __future__ import annotations

from datetime import UTC, datetime

import dynviz.table as dt


def test_stream_records_are_dated_by_the_catalogs_clock() -> None:
    ddb = dt.client(dt.default_cluster(seed=6))
    ddb.engine.catalog.epoch = int(datetime(2026, 12, 4, 12, 0, tzinfo=UTC).timestamp()) * 1_000_000
    ddb.create_table(TableName="events", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    ddb.put_item(TableName="events", Item={"id": {"S": "e1"}})
    table = ddb.describe_table(TableName="events")["Table"]
    assert table["LatestStreamLabel"].startswith("2026-12-04T12:00:0")
    stream = ddb.describe_stream(StreamArn=table["LatestStreamArn"])["StreamDescription"]
    assert stream["CreationRequestDateTime"].date() == table["CreationDateTime"].date()
    shard = stream["Shards"][0]["ShardId"]
    iterator = ddb.get_shard_iterator(StreamArn=table["LatestStreamArn"], ShardId=shard,
                                      ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    record = ddb.get_records(ShardIterator=iterator)["Records"][0]["dynamodb"]
    assert record["ApproximateCreationDateTime"].replace(second=0) == datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
