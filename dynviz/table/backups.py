"""Backups: on-demand backups and point-in-time recovery, as DynamoDB's API has them
(CreateBackup, DescribeBackup, ListBackups, DeleteBackup, RestoreTableFromBackup,
DescribeContinuousBackups, UpdateContinuousBackups, RestoreTableToPointInTime).

A backup is a table's definition and a consistent read of every item it had, taken
through the ring when the backup is made (so a backup of a cluster with a partition
reads what a quorum-of-all read can). It is kept by the table layer, outside the
ring: DynamoDB keeps backups apart from the table's own storage too, and deleting the
table does not delete them.

Point-in-time recovery, once enabled on a table, keeps what it needs to rebuild the
table as of any moment since: the table's items when it was enabled, then every
change of an item as it is recorded (the same place streams and indexes learn of a
write, writes.py). A restore to time T replays the changes up to T over the items of
the start. As in DynamoDB, the earliest restorable time is when recovery was enabled
(or the recovery period before now, 35 days by default), the latest is now.

Restoring creates a new table from the saved definition (its indexes, billing mode
and throughput, unless overridden) and writes the items to it on the ring, as
ordinary writes that spend no capacity. The restored table has no stream, no TTL and
no tags, as DynamoDB documents; its description carries a RestoreSummary.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from dynviz.core.units import SECOND
from dynviz.table.errors import ResourceInUseException, TableError, ValidationException
from dynviz.table.params import a_map, a_str, required
from dynviz.table.state import Catalog, Table, date_of
from dynviz.table.store import ItemStore
from dynviz.table.values import Item, copy_item, item_size

if TYPE_CHECKING:
    from dynviz.cluster import Cluster
    from dynviz.table.control import ControlPlane
    from dynviz.table.writes import ItemWrites

DAY = 24 * 3600 * SECOND
RECOVERY_DAYS = 35
"""DynamoDB's default (and longest) recovery period."""
_BACKUP_NAME = re.compile(r"[a-zA-Z0-9_.-]{3,255}")


class BackupNotFoundException(TableError):
    code = "BackupNotFoundException"


class TableNotFoundException(TableError):
    """The backup API's own "no such table" (not ResourceNotFoundException)."""

    code = "TableNotFoundException"


class TableAlreadyExistsException(TableError):
    code = "TableAlreadyExistsException"


class PointInTimeRecoveryUnavailableException(TableError):
    code = "PointInTimeRecoveryUnavailableException"


class InvalidRestoreTimeException(TableError):
    code = "InvalidRestoreTimeException"


@dataclass(slots=True)
class Backup:
    """One on-demand backup: the source table's definition and items as they were."""

    arn: str
    name: str
    created: int
    """Unix µs (dates are the catalog's: Catalog.unix)."""
    table: str
    table_id: str
    table_arn: str
    table_created: datetime
    definition: dict[str, Any]
    description: dict[str, Any]
    items: list[Item]
    status: str = "AVAILABLE"

    @property
    def size(self) -> int:
        return sum(item_size(i) for i in self.items)

    def details(self) -> dict[str, Any]:
        return {"BackupArn": self.arn, "BackupName": self.name, "BackupSizeBytes": self.size,
                "BackupStatus": self.status, "BackupType": "USER", "BackupCreationDateTime": date_of(self.created)}

    def summary(self) -> dict[str, Any]:
        return {"TableName": self.table, "TableId": self.table_id, "TableArn": self.table_arn,
                "BackupArn": self.arn, "BackupName": self.name, "BackupCreationDateTime": date_of(self.created),
                "BackupStatus": self.status, "BackupType": "USER", "BackupSizeBytes": self.size}


@dataclass(slots=True)
class Recovery:
    """Point-in-time recovery of one table: its items when it was enabled, then every
    change since, in the order they were recorded: (time, item key, new image or None).
    Times are Unix µs, never decreasing (a host may move the catalog's epoch)."""

    since: int
    days: int
    base: dict[bytes, Item]
    changes: list[tuple[int, bytes, Item | None]] = field(default_factory=list)

    def earliest(self, now: int) -> int:
        return max(self.since, now - self.days * DAY)

    def items_at(self, when: int) -> list[Item]:
        items = dict(self.base)
        for at, key, item in self.changes:
            if at > when:
                break
            if item is None:
                items.pop(key, None)
            else:
                items[key] = item
        return [items[k] for k in sorted(items)]


