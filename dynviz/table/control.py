"""The control plane: CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable.

Tables are created and changed at once (no CREATING or UPDATING status to wait
through); a deleted table's items and GSI entries are deleted from the ring before
the call returns, and a put for its indexes still in flight is dropped (their
``live`` flags). UpdateTable changes provisioned throughput (table and GSIs), the
billing mode and the stream, and adds or removes a GSI (backfill.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from dynviz.core.units import SECOND
from dynviz.table.backfill import IndexChanges, index_status
from dynviz.table.capacity import Bucket
from dynviz.table.errors import (
    LimitExceededException,
    ResourceInUseException,
    ResourceNotFoundException,
    ValidationException,
)
from dynviz.table.params import a_list, a_map, a_str, an_int, required
from dynviz.table.schema import parse_create_table
from dynviz.table.state import TABLE_CLASSES, Catalog, Table, date_of
from dynviz.table.store import ItemStore
from dynviz.table.streams import ACCOUNT, REGION, Stream
from dynviz.table.tagging import add_tags, check_tags

if TYPE_CHECKING:
    from dynviz.cluster import Cluster

MAX_TABLES = 2500
BACKFILL_SETTLE = 30 * SECOND
"""The longest (virtual) DescribeTable lets a backfill run when GSI reads settle."""
STREAM_VIEW_TYPES = ("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES")


def _summary(t: Table) -> dict[str, Any]:
    """What DescribeTable and DeleteTable both report: the table's identity, counts,
    throughput and billing mode."""
    billing: dict[str, Any] = {"BillingMode": t.schema.billing_mode}
    if t.pay_per_request_since is not None:
        billing["LastUpdateToPayPerRequestDateTime"] = date_of(t.pay_per_request_since)
    return {
        "TableName": t.name,
        "ProvisionedThroughput": {
            "NumberOfDecreasesToday": 0,
            "ReadCapacityUnits": int(t.read_bucket.rate) if t.read_bucket else 0,
            "WriteCapacityUnits": int(t.write_bucket.rate) if t.write_bucket else 0,
        },
        "TableSizeBytes": t.size_bytes,
        "ItemCount": t.item_count,
        "TableArn": t.arn,
        "TableId": f"{t.id[:8]}-{t.id[8:12]}-{t.id[12:16]}-{t.id[16:20]}-{t.id[20:32]}",
        "BillingModeSummary": billing,
    }


def describe(t: Table, status: str = "ACTIVE") -> dict[str, Any]:
    """A table's TableDescription, as DescribeTable returns it (its dates are Unix
    times the table keeps, state.Table.created_unix)."""
    s = t.schema
    out: dict[str, Any] = {
        "AttributeDefinitions": [{"AttributeName": a.name, "AttributeType": a.type} for a in s.attribute_definitions],
        "KeySchema": s.key_schema(),
        "TableStatus": status,
        "CreationDateTime": date_of(t.created_unix),
        **_summary(t),
        "DeletionProtectionEnabled": t.deletion_protection,
    }
    if t.table_class is not None:
        out["TableClassSummary"] = {"TableClass": t.table_class}
    if t.warm:
        out["WarmThroughput"] = {**t.warm, "Status": "ACTIVE"}
    if t.kms_key is not None:
        out["SSEDescription"] = {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": t.kms_key}
    if s.lsis:
        out["LocalSecondaryIndexes"] = [
            {**ix.describe(), "IndexSizeBytes": t.lsi_counts[ix.name][1], "ItemCount": t.lsi_counts[ix.name][0],
             "IndexArn": f"{t.arn}/index/{ix.name}"} for ix in s.lsis]
    if s.gsis:
        gl = []
        for ix in s.gsis:
            g = t.gsis[ix.name]
            gl.append({**ix.describe(), **index_status(g),
                       "ProvisionedThroughput": {
                           "NumberOfDecreasesToday": 0,
                           "ReadCapacityUnits": int(g.read_bucket.rate) if g.read_bucket else 0,
                           "WriteCapacityUnits": int(g.write_bucket.rate) if g.write_bucket else 0},
                       "IndexSizeBytes": g.size, "ItemCount": g.count, "IndexArn": f"{t.arn}/index/{ix.name}"})
        out["GlobalSecondaryIndexes"] = gl
    if s.resolver != "LWW":
        out["Resolver"] = s.resolver  # dynviz's own: DynamoDB has no siblings to resolve
    if t.stream is not None and t.stream.enabled:
        out["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": t.stream.view_type}
    latest = t.stream or (t.old_streams[-1] if t.old_streams else None)
    if latest is not None:
        out["LatestStreamLabel"] = latest.label
        out["LatestStreamArn"] = latest.arn
    return out


UPDATES = ("ProvisionedThroughput", "BillingMode", "StreamSpecification", "GlobalSecondaryIndexUpdates",
           "SSESpecification", "TableClass", "DeletionProtectionEnabled", "ReplicaUpdates", "OnDemandThroughput",
           "WarmThroughput")
"""UpdateTable's parameters that change something: at least one must be given."""


