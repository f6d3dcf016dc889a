"""Requests keep being answered while nodes are killed and the network is partitioned
(issue 19, item 5): four boto3 clients stream PutItem, GetItem and Query at the server
while a minority of the nodes is killed, then partitioned away, then brought back,
through the cluster the server holds (``ServerThread.call``, between two requests).
Every request gets an answer: 200, or DynamoDB's 503 ServiceUnavailable where a quorum
cannot be reached; none hangs (each client has a read timeout), none is a 500."""

from __future__ import annotations

import random
import threading
from collections import Counter
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError
from wire_helpers import Running, create_keyed

CLIENTS = 4
REQUESTS = 60
NO_RETRY = Config(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=30, connect_timeout=5)


def _one(client: Any, rng: random.Random, k: int, i: int) -> int:
    """One request's HTTP status."""
    pk = f"p{rng.randrange(12)}"
    try:
        roll = rng.random()
        if roll < 0.45:
            answer = client.put_item(TableName="faults", Item={"pk": {"S": pk}, "sk": {"N": str(k * 1000 + i)}})
        elif roll < 0.85:
            answer = client.get_item(TableName="faults", Key={"pk": {"S": pk}, "sk": {"N": str(i)}})
        else:
            answer = client.query(TableName="faults", KeyConditionExpression="pk = :p",
                                  ExpressionAttributeValues={":p": {"S": pk}}, Limit=5)
        return int(answer["ResponseMetadata"]["HTTPStatusCode"])
    except ClientError as exc:
        status = int(exc.response["ResponseMetadata"]["HTTPStatusCode"])
        assert status != 503 or exc.response["Error"]["Code"] == "ServiceUnavailable", exc.response
        return status


def test_requests_are_answered_while_a_minority_is_killed_then_partitioned() -> None:
    served = Running()
    try:
        setup = served.boto(config=NO_RETRY)
        create_keyed(setup, "faults")
        cluster = served.cluster
        statuses: list[list[int]] = [[] for _ in range(CLIENTS)]
        failures: list[BaseException] = []
        progress = threading.Semaphore(0)

        def client_loop(k: int) -> None:
            client = served.boto(config=NO_RETRY)
            rng = random.Random(k)
            try:
                for i in range(REQUESTS):
                    statuses[k].append(_one(client, rng, k, i))
                    progress.release()
            except BaseException as exc:  # a hang (ReadTimeout), a dropped connection: the test fails on it
                failures.append(exc)

        threads = [threading.Thread(target=client_loop, args=(k,), daemon=True) for k in range(CLIENTS)]
        for t in threads:
            t.start()

        def after(n: int) -> None:  # n more answers have come back
            for _ in range(n):
                assert progress.acquire(timeout=60), "the clients stopped getting answers"

        after(20)
        served.thread.call(lambda: (cluster.kill("n2"), cluster.kill("n5"), cluster.kill("n7")))
        after(60)
        served.thread.call(lambda: (cluster.recover("n2"), cluster.recover("n5"), cluster.recover("n7"),
                                    cluster.partition([["n1", "n3", "n4", "n6", "n8"], ["n2", "n5", "n7"]])))
        after(60)
        served.thread.call(cluster.heal)
        for t in threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in threads), "a client hung"
        assert not failures, failures
        seen = Counter(s for per in statuses for s in per)
        assert sum(seen.values()) == CLIENTS * REQUESTS
        assert set(seen) <= {200, 503}, seen
        assert seen[200] > CLIENTS * REQUESTS // 2, seen
    finally:
        served.stop()


def test_with_no_quorum_left_requests_are_503_not_hangs_and_200_again_after() -> None:
    served = Running()
    try:
        client = served.boto(config=NO_RETRY)
        create_keyed(client, "faults")
        cluster = served.cluster
        rng = random.Random(7)
        assert {_one(client, rng, 0, i) for i in range(10)} == {200}
        others = [n for n in cluster.node_names() if n != "n1"]
        served.thread.call(lambda: [cluster.kill(n) for n in others])  # W=2, R=2: one node left
        seen = Counter(_one(client, random.Random(i), 1, i) for i in range(10))
        assert set(seen) <= {200, 503} and seen[503] >= 5, seen  # answered, never a hang or a 500
        put = client.put_item  # a write whose quorum is down is refused as DynamoDB refuses it
        try:
            put(TableName="faults", Item={"pk": {"S": "alone"}, "sk": {"N": "1"}})
            raise AssertionError("a PutItem with one node of eight up succeeded")
        except ClientError as exc:
            assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 503
            assert exc.response["Error"]["Code"] == "ServiceUnavailable"
        served.thread.call(lambda: [cluster.recover(n) for n in others])
        assert {_one(client, rng, 2, i) for i in range(10)} == {200}
    finally:
        served.stop()
