"""The endpoint's answers to browsers (cors.py, server.py) and DynamoDB's documented
limits as a client over HTTP meets them: a browser script's request (one with an
``Origin``) is allowed from any origin and its OPTIONS preflight answered, as the AWS
SDK for JavaScript's guide expects of service endpoints; a request without ``Origin``
gets no CORS headers; an over-long key name, an expression of too many operators and
a WarmThroughput come back as DynamoDB's API reference says."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError

from dynviz.wire import cors

CORS_HEADERS = ("Access-Control-Allow-Origin", "Access-Control-Expose-Headers", "Access-Control-Max-Age",
                "Access-Control-Allow-Methods", "Access-Control-Allow-Headers")


def _send(url: str, method: str, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
    data = b"{}" if method == "POST" else None
    req = urllib.request.Request(url + "/", data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers)
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers)


# -- the rules, without a server


def test_no_origin_means_no_cors_headers():
    assert cors.response_headers({"Content-Type": "application/x-amz-json-1.0"}) == {}
    assert not cors.is_preflight("OPTIONS", {})


def test_a_preflight_is_granted_what_it_asks_for():
    asked = {"Origin": "https://shop.example", "Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "x-amz-target, authorization"}
    assert cors.is_preflight("OPTIONS", asked)
    got = cors.preflight_headers(asked)
    assert got["Access-Control-Allow-Origin"] == "*"
    assert got["Access-Control-Allow-Methods"] == "POST"
    assert got["Access-Control-Allow-Headers"] == "x-amz-target, authorization"
    assert int(got["Access-Control-Max-Age"]) > 0
    assert "x-amzn-RequestId" in got["Access-Control-Expose-Headers"]


# -- over HTTP


@pytest.mark.parametrize("method", ["OPTIONS", "GET", "POST"])
def test_requests_without_origin_carry_no_cors_headers(served: Any, method: str):
    _, headers = _send(served.url, method, {"Content-Type": "application/x-amz-json-1.0"})
    assert not set(CORS_HEADERS) & set(headers)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_browser_call_is_allowed_from_any_origin(served: Any, method: str):
    _, headers = _send(served.url, method, {"Origin": "https://shop.example",
                                            "Content-Type": "application/x-amz-json-1.0",
                                            "Access-Control-Request-Method": "PUT"})
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Expose-Headers" in headers
    for preflight_only in ("Access-Control-Max-Age", "Access-Control-Allow-Methods"):
        assert preflight_only not in headers


def test_the_preflight_is_answered_with_an_empty_success(served: Any):
    status, headers = _send(served.url, "OPTIONS", {"Origin": "https://shop.example",
                                                    "Access-Control-Request-Method": "POST",
                                                    "Access-Control-Request-Headers": "content-type, x-amz-date"})
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers["Access-Control-Allow-Methods"] == "POST"
    assert headers["Access-Control-Allow-Headers"] == "content-type, x-amz-date"
    assert "Access-Control-Max-Age" in headers


def _message(exc: pytest.ExceptionInfo[ClientError]) -> str:
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    return str(exc.value.response["Error"]["Message"])


def test_limits_reach_a_client_as_validation_errors(ddb: Any, table_name: str):
    with pytest.raises(ClientError) as exc:
        ddb.create_table(TableName=table_name, BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "q" * 256, "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "q" * 256, "AttributeType": "S"}])
    assert "255" in _message(exc)
    ddb.create_table(TableName=table_name, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     WarmThroughput={"ReadUnitsPerSecond": 14000})
    assert ddb.describe_table(TableName=table_name)["Table"]["WarmThroughput"] == {
        "ReadUnitsPerSecond": 14000, "Status": "ACTIVE"}
    with pytest.raises(ClientError) as exc:
        ddb.scan(TableName=table_name, FilterExpression=" AND ".join(["v < w"] * 151))
    assert "too many operators" in _message(exc)
    with pytest.raises(ClientError) as exc:
        ddb.scan(TableName=table_name, FilterExpression="(" * 1500 + "attribute_exists(id)" + ")" * 1500)
    assert "FilterExpression" in _message(exc)


def test_legacy_global_tables_are_not_found_over_http(ddb: Any):
    with pytest.raises(ClientError) as exc:
        ddb.describe_global_table(GlobalTableName="catalogue")
    assert exc.value.response["Error"]["Code"] == "GlobalTableNotFoundException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert ddb.list_global_tables()["GlobalTables"] == []
