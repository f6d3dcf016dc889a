"""The table control plane as DynamoDB's API reference and Developer Guide describe it
(control.py, schema.py, backfill.py, tagging.py, expiry.py, propagation.py): what
DeleteTable and DescribeTable report, the table class, deletion protection, the checks
on CreateTable and UpdateTable, which items a GSI added later holds, filters on an
index's unprojected attributes, tags, TTL against the catalog's clock, and GSI reads
that wait for the index's updates in flight."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from table_helpers import code_of, keys_table

import dynviz.table as dt
from dynviz.core.units import SECOND
from dynviz.table.expiry import SWEEP_DELAY

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _gsi(name: str, key: str, **extra: object) -> dict[str, object]:
    return {"IndexName": name, "KeySchema": [{"AttributeName": key, "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"}, **extra}


def _clean(out: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in out.items() if k != "ResponseMetadata"}


# -- DescribeTable and DeleteTable


def test_delete_table_answers_the_short_description(ddb):
    ddb.create_table(**keys_table("orders", ("order", "S"), ("line", "N"), more_attributes=[("sku", "S")],
                                  GlobalSecondaryIndexes=[_gsi("by_sku", "sku")]))
    ddb.put_item(TableName="orders", Item={"order": {"S": "o1"}, "line": {"N": "1"}, "sku": {"S": "pen"}})
    got = ddb.delete_table(TableName="orders")["TableDescription"]
    assert got["TableName"] == "orders" and got["TableStatus"] == "DELETING"
    assert UUID.fullmatch(got["TableId"]) and got["TableArn"].startswith("arn:aws:dynamodb:")
    assert got["ProvisionedThroughput"] == {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0,
                                            "WriteCapacityUnits": 0}
    assert got["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert "ItemCount" in got and "TableSizeBytes" in got
    for absent in ("KeySchema", "AttributeDefinitions", "CreationDateTime", "GlobalSecondaryIndexes"):
        assert absent not in got


def test_billing_summary_says_when_the_table_became_on_demand(ddb):
    ddb.create_table(**keys_table("ondemand", ("k", "S")))
    desc = ddb.describe_table(TableName="ondemand")["Table"]
    assert desc["BillingModeSummary"]["LastUpdateToPayPerRequestDateTime"] == desc["CreationDateTime"]
    ddb.create_table(**{**keys_table("prov", ("k", "S")), "BillingMode": "PROVISIONED",
                        "ProvisionedThroughput": {"ReadCapacityUnits": 2, "WriteCapacityUnits": 3}})
    desc = ddb.describe_table(TableName="prov")["Table"]
    assert desc["BillingModeSummary"] == {"BillingMode": "PROVISIONED"}
    ddb.cluster.run(5 * SECOND)
    ddb.update_table(TableName="prov", BillingMode="PAY_PER_REQUEST")
    desc = ddb.describe_table(TableName="prov")["Table"]
    assert desc["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert (desc["BillingModeSummary"]["LastUpdateToPayPerRequestDateTime"] - desc["CreationDateTime"]).total_seconds() >= 5
    assert desc["ProvisionedThroughput"]["ReadCapacityUnits"] == 0


def test_dates_follow_the_catalogs_epoch(ddb):
    ddb.engine.catalog.epoch = int(datetime(2031, 5, 6, tzinfo=UTC).timestamp()) * SECOND - ddb.cluster.now
    ddb.create_table(**keys_table("dated", ("k", "S")))
    created = ddb.describe_table(TableName="dated")["Table"]["CreationDateTime"]
    assert created.astimezone(UTC).date().isoformat() == "2031-05-06"


def test_table_class_is_reported_once_set(ddb):
    ddb.create_table(**keys_table("plain", ("k", "S")))
    assert "TableClassSummary" not in ddb.describe_table(TableName="plain")["Table"]
    ddb.create_table(**keys_table("cold", ("k", "S"), TableClass="STANDARD_INFREQUENT_ACCESS"))
    assert ddb.describe_table(TableName="cold")["Table"]["TableClassSummary"] == {
        "TableClass": "STANDARD_INFREQUENT_ACCESS"}
    ddb.update_table(TableName="cold", TableClass="STANDARD")
    assert ddb.describe_table(TableName="cold")["Table"]["TableClassSummary"] == {"TableClass": "STANDARD"}
    for bad in ("standard", "GLACIER"):
        with pytest.raises(ddb.exceptions.ValidationException, match="table-class"):
            ddb.create_table(**keys_table("other", ("k", "S"), TableClass=bad))
    assert "other" not in ddb.list_tables()["TableNames"]


def test_deletion_protection_keeps_a_table_until_it_is_turned_off(ddb):
    ddb.create_table(**keys_table("kept", ("k", "S"), DeletionProtectionEnabled=True))
    assert ddb.describe_table(TableName="kept")["Table"]["DeletionProtectionEnabled"] is True
    with pytest.raises(ddb.exceptions.ValidationException, match="protected against deletion"):
        ddb.delete_table(TableName="kept")
    ddb.update_table(TableName="kept", DeletionProtectionEnabled=False)
    ddb.delete_table(TableName="kept")
    assert "kept" not in ddb.list_tables()["TableNames"]


# -- CreateTable and UpdateTable checks


def test_an_attribute_defined_twice_is_refused_by_name(ddb):
    params = keys_table("twice", ("k", "S"))
    params["AttributeDefinitions"].append({"AttributeName": "k", "AttributeType": "N"})
    with pytest.raises(ddb.exceptions.ValidationException, match="duplicated: k"):
        ddb.create_table(**params)


def test_gsi_throughput_must_agree_with_the_billing_mode(ddb):
    provisioned = {"BillingMode": "PROVISIONED", "ProvisionedThroughput": {"ReadCapacityUnits": 1,
                                                                           "WriteCapacityUnits": 1}}
    with pytest.raises(ddb.exceptions.ValidationException, match="ProvisionedThroughput is not specified for index: gsi"):
        ddb.create_table(**{**keys_table("tbl1", ("k", "S"), more_attributes=[("a", "S")],
                                         GlobalSecondaryIndexes=[_gsi("gsi", "a")]), **provisioned})
    with pytest.raises(ddb.exceptions.ValidationException, match="should not be specified.*PAY_PER_REQUEST"):
        ddb.create_table(**keys_table("tbl2", ("k", "S"), more_attributes=[("a", "S")], GlobalSecondaryIndexes=[
            _gsi("gsi", "a", ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})]))
    with pytest.raises(ddb.exceptions.ValidationException, match="greater than or equal to 1"):
        ddb.create_table(**keys_table("tbl3", ("k", "S"), more_attributes=[("a", "S")], GlobalSecondaryIndexes=[
            _gsi("gsi", "a", ProvisionedThroughput={"ReadCapacityUnits": 0, "WriteCapacityUnits": 1})]))


def test_update_table_must_change_something_and_each_index_update_is_one_action(ddb):
    ddb.create_table(**keys_table("upd", ("k", "S")))
    with pytest.raises(ddb.exceptions.ValidationException, match="UpdateTable"):
        ddb.update_table(TableName="upd")
    with pytest.raises(ddb.exceptions.ValidationException, match="UpdateTable"):
        ddb.update_table(TableName="upd", GlobalSecondaryIndexUpdates=[])
    with pytest.raises(ddb.exceptions.ValidationException, match="exactly one"):
        ddb.update_table(TableName="upd", AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}],
                         GlobalSecondaryIndexUpdates=[{"Create": _gsi("gsi", "a"), "Delete": {"IndexName": "gsi"}}])


def test_a_new_gsi_defines_its_keys_in_the_request_and_may_not_retype_or_reuse_a_name(ddb):
    ddb.create_table(**keys_table("lsi_t", ("p", "S"), ("c", "S"), more_attributes=[("x", "S")],
                                  LocalSecondaryIndexes=[{"IndexName": "by_x", "KeySchema": [
                                      {"AttributeName": "p", "KeyType": "HASH"},
                                      {"AttributeName": "x", "KeyType": "RANGE"}],
                                      "Projection": {"ProjectionType": "ALL"}}]))
    with pytest.raises(ddb.exceptions.ValidationException, match="AttributeDefinitions"):
        ddb.update_table(TableName="lsi_t", GlobalSecondaryIndexUpdates=[{"Create": _gsi("gsi", "x")}])
    with pytest.raises(ddb.exceptions.ValidationException, match="cannot be redefined"):
        ddb.update_table(TableName="lsi_t", AttributeDefinitions=[{"AttributeName": "x", "AttributeType": "N"}],
                         GlobalSecondaryIndexUpdates=[{"Create": _gsi("gsi", "x")}])
    with pytest.raises(ddb.exceptions.ValidationException, match="already exists: by_x"):
        ddb.update_table(TableName="lsi_t", AttributeDefinitions=[{"AttributeName": "x", "AttributeType": "S"}],
                         GlobalSecondaryIndexUpdates=[{"Create": _gsi("by_x", "x")}])


# -- which items an index holds


def test_a_gsi_added_later_leaves_out_items_whose_key_it_cannot_hold(ddb):
    ddb.create_table(**keys_table("late", ("k", "S")))
    ok = {"k": {"S": "ok"}, "colour": {"S": "red"}}
    for item in (ok, {"k": {"S": "number"}, "colour": {"N": "7"}}, {"k": {"S": "empty"}, "colour": {"S": ""}},
                 {"k": {"S": "long"}, "colour": {"S": "r" * 2049}}, {"k": {"S": "none"}}):
        ddb.put_item(TableName="late", Item=item)
    ddb.update_table(TableName="late", AttributeDefinitions=[{"AttributeName": "colour", "AttributeType": "S"}],
                     GlobalSecondaryIndexUpdates=[{"Create": _gsi("by_colour", "colour")}])
    assert ddb.wait_for_indexes()
    assert ddb.scan(TableName="late", IndexName="by_colour")["Items"] == [ok]
    assert ddb.scan(TableName="late")["Count"] == 5  # the table keeps them all
    with pytest.raises(ddb.exceptions.ValidationException, match="mismatch"):
        ddb.put_item(TableName="late", Item={"k": {"S": "again"}, "colour": {"N": "1"}})


def test_an_index_key_longer_than_a_key_may_be_is_refused_on_write(ddb):
    ddb.create_table(**keys_table("sized", ("k", "S"), more_attributes=[("h", "S")],
                                  GlobalSecondaryIndexes=[_gsi("by_h", "h")]))
    ddb.put_item(TableName="sized", Item={"k": {"S": "fits"}, "h": {"S": "h" * 2048}})
    with pytest.raises(ddb.exceptions.ValidationException, match="2048"):
        ddb.put_item(TableName="sized", Item={"k": {"S": "too"}, "h": {"S": "h" * 2049}})
    assert "Item" not in ddb.get_item(TableName="sized", Key={"k": {"S": "too"}}, ConsistentRead=True)


def test_a_filter_may_not_read_what_the_index_does_not_project(ddb):
    ddb.create_table(**keys_table("proj", ("p", "S"), ("c", "S"), more_attributes=[("b", "S")],
                                  LocalSecondaryIndexes=[{"IndexName": "by_b", "KeySchema": [
                                      {"AttributeName": "p", "KeyType": "HASH"},
                                      {"AttributeName": "b", "KeyType": "RANGE"}],
                                      "Projection": {"ProjectionType": "KEYS_ONLY"}}]))
    for c in "123":
        ddb.put_item(TableName="proj", Item={"p": {"S": "x"}, "c": {"S": c}, "b": {"S": c}, "d": {"S": c}})
    query = {"TableName": "proj", "IndexName": "by_b", "KeyConditionExpression": "p = :p"}
    with pytest.raises(ddb.exceptions.ValidationException, match="by_b does not project the filter attribute: d"):
        ddb.query(**query, FilterExpression="d = :v", ExpressionAttributeValues={":p": {"S": "x"}, ":v": {"S": "2"}},
                  Select="ALL_ATTRIBUTES")
    with pytest.raises(ddb.exceptions.ValidationException, match="does not project"):
        ddb.scan(TableName="proj", IndexName="by_b", FilterExpression="d = :v",
                 ExpressionAttributeValues={":v": {"S": "2"}})
    # the table's own keys are in every index: filtering on c is allowed
    got = ddb.query(**query, FilterExpression="c = :v", ExpressionAttributeValues={":p": {"S": "x"}, ":v": {"S": "2"}})
    assert got["Items"] == [{"p": {"S": "x"}, "c": {"S": "2"}, "b": {"S": "2"}}]


def test_a_gsi_read_can_wait_for_the_updates_in_flight():
    def first_read(settle: bool) -> list[dict[str, object]]:
        ddb = dt.client(dt.default_cluster(seed=11))
        ddb.engine.options.settle_gsi_reads = settle
        ddb.create_table(**keys_table("lag", ("k", "S"), more_attributes=[("g", "S")],
                                      GlobalSecondaryIndexes=[_gsi("by_g", "g")]))
        ddb.put_item(TableName="lag", Item={"k": {"S": "a"}, "g": {"S": "one"}})
        return ddb.query(TableName="lag", IndexName="by_g", KeyConditionExpression="g = :g",
                         ExpressionAttributeValues={":g": {"S": "one"}})["Items"]
    assert first_read(settle=False) == []  # the lag a learner watches
    assert first_read(settle=True) == [{"k": {"S": "a"}, "g": {"S": "one"}}]


# -- tags


def test_tag_limits_are_validation_errors(ddb):
    ddb.create_table(**keys_table("tags", ("k", "S")))
    arn = ddb.describe_table(TableName="tags")["Table"]["TableArn"]
    with pytest.raises(ddb.exceptions.ValidationException, match="greater than or equal to 1"):
        ddb.tag_resource(ResourceArn=arn, Tags=[])
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(40)])
    with pytest.raises(ddb.exceptions.ValidationException, match="maximum of 50"):
        ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": f"n{i}", "Value": "v"} for i in range(11)])
    assert len(ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]) == 40
    with pytest.raises(ddb.exceptions.ValidationException, match="ARNs must start with 'arn:'"):
        ddb.tag_resource(ResourceArn="tags", Tags=[{"Key": "a", "Value": "b"}])
    with pytest.raises(ddb.exceptions.ValidationException):
        ddb.create_table(**keys_table("many", ("k", "S"), Tags=[{"Key": str(i), "Value": ""} for i in range(51)]))
    assert "many" not in ddb.list_tables()["TableNames"]


# -- TTL


def test_ttl_names_and_the_attribute_to_disable(ddb):
    ddb.create_table(**keys_table("ttl", ("k", "S")))
    with pytest.raises(ddb.exceptions.ValidationException, match="length"):
        ddb.update_time_to_live(TableName="ttl", TimeToLiveSpecification={"Enabled": True, "AttributeName": ""})
    ddb.update_time_to_live(TableName="ttl", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    with pytest.raises(ddb.exceptions.ValidationException, match="different"):
        ddb.update_time_to_live(TableName="ttl", TimeToLiveSpecification={"Enabled": False, "AttributeName": "other"})
    with pytest.raises(ddb.exceptions.ValidationException, match="enabled"):
        ddb.update_time_to_live(TableName="ttl", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})


def test_ttl_compares_expiry_times_with_the_catalogs_clock(ddb):
    cat = ddb.engine.catalog
    cat.epoch = int(datetime(2030, 1, 1, tzinfo=UTC).timestamp()) * SECOND - ddb.cluster.now
    now_s = cat.epoch_seconds(ddb.cluster.now)
    ddb.create_table(**keys_table("exp", ("k", "S")))
    ddb.update_time_to_live(TableName="exp", TimeToLiveSpecification={"Enabled": True, "AttributeName": "at"})
    ddb.put_item(TableName="exp", Item={"k": {"S": "past"}, "at": {"N": str(now_s - 60)}})
    ddb.put_item(TableName="exp", Item={"k": {"S": "future"}, "at": {"N": str(now_s + 3600)}})
    ddb.cluster.run(SWEEP_DELAY + SECOND)
    keys = sorted(i["k"]["S"] for i in ddb.scan(TableName="exp", ConsistentRead=True)["Items"])
    assert keys == ["future"]


def test_errors_carry_dynamodbs_codes(ddb):
    with pytest.raises(ddb.exceptions.ResourceNotFoundException) as err:
        ddb.update_table(TableName="nowhere", BillingMode="PAY_PER_REQUEST")
    assert code_of(err.value) == "ResourceNotFoundException"


def test_encryption_at_rest_is_reported_only_for_a_kms_key(ddb):
    ddb.create_table(**keys_table("owned", ("k", "S"), SSESpecification={"Enabled": False}))
    assert "SSEDescription" not in ddb.describe_table(TableName="owned")["Table"]
    ddb.create_table(**keys_table("kms", ("k", "S"), SSESpecification={"Enabled": True}))
    sse = ddb.describe_table(TableName="kms")["Table"]["SSEDescription"]
    assert sse["Status"] == "ENABLED" and sse["SSEType"] == "KMS" and sse["KMSMasterKeyArn"].startswith("arn:aws:kms:")
    ddb.update_table(TableName="kms", SSESpecification={"Enabled": False})
    assert "SSEDescription" not in ddb.describe_table(TableName="kms")["Table"]
    with pytest.raises(ddb.exceptions.ValidationException, match="sSEType"):
        ddb.create_table(**keys_table("odd", ("k", "S"), SSESpecification={"Enabled": True, "SSEType": "ROT13"}))


def test_describe_table_lets_a_backfill_land_when_gsi_reads_settle():
    def status(settle: bool) -> str:
        ddb = dt.client(dt.default_cluster(seed=12))
        ddb.engine.options.settle_gsi_reads = settle
        ddb.create_table(**keys_table("grow", ("k", "S")))
        for i in range(5):
            ddb.put_item(TableName="grow", Item={"k": {"S": str(i)}, "g": {"S": "x"}})
        ddb.update_table(TableName="grow", AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
                         GlobalSecondaryIndexUpdates=[{"Create": _gsi("by_g", "g")}])
        return str(ddb.describe_table(TableName="grow")["Table"]["GlobalSecondaryIndexes"][0]["IndexStatus"])
    assert status(settle=False) == "CREATING"
    assert status(settle=True) == "ACTIVE"


# -- GSIs whose key has several attributes (DynamoDB's multi-attribute keys)


def _multi(ddb):
    ddb.create_table(**keys_table("games", ("id", "S"), more_attributes=[
        ("continent", "S"), ("ladder", "S"), ("score", "N"), ("player", "S")], GlobalSecondaryIndexes=[{
            "IndexName": "leaderboard", "Projection": {"ProjectionType": "ALL"},
            "KeySchema": [{"AttributeName": "continent", "KeyType": "HASH"}, {"AttributeName": "ladder", "KeyType": "HASH"},
                          {"AttributeName": "score", "KeyType": "RANGE"},
                          {"AttributeName": "player", "KeyType": "RANGE"}]}]))
    rows = [("g1", "eu", "duel", 30, "ann"), ("g2", "eu", "duel", 10, "bob"), ("g3", "eu", "duel", 30, "cat"),
            ("g4", "eu", "team", 50, "dan"), ("g5", "us", "duel", 20, "eve")]
    for gid, continent, ladder, score, player in rows:
        ddb.put_item(TableName="games", Item={"id": {"S": gid}, "continent": {"S": continent}, "ladder": {"S": ladder},
                                              "score": {"N": str(score)}, "player": {"S": player}})
    ddb.put_item(TableName="games", Item={"id": {"S": "g6"}, "continent": {"S": "eu"}, "score": {"N": "1"}})  # no ladder
    assert ddb.wait_for_indexes()


def _ids(out: dict[str, object]) -> list[str]:
    return [i["id"]["S"] for i in out["Items"]]  # type: ignore[attr-defined,index]


def test_a_multi_attribute_gsi_key_is_described_and_queried_left_to_right(ddb):
    _multi(ddb)
    ks = ddb.describe_table(TableName="games")["Table"]["GlobalSecondaryIndexes"][0]["KeySchema"]
    assert [(k["AttributeName"], k["KeyType"]) for k in ks] == [
        ("continent", "HASH"), ("ladder", "HASH"), ("score", "RANGE"), ("player", "RANGE")]
    q = {"TableName": "games", "IndexName": "leaderboard"}
    eu_duel = {":r": {"S": "eu"}, ":m": {"S": "duel"}}
    assert _ids(ddb.query(**q, KeyConditionExpression="continent = :r AND ladder = :m",
                          ExpressionAttributeValues=eu_duel)) == ["g2", "g1", "g3"]  # by score, then player
    assert _ids(ddb.query(**q, KeyConditionExpression="continent = :r AND ladder = :m AND score = :s AND player > :p",
                          ExpressionAttributeValues={**eu_duel, ":s": {"N": "30"}, ":p": {"S": "ann"}})) == ["g3"]
    assert _ids(ddb.query(**q, KeyConditionExpression="continent = :r AND ladder = :m AND score >= :s",
                          ExpressionAttributeValues={**eu_duel, ":s": {"N": "20"}},
                          ScanIndexForward=False)) == ["g3", "g1"]
    page = ddb.query(**q, KeyConditionExpression="continent = :r AND ladder = :m", ExpressionAttributeValues=eu_duel, Limit=1)
    assert set(page["LastEvaluatedKey"]) == {"continent", "ladder", "score", "player", "id"}
    rest = ddb.query(**q, KeyConditionExpression="continent = :r AND ladder = :m", ExpressionAttributeValues=eu_duel,
                     ExclusiveStartKey=page["LastEvaluatedKey"])
    assert _ids(rest) == ["g1", "g3"]
    assert "g6" not in _ids(ddb.scan(**q))  # sparse: an item without every key attribute is not in the index


def test_a_multi_attribute_gsi_key_refuses_what_dynamodb_refuses(ddb):
    _multi(ddb)
    q = {"TableName": "games", "IndexName": "leaderboard"}
    with pytest.raises(ddb.exceptions.ValidationException, match="missed key schema element: ladder"):
        ddb.query(**q, KeyConditionExpression="continent = :r", ExpressionAttributeValues={":r": {"S": "eu"}})
    with pytest.raises(ddb.exceptions.ValidationException, match="none skipped"):
        ddb.query(**q, KeyConditionExpression="continent = :r AND ladder = :m AND player = :p",
                  ExpressionAttributeValues={":r": {"S": "eu"}, ":m": {"S": "duel"}, ":p": {"S": "ann"}})
    with pytest.raises(ddb.exceptions.ValidationException, match="only the last"):
        ddb.query(**q, KeyConditionExpression="continent = :r AND ladder = :m AND score > :s AND player = :p",
                  ExpressionAttributeValues={":r": {"S": "eu"}, ":m": {"S": "duel"}, ":s": {"N": "1"},
                                             ":p": {"S": "ann"}})
    with pytest.raises(ddb.exceptions.ValidationException, match="non-primary key"):
        ddb.query(**q, KeyConditionExpression="continent = :r AND ladder = :m", FilterExpression="player = :p",
                  ExpressionAttributeValues={":r": {"S": "eu"}, ":m": {"S": "duel"}, ":p": {"S": "ann"}})
    with pytest.raises(ddb.exceptions.ValidationException, match="mismatch"):
        ddb.put_item(TableName="games", Item={"id": {"S": "x"}, "continent": {"S": "eu"}, "ladder": {"N": "1"}})
    five = [{"AttributeName": f"h{i}", "KeyType": "HASH"} for i in range(5)]
    with pytest.raises(ddb.exceptions.ValidationException, match="at most 4"):
        ddb.create_table(**keys_table("wide", ("k", "S"), more_attributes=[(f"h{i}", "S") for i in range(5)],
                                      GlobalSecondaryIndexes=[{"IndexName": "gsi", "KeySchema": five,
                                                               "Projection": {"ProjectionType": "ALL"}}]))
    with pytest.raises(ddb.exceptions.ValidationException, match="before the RANGE"):
        ddb.create_table(**keys_table("mixed", ("k", "S"), more_attributes=[("a", "S"), ("b", "S"), ("c", "S")],
                                      GlobalSecondaryIndexes=[{"IndexName": "gsi", "KeySchema": [
                                          {"AttributeName": "a", "KeyType": "HASH"},
                                          {"AttributeName": "b", "KeyType": "RANGE"},
                                          {"AttributeName": "c", "KeyType": "HASH"}],
                                          "Projection": {"ProjectionType": "ALL"}}]))