def _table_class(v: Any) -> str | None:
    """CreateTable's and UpdateTable's TableClass (None when not given)."""
    if v is None:
        return None
    if v not in TABLE_CLASSES:
        raise ValidationException("Invalid table-class parameter provided. Please try again with a valid table-class "
                                  f"value: [{', '.join(TABLE_CLASSES)}].")
    return str(v)


def _protection(v: Any) -> bool:
    """DeletionProtectionEnabled: a boolean, off when not given."""
    if v is None:
        return False
    if not isinstance(v, bool):
        raise ValidationException(f"Invalid type for parameter DeletionProtectionEnabled, value: {v!r}, type: "
                                  f"{type(v)}, valid types: <class 'bool'>")
    return v


def _sse(spec: Any, t: Table | None = None) -> str | None:
    """SSESpecification: encryption at rest with the service's own key (``Enabled``
    false or absent, DynamoDB's default: nothing to report) or with a KMS key
    (``Enabled`` true: the AWS managed key unless ``KMSMasterKeyId`` names one). dynviz
    keeps no data at rest to encrypt, so it records the choice and reports it as
    DynamoDB's SSEDescription does. Returns the KMS key ARN, None for the service's."""
    if spec is None:
        return t.kms_key if t is not None else None
    spec = a_map(spec, "SSESpecification")
    enabled = spec.get("Enabled")
    if enabled is not None and not isinstance(enabled, bool):
        raise ValidationException(f"Invalid type for parameter SSESpecification.Enabled, value: {enabled!r}, type: "
                                  f"{type(enabled)}, valid types: <class 'bool'>")
    kind = spec.get("SSEType")
    if kind is not None and kind not in ("AES256", "KMS"):
        raise ValidationException(f"1 validation error detected: Value '{kind}' at 'sSESpecification.sSEType' failed "
                                  "to satisfy constraint: Member must satisfy enum value set: [AES256, KMS]")
    key = spec.get("KMSMasterKeyId")
    if not enabled:
        if key is not None:
            raise ValidationException("One or more parameter values were invalid: KMSMasterKeyId can only be "
                                      "specified when SSESpecification.Enabled is true")
        return None
    if key is None:
        return f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{MANAGED_KEY}"
    key = a_str(key, "SSESpecification.KMSMasterKeyId")
    return key if key.startswith("arn:") else f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key}"


def _replica_updates(updates: Any) -> None:
    """UpdateTable's ReplicaUpdates (global tables, version 2019.11.21), refused: the
    local region is not added or removed this way (DynamoDB's own refusal), and dynviz
    serves one region, so it can hold no replica in another."""
    for i, update in enumerate(a_list(updates, "ReplicaUpdates")):
        update = a_map(update, f"ReplicaUpdates[{i}]")
        for action in ("Create", "Update", "Delete"):
            if action not in update:
                continue
            region = a_map(update[action], f"ReplicaUpdates[{i}].{action}").get("RegionName")
            if region == REGION and action != "Update":
                raise ValidationException("Cannot add or delete the local region through ReplicaUpdates. Use "
                                          "CreateTable, DeleteTable, or UpdateTable as required.")
            raise ValidationException(f"dynviz serves one region ({REGION}): it holds no replica in region "
                                      f"{region!r}, so ReplicaUpdates cannot {action.lower()} one")


