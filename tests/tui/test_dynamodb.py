"""``dynviz --dynamodb PORT`` (dynviz.tui.dynamodb): the app serves DynamoDB's HTTP API on
its own cluster, and a real boto3 request shows in the log, selects its item's key (the
ring and the preference list draw its replicas) and its table, with the endpoint named
in the status bar. The client runs in a thread, against the ephemeral port the app
opened, as a learner's program would; every wait is on a condition with a deadline."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from typing import Any

import pytest

from dynviz.core.hashing import grouped_key
from dynviz.tui.app import DynvizApp
from dynviz.tui.drivers.live import LiveDriver
from dynviz.tui.dynamodb import AppEndpoint, ListenError, listen
from dynviz.tui.screens.tables import TablesScreen
from dynviz.tui.widgets.eventlog import EventLog
from dynviz.tui.widgets.preflist import PreferenceList
from dynviz.tui.widgets.statusbar import StatusBar

boto3 = pytest.importorskip("boto3")
from botocore.config import Config  # noqa: E402  (boto3 is optional: skipped above when absent)

SIZE = (130, 40)
CREDENTIALS = {"aws_access_key_id": "dynviz", "aws_secret_access_key": "dynviz", "region_name": "us-east-1"}
ONE_TRY = Config(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=20, connect_timeout=5)


def served_app() -> tuple[DynvizApp, AppEndpoint]:
    endpoint = AppEndpoint(listen("127.0.0.1", 0))
    driver = LiveDriver(seed=3, workload=False, playing=True, preload=False)
    return DynvizApp(driver, dynamodb=endpoint), endpoint


async def until(pilot: Any, condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


async def in_thread(pilot: Any, fn: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Run a blocking client call in a thread while the app's loop keeps serving."""
    future = asyncio.get_running_loop().run_in_executor(None, fn)
    await until(pilot, future.done, "the client's call", timeout)
    return future.result()


def create_orders(ddb: Any) -> None:
    ddb.create_table(TableName="orders", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "customer", "KeyType": "HASH"},
                                {"AttributeName": "ts", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "customer", "AttributeType": "S"},
                                           {"AttributeName": "ts", "AttributeType": "N"}])


async def test_a_boto3_put_item_shows_in_the_log_and_selects_its_key_on_the_ring() -> None:
    app, endpoint = served_app()
    async with app.run_test(size=SIZE) as pilot:
        ddb = boto3.client("dynamodb", endpoint_url=endpoint.url, config=ONE_TRY, **CREDENTIALS)
        await in_thread(pilot, lambda: create_orders(ddb))
        answer = await in_thread(pilot, lambda: ddb.put_item(
            TableName="orders", Item={"customer": {"S": "c1"}, "ts": {"N": "7"}, "total": {"N": "12"}}))
        assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200

        expected = app.table_desk().engine.tables["orders"].item_key({"S": "c1"}, {"N": "7"})
        assert app.selected_key == expected
        assert app.selected_table == "orders"
        log = app.screen.query_one(EventLog)
        await until(pilot, lambda: any("boto3 PutItem orders customer=c1 ts=7 → 200" in line.text
                                       for line in log.lines), "the PutItem in the log", timeout=2.0)
        prefs = app.screen.query_one(PreferenceList)
        await until(pilot, lambda: bool(prefs.last_lines) and prefs.last_lines[0].startswith("orders/c1[7]"),
                    "the preference list of orders/c1[7]", timeout=2.0)
        # the write was a real quorum write on the cluster: the item's versions are on its replicas
        assert any(r.versions for r in app.cluster.inspect(expected).replicas)
        bar = app.screen.query_one(StatusBar)
        assert f"DynamoDB :{endpoint.port}" in bar.plain()

        # the Tables screen names the request as it happens
        await pilot.press("T")
        await until(pilot, lambda: isinstance(app.screen, TablesScreen), "the Tables screen", timeout=2.0)
        await in_thread(pilot, lambda: ddb.get_item(TableName="orders",
                                                    Key={"customer": {"S": "c1"}, "ts": {"N": "7"}}))
        screen = app.screen
        assert isinstance(screen, TablesScreen)
        await until(pilot, lambda: any("GetItem orders customer=c1 ts=7 → 200" in line
                                       for line in screen.wire_lines()), "the GetItem on the Tables screen")


