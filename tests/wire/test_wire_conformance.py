"""The endpoint against DynamoDB's documented wire behaviour: the health check, the
framing of odd requests, the members an answer has or leaves out, and the Streams API's
parameter checks. Each test states the documented rule it holds the server to (the
API reference, "Making HTTP requests", and each operation's page)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError
from wire_helpers import Running, create_keyed

AUTH = "AWS4-HMAC-SHA256 Credential=k/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0"


def post(url: str, body: bytes, target: str) -> tuple[int, bytes]:
    req = urllib.request.Request(url + "/", data=body, method="POST", headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target, "Authorization": AUTH})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = exc.value.response["Error"]
    return str(err["Code"]), str(err["Message"])


# -- framing ---------------------------------------------------------------------------


def test_tagging_answers_an_empty_body(served: Running, ddb: Any, table_name: str):
    # TagResource and UntagResource have no response members: the service sends nothing.
    create_keyed(ddb, table_name, sk=None)
    arn = ddb.describe_table(TableName=table_name)["Table"]["TableArn"]
    status, body = post(served.url, json.dumps({"ResourceArn": arn, "Tags": [{"Key": "team", "Value": "blue"}]})
                        .encode(), "DynamoDB_20120810.TagResource")
    assert (status, body) == (200, b"")
    status, body = post(served.url, json.dumps({"ResourceArn": arn, "TagKeys": ["team"]}).encode(),
                        "DynamoDB_20120810.UntagResource")
    assert (status, body) == (200, b"")


def test_a_document_too_deep_for_the_parser_is_a_serialization_error(served: Running):
    deep = b'{"TableName": "t", "Item": {"a": ' + b'{"M": {"x": ' * 5000 + b'{"S": "y"}' + b'}}' * 5000 + b'}}'
    status, body = post(served.url, b"[" * 100_000 + b"]" * 100_000, "DynamoDB_20120810.PutItem")
    assert status == 400 and json.loads(body)["__type"].endswith("#SerializationException")
    status, body = post(served.url, deep, "DynamoDB_20120810.PutItem")
    assert status == 400 and json.loads(body)["__type"].split("#")[1] in ("SerializationException",
                                                                          "ValidationException")


def test_values_nest_32_levels_deep_counting_the_item(ddb: Any, table_name: str):
    # "Nested attribute depth: 32 levels" (the item itself is the first level).
    create_keyed(ddb, table_name, sk=None)

    def chain(maps: int) -> dict[str, Any]:
        value: dict[str, Any] = {"S": "leaf"}
        for _ in range(maps):
            value = {"M": {"down": value}}
        return value

    ddb.put_item(TableName=table_name, Item={"pk": {"S": "ok"}, "doc": chain(31)})
    with pytest.raises(ClientError) as exc:
        ddb.put_item(TableName=table_name, Item={"pk": {"S": "deep"}, "doc": chain(32)})
    code, message = error_of(exc)
    assert code == "ValidationException" and "nest" in message.lower()
    assert "Item" not in ddb.get_item(TableName=table_name, Key={"pk": {"S": "deep"}})
