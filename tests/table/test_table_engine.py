"""dynviz-only promises of the table layer: placement, capacity and throttling, GSI
lag, streams, the accelerator, item-collection limits, atomic failures."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from table_helpers import code_of, keys_table

import dynviz.table as dt
from dynviz.cluster import Cluster, ClusterConfig
from dynviz.core.hashing import group_prefix, token_of
from dynviz.table.collection import Entry, encode_entry

SECOND = 1_000_000


def _item(pk: str, sk: int, **attrs: Any) -> dict[str, Any]:
    out = {"pk": {"S": pk}, "sk": {"N": str(sk)}}
    out.update({k: {"S": v} for k, v in attrs.items()})
    return out


def test_every_item_is_its_own_object_on_its_partitions_preference_list(ddb: Any) -> None:
    ddb.create_table(**keys_table("placed", ("pk", "S"), ("sk", "N")))
    for i in (7, -3, 12, 0, 2.5, 100, -40, 1):
        for user in ("user0", "user1", "user2"):
            ddb.put_item(TableName="placed", Item=_item(user, i))  # type: ignore[arg-type]
    places = ddb.placement("placed")
    assert len(places) == 3
    cluster = ddb.cluster
    for p in places:
        assert p.group == b"placed/" + p.partition_key["S"].encode()
        assert int(p.token, 16) == token_of(p.group)
        prefix = group_prefix(p.group)
        for node in p.preference_list:
            store = cluster.nodes[node].store
            keys = [k for _, k in store.keys_in_range(token_of(p.group) - 1, token_of(p.group)) if k.startswith(prefix)]
            # one object per item, kept by the node in sort-key order
            values = [json.loads(newest_value(store.get(k)))[2] for k in keys]
            assert [v["sk"]["N"] for v in values] == ["-40", "-3", "0", "1", "2.5", "7", "12", "100"]
        for k in keys:
            assert set(cluster.inspect(k).holders()) == set(p.preference_list)


def newest_value(siblings: Any) -> bytes:
    (v,) = siblings.versions
    return v.value


def test_a_partition_may_outgrow_one_objects_value_limit(ddb: Any) -> None:
    """Items are separate objects, so a partition is not bounded by the 1 MiB value
    limit of one object: 40 items of 100 KB (4 MB) in one partition, read back with
    Query pages cut at 1 MB."""
    ddb.create_table(**keys_table("big", ("pk", "S"), ("sk", "N")))
    blob = "x" * 100_000
    for i in range(40):
        ddb.put_item(TableName="big", Item=_item("p", i, blob=blob))
    seen, pages, esk = [], 0, None
    while True:
        extra = {"ExclusiveStartKey": esk} if esk else {}
        page = ddb.query(TableName="big", KeyConditionExpression="pk = :p",
                         ExpressionAttributeValues={":p": {"S": "p"}}, ProjectionExpression="sk", **extra)
        pages += 1
        seen += [int(it["sk"]["N"]) for it in page["Items"]]
        esk = page.get("LastEvaluatedKey")
        if esk is None:
            break
    assert seen == list(range(40))
    assert pages == 4  # 10 items of ~100 KB per 1 MB page
    assert ddb.describe_table(TableName="big")["Table"]["ItemCount"] == 40


def test_concurrent_writes_to_one_item_leave_siblings_the_table_resolves_by_last_write() -> None:
    """Two writers update one item concurrently through the cluster (siblings under
    dvv); the table reads the newest write, and its next write supersedes both."""
    cluster = Cluster(ClusterConfig(nodes=tuple(f"n{i}" for i in range(1, 6)), seed=1))
    c = dt.client(cluster)
    c.create_table(**keys_table("sib", ("pk", "S"), ("sk", "N")))
    c.put_item(TableName="sib", Item=_item("p", 1, v="base"))
    engine = c.engine
    t = engine.tables["sib"]
    key = t.item_key({"S": "p"}, {"N": "1"})
    ctx = cluster.client("dynviz.table").contexts[key]
    cluster.client("w1").contexts[key] = ctx
    cluster.client("w2").contexts[key] = ctx
    newer = Entry(1, {"N": "1"}, cluster.now + 5, 10_002, _item("p", 1, v="newer"), 10)
    older = Entry(1, {"N": "1"}, cluster.now + 1, 10_001, _item("p", 1, v="older"), 10)
    pa = cluster.submit_put(key, encode_entry(newer), client="w1")
    pb = cluster.submit_put(key, encode_entry(older), client="w2")
    cluster.wait(pa)
    cluster.wait(pb)
    assert len(cluster.get(key, r=3).siblings.versions) == 2  # the cluster kept both
    got = c.get_item(TableName="sib", Key={"pk": {"S": "p"}, "sk": {"N": "1"}}, ConsistentRead=True)
    assert got["Item"]["v"] == {"S": "newer"}
    q = c.query(TableName="sib", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}},
                ConsistentRead=True)
    assert [i["v"]["S"] for i in q["Items"]] == ["newer"]
    c.put_item(TableName="sib", Item=_item("p", 1, v="last"))  # supersedes both siblings
    assert len(cluster.get(key, r=3).siblings.versions) == 1


def test_writes_to_different_items_of_a_partition_never_conflict_even_under_lww() -> None:
    """Per-item objects: two clients writing different items of one partition at once
    touch different Dynamo objects, so even the cluster's LWW resolver loses neither."""
    cluster = Cluster(ClusterConfig(nodes=tuple(f"n{i}" for i in range(1, 6)), seed=2, resolver="lww"))
    c = dt.client(cluster)
    c.create_table(**keys_table("lww", ("pk", "S"), ("sk", "N")))
    t = c.engine.tables["lww"]
    writes = []
    for i in range(2, 6):
        entry = Entry(i, {"N": str(i)}, cluster.now, 20_000 + i, _item("p", i), 10)
        writes.append(cluster.submit_put(t.item_key({"S": "p"}, {"N": str(i)}), encode_entry(entry), client=f"w{i}"))
    for w in writes:
        assert cluster.wait(w).ok
    got = c.query(TableName="lww", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}},
                  ConsistentRead=True)
    assert [i["sk"]["N"] for i in got["Items"]] == ["2", "3", "4", "5"]