@dataclass(slots=True, eq=False)
class Backups:
    """The backups and recovery points of one cluster's tables."""

    catalog: Catalog
    store: ItemStore
    cluster: Cluster
    control: ControlPlane
    writes: ItemWrites
    backups: dict[str, Backup] = field(default_factory=dict)
    recovery: dict[str, Recovery] = field(default_factory=dict)
    """By table id (a table deleted and made again does not inherit its recovery)."""

    # -- what the table layer tells it

    def record(self, t: Table, old: Item | None, new: Item | None) -> None:
        """An item of ``t`` changed (writes.py): kept if ``t`` has recovery on."""
        r = self.recovery.get(t.id)
        if r is None:
            return
        image = new if new is not None else old
        assert image is not None
        pk_av, _, sk_av = t.key_parts(image)
        at = max(self._unix(), r.changes[-1][0] if r.changes else r.since)
        r.changes.append((at, t.item_key(pk_av, sk_av), copy_item(new) if new is not None else None))

    # -- on-demand backups

    def create_backup(self, p: dict[str, Any]) -> dict[str, Any]:
        t = self._table(p.get("TableName"))
        name = a_str(required(p, "BackupName"), "BackupName")
        if not _BACKUP_NAME.fullmatch(name):
            raise ValidationException(f"1 validation error detected: Value '{name}' at 'backupName' failed to satisfy "
                                      "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ "
                                      "and have length between 3 and 255")
        now = self._unix()
        stamp = f"{now // 1000:014d}-{hashlib.md5(f'{t.id}/{name}/{now}'.encode()).hexdigest()[:8]}"
        arn = f"{t.arn}/backup/{stamp}"
        while arn in self.backups:  # two backups in the same virtual millisecond
            stamp += "x"
            arn = f"{t.arn}/backup/{stamp}"
        from dynviz.table.control import describe

        description = describe(t)
        backup = Backup(arn, name, now, t.name, description["TableId"], t.arn, description["CreationDateTime"],
                        definition(t), description, self._items(t))
        self.backups[arn] = backup
        return {"BackupDetails": backup.details()}

    def describe_backup(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"BackupDescription": self._description(self._backup(p))}

    def delete_backup(self, p: dict[str, Any]) -> dict[str, Any]:
        backup = self._backup(p)
        del self.backups[backup.arn]
        backup.status = "DELETED"
        return {"BackupDescription": self._description(backup)}

    def list_backups(self, p: dict[str, Any]) -> dict[str, Any]:
        kind = p.get("BackupType", "ALL")
        if kind not in ("USER", "SYSTEM", "AWS_BACKUP", "ALL"):
            raise ValidationException(f"1 validation error detected: Value '{kind}' at 'backupType' failed to satisfy "
                                      "constraint: Member must satisfy enum value set: [USER, SYSTEM, AWS_BACKUP, ALL]")
        found = sorted(self.backups.values(), key=lambda b: b.created)  # stable: made first, listed first
        if kind in ("SYSTEM", "AWS_BACKUP"):
            found = []
        table = p.get("TableName")
        if table is not None:
            found = [b for b in found if table in (b.table, b.table_arn)]
        lower, upper = p.get("TimeRangeLowerBound"), p.get("TimeRangeUpperBound")
        if lower is not None:
            found = [b for b in found if b.created / SECOND >= _epoch(lower, "TimeRangeLowerBound")]
        if upper is not None:
            found = [b for b in found if b.created / SECOND < _epoch(upper, "TimeRangeUpperBound")]
        start = p.get("ExclusiveStartBackupArn")
        if start is not None:
            arns = [b.arn for b in found]
            found = found[arns.index(start) + 1:] if start in arns else []
        limit = p.get("Limit")
        out: dict[str, Any] = {}
        if limit is not None:
            if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 100:
                raise ValidationException(f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy "
                                          "constraint: Member must have value between 1 and 100")
            if len(found) > limit:
                found = found[:limit]
                out["LastEvaluatedBackupArn"] = found[-1].arn
        out["BackupSummaries"] = [b.summary() for b in found]
        return out

    def restore_table_from_backup(self, p: dict[str, Any]) -> dict[str, Any]:
        backup = self._backup(p)
        target = a_str(required(p, "TargetTableName"), "TargetTableName")
        summary = {"SourceBackupArn": backup.arn, "SourceTableArn": backup.table_arn,
                   "RestoreDateTime": date_of(self._unix()), "RestoreInProgress": False}
        return {"TableDescription": self._restore(target, backup.definition, backup.items, p, summary)}

    # -- point-in-time recovery

    def describe_continuous_backups(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"ContinuousBackupsDescription": self._continuous(self._table(p.get("TableName")))}

    def update_continuous_backups(self, p: dict[str, Any]) -> dict[str, Any]:
        t = self._table(p.get("TableName"))
        spec = a_map(required(p, "PointInTimeRecoverySpecification"), "PointInTimeRecoverySpecification")
        enabled = required(spec, "PointInTimeRecoveryEnabled", "PointInTimeRecoverySpecification")
        if not isinstance(enabled, bool):
            raise ValidationException("1 validation error detected: Value null at 'pointInTimeRecoverySpecification."
                                      "pointInTimeRecoveryEnabled' failed to satisfy constraint: Member must not be null")
        days = spec.get("RecoveryPeriodInDays", RECOVERY_DAYS)
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= RECOVERY_DAYS:
            raise ValidationException(f"1 validation error detected: Value '{days}' at 'pointInTimeRecovery"
                                      "Specification.recoveryPeriodInDays' failed to satisfy constraint: Member must "
                                      f"have value between 1 and {RECOVERY_DAYS}")
        if not enabled:
            self.recovery.pop(t.id, None)
        elif t.id in self.recovery:
            self.recovery[t.id].days = days
        else:
            base = {t.item_key(*_pk_sk(t, item)): item for item in self._items(t)}
            self.recovery[t.id] = Recovery(self._unix(), days, base)
        return {"ContinuousBackupsDescription": self._continuous(t)}

    def restore_table_to_point_in_time(self, p: dict[str, Any]) -> dict[str, Any]:
        source = p.get("SourceTableName") or p.get("SourceTableArn")
        if source is None:
            raise ValidationException("Either SourceTableName or SourceTableArn must be specified")
        t = self._table(source)
        r = self.recovery.get(t.id)
        if r is None:
            raise PointInTimeRecoveryUnavailableException(f"Point in time recovery is not enabled for table '{t.name}'")
        target = a_str(required(p, "TargetTableName"), "TargetTableName")
        now = self._unix()
        latest = p.get("UseLatestRestorableTime", False)
        when_given = p.get("RestoreDateTime")
        if latest and when_given is not None:
            raise ValidationException("Only one of UseLatestRestorableTime or RestoreDateTime can be specified")
        if not latest and when_given is None:
            raise ValidationException("Either UseLatestRestorableTime must be true or RestoreDateTime must be specified")
        if latest:
            when = now
        else:
            when = int(_epoch(when_given, "RestoreDateTime") * SECOND)
            if not r.earliest(now) <= when <= now:
                raise InvalidRestoreTimeException(
                    f"RestoreDateTime must be between {date_of(r.earliest(now)).isoformat()} and "
                    f"{date_of(now).isoformat()}")
        summary = {"SourceTableArn": t.arn, "RestoreDateTime": date_of(when), "RestoreInProgress": False}
        from dynviz.table.control import describe

        return {"TableDescription": self._restore(target, definition(t), r.items_at(when), p, summary,
                                                  describe(t))}

    # -- the parts

    def _unix(self) -> int:
        """Now, as the catalog dates it (Unix µs)."""
        return self.catalog.unix(self.cluster.now)

    def _table(self, name: Any) -> Table:
        if name is None:
            raise ValidationException("1 validation error detected: Value null at 'tableName' failed to satisfy "
                                      "constraint: Member must not be null")
        name = a_str(name, "TableName")
        for t in self.catalog.tables.values():
            if name in (t.name, t.arn):
                return t
        raise TableNotFoundException(f"Table not found: {name}")

    def _backup(self, p: dict[str, Any]) -> Backup:
        arn = a_str(required(p, "BackupArn"), "BackupArn")
        backup = self.backups.get(arn)
        if backup is None:
            raise BackupNotFoundException(f"Backup not found: {arn}")
        return backup

    def _items(self, t: Table) -> list[Item]:
        """Every item of ``t`` now, by consistent reads of its partitions on the ring."""
        sk_name = t.schema.sk.name if t.schema.sk else None
        items: list[Item] = []
        for _, group in list(t.partitions):
            for entry in self.store.group_entries(group, sk_name, consistent=True, chunk=1000,
                                                  resolver=t.schema.resolver):
                assert entry.item is not None
                items.append(copy_item(entry.item))
        return items

    def _description(self, backup: Backup) -> dict[str, Any]:
        d = backup.description
        source: dict[str, Any] = {key: d[key] for key in ("TableName", "TableId", "TableArn", "KeySchema", "TableSizeBytes",
                                          "ItemCount") if key in d}
        source["TableCreationDateTime"] = backup.table_created
        source["ProvisionedThroughput"] = {k: d["ProvisionedThroughput"][k]
                                           for k in ("ReadCapacityUnits", "WriteCapacityUnits")}
        source["BillingMode"] = d["BillingModeSummary"]["BillingMode"]
        features: dict[str, Any] = {}
        for key in ("LocalSecondaryIndexes", "GlobalSecondaryIndexes"):
            if key in d:
                features[key] = [{k: ix[k] for k in ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")
                                  if k in ix} for ix in d[key]]
        if "StreamSpecification" in d:
            features["StreamDescription"] = d["StreamSpecification"]
        out: dict[str, Any] = {"BackupDetails": backup.details(), "SourceTableDetails": source}
        if features:
            out["SourceTableFeatureDetails"] = features
        return out

    def _continuous(self, t: Table) -> dict[str, Any]:
        r = self.recovery.get(t.id)
        if r is None:
            return {"ContinuousBackupsStatus": "DISABLED",
                    "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"}}
        now = self._unix()
        return {"ContinuousBackupsStatus": "ENABLED",
                "PointInTimeRecoveryDescription": {
                    "PointInTimeRecoveryStatus": "ENABLED", "RecoveryPeriodInDays": r.days,
                    "EarliestRestorableDateTime": date_of(r.earliest(now)),
                    "LatestRestorableDateTime": date_of(now)}}

    def _restore(self, target: str, base: dict[str, Any], items: list[Item], p: dict[str, Any],
                 summary: dict[str, Any], source: dict[str, Any] | None = None) -> dict[str, Any]:
        if target in self.catalog.tables:
            raise TableAlreadyExistsException(f"Table already exists: {target}")
        params = {**base, "TableName": target}
        mode = p.get("BillingModeOverride")
        if mode is not None:
            params["BillingMode"] = mode
            if mode == "PAY_PER_REQUEST":
                params.pop("ProvisionedThroughput", None)
        if p.get("ProvisionedThroughputOverride") is not None:
            params["ProvisionedThroughput"] = p["ProvisionedThroughputOverride"]
        for override, key in (("GlobalSecondaryIndexOverride", "GlobalSecondaryIndexes"),
                              ("LocalSecondaryIndexOverride", "LocalSecondaryIndexes")):
            if p.get(override) is not None:
                params[key] = p[override]
                if not params[key]:
                    del params[key]
        if params.get("BillingMode") == "PAY_PER_REQUEST":
            for ix in params.get("GlobalSecondaryIndexes", []):
                ix.pop("ProvisionedThroughput", None)
        try:
            self.control.create_table(params)
        except ResourceInUseException as exc:
            raise TableAlreadyExistsException(exc.message) from None
        t = self.catalog.tables[target]
        for item in items:
            self.writes.load(t, copy_item(item))
        from dynviz.table.control import describe

        return {**describe(t), "RestoreSummary": summary}


