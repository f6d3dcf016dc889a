"""UpdateTable adding a GSI (backfilled) and removing it, over the wire through boto3.
The endpoint runs with ``clock="requests"``: the test lets virtual time run between
requests until the backfill is done, as the wall clock would."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from wire_helpers import create_keyed


def test_a_gsi_added_over_the_wire_is_backfilled_then_removed(served, ddb, table_name):
    create_keyed(ddb, table_name, sk=None)
    for i in range(6):
        ddb.put_item(TableName=table_name, Item={"pk": {"S": f"k{i}"}, "color": {"S": "red" if i % 2 else "blue"}})
    desc = ddb.update_table(
        TableName=table_name, AttributeDefinitions=[{"AttributeName": "color", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[{"Create": {
            "IndexName": "by_color", "KeySchema": [{"AttributeName": "color", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"}}}])["TableDescription"]
    assert desc["GlobalSecondaryIndexes"][0]["IndexStatus"] == "CREATING"
    with pytest.raises(ClientError) as err:
        ddb.query(TableName=table_name, IndexName="by_color", KeyConditionExpression="color = :c",
                  ExpressionAttributeValues={":c": {"S": "red"}})
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert served.client.wait_for_indexes()  # no request is in flight: the test is the clock
    gsi = ddb.describe_table(TableName=table_name)["Table"]["GlobalSecondaryIndexes"][0]
    assert gsi["IndexStatus"] == "ACTIVE" and gsi["ItemCount"] == 6
    out = ddb.query(TableName=table_name, IndexName="by_color", KeyConditionExpression="color = :c",
                    ExpressionAttributeValues={":c": {"S": "red"}})
    assert sorted(i["pk"]["S"] for i in out["Items"]) == ["k1", "k3", "k5"]
    ddb.update_table(TableName=table_name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by_color"}}])
    assert "GlobalSecondaryIndexes" not in ddb.describe_table(TableName=table_name)["Table"]