# ---------------------------------------------------------------------- capacity


def _provisioned(c: Any, rcu: int, wcu: int) -> None:
    p = keys_table("prov", ("pk", "S"), ("sk", "N"))
    p["BillingMode"] = "PROVISIONED"
    p["ProvisionedThroughput"] = {"ReadCapacityUnits": rcu, "WriteCapacityUnits": wcu}
    c.create_table(**p)


def test_throttling_only_after_the_burst_is_spent(ddb: Any) -> None:
    _provisioned(ddb, 5, 2)
    ddb.cluster.run(300 * SECOND)  # idle: 300 s of unused capacity is banked (600 WCU)
    ok = 0
    start = ddb.cluster.now
    with pytest.raises(dt.ProvisionedThroughputExceededException) as e:
        for i in range(5000):
            ddb.put_item(TableName="prov", Item=_item(f"p{i % 50}", i))
            ok += 1
    elapsed = (ddb.cluster.now - start) / SECOND
    assert ok >= 600  # never before the banked burst is spent
    assert ok <= 600 + 2 * elapsed + 3  # and exactly when it is: burst + what refilled
    assert code_of(e.value) == "ProvisionedThroughputExceededException"
    snap = ddb.snapshot("prov")
    assert snap.capacity.throttled_writes == 1 and snap.capacity.write_available < 1
    assert snap.item_count == ok  # the throttled write changed nothing