WARM_UNITS = ("ReadUnitsPerSecond", "WriteUnitsPerSecond")


def _warm(spec: Any, current: dict[str, int]) -> dict[str, int]:
    """CreateTable's or UpdateTable's WarmThroughput over the units a table has
    (``current``): each unit optional, a whole number of at least 1, and never lower
    than a unit already set ("after warm throughput is increased, the values can't be
    decreased"). dynviz has no capacity to pre-warm: it keeps the units and reports them
    as DescribeTable's WarmThroughput, ACTIVE at once."""
    if spec is None:
        return current
    spec = a_map(spec, "WarmThroughput")
    out = dict(current)
    for unit in WARM_UNITS:
        v = spec.get(unit)
        if v is None:
            continue
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ValidationException(f"1 validation error detected: Value '{v}' at 'warmThroughput.{unit[0].lower()}"
                                      f"{unit[1:]}' failed to satisfy constraint: Member must have value greater "
                                      "than or equal to 1")
        if v < current.get(unit, 0):
            raise ValidationException(f"One or more parameter values were invalid: Requested {unit} {v} is lower "
                                      f"than current WarmThroughput {unit} {current[unit]}; warm throughput cannot "
                                      "be decreased")
        out[unit] = v
    return out


MANAGED_KEY = "00000000-0000-4000-8000-000000000000"
"""The key id dynviz reports for the AWS managed key (aws/dynamodb)."""


def _capacity(v: Any, param: str) -> int:
    """A ReadCapacityUnits or WriteCapacityUnits of UpdateTable: a whole number >= 1."""
    if not isinstance(v, int) or isinstance(v, bool) or v < 1:
        raise ValidationException(f"1 validation error detected: Value '{v}' at '{param}' failed to satisfy "
                                  "constraint: Member must have value greater than or equal to 1")
    return v


