"""The control-plane requests of a durable server (``dynviz dynamodb --data DIR``),
kept in ``DIR/tables.sqlite`` so a restarted server has its tables again.

The nodes keep every item on disk (one SQLite file each), but a table's definition
lives in the table layer's memory. Rather than invent a second schema format, the
server journals each control-plane request that succeeded (CreateTable, UpdateTable,
DeleteTable, UpdateTimeToLive, TagResource, UntagResource) as the JSON the client
sent, in order. On start it replays them through the same table client, so every
table, index, TTL setting and tag is made by the code that made it the first time
(and gets the same id, its number being the same), then asks the table layer to find
each table's items again on the nodes (dynviz/table/recovery.py).

What is not kept: stream records written before the restart (a table with a stream
starts a new one), creation times (virtual time starts again at zero), and backups and
point-in-time recovery (kept in memory; a table restored from one is kept, journaled as
the CreateTable that makes it).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dynviz.wire.shapes import request_in

if TYPE_CHECKING:
    from dynviz.table.client import TableClient

JOURNALED: dict[str, str] = {
    "CreateTable": "create_table",
    "UpdateTable": "update_table",
    "DeleteTable": "delete_table",
    "UpdateTimeToLive": "update_time_to_live",
    "TagResource": "tag_resource",
    "UntagResource": "untag_resource",
}
"""The operations that change a table's definition -> the table client's method."""
RESTORES = frozenset({"RestoreTableFromBackup", "RestoreTableToPointInTime"})
FILE = "tables.sqlite"


class TableJournal:
    """The journal in ``DIR/tables.sqlite``: append on success, replay on start."""

    def __init__(self, directory: str | Path) -> None:
        self.path = Path(directory) / FILE
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._conn.execute("CREATE TABLE IF NOT EXISTS journal "
                           "(seq INTEGER PRIMARY KEY, operation TEXT NOT NULL, params TEXT NOT NULL)")

    def record(self, operation: str, params: dict[str, Any], client: TableClient) -> None:
        """Keep one request that succeeded (others are ignored: they changed nothing).
        A restore (from a backup, to a point in time) is kept as the CreateTable of the
        table it made: the backup it came from is not kept across a restart, but the
        table and its items are."""
        if operation in RESTORES:
            from dynviz.table.backups import definition

            target = params["TargetTableName"]
            operation, params = "CreateTable", {**definition(client.engine.table(target)), "TableName": target}
        if operation in JOURNALED:
            self._conn.execute("INSERT INTO journal (operation, params) VALUES (?, ?)",
                               (operation, json.dumps(params, separators=(",", ":"))))

    def entries(self) -> list[tuple[str, dict[str, Any]]]:
        rows = self._conn.execute("SELECT operation, params FROM journal ORDER BY seq").fetchall()
        return [(op, json.loads(params)) for op, params in rows]

    def replay(self, client: TableClient) -> dict[str, int]:
        """Make the journaled tables again on ``client``'s fresh cluster and find their
        items on its nodes; returns each table's live items found. Raises ``ValueError``
        if the journal does not replay (written by a dynviz that validated otherwise)."""
        for n, (operation, params) in enumerate(self.entries(), start=1):
            try:
                getattr(client, JOURNALED[operation])(**request_in(params))
            except Exception as exc:
                raise ValueError(f"{self.path}: request {n} ({operation}) does not replay: {exc}") from None
        return {name: client.engine.recover(name) for name in sorted(client.engine.tables)}

    def close(self) -> None:
        self._conn.close()
