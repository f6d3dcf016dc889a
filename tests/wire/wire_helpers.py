"""Helpers of the wire tests: a running ``dynviz dynamodb`` endpoint (in this process, on its own event
loop in a background thread, on an ephemeral port) and boto3 clients pointed at it with
dummy credentials, as a learner's program would be."""

from __future__ import annotations

from typing import Any

import pytest

import dynviz.table as dt
from dynviz.wire.operations import Endpoint
from dynviz.wire.server import ServerThread, WireServer

boto3 = pytest.importorskip("boto3")
from botocore.config import Config  # noqa: E402  (boto3 is optional: skipped above when absent)

CREDENTIALS = {"aws_access_key_id": "dynviz", "aws_secret_access_key": "dynviz", "region_name": "us-east-1"}
ONE_TRY = Config(retries={"max_attempts": 1, "mode": "standard"})
"""No retries: a test that expects an error sees the first answer."""

class Running:
    """A served endpoint: its URL, its cluster, and its thread to stop."""

    def __init__(self, max_body: int | None = None) -> None:
        self.cluster = dt.default_cluster(seed=3)
        self.client = dt.client(self.cluster)
        options: dict[str, Any] = {} if max_body is None else {"max_body": max_body}
        self.server = WireServer(Endpoint(self.client), clock="requests", **options)
        self.thread = ServerThread(self.server)
        self.thread.start(timeout=10.0)
        self.url = self.thread.url

    def boto(self, service: str = "dynamodb", config: Config | None = None) -> Any:
        return boto3.client(service, endpoint_url=self.url, config=config, **CREDENTIALS)

    def resource(self) -> Any:
        return boto3.resource("dynamodb", endpoint_url=self.url, **CREDENTIALS)

    def stop(self) -> None:
        self.thread.stop()
        self.cluster.close()


def create_keyed(client: Any, name: str, sk: str | None = "N", **extra: Any) -> None:
    """A table with partition key ``pk`` (S) and, unless ``sk`` is None, sort key ``sk``."""
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
    defs = [{"AttributeName": "pk", "AttributeType": "S"}]
    if sk is not None:
        keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
        defs.append({"AttributeName": "sk", "AttributeType": sk})
    client.create_table(TableName=name, KeySchema=keys, AttributeDefinitions=defs,
                        BillingMode="PAY_PER_REQUEST", **extra)