def test_consumed_capacity_follows_item_sizes(ddb: Any) -> None:
    _provisioned(ddb, 100, 100)
    big = _item("p", 1, blob="x" * 5000)  # ~5 KB: 5 WCU, 2 RCU strong, 1 eventual
    res = ddb.put_item(TableName="prov", Item=big, ReturnConsumedCapacity="TOTAL")
    assert res["ConsumedCapacity"] == {"TableName": "prov", "CapacityUnits": 5.0}
    key = {"pk": {"S": "p"}, "sk": {"N": "1"}}
    strong = ddb.get_item(TableName="prov", Key=key, ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
    eventual = ddb.get_item(TableName="prov", Key=key, ReturnConsumedCapacity="INDEXES")
    assert strong["ConsumedCapacity"]["CapacityUnits"] == 2.0
    assert eventual["ConsumedCapacity"] == {"TableName": "prov", "CapacityUnits": 1.0, "Table": {"CapacityUnits": 1.0}}
    missing = ddb.get_item(TableName="prov", Key={"pk": {"S": "q"}, "sk": {"N": "1"}}, ReturnConsumedCapacity="TOTAL")
    assert missing["ConsumedCapacity"]["CapacityUnits"] == 0.5


def test_on_demand_never_throttles(ddb: Any) -> None:
    ddb.create_table(**keys_table("odm", ("pk", "S")))
    for i in range(300):
        ddb.put_item(TableName="odm", Item={"pk": {"S": str(i)}, "v": {"S": "x" * 3000}})
    assert ddb.snapshot("odm").capacity.throttled_writes == 0


def test_gsi_throttles_the_table_write(ddb: Any) -> None:
    p = keys_table("gprov", ("pk", "S"), more_attributes=(("g", "S"),), BillingMode="PROVISIONED",
                   ProvisionedThroughput={"ReadCapacityUnits": 100, "WriteCapacityUnits": 100},
                   GlobalSecondaryIndexes=[{"IndexName": "byg", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                            "Projection": {"ProjectionType": "ALL"},
                                            "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}])
    ddb.create_table(**p)
    with pytest.raises(dt.ProvisionedThroughputExceededException, match="global secondary indexes"):
        for i in range(50):
            ddb.put_item(TableName="gprov", Item={"pk": {"S": str(i)}, "g": {"S": "x"}})
    # items without the index key do not touch the index
    for i in range(50):
        ddb.put_item(TableName="gprov", Item={"pk": {"S": f"n{i}"}})


# ----------------------------------------------------------------------- indexes


def test_gsi_is_stale_for_a_moment_then_catches_up(ddb: Any) -> None:
    ddb.create_table(**keys_table("gsi", ("pk", "S"), more_attributes=(("color", "S"),),
                                  GlobalSecondaryIndexes=[{"IndexName": "bycolor",
                                                           "KeySchema": [{"AttributeName": "color", "KeyType": "HASH"}],
                                                           "Projection": {"ProjectionType": "KEYS_ONLY"}}]))
    q = {"TableName": "gsi", "IndexName": "bycolor", "KeyConditionExpression": "color = :c",
         "ExpressionAttributeValues": {":c": {"S": "red"}}}
    ddb.put_item(TableName="gsi", Item={"pk": {"S": "a"}, "color": {"S": "red"}})
    assert ddb.query(**q)["Count"] == 0  # not propagated yet
    assert ddb.snapshot("gsi").indexes[0].pending_updates == 1
    ddb.cluster.run(200_000)
    assert ddb.query(**q)["Items"] == [{"pk": {"S": "a"}, "color": {"S": "red"}}]
    ddb.update_item(TableName="gsi", Key={"pk": {"S": "a"}}, UpdateExpression="REMOVE color")
    ddb.wait_for_indexes()
    assert ddb.query(**q)["Count"] == 0  # sparse: removing the key removes the entry


def _bycolor(c: Any, name: str = "gsi") -> dict[str, Any]:
    c.create_table(**keys_table(name, ("pk", "S"), ("sk", "N"), more_attributes=(("color", "S"),),
                                GlobalSecondaryIndexes=[{"IndexName": "bycolor",
                                                         "KeySchema": [{"AttributeName": "color", "KeyType": "HASH"},
                                                                       {"AttributeName": "sk", "KeyType": "RANGE"}],
                                                         "Projection": {"ProjectionType": "KEYS_ONLY"}}]))
    return {"TableName": name, "IndexName": "bycolor", "KeyConditionExpression": "color = :c",
            "ExpressionAttributeValues": {":c": {"S": "red"}}}


def test_gsi_entries_are_objects_on_the_index_partitions_preference_list(ddb: Any) -> None:
    q = _bycolor(ddb)
    for i in range(6):
        ddb.put_item(TableName="gsi", Item={"pk": {"S": f"p{i % 2}"}, "sk": {"N": str(i)}, "color": {"S": "red"}})
    assert ddb.wait_for_indexes()
    cluster = ddb.cluster
    g = ddb.engine.tables["gsi"].gsis["bycolor"]
    group = g.group({"S": "red"})
    plist = cluster.ring.preference_list(group, cluster.config.n)
    for node in plist:  # each entry is its own object, sorted by (index sort key, table keys)
        entries, _ = cluster.nodes[node].read_range(group_prefix(group), group_prefix(group), None, 100, False)
        items = [json.loads(newest_value(s))[2] for _, s in entries]
        assert [(it["sk"]["N"], it["pk"]["S"]) for it in items] == [(str(i), f"p{i % 2}") for i in range(6)]
    got = ddb.query(**q, ScanIndexForward=False, Limit=4)
    assert [i["sk"]["N"] for i in got["Items"]] == ["5", "4", "3", "2"]
    rest = ddb.query(**q, ScanIndexForward=False, ExclusiveStartKey=got["LastEvaluatedKey"])
    assert [i["sk"]["N"] for i in rest["Items"]] == ["1", "0"]
    between = ddb.query(**{**q, "KeyConditionExpression": "color = :c AND sk BETWEEN :a AND :b",
                           "ExpressionAttributeValues": {":c": {"S": "red"}, ":a": {"N": "2"}, ":b": {"N": "4"}}})
    assert [i["sk"]["N"] for i in between["Items"]] == ["2", "3", "4"]


def test_gsi_updates_wait_for_a_quorum_and_land_when_it_is_back() -> None:
    cluster = Cluster(ClusterConfig(nodes=("n1", "n2", "n3"), seed=2))
    c = dt.client(cluster)
    q = _bycolor(c)
    c.put_item(TableName="gsi", Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "color": {"S": "red"}})
    cluster.kill("n2")  # before the index update is sent: it cannot reach W=2
    cluster.kill("n3")
    cluster.run(2 * SECOND)
    assert c.snapshot("gsi").indexes[0].pending_updates == 1  # retried, not dropped
    cluster.recover("n2")
    cluster.recover("n3")
    assert c.wait_for_indexes()
    assert [i["pk"]["S"] for i in c.query(**q)["Items"]] == ["a"]


def test_a_recreated_table_starts_with_an_empty_index(ddb: Any) -> None:
    q = _bycolor(ddb)
    ddb.put_item(TableName="gsi", Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "color": {"S": "red"}})
    ddb.delete_table(TableName="gsi")  # its index update is still on its way
    _bycolor(ddb)
    ddb.cluster.run(2 * SECOND)
    assert ddb.query(**q)["Count"] == 0
    assert ddb.scan(TableName="gsi", IndexName="bycolor")["Count"] == 0


def test_lsi_item_collection_limit(ddb: Any) -> None:
    engine = dt.engine_for(ddb.cluster)
    engine.options.item_collection_limit = 20_000
    ddb.create_table(**keys_table("lsi", ("pk", "S"), ("sk", "N"), more_attributes=(("rank", "N"),),
                                  LocalSecondaryIndexes=[{"IndexName": "byrank", "KeySchema": [
                                      {"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "rank", "KeyType": "RANGE"}],
                                      "Projection": {"ProjectionType": "ALL"}}]))
    with pytest.raises(dt.ItemCollectionSizeLimitExceededException):
        for i in range(100):
            ddb.put_item(TableName="lsi", Item={"pk": {"S": "p"}, "sk": {"N": str(i)}, "rank": {"N": str(-i)},
                                                "pad": {"S": "x" * 200}})
    stored = ddb.query(TableName="lsi", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}},
                       Select="COUNT", ConsistentRead=True)["Count"]
    assert 10 < stored < 100
    ranks = ddb.query(TableName="lsi", IndexName="byrank", KeyConditionExpression="pk = :p AND #r < :z",
                      ExpressionAttributeNames={"#r": "rank"}, ExpressionAttributeValues={":p": {"S": "p"}, ":z": {"N": "-5"}},
                      ConsistentRead=True, Limit=3)
    assert [i["rank"]["N"] for i in ranks["Items"]] == [str(-(stored - 1)), str(-(stored - 2)), str(-(stored - 3))]
    # another partition is another item collection
    ddb.put_item(TableName="lsi", Item={"pk": {"S": "q"}, "sk": {"N": "1"}, "rank": {"N": "1"}})


# ----------------------------------------------------------------------- streams


def _records(c: Any, table: str, kind: str = "TRIM_HORIZON", **extra: Any) -> list[dict[str, Any]]:
    arn = c.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shards = c.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    out = []
    for sh in shards:
        it = c.get_shard_iterator(StreamArn=arn, ShardId=sh["ShardId"], ShardIteratorType=kind, **extra)["ShardIterator"]
        while it:
            page = c.get_records(ShardIterator=it)
            out.extend(page["Records"])
            if not page["Records"]:
                break
            it = page.get("NextShardIterator")
    return out


@pytest.mark.parametrize("view", ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"])
def test_stream_records_once_in_order_and_not_for_no_ops(ddb: Any, view: str) -> None:
    ddb.create_table(**keys_table("stt", ("pk", "S"), StreamSpecification={"StreamEnabled": True, "StreamViewType": view}))
    ddb.put_item(TableName="stt", Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    ddb.put_item(TableName="stt", Item={"pk": {"S": "a"}, "v": {"N": "1"}})  # no change: no record
    ddb.update_item(TableName="stt", Key={"pk": {"S": "a"}}, UpdateExpression="SET v = :two",
                    ExpressionAttributeValues={":two": {"N": "2"}})
    ddb.delete_item(TableName="stt", Key={"pk": {"S": "a"}})
    ddb.delete_item(TableName="stt", Key={"pk": {"S": "a"}})  # nothing to delete: no record
    recs = _records(ddb, "stt")
    assert [r["eventName"] for r in recs] == ["INSERT", "MODIFY", "REMOVE"]
    seqs = [int(r["dynamodb"]["SequenceNumber"]) for r in recs]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    has_new = [("NewImage" in r["dynamodb"]) for r in recs]
    has_old = [("OldImage" in r["dynamodb"]) for r in recs]
    assert has_new == {"KEYS_ONLY": [False] * 3, "OLD_IMAGE": [False] * 3,
                       "NEW_IMAGE": [True, True, False], "NEW_AND_OLD_IMAGES": [True, True, False]}[view]
    assert has_old == {"KEYS_ONLY": [False] * 3, "NEW_IMAGE": [False] * 3,
                       "OLD_IMAGE": [False, True, True], "NEW_AND_OLD_IMAGES": [False, True, True]}[view]
    assert all(r["dynamodb"]["Keys"] == {"pk": {"S": "a"}} for r in recs)
    # the other iterator types
    assert _records(ddb, "stt", "LATEST") == []
    assert [r["eventName"] for r in _records(ddb, "stt", "AT_SEQUENCE_NUMBER", SequenceNumber=str(seqs[1]))] == ["MODIFY", "REMOVE"]
    assert [r["eventName"] for r in _records(ddb, "stt", "AFTER_SEQUENCE_NUMBER", SequenceNumber=str(seqs[1]))] == ["REMOVE"]


def test_stream_retention_shards_and_iterator_expiry() -> None:
    # hours of virtual time: a small cluster with slow background timers keeps it quick
    hour = 3600 * SECOND
    ddb = dt.client(Cluster(ClusterConfig(nodes=("n1", "n2", "n3"), gossip_interval=hour, suspect_after=24 * hour,
                                          handoff_interval=hour, antientropy=False, seed=5)))
    ddb.create_table(**keys_table("ret", ("pk", "S"), StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}))
    ddb.put_item(TableName="ret", Item={"pk": {"S": "old"}})
    arn = ddb.describe_table(TableName="ret")["Table"]["LatestStreamArn"]
    shard = ddb.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = ddb.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    ddb.cluster.run(16 * 60 * SECOND)
    with pytest.raises(dt.TableError) as e:
        ddb.get_records(ShardIterator=it)
    assert code_of(e.value) == "ExpiredIteratorException"
    ddb.cluster.run(5 * 3600 * SECOND)  # past a shard's lifetime: the next record opens a child shard
    ddb.put_item(TableName="ret", Item={"pk": {"S": "new"}})
    shards = ddb.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    assert len(shards) == 2 and shards[1]["ParentShardId"] == shards[0]["ShardId"]
    assert "EndingSequenceNumber" in shards[0]["SequenceNumberRange"]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in _records(ddb, "ret")] == ["old", "new"]
    ddb.cluster.run(20 * 3600 * SECOND)  # the first record is now older than 24 h
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in _records(ddb, "ret")] == ["new"]


# ------------------------------------------------------------------- accelerator


def test_accelerator_serves_repeated_reads_from_cache() -> None:
    cluster = dt.default_cluster(seed=2)
    plain = dt.client(cluster)
    dax = dt.client(cluster, accelerator=True)
    dax.create_table(**keys_table("cache", ("pk", "S"), ("sk", "N")))
    dax.put_item(TableName="cache", Item=_item("p", 1, v="one"))  # write-through: cached now
    key = {"pk": {"S": "p"}, "sk": {"N": "1"}}
    before = cluster.scheduler.events_run
    for _ in range(10):
        assert dax.get_item(TableName="cache", Key=key)["Item"]["v"] == {"S": "one"}
    assert cluster.scheduler.events_run == before  # not one message sent to the cluster
    stats = dax.cache_stats()
    assert stats.items.hits == 10 and stats.items.misses == 0
    # the query cache is not invalidated by writes (as DAX behaves)
    q = {"TableName": "cache", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p"}}}
    assert dax.query(**q)["Count"] == 1
    dax.put_item(TableName="cache", Item=_item("p", 2, v="two"))
    assert dax.query(**q)["Count"] == 1  # stale until the TTL
    assert dax.query(**q, ConsistentRead=True)["Count"] == 2  # strong reads pass through
    cluster.run(301 * SECOND)
    assert dax.query(**q)["Count"] == 2  # expired, read again
    # a write that bypasses the accelerator leaves its item cache stale until TTL
    assert dax.get_item(TableName="cache", Key=key)["Item"]["v"] == {"S": "one"}  # re-cached (miss)
    plain.put_item(TableName="cache", Item=_item("p", 1, v="changed"))
    assert dax.get_item(TableName="cache", Key=key)["Item"]["v"] == {"S": "one"}
    assert plain.get_item(TableName="cache", Key=key)["Item"]["v"] == {"S": "changed"}
    snap = dax.snapshot("cache")
    assert snap.cache is not None and snap.cache.items.hit_rate > 0.5


def test_accelerator_lru_bound() -> None:
    dax = dt.client(dt.default_cluster(seed=4), accelerator={"item_cache_size": 5})
    dax.create_table(**keys_table("lru", ("pk", "S")))
    for i in range(10):
        dax.put_item(TableName="lru", Item={"pk": {"S": str(i)}})
    stats = dax.cache_stats().items
    assert stats.entries == 5 and stats.evictions == 5


# ------------------------------------------------------------------- atomicity


def test_failed_batch_writes_nothing(ddb: Any) -> None:
    ddb.create_table(**keys_table("bwt", ("pk", "S")))
    good = [{"PutRequest": {"Item": {"pk": {"S": str(i)}}}} for i in range(5)]
    for bad in ({"PutRequest": {"Item": {"pk": {"N": "1"}}}},
                {"PutRequest": {"Item": {"pk": {"S": "big"}, "b": {"B": b"x" * 410_000}}}},
                {"DeleteRequest": {"Key": {"nope": {"S": "1"}}}},
                {"PutRequest": {"Item": {"pk": {"S": "0"}}}}):  # duplicate key
        with pytest.raises(dt.ValidationException):
            ddb.batch_write_item(RequestItems={"bwt": [*good, bad]})
    assert ddb.scan(TableName="bwt")["Count"] == 0
    with pytest.raises(dt.ValidationException, match="less than or equal to 25"):
        ddb.batch_write_item(RequestItems={"bwt": [{"PutRequest": {"Item": {"pk": {"S": str(i)}}}} for i in range(26)]})


def test_failed_update_leaves_item_unchanged(ddb: Any) -> None:
    ddb.create_table(**keys_table("upt", ("pk", "S")))
    ddb.put_item(TableName="upt", Item={"pk": {"S": "a"}, "n": {"N": "1"}, "s": {"S": "x"}})
    for expr, values in (("SET n = n + :one, s = s + :one", {":one": {"N": "1"}}),  # string + number
                         ("SET n = :big", {":big": {"S": "x" * 410_000}}),
                         ("SET pk = :v", {":v": {"S": "b"}}),
                         ("SET a.b = :v", {":v": {"S": "b"}})):
        with pytest.raises(dt.ValidationException):
            ddb.update_item(TableName="upt", Key={"pk": {"S": "a"}}, UpdateExpression=expr, ExpressionAttributeValues=values)
    assert ddb.get_item(TableName="upt", Key={"pk": {"S": "a"}}, ConsistentRead=True)["Item"] == {
        "pk": {"S": "a"}, "n": {"N": "1"}, "s": {"S": "x"}}


def test_delete_table_removes_its_objects(ddb: Any) -> None:
    ddb.create_table(**keys_table("gone", ("pk", "S")))
    ddb.put_item(TableName="gone", Item={"pk": {"S": "a"}})
    ddb.delete_table(TableName="gone")
    with pytest.raises(dt.ResourceNotFoundException):
        ddb.describe_table(TableName="gone")
    ddb.create_table(**keys_table("gone", ("pk", "S")))
    assert ddb.scan(TableName="gone")["Count"] == 0
    assert "Item" not in ddb.get_item(TableName="gone", Key={"pk": {"S": "a"}}, ConsistentRead=True)


@pytest.mark.parametrize(("text", "ok"), [("1" * 38, True), ("1" * 39, False), ("1" * 38 + "000", True),
                                          ("0.000" + "7" * 38, True), ("-" + "9" * 39, False)])
def test_numbers_hold_at_most_38_significant_digits(ddb: Any, text: str, ok: bool) -> None:
    ddb.create_table(**keys_table("num", ("pk", "S")))
    item = {"pk": {"S": "a"}, "n": {"N": text}}
    if ok:
        ddb.put_item(TableName="num", Item=item)
        assert Decimal(ddb.get_item(TableName="num", Key={"pk": {"S": "a"}})["Item"]["n"]["N"]) == Decimal(text)
    else:
        with pytest.raises(dt.ValidationException, match="38 significant digits"):
            ddb.put_item(TableName="num", Item=item)
        assert "Item" not in ddb.get_item(TableName="num", Key={"pk": {"S": "a"}})


@pytest.mark.parametrize("name", ["a/b", "ix", "by#status", "x" * 256])
def test_index_names_follow_the_table_name_rules(ddb: Any, name: str) -> None:
    with pytest.raises(dt.ValidationException, match="indexName"):
        ddb.create_table(**keys_table("ixn", ("pk", "S"), more_attributes=(("c", "S"),),
                                      GlobalSecondaryIndexes=[{"IndexName": name,
                                                               "KeySchema": [{"AttributeName": "c", "KeyType": "HASH"}],
                                                               "Projection": {"ProjectionType": "ALL"}}]))
    assert ddb.list_tables()["TableNames"] == []
