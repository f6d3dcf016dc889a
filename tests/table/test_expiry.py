"""Time to Live in-process (dynviz/table/expiry.py): the switch, and expired items deleted
by the table on virtual time with their stream records marked as the service's."""

from __future__ import annotations

from typing import Any

import pytest
from table_helpers import keys_table

import dynviz.table as dt
from dynviz.core.units import SECOND
from dynviz.table.expiry import SWEEP_DELAY, epoch_seconds

SERVICE = {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}


def _table(ddb: Any, stream: bool = True) -> None:
    extra = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "OLD_IMAGE"}} if stream else {}
    ddb.create_table(**keys_table("ttl", ("pk", "S"), **extra))


def _put(ddb: Any, pk: str, exp: Any) -> None:
    ddb.put_item(TableName="ttl", Item={"pk": {"S": pk}, "exp": exp})


def _keys(ddb: Any) -> list[str]:
    return sorted(i["pk"]["S"] for i in ddb.scan(TableName="ttl", ConsistentRead=True)["Items"])


def _records(ddb: Any) -> list[dict[str, Any]]:
    arn = ddb.describe_table(TableName="ttl")["Table"]["LatestStreamArn"]
    shard = ddb.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = ddb.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    return ddb.get_records(ShardIterator=it)["Records"]


def _enable(ddb: Any) -> dict[str, Any]:
    return ddb.update_time_to_live(TableName="ttl", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})


def test_ttl_is_switched_on_and_off_with_dynamodbs_errors(ddb):
    _table(ddb, stream=False)
    assert ddb.describe_time_to_live(TableName="ttl")["TimeToLiveDescription"] == {"TimeToLiveStatus": "DISABLED"}
    assert _enable(ddb)["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "exp"}
    assert ddb.describe_time_to_live(TableName="ttl")["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}
    with pytest.raises(ddb.exceptions.ValidationException, match="TimeToLive is already enabled"):
        _enable(ddb)
    ddb.update_time_to_live(TableName="ttl", TimeToLiveSpecification={"Enabled": False, "AttributeName": "exp"})
    with pytest.raises(ddb.exceptions.ValidationException, match="TimeToLive is already disabled"):
        ddb.update_time_to_live(TableName="ttl", TimeToLiveSpecification={"Enabled": False, "AttributeName": "exp"})
    with pytest.raises(ddb.exceptions.ResourceNotFoundException):
        ddb.describe_time_to_live(TableName="nope")


def test_expired_items_are_deleted_by_the_service_a_minute_later_and_read_until_then(ddb):
    _table(ddb)
    _enable(ddb)
    now_s = epoch_seconds(ddb.cluster.now)
    _put(ddb, "past", {"N": str(now_s - 10)})
    _put(ddb, "future", {"N": str(now_s + 3600)})
    _put(ddb, "text", {"S": str(now_s - 10)})  # not a Number: never expires
    _put(ddb, "ancient", {"N": str(now_s - 6 * 365 * 24 * 3600)})  # over five years ago: never deleted
    assert _keys(ddb) == ["ancient", "future", "past", "text"]  # reads still return expired items
    ddb.cluster.run_until(ddb.cluster.now + SWEEP_DELAY + SECOND)
    assert _keys(ddb) == ["ancient", "future", "text"]
    removed = [r for r in _records(ddb) if r["eventName"] == "REMOVE"]
    assert len(removed) == 1 and removed[0]["userIdentity"] == SERVICE
    assert removed[0]["dynamodb"]["OldImage"]["pk"] == {"S": "past"}
    assert all("userIdentity" not in r for r in _records(ddb) if r["eventName"] == "INSERT")
    ddb.cluster.run_until(ddb.cluster.now + 3600 * SECOND + SWEEP_DELAY)
    assert _keys(ddb) == ["ancient", "text"]


def test_an_item_rewritten_with_a_later_expiry_is_kept(ddb):
    _table(ddb)
    _enable(ddb)
    now_s = epoch_seconds(ddb.cluster.now)
    _put(ddb, "a", {"N": str(now_s + 5)})
    _put(ddb, "a", {"N": str(now_s + 7200)})
    ddb.cluster.run_until(ddb.cluster.now + SWEEP_DELAY + 10 * SECOND)
    assert _keys(ddb) == ["a"]
    ddb.delete_item(TableName="ttl", Key={"pk": {"S": "a"}})  # a user's delete is not the service's
    assert "userIdentity" not in _records(ddb)[-1]


def test_enabling_ttl_finds_the_items_already_there(ddb):
    _table(ddb, stream=False)
    now_s = epoch_seconds(ddb.cluster.now)
    for i in range(5):
        _put(ddb, f"k{i}", {"N": str(now_s - i)})
    ddb.cluster.run_until(ddb.cluster.now + 2 * SWEEP_DELAY)
    assert len(_keys(ddb)) == 5  # TTL is off: nothing expires
    _enable(ddb)
    ddb.cluster.run_until(ddb.cluster.now + SWEEP_DELAY + SECOND)
    assert _keys(ddb) == []
    assert ddb.describe_table(TableName="ttl")["Table"]["ItemCount"] == 0


def test_the_sweep_is_the_same_in_every_run():
    def run() -> tuple[int, list[str]]:
        ddb = dt.client(dt.default_cluster(seed=9))
        _table(ddb)
        _enable(ddb)
        now_s = epoch_seconds(ddb.cluster.now)
        for i in range(6):
            _put(ddb, f"k{i}", {"N": str(now_s + 20 * i)})
        ddb.cluster.run_until(ddb.cluster.now + SWEEP_DELAY + 50 * SECOND)
        return ddb.cluster.now, _keys(ddb)
    first = run()
    assert first == run() and first[1] == ["k3", "k4", "k5"]


def test_a_snapshot_of_the_cluster_carries_the_sweep_and_a_backfill_with_it():
    from dynviz.session.timeline import Snapshot

    ddb = dt.client(dt.default_cluster(seed=1))
    _table(ddb, stream=False)
    _enable(ddb)
    _put(ddb, "a", {"N": str(epoch_seconds(ddb.cluster.now))})
    ddb.put_item(TableName="ttl", Item={"pk": {"S": "b"}, "g": {"S": "x"}})
    ddb.update_table(TableName="ttl", AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
                     GlobalSecondaryIndexUpdates=[{"Create": {
                         "IndexName": "gix", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                         "Projection": {"ProjectionType": "ALL"}}}])
    copy = dt.client(Snapshot.take(ddb.cluster).restore())
    copy.cluster.run_until(copy.cluster.now + SWEEP_DELAY + SECOND)
    assert _keys(copy) == ["b"] and _keys(ddb) == ["a", "b"]  # the copy swept; the original did not move
    assert copy.query(TableName="ttl", IndexName="gix", KeyConditionExpression="g = :g",
                      ExpressionAttributeValues={":g": {"S": "x"}})["Count"] == 1