@dataclass(slots=True, eq=False)
class ControlPlane:
    """Creating, describing, changing and deleting the tables of one cluster."""

    catalog: Catalog
    store: ItemStore
    cluster: Cluster
    indexes: IndexChanges | None = None
    """GSIs created and deleted by UpdateTable (set by the engine)."""

    def create_table(self, p: dict[str, Any]) -> dict[str, Any]:
        schema = parse_create_table(p)
        tags = check_tags(p["Tags"]) if p.get("Tags") is not None else {}
        table_class = _table_class(p.get("TableClass"))
        protection = _protection(p.get("DeletionProtectionEnabled"))
        kms_key = _sse(p.get("SSESpecification"))
        warm = _warm(p.get("WarmThroughput"), {})
        cat = self.catalog
        if schema.name in cat.tables:
            raise ResourceInUseException(f"Table already exists: {schema.name}")
        if len(cat.tables) >= MAX_TABLES:
            raise LimitExceededException(f"Subscriber limit exceeded: There is a limit of {MAX_TABLES} tables per account")
        cat.created += 1
        now = self.cluster.now
        t = Table(schema, now, cat.created)
        t.created_unix = cat.unix(now)
        if schema.billing_mode == "PAY_PER_REQUEST":
            t.pay_per_request_since = t.created_unix
        add_tags(t, tags)
        t.table_class = table_class
        t.deletion_protection = protection
        t.kms_key = kms_key
        t.warm = warm
        if schema.stream_view_type:
            t.stream = Stream(t.name, schema.stream_view_type, schema.key_schema(), now, cat.stream_seq,
                              cat.unix(now))
        cat.tables[t.name] = t
        return {"TableDescription": describe(t)}

    def describe_table(self, p: dict[str, Any]) -> dict[str, Any]:
        cat = self.catalog
        t = cat.table(p.get("TableName"), describe=True)
        changes = self.indexes
        if changes is not None and changes.propagation.options.settle_gsi_reads:
            # As a GSI read does (state.TableOptions): a backfill in flight lands first, so a
            # client polling for ACTIVE needn't wait for the wall clock to catch up with
            # virtual time run ahead.
            for name, g in list(t.gsis.items()):
                if g.backfilling and g.pending:
                    changes.propagation.settle(t, name, BACKFILL_SETTLE)
        return {"Table": describe(t)}

    def list_tables(self, p: dict[str, Any]) -> dict[str, Any]:
        names = sorted(self.catalog.tables)
        start = p.get("ExclusiveStartTableName")
        if start is not None:
            start = a_str(start, "ExclusiveStartTableName")
            names = [n for n in names if n > start]
        limit = p.get("Limit", 100)
        if not isinstance(limit, int) or not 1 <= limit <= 100:
            raise ValidationException(f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy "
                                      "constraint: Member must have value less than or equal to 100")
        out: dict[str, Any] = {"TableNames": names[:limit]}
        if len(names) > limit:
            out["LastEvaluatedTableName"] = names[limit - 1]
        return out

    def delete_table(self, p: dict[str, Any]) -> dict[str, Any]:
        cat = self.catalog
        t = cat.table(p.get("TableName"), describe=True)
        if t.deletion_protection:
            raise ValidationException(f"Resource cannot be deleted as it is currently protected against deletion. "
                                      f"Disable deletion protection first. Table: {t.name}")
        # DeleteTable's description is the short one: no schema, no indexes, no dates.
        desc = {**_summary(t), "TableStatus": "DELETING"}
        for _, group in list(t.partitions):
            self.store.delete_group(group)
        t.live = False
        for g in t.gsis.values():
            g.live = False
            for _, group in list(g.order):
                self.store.delete_group(group, index=True)
        if t.stream is not None:
            t.stream.close(self.cluster.now, cat.stream_seq)
        del cat.tables[t.name]
        return {"TableDescription": desc}

    def update_table(self, p: dict[str, Any]) -> dict[str, Any]:
        """Provisioned throughput (table and GSIs), billing mode, streams, the table
        class and deletion protection."""
        t = self.catalog.table(p.get("TableName"), describe=True)
        if all(p.get(k) in (None, [], {}) for k in UPDATES):
            raise ValidationException("UpdateTable needs at least one of ProvisionedThroughput, BillingMode, "
                                      "StreamSpecification, GlobalSecondaryIndexUpdates, SSESpecification, TableClass "
                                      "or DeletionProtectionEnabled: there is nothing to update")
        table_class = _table_class(p.get("TableClass"))
        protection = p.get("DeletionProtectionEnabled")
        if protection is not None:
            protection = _protection(protection)
        kms_key = _sse(p.get("SSESpecification"), t)
        warm = _warm(p.get("WarmThroughput"), t.warm)
        if p.get("ReplicaUpdates") is not None:
            _replica_updates(p["ReplicaUpdates"])
        self._update_billing(t, p)
        self._update_indexes(t, p)
        spec = p.get("StreamSpecification")
        if spec is not None:
            self._update_stream(t, a_map(spec, "StreamSpecification"))
        if table_class is not None:
            t.table_class = table_class
        if protection is not None:
            t.deletion_protection = protection
        t.kms_key = kms_key
        t.warm = warm
        t.version += 1
        return {"TableDescription": describe(t)}

    def _update_billing(self, t: Table, p: dict[str, Any]) -> None:
        now = self.cluster.now
        mode = p.get("BillingMode")
        if mode is not None and mode not in ("PROVISIONED", "PAY_PER_REQUEST"):
            raise ValidationException(f"1 validation error detected: Value '{mode}' at 'billingMode' failed to satisfy "
                                      "constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]")
        pt = p.get("ProvisionedThroughput")
        if mode == "PAY_PER_REQUEST":
            if pt is not None:
                raise ValidationException("One or more parameter values were invalid: Neither ReadCapacityUnits nor "
                                          "WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
            if t.schema.billing_mode != mode:
                t.pay_per_request_since = self.catalog.unix(now)
                t.schema = replace(t.schema, billing_mode=mode)
            t.read_bucket = t.write_bucket = None
            for g in t.gsis.values():
                g.read_bucket = g.write_bucket = None
        elif pt is not None or mode == "PROVISIONED":
            if pt is None:
                raise ValidationException("One or more parameter values were invalid: ProvisionedThroughput must be "
                                          "specified when BillingMode is PROVISIONED")
            pt = a_map(pt, "ProvisionedThroughput")
            r = _capacity(pt.get("ReadCapacityUnits"), "provisionedThroughput")
            w = _capacity(pt.get("WriteCapacityUnits"), "provisionedThroughput")
            if t.schema.billing_mode != "PROVISIONED":
                t.schema = replace(t.schema, billing_mode="PROVISIONED")
            if t.read_bucket is None or t.write_bucket is None:
                t.read_bucket, t.write_bucket = Bucket.new(r, now), Bucket.new(w, now)
            else:
                t.read_bucket.set_rate(r, now)
                t.write_bucket.set_rate(w, now)

    def _update_indexes(self, t: Table, p: dict[str, Any]) -> None:
        now = self.cluster.now
        updates = a_list(p.get("GlobalSecondaryIndexUpdates") or [], "GlobalSecondaryIndexUpdates")
        changes: list[tuple[str, dict[str, Any]]] = []
        for i, upd in enumerate(updates):
            where = f"GlobalSecondaryIndexUpdates[{i}]"
            upd = a_map(upd, where)
            given = [k for k in ("Update", "Create", "Delete") if upd.get(k) is not None]
            unknown = sorted(k for k in upd if k not in ("Update", "Create", "Delete"))
            if unknown:
                raise ValidationException(f"One or more parameter values were invalid: GlobalSecondaryIndexUpdate has "
                                          f"no action {unknown[0]}; the actions are Create, Update and Delete")
            if len(given) != 1:
                raise ValidationException("One or more parameter values were invalid: a GlobalSecondaryIndexUpdate takes "
                                          "exactly one of GlobalSecondaryIndexUpdate.Update, "
                                          "GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete")
            if given[0] != "Update":
                changes.append((given[0], a_map(upd[given[0]], f"{where}.{given[0]}")))
                continue
            u = upd["Update"]
            where += ".Update"
            u = a_map(u, where)
            name = a_str(required(u, "IndexName", where), f"{where}.IndexName")
            g = t.gsis.get(name)
            if g is None:
                raise ResourceNotFoundException(f"Requested resource not found: Index: {name} not found")
            where += ".ProvisionedThroughput"
            gpt = a_map(u.get("ProvisionedThroughput") or {}, where)
            if g.read_bucket is None or g.write_bucket is None:
                raise ValidationException("One or more parameter values were invalid: ProvisionedThroughput cannot be "
                                          "specified for an index of a PAY_PER_REQUEST table")
            r = an_int(gpt["ReadCapacityUnits"], f"{where}.ReadCapacityUnits") if "ReadCapacityUnits" in gpt else None
            w = an_int(gpt["WriteCapacityUnits"], f"{where}.WriteCapacityUnits") if "WriteCapacityUnits" in gpt else None
            g.read_bucket.set_rate(g.read_bucket.rate if r is None else r, now)
            g.write_bucket.set_rate(g.write_bucket.rate if w is None else w, now)
        if changes:
            assert self.indexes is not None
            self.indexes.apply(t, p, changes)

    def _update_stream(self, t: Table, spec: dict[str, Any]) -> None:
        now, seq = self.cluster.now, self.catalog.stream_seq
        if spec.get("StreamEnabled"):
            if t.stream is not None and t.stream.enabled:
                raise ValidationException(f"Table {t.name} already has an enabled stream: {t.stream.arn}")
            view = spec.get("StreamViewType")
            if view not in STREAM_VIEW_TYPES:
                raise ValidationException("One or more parameter values were invalid: StreamViewType must be one of "
                                          "KEYS_ONLY, NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES when StreamEnabled is true")
            if t.stream is not None:
                t.old_streams.append(t.stream)
            t.stream = Stream(t.name, view, t.schema.key_schema(), now, seq, self.catalog.unix(now))
        else:
            if t.stream is None or not t.stream.enabled:
                raise ValidationException(f"Table {t.name} has no enabled stream to disable")
            t.stream.close(now, seq)
            t.old_streams.append(t.stream)
            t.stream = None
