"""DynamoDB-style tables on the Dynamo cluster (issue 7).

``dynviz.table.client(cluster=None, accelerator=False)`` returns a client that speaks
boto3's low-level DynamoDB shapes: tables with partition and sort keys, local and
global secondary indexes, Query and Scan with pagination, update and condition
expressions, batches, Streams, a DAX-like accelerator and provisioned capacity with
throttling, all on the cluster's virtual time. See ``engine.py`` for how the engine's
parts fit, ``store.py`` for how items map onto Dynamo objects.

Importing the package, or a module of it such as ``values`` or ``expressions``, loads
neither the engine nor the cluster: only the errors and the client maker are bound
here; the other names below are imported on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from dynviz.table.connect import default_cluster
from dynviz.table.connect import make_client as client
from dynviz.table.errors import (
    ConditionalCheckFailedException,
    InternalServerError,
    ItemCollectionSizeLimitExceededException,
    ProvisionedThroughputExceededException,
    ResourceInUseException,
    ResourceNotFoundException,
    TableError,
    ValidationException,
)

_LAZY = {
    "CapacityGauge": "dynviz.table.views",
    "IndexSnapshot": "dynviz.table.views",
    "PartitionPlacement": "dynviz.table.views",
    "TableSnapshot": "dynviz.table.views",
    "Paginator": "dynviz.table.client",
    "TableClient": "dynviz.table.client",
    "TableEngine": "dynviz.table.engine",
    "engine_for": "dynviz.table.slot",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(module), name)


__all__ = [
    "CapacityGauge",
    "ConditionalCheckFailedException",
    "IndexSnapshot",
    "InternalServerError",
    "ItemCollectionSizeLimitExceededException",
    "Paginator",
    "PartitionPlacement",
    "ProvisionedThroughputExceededException",
    "ResourceInUseException",
    "ResourceNotFoundException",
    "TableClient",
    "TableEngine",
    "TableError",
    "TableSnapshot",
    "ValidationException",
    "client",
    "default_cluster",
    "engine_for",
]
