"""Fixtures: a dynviz table client on a fresh default cluster, and a moto one."""

from __future__ import annotations

import os
from typing import Any

import pytest

import dynviz.table as dt


@pytest.fixture
def ddb() -> Any:
    return dt.client(dt.default_cluster(seed=7))


@pytest.fixture(scope="module")
def moto_client() -> Any:
    pytest.importorskip("moto")
    boto3 = pytest.importorskip("boto3")
    from moto import mock_aws

    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")}
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    with mock_aws():
        yield boto3.client("dynamodb", region_name="us-east-1")
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
