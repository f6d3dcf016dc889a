"""Tables over a faulty cluster: items live on the ring as separate objects, so the
cluster's quorums, hints, handoff and read repair carry them through failures, and a
durable cluster keeps them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from table_helpers import keys_table

import dynviz.table as dt
from dynviz.cluster import Cluster, ClusterConfig
from dynviz.core.hashing import group_prefix
from dynviz.node.node import SECOND

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
