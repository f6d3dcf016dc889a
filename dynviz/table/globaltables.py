"""Global tables, version 2017.11.29 (Legacy): the operations that name a global table
(CreateGlobalTable, DescribeGlobalTable, UpdateGlobalTable, DescribeGlobalTableSettings,
UpdateGlobalTableSettings, ListGlobalTables), answered honestly for an endpoint that
serves one region.

A legacy global table joins same-named tables of several regions; dynviz serves one
region, so no such table can exist here. Every operation on one named by
``GlobalTableName`` therefore fails with GlobalTableNotFoundException, as the API
reference lists for them, ListGlobalTables lists none, and CreateGlobalTable is
refused: the API reference marks the version as legacy, to be avoided for new global
tables. (Replicas of the current version are asked for with UpdateTable's
ReplicaUpdates: control.py refuses those for the same reason.)
"""

from __future__ import annotations

from typing import Any

from dynviz.table.errors import TableError, ValidationException
from dynviz.table.schema import check_table_name


class GlobalTableNotFoundException(TableError):
    code = "GlobalTableNotFoundException"


LEGACY = ("DynamoDB global tables version 2017.11.29 is not supported. We recommend using DynamoDB global tables "
          "version 2019.11.21, instead of version 2017.11.29 (Legacy).")


def _missing(p: dict[str, Any]) -> GlobalTableNotFoundException:
    """The error for any operation on a named global table: none exists in one region."""
    if p.get("GlobalTableName") is None:
        raise ValidationException("1 validation error detected: Value null at 'globalTableName' failed to satisfy "
                                  "constraint: Member must not be null")
    name = check_table_name(p["GlobalTableName"], "GlobalTableName", "globalTableName")
    return GlobalTableNotFoundException(f"Global table with name '{name}' does not exist.")


def create_global_table(p: dict[str, Any]) -> dict[str, Any]:
    _missing(p)  # the name is checked first, as for the other operations
    raise ValidationException(LEGACY)


def describe_global_table(p: dict[str, Any]) -> dict[str, Any]:
    raise _missing(p)


def update_global_table(p: dict[str, Any]) -> dict[str, Any]:
    raise _missing(p)


def describe_global_table_settings(p: dict[str, Any]) -> dict[str, Any]:
    raise _missing(p)


def update_global_table_settings(p: dict[str, Any]) -> dict[str, Any]:
    raise _missing(p)


def list_global_tables(p: dict[str, Any]) -> dict[str, Any]:
    limit = p.get("Limit")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise ValidationException(f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy "
                                  "constraint: Member must have value greater than or equal to 1")
    return {"GlobalTables": []}