def definition(t: Table) -> dict[str, Any]:
    """The CreateTable request that makes a table like ``t`` (keys, attributes, billing,
    throughput, indexes, resolver; not its stream, TTL or tags, which a restore does not
    bring back)."""
    from dynviz.table.control import describe

    d = describe(t)
    out: dict[str, Any] = {"KeySchema": d["KeySchema"], "AttributeDefinitions": d["AttributeDefinitions"],
                           "BillingMode": d["BillingModeSummary"]["BillingMode"]}
    throughput = {k: d["ProvisionedThroughput"][k] for k in ("ReadCapacityUnits", "WriteCapacityUnits")}
    if out["BillingMode"] == "PROVISIONED":
        out["ProvisionedThroughput"] = throughput
    for key in ("LocalSecondaryIndexes", "GlobalSecondaryIndexes"):
        if key in d:
            indexes = []
            for ix in d[key]:
                made = {k: ix[k] for k in ("IndexName", "KeySchema", "Projection")}
                if key == "GlobalSecondaryIndexes" and out["BillingMode"] == "PROVISIONED":
                    made["ProvisionedThroughput"] = {k: ix["ProvisionedThroughput"][k]
                                                     for k in ("ReadCapacityUnits", "WriteCapacityUnits")}
                indexes.append(made)
            out[key] = indexes
    if "Resolver" in d:
        out["Resolver"] = d["Resolver"]
    return out


def _pk_sk(t: Table, item: Item) -> tuple[dict[str, Any], dict[str, Any] | None]:
    pk_av, _, sk_av = t.key_parts(item)
    return pk_av, sk_av


def _epoch(value: Any, param: str) -> float:
    """A timestamp parameter: epoch seconds, as botocore sends them in JSON 1.0 (or a
    datetime, as a boto3 caller of the in-process client passes it)."""
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationException(f"1 validation error detected: Value '{value}' at '{param[0].lower()}{param[1:]}' "
                                  "is not a valid timestamp")
    return float(value)