async def test_a_request_the_cluster_cannot_answer_is_503_and_still_logged() -> None:
    app, endpoint = served_app()
    async with app.run_test(size=SIZE) as pilot:
        ddb = boto3.client("dynamodb", endpoint_url=endpoint.url, config=ONE_TRY, **CREDENTIALS)
        await in_thread(pilot, lambda: create_orders(ddb))
        key = app.table_desk().engine.tables["orders"].item_key({"S": "c9"}, {"N": "1"})
        for node in app.cluster.inspect(key).preference_list:
            app.run_line(f"kill {node}", origin="typed")

        def put() -> str:
            try:
                ddb.put_item(TableName="orders", Item={"customer": {"S": "c9"}, "ts": {"N": "1"}})
            except ddb.exceptions.ClientError as exc:
                return str(exc.response["Error"]["Code"])
            return "200"

        assert await in_thread(pilot, put) == "ServiceUnavailable"
        assert app.selected_key == key
        log = app.screen.query_one(EventLog)
        await until(pilot, lambda: any("PutItem orders customer=c9 ts=1 ServiceUnavailable → 503" in line.text
                                       for line in log.lines), "the 503 in the log", timeout=2.0)


def test_a_taken_port_is_refused_with_a_message() -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        with pytest.raises(ListenError, match="cannot listen on 127.0.0.1:.*taken"):
            listen("127.0.0.1", taken.getsockname()[1])
    finally:
        taken.close()


async def test_the_example_script_runs_against_the_app_and_each_request_is_logged() -> None:
    """examples/dynamodb_orders.py, the program the README tells a learner to watch."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "examples" / "dynamodb_orders.py"
    app, endpoint = served_app()
    async with app.run_test(size=SIZE) as pilot:
        run = await in_thread(pilot, lambda: subprocess.run([sys.executable, str(script), endpoint.url, "0"],
                                                            capture_output=True, text=True, timeout=60))
        assert run.returncode == 0, run.stderr
        assert "query ada: 2 orders" in run.stdout
        wire = [e.describe() for e in app.tape.log if e.kind == "wire"]
        assert wire == ["boto3 CreateTable orders → 200", "boto3 PutItem orders customer=ada ts=1 → 200",
                        "boto3 PutItem orders customer=ada ts=2 → 200", "boto3 PutItem orders customer=bob ts=1 → 200",
                        "boto3 GetItem orders customer=ada ts=2 → 200", "boto3 Query orders customer=ada → 200"]
        # the last request, a Query, selected the partition it read (its items are all placed by it)
        assert app.selected_key == grouped_key(app.table_desk().engine.tables["orders"].group({"S": "ada"}))


async def test_requests_keep_being_answered_while_the_app_kills_and_partitions_nodes() -> None:
    app, endpoint = served_app()
    async with app.run_test(size=SIZE) as pilot:
        ddb = boto3.client("dynamodb", endpoint_url=endpoint.url, config=ONE_TRY, **CREDENTIALS)
        await in_thread(pilot, lambda: create_orders(ddb))
        statuses: list[int] = []

        def stream() -> None:
            for i in range(40):
                try:
                    answer = ddb.put_item(TableName="orders", Item={"customer": {"S": f"c{i % 7}"}, "ts": {"N": str(i)}})
                    statuses.append(answer["ResponseMetadata"]["HTTPStatusCode"])
                except ddb.exceptions.ClientError as exc:
                    statuses.append(exc.response["ResponseMetadata"]["HTTPStatusCode"])

        future = asyncio.get_running_loop().run_in_executor(None, stream)
        await until(pilot, lambda: len(statuses) >= 10, "ten answers")
        for line in ("kill n2", "kill n6"):  # typed in the app, between two requests
            assert app.run_line(line, origin="typed") is None
        await until(pilot, lambda: len(statuses) >= 20, "ten more answers")
        for line in ("recover n2", "recover n6", "partition n1,n2,n3 | n4,n5,n6,n7,n8"):
            assert app.run_line(line, origin="typed") is None
        await until(pilot, future.done, "every answer", timeout=60)
        future.result()
        assert len(statuses) == 40 and set(statuses) <= {200, 503}, statuses
        assert sum(1 for e in app.tape.log if e.kind == "wire") == 41  # CreateTable and 40 PutItem
