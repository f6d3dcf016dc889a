"""Tables over a faulty cluster: items live on the ring as separate objects, so the
cluster's quorums, hints, handoff and read repair carry them through failures, and a
durable cluster keeps them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from table_helpers import keys_table

import dynviz.table as dt
from dynviz.cluster import Cluster, ClusterConfig
from dynviz.core.hashing import group_prefix
from dynviz.core.units import SECOND

NODES = tuple(f"n{i}" for i in range(1, 6))


def _query(c: Any, table: str, pk: str, **extra: Any) -> list[int]:
    out: list[int] = []
    esk = None
    while True:
        page = c.query(TableName=table, KeyConditionExpression="pk = :p",
                       ExpressionAttributeValues={":p": {"S": pk}}, Limit=7,
                       **({"ExclusiveStartKey": esk} if esk else {}), **extra)
        out += [int(i["sk"]["N"]) for i in page["Items"]]
        esk = page.get("LastEvaluatedKey")
        if esk is None:
            return out


def test_a_killed_replica_misses_nothing_once_it_is_back() -> None:
    cluster = Cluster(ClusterConfig(nodes=NODES, seed=3))
    c = dt.client(cluster)
    c.create_table(**keys_table("ttt", ("pk", "S"), ("sk", "N")))
    for i in range(10):
        c.put_item(TableName="ttt", Item={"pk": {"S": "p"}, "sk": {"N": str(i)}})
    (place,) = c.placement("ttt")
    victim = place.preference_list[0]
    cluster.kill(victim)
    for i in range(10, 30):  # sloppy quorum: a stand-in keeps the victim's share as hints
        c.put_item(TableName="ttt", Item={"pk": {"S": "p"}, "sk": {"N": str(i)}})
    cluster.run(1 * SECOND)
    # R=N with the victim down: its stand-in answers from the hints it holds
    assert _query(c, "ttt", "p", ConsistentRead=True) == list(range(30))
    cluster.recover(victim)
    cluster.run(5 * SECOND)  # hinted handoff
    prefix = group_prefix(place.group)
    entries, more = cluster.nodes[victim].read_range(prefix, prefix, None, 1000, False)
    assert len(entries) == 30 and not more  # every item object reached the recovered primary


def test_both_sides_of_a_partition_write_one_item_and_the_later_write_wins() -> None:
    cluster = Cluster(ClusterConfig(nodes=NODES, seed=4))
    c = dt.client(cluster)
    c.create_table(**keys_table("ttt", ("pk", "S"), ("sk", "N")))
    key = {"pk": {"S": "p"}, "sk": {"N": "1"}}
    c.put_item(TableName="ttt", Item={**key, "v": {"S": "before"}})
    (place,) = c.placement("ttt")
    first, second = place.preference_list[0], place.preference_list[1]
    others = [n for n in NODES if n not in (first, second)]
    cluster.partition([[first, *others[:1]], [second, *others[1:]]])
    for via, value in ((first, "left"), (second, "right")):
        cluster.put(c.engine.tables["ttt"].item_key(key["pk"], key["sk"]),
                    _entry_bytes(c, key, value, cluster.now + (1 if value == "left" else 2)), via=via, w=1,
                    client=value)  # two clients: neither has seen the other's write
    cluster.heal()
    cluster.run(3 * SECOND)
    item_key = c.engine.tables["ttt"].item_key(key["pk"], key["sk"])
    assert len(cluster.get(item_key, r=3).siblings.versions) >= 2  # the cluster kept both (blind) writes
    got = c.get_item(TableName="ttt", Key=key, ConsistentRead=True)
    assert got["Item"]["v"] == {"S": "right"}  # last write wins per item, as in DynamoDB
    # the other items of the partition were never at stake
    c.put_item(TableName="ttt", Item={"pk": {"S": "p"}, "sk": {"N": "2"}})
    assert _query(c, "ttt", "p", ConsistentRead=True) == [1, 2]


def _entry_bytes(c: Any, key: dict[str, Any], value: str, ts: int) -> bytes:
    from dynviz.table.collection import Entry, encode_entry

    item = {**key, "v": {"S": value}}
    return encode_entry(Entry(1, key["sk"], ts, 50_000 + ts, item, 10))


def test_a_durable_cluster_keeps_its_tables_items_in_sqlite(tmp_path: Path) -> None:
    cluster = Cluster(ClusterConfig(nodes=NODES, seed=5, storage="sqlite", dir=str(tmp_path)))
    try:
        c = dt.client(cluster)
        c.create_table(**keys_table("ddd", ("pk", "S"), ("sk", "S")))
        for word in ("pear", "apple", "fig", "banana", "cherry"):
            c.put_item(TableName="ddd", Item={"pk": {"S": "fruit"}, "sk": {"S": word}})
        got = c.query(TableName="ddd", KeyConditionExpression="pk = :p AND begins_with(sk, :b)",
                      ExpressionAttributeValues={":p": {"S": "fruit"}, ":b": {"S": "b"}}, ConsistentRead=True)
        assert [i["sk"]["S"] for i in got["Items"]] == ["banana"]
        down = c.query(TableName="ddd", KeyConditionExpression="pk = :p", ScanIndexForward=False,
                       ExpressionAttributeValues={":p": {"S": "fruit"}})
        assert [i["sk"]["S"] for i in down["Items"]] == ["pear", "fig", "cherry", "banana", "apple"]
    finally:
        cluster.close()


def _split_cart(resolver: str, second: dict[str, Any] | None) -> tuple[Any, Any, dict[str, Any]]:
    """alice's cart written on both sides of a partition: {milk, eggs} through its first
    replica, then (that replica crashed) ``second`` through the other side (None:
    deleted there). Returns the cluster, the client and the key, healed."""
    cluster = Cluster(ClusterConfig(nodes=NODES, seed=4))
    c = dt.client(cluster)
    c.create_table(**keys_table("cart", ("user", "S")), Resolver=resolver)
    key = {"user": {"S": "alice"}}
    c.put_item(TableName="cart", Item={**key, "items": {"SS": ["milk"]}, "n": {"NS": ["1"]}})
    (place,) = c.placement("cart")
    a, b, d = place.preference_list
    others = [n for n in NODES if n not in place.preference_list]
    cluster.partition([[a, others[0]], [b, d, others[1]]])
    c.put_item(TableName="cart", Item={**key, "items": {"SS": ["milk", "eggs"]}, "n": {"NS": ["1.0", "2"]}})
    cluster.kill(a)
    if second is None:
        c.delete_item(TableName="cart", Key=key)
    else:
        c.put_item(TableName="cart", Item={**key, **second})
    cluster.recover(a)
    cluster.heal()
    cluster.run(3 * SECOND)
    ik = c.engine.tables["cart"].item_key(key["user"], None)
    assert len(cluster.get(ik, r=3).siblings.versions) == 2  # both writes survive on the ring
    return cluster, c, key


def test_last_write_wins_loses_the_other_sides_addition() -> None:
    _, c, key = _split_cart("LWW", {"items": {"SS": ["milk", "bread"]}})
    assert c.describe_table(TableName="cart")["Table"].get("Resolver") is None  # DynamoDB's shape
    item = c.get_item(TableName="cart", Key=key, ConsistentRead=True)["Item"]
    assert sorted(item["items"]["SS"]) == ["bread", "milk"] and "n" not in item


def test_merge_unions_the_sets_of_concurrent_versions() -> None:
    cluster, c, key = _split_cart("MERGE", {"items": {"SS": ["milk", "bread"]}, "n": {"NS": ["1"]}})
    assert c.describe_table(TableName="cart")["Table"]["Resolver"] == "MERGE"
    item = c.get_item(TableName="cart", Key=key, ConsistentRead=True)["Item"]
    assert sorted(item["items"]["SS"]) == ["bread", "eggs", "milk"]
    assert sorted(float(x) for x in item["n"]["NS"]) == [1.0, 2.0]  # 1 and 1.0 are one number
    scanned = c.scan(TableName="cart", ConsistentRead=True)["Items"]
    assert sorted(scanned[0]["items"]["SS"]) == ["bread", "eggs", "milk"]
    # the next write goes over the merged version and supersedes both siblings
    c.update_item(TableName="cart", Key=key, UpdateExpression="ADD #i :x", ExpressionAttributeNames={"#i": "items"},
                  ExpressionAttributeValues={":x": {"SS": ["jam"]}})
    ik = c.engine.tables["cart"].item_key(key["user"], None)
    assert len(cluster.get(ik, r=3).siblings.versions) == 1
    item = c.get_item(TableName="cart", Key=key, ConsistentRead=True)["Item"]
    assert sorted(item["items"]["SS"]) == ["bread", "eggs", "jam", "milk"]


def test_merge_lets_a_concurrently_deleted_item_resurface() -> None:
    _, c, key = _split_cart("MERGE", None)
    item = c.get_item(TableName="cart", Key=key, ConsistentRead=True).get("Item")
    assert item is not None and sorted(item["items"]["SS"]) == ["eggs", "milk"]  # the paper's anomaly
    _, lww, key = _split_cart("LWW", None)
    assert "Item" not in lww.get_item(TableName="cart", Key=key, ConsistentRead=True)  # the delete was later


def test_an_unknown_resolver_is_a_validation_error() -> None:
    c = dt.client(Cluster(ClusterConfig(nodes=NODES, seed=1)))
    with pytest.raises(dt.ValidationException, match="LWW, MERGE"):
        c.create_table(**keys_table("cart", ("user", "S")), Resolver="UNION")
    assert c.list_tables()["TableNames"] == []


@pytest.mark.parametrize("seed", range(40))
def test_the_last_acknowledged_write_of_every_item_wins_under_faults(seed: int) -> None:
    """Random puts and deletes on a table while nodes crash and recover, messages are
    lost and the network splits and heals. Writes on the two sides of a split are
    concurrent (siblings on the ring), and the table's LWW resolver orders them by the
    time the table layer stamped them. Afterwards every item reads back as its last
    acknowledged write (or a later write that failed but may have landed), and Query
    and Scan return exactly those items."""
    import random

    rng = random.Random(seed)
    cluster = Cluster(ClusterConfig(nodes=NODES, seed=seed))
    c = dt.client(cluster)
    c.create_table(**keys_table("fzz", ("pk", "S"), ("sk", "N")))
    model: dict[tuple[str, int], set[int | None]] = {}  # key -> values it may hold
    down: set[str] = set()
    split = False
    for step in range(300):
        roll = rng.random()
        if roll < 0.08 and len(down) < 1:
            victim = rng.choice([n for n in NODES if n not in down])
            cluster.kill(victim)
            down.add(victim)
            continue
        if roll < 0.14 and down:
            back = down.pop()
            cluster.recover(back)
            continue
        if roll < 0.17:
            cluster.set_loss(rng.choice([0.0, 0.05]))
            continue
        if roll < 0.21:
            if split:
                cluster.heal()
            else:
                cut = rng.randrange(1, len(NODES))
                order = rng.sample(NODES, len(NODES))
                cluster.partition([order[:cut], order[cut:]])
            split = not split
            continue
        key = (f"p{rng.randrange(3)}", rng.randrange(6))
        item_key = {"pk": {"S": key[0]}, "sk": {"N": str(key[1])}}
        was = model.get(key, {None})
        value = None if rng.random() < 0.25 else step
        try:
            if value is None:
                c.delete_item(TableName="fzz", Key=item_key)
            else:
                c.put_item(TableName="fzz", Item={**item_key, "v": {"N": str(value)}})
            model[key] = {value}
        except dt.InternalServerError:
            model[key] = was | {value}  # unacknowledged: it may or may not have landed
        cluster.run(rng.randrange(50_000))
    for n in list(down):
        cluster.recover(n)
    cluster.heal()
    cluster.set_loss(0.0)
    cluster.run(10 * SECOND)  # handoff and read repair settle
    seen: dict[tuple[str, int], int] = {}
    for pk in ("p0", "p1", "p2"):
        for it in c.query(TableName="fzz", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": pk}},
                          ConsistentRead=True)["Items"]:
            seen[(pk, int(it["sk"]["N"]))] = int(it["v"]["N"])
    scanned = {(it["pk"]["S"], int(it["sk"]["N"])): int(it["v"]["N"])
               for it in c.scan(TableName="fzz", ConsistentRead=True)["Items"]}
    assert scanned == seen
    for key, allowed in model.items():
        got = seen.get(key)
        assert got in allowed, f"{key}: read {got}, expected one of {allowed}"
    assert set(seen) <= set(model)
