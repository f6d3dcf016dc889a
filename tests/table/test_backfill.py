"""GSIs added and removed by UpdateTable (dynviz/table/backfill.py): the backfill of the
items already there, the index unreadable until it is ACTIVE, and the removal."""

from __future__ import annotations

from typing import Any

import pytest
from table_helpers import keys_table

import dynviz.table as dt

CREATE = {"Create": {"IndexName": "by_cat", "KeySchema": [{"AttributeName": "cat", "KeyType": "HASH"}],
                     "Projection": {"ProjectionType": "ALL"}}}
CAT = [{"AttributeName": "cat", "AttributeType": "S"}]


def _filled(ddb: Any) -> None:
    ddb.create_table(**keys_table("gsis", ("pk", "S")))
    for i in range(12):
        item = {"pk": {"S": f"k{i:02d}"}}
        if i % 3:
            item["cat"] = {"S": "odd" if i % 2 else "even"}
        ddb.put_item(TableName="gsis", Item=item)


def _query(ddb: Any, cat: str) -> list[str]:
    out = ddb.query(TableName="gsis", IndexName="by_cat", KeyConditionExpression="cat = :c",
                    ExpressionAttributeValues={":c": {"S": cat}})
    return sorted(i["pk"]["S"] for i in out["Items"])


def test_a_new_gsi_is_backfilled_then_active(ddb):
    _filled(ddb)
    desc = ddb.update_table(TableName="gsis", AttributeDefinitions=CAT, GlobalSecondaryIndexUpdates=[CREATE])
    gsi = desc["TableDescription"]["GlobalSecondaryIndexes"][0]
    assert (gsi["IndexName"], gsi["IndexStatus"], gsi["Backfilling"]) == ("by_cat", "CREATING", True)
    with pytest.raises(ddb.exceptions.ValidationException, match="backfilling global secondary index: by_cat"):
        _query(ddb, "odd")
    ddb.put_item(TableName="gsis", Item={"pk": {"S": "k01"}, "cat": {"S": "even"}})  # while backfilling
    assert ddb.wait_for_indexes()
    gsi = ddb.describe_table(TableName="gsis")["Table"]["GlobalSecondaryIndexes"][0]
    assert gsi["IndexStatus"] == "ACTIVE" and "Backfilling" not in gsi and gsi["ItemCount"] == 8
    assert _query(ddb, "odd") == ["k05", "k07", "k11"]
    assert _query(ddb, "even") == ["k01", "k02", "k04", "k08", "k10"]
    assert {"AttributeName": "cat", "AttributeType": "S"} in ddb.describe_table(
        TableName="gsis")["Table"]["AttributeDefinitions"]


def test_a_gsi_is_removed_with_its_entries_and_definitions(ddb):
    _filled(ddb)
    ddb.update_table(TableName="gsis", AttributeDefinitions=CAT, GlobalSecondaryIndexUpdates=[CREATE])
    ddb.wait_for_indexes()
    ddb.update_table(TableName="gsis", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by_cat"}}])
    table = ddb.describe_table(TableName="gsis")["Table"]
    assert "GlobalSecondaryIndexes" not in table
    assert table["AttributeDefinitions"] == [{"AttributeName": "pk", "AttributeType": "S"}]
    with pytest.raises(ddb.exceptions.ValidationException, match="does not have the specified index"):
        _query(ddb, "odd")
    ddb.put_item(TableName="gsis", Item={"pk": {"S": "new"}, "cat": {"S": "odd"}})  # no index to reach now
    assert ddb.wait_for_indexes()


def test_index_changes_are_checked(ddb):
    _filled(ddb)
    other = {"Create": {**CREATE["Create"], "IndexName": "other"}}
    with pytest.raises(ddb.exceptions.LimitExceededException, match="Only 1 online index"):
        ddb.update_table(TableName="gsis", AttributeDefinitions=CAT, GlobalSecondaryIndexUpdates=[CREATE, other])
    with pytest.raises(ddb.exceptions.ValidationException, match="not defined in AttributeDefinitions"):
        ddb.update_table(TableName="gsis", GlobalSecondaryIndexUpdates=[CREATE])
    with pytest.raises(ddb.exceptions.ValidationException, match="cannot be redefined"):
        ddb.update_table(TableName="gsis", AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "N"}],
                         GlobalSecondaryIndexUpdates=[CREATE])
    with pytest.raises(ddb.exceptions.ResourceNotFoundException):
        ddb.update_table(TableName="gsis", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "nope"}}])
    ddb.update_table(TableName="gsis", AttributeDefinitions=CAT, GlobalSecondaryIndexUpdates=[CREATE])
    with pytest.raises(ddb.exceptions.LimitExceededException):  # one index change at a time
        ddb.update_table(TableName="gsis", AttributeDefinitions=CAT, GlobalSecondaryIndexUpdates=[other])
    ddb.wait_for_indexes()
    with pytest.raises(ddb.exceptions.ValidationException, match="Index already exists"):
        ddb.update_table(TableName="gsis", AttributeDefinitions=CAT, GlobalSecondaryIndexUpdates=[CREATE])


def test_a_backfill_is_the_same_in_every_run():
    def run() -> tuple[int, list[str]]:
        ddb = dt.client(dt.default_cluster(seed=4))
        _filled(ddb)
        ddb.update_table(TableName="gsis", AttributeDefinitions=CAT, GlobalSecondaryIndexUpdates=[CREATE])
        ddb.wait_for_indexes()
        return ddb.cluster.now, _query(ddb, "even")
    assert run() == run()
