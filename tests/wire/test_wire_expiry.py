"""Time to Live over the wire: UpdateTimeToLive and DescribeTimeToLive through boto3, and
an expired item's deletion read back through the dynamodbstreams client, marked as the
service's. The endpoint runs with ``clock="requests"``, so the test moves virtual time
itself between requests (as the wall clock would)."""

from __future__ import annotations

from botocore.exceptions import ClientError
from wire_helpers import create_keyed

from dynviz.core.units import SECOND
from dynviz.table.expiry import SWEEP_DELAY, epoch_seconds


def test_ttl_over_the_wire(served, ddb, table_name):
    create_keyed(ddb, table_name, sk=None, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    assert ddb.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"] == {"TimeToLiveStatus": "DISABLED"}
    out = ddb.update_time_to_live(TableName=table_name,
                                  TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    assert out["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "expires"}
    try:
        ddb.update_time_to_live(TableName=table_name,
                                TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    except ClientError as err:
        assert err.response["Error"] == {"Code": "ValidationException", "Message": "TimeToLive is already enabled"}
    else:
        raise AssertionError("enabling TTL twice must fail")
    cluster = served.cluster
    now_s = epoch_seconds(cluster.now)
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "gone"}, "expires": {"N": str(now_s - 1)}})
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "kept"}, "expires": {"N": str(now_s + 86400)}})
    assert ddb.get_item(TableName=table_name, Key={"pk": {"S": "gone"}}).get("Item") is not None
    cluster.run_until(cluster.now + SWEEP_DELAY + SECOND)  # no request is in flight: the test is the clock
    assert [i["pk"]["S"] for i in ddb.scan(TableName=table_name)["Items"]] == ["kept"]
    streams = served.boto("dynamodbstreams")
    arn = ddb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = streams.get_records(ShardIterator=it)["Records"]
    assert [r["eventName"] for r in records] == ["INSERT", "INSERT", "REMOVE"]
    assert records[-1]["userIdentity"] == {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}
    assert "userIdentity" not in records[0]
