"""Fixtures: one running endpoint per module and a boto3 client on it (wire_helpers.py)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from wire_helpers import Running

_names = itertools.count(1)


@pytest.fixture(scope="module")
def served() -> Iterator[Running]:
    running = Running()
    yield running
    running.stop()


@pytest.fixture
def ddb(served: Running) -> Any:
    return served.boto()


@pytest.fixture
def table_name() -> str:
    """A table name no other test of the module uses."""
    return f"wire_{next(_names):03d}"
