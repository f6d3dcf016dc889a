"""DynamoDB-style tables on the Dynamo cluster (issue 7).

``dynviz.table.client(cluster=None, accelerator=False)`` returns a client that speaks
boto3's low-level DynamoDB shapes: tables with partition and sort keys, local and
global secondary indexes, Query and Scan with pagination, update and condition
expressions, batches, Streams, a DAX-like accelerator and provisioned capacity with
throttling, all on the cluster's virtual time. See ``engine.py`` for how items map
onto Dynamo objects.
"""

from __future__ import annotations

from dynviz.table.client import Paginator, TableClient, default_cluster
from dynviz.table.client import make_client as client
from dynviz.table.engine import (
    CapacityGauge,
    IndexSnapshot,
    PartitionPlacement,
    TableEngine,
    TableSnapshot,
    engine_for,
)
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
