"""Table and index definitions: validating CreateTable, and what a key schema implies.

A table has a partition key and an optional sort key, each a scalar ``S``/``N``/``B``
attribute declared in ``AttributeDefinitions`` (spec §1). Local secondary indexes share
the table's partition key and add another sort key; global ones have a key schema of
their own (spec §4). ``IndexDef.project`` applies an index's projection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from dynviz.table.errors import ValidationException
from dynviz.table.params import a_list, a_map, a_str, required
from dynviz.table.values import (
    MAX_PK_BYTES,
    MAX_SK_BYTES,
    Item,
    check_value,
    copy_value,
    key_native,
    type_of,
)

_TABLE_NAME = re.compile(r"^[a-zA-Z0-9_.\-]+$")
MAX_LSIS = 5
MAX_GSIS = 20
MAX_NON_KEY_ATTRIBUTES = 100


def _bad(message: str) -> ValidationException:
    return ValidationException(message)


@dataclass(frozen=True, slots=True)
class KeyDef:
    name: str
    type: str  # S | N | B


def key_bytes_size(av: dict[str, Any]) -> int:
    """A key value's size as DynamoDB limits it: UTF-8 bytes of a string, bytes of a
    binary; a number's is not limited here (its 38 digits are)."""
    (t, v), = av.items()
    if t == "S":
        return len(v.encode("utf-8"))
    return len(v) if t == "B" else 0


def key_usable(key: KeyDef, av: Any, limit: int) -> bool:
    """Whether ``av`` can be ``key``'s value in an index: of the declared type, not an
    empty string or binary, and within ``limit`` bytes."""
    if not isinstance(av, dict) or len(av) != 1 or key.type not in av:
        return False
    return 0 < key_bytes_size(av) <= limit if key.type in ("S", "B") else True


@dataclass(frozen=True, slots=True)
class IndexDef:
    """A secondary index: ``kind`` is ``local`` or ``global``."""

    name: str
    kind: str
    pk: KeyDef
    sk: KeyDef | None
    projection: str  # KEYS_ONLY | INCLUDE | ALL
    non_key: tuple[str, ...]
    table_pk: KeyDef
    table_sk: KeyDef | None
    rcu: int = 0
    wcu: int = 0
    pk_more: tuple[KeyDef, ...] = ()
    """A GSI's partition key attributes after the first (multi-attribute keys: up to
    four in all, DynamoDB's GSIs only)."""
    sk_more: tuple[KeyDef, ...] = ()
    """A GSI's sort key attributes after the first (up to four in all)."""

    @property
    def hash_keys(self) -> tuple[KeyDef, ...]:
        return (self.pk, *self.pk_more)

    @property
    def range_keys(self) -> tuple[KeyDef, ...]:
        return (self.sk, *self.sk_more) if self.sk is not None else ()

    @property
    def composite(self) -> bool:
        """Whether the index's key has more than one partition or sort key attribute."""
        return bool(self.pk_more or self.sk_more)

    @property
    def key_names(self) -> tuple[str, ...]:
        """Index keys then table keys, without repeats: the attributes of an LEK."""
        out = [k.name for k in (*self.hash_keys, *self.range_keys)]
        for k in (self.table_pk, self.table_sk):
            if k is not None and k.name not in out:
                out.append(k.name)
        return tuple(out)

    def has_keys(self, item: Item) -> bool:
        """Sparse indexes: an item is in the index only with all its index keys, each
        a usable key value. A write can no longer give one of the wrong type, empty or
        too long (``TableSchema.check_item_keys``), but an item written before a GSI was
        added by UpdateTable can hold one; DynamoDB's backfill leaves such items out of
        the index, and so does this."""
        return (all(key_usable(k, item.get(k.name), MAX_PK_BYTES) for k in self.hash_keys)
                and all(key_usable(k, item.get(k.name), MAX_SK_BYTES) for k in self.range_keys))

    def projected_names(self) -> set[str] | None:
        """None for ALL; else the attributes the index holds."""
        if self.projection == "ALL":
            return None
        names = set(self.key_names)
        if self.projection == "INCLUDE":
            names.update(self.non_key)
        return names

    def check_filter(self, names: list[str]) -> None:
        """A Query or Scan of this index may filter only on what the index holds: an
        attribute it does not project is refused, whatever Select asks for."""
        projected = self.projected_names()
        if projected is None:
            return
        for name in names:
            if name not in projected:
                raise _bad(f"One or more parameter values were invalid: Index {self.name} does not project the filter "
                           f"attribute: {name}")

    def project(self, item: Item) -> Item:
        names = self.projected_names()
        if names is None:
            return item
        return {k: v for k, v in item.items() if k in names}

    def sort_tuple(self, item: Item) -> tuple[Any, ...]:
        """Where an entry sorts within its index partition: index sort key, then the
        table key as tiebreaker (so pagination over equal index keys is exact:
        moto#7834, dynalite#43)."""
        out: list[Any] = [key_native(item[k.name]) for k in self.range_keys]
        if self.kind == "global":
            out.append(key_native(item[self.table_pk.name]))
        if self.table_sk is not None:
            out.append(key_native(item[self.table_sk.name]))
        return tuple(out)

    def describe(self) -> dict[str, Any]:
        ks = [{"AttributeName": k.name, "KeyType": "HASH"} for k in self.hash_keys]
        ks += [{"AttributeName": k.name, "KeyType": "RANGE"} for k in self.range_keys]
        proj: dict[str, Any] = {"ProjectionType": self.projection}
        if self.projection == "INCLUDE":
            proj["NonKeyAttributes"] = list(self.non_key)
        return {"IndexName": self.name, "KeySchema": ks, "Projection": proj}


@dataclass(frozen=True, slots=True)
class TableSchema:
    name: str
    pk: KeyDef
    sk: KeyDef | None
    attribute_definitions: tuple[KeyDef, ...]
    lsis: tuple[IndexDef, ...]
    gsis: tuple[IndexDef, ...]
    billing_mode: str
    rcu: int
    wcu: int
    stream_view_type: str | None
    resolver: str = "LWW"
    """How an item's concurrent versions (siblings on the ring) become one: ``LWW``,
    the newest write wins (DynamoDB's behaviour); ``MERGE``, the newest live version
    with every set attribute (SS, NS, BS) unioned over the live versions, the
    paper's shopping-cart reconciliation, deleted items resurfacing included."""

    @property
    def key_names(self) -> tuple[str, ...]:
        return (self.pk.name,) if self.sk is None else (self.pk.name, self.sk.name)

    def index(self, name: str) -> IndexDef | None:
        for ix in (*self.lsis, *self.gsis):
            if ix.name == name:
                return ix
        return None

    def key_schema(self) -> list[dict[str, str]]:
        ks = [{"AttributeName": self.pk.name, "KeyType": "HASH"}]
        if self.sk is not None:
            ks.append({"AttributeName": self.sk.name, "KeyType": "RANGE"})
        return ks

    # -- keys of items and requests

    def check_key_value(self, key: KeyDef, av: dict[str, Any], sort: bool) -> None:
        t = type_of(av)
        if t != key.type:
            raise _bad(f"One or more parameter values were invalid: Type mismatch for key {key.name} "
                       f"expected: {key.type} actual: {t}")
        v = av[t]
        if t in ("S", "B") and len(v) == 0:
            raise _bad("One or more parameter values are not valid. The AttributeValue for a key attribute "
                       f"cannot contain an empty {'string' if t == 'S' else 'binary'} value. Key: {key.name}")
        size = len(v.encode("utf-8")) if t == "S" else len(v) if t == "B" else 0
        limit = MAX_SK_BYTES if sort else MAX_PK_BYTES
        if size > limit:
            which = "range" if sort else "hash"
            raise _bad(f"One or more parameter values were invalid: Size of {which}key has exceeded the maximum size "
                       f"limit of {limit} bytes")

    def check_item_keys(self, item: Item) -> None:
        """An item to write: table keys present with the right types; index keys (when
        present) of the declared types."""
        for key, sort in ((self.pk, False), (self.sk, True)):
            if key is None:
                continue
            if key.name not in item:
                raise _bad(f"One or more parameter values were invalid: Missing the key {key.name} in the item")
            self.check_key_value(key, item[key.name], sort)
        for ix in (*self.lsis, *self.gsis):
            for key in (*ix.hash_keys, *ix.range_keys):
                if key.name not in item or key.name in self.key_names:
                    continue
                av = item[key.name]
                t = type_of(av)
                if t != key.type:
                    raise _bad(f"One or more parameter values were invalid: Type mismatch for Index Key {key.name} "
                               f"Expected: {key.type} Actual: {t} IndexName: {ix.name}")
                if t in ("S", "B") and len(av[t]) == 0:
                    raise _bad("One or more parameter values are not valid. A value specified for a secondary index key "
                               "is not supported. The AttributeValue for a key attribute cannot contain an empty "
                               f"{'string' if t == 'S' else 'binary'} value. IndexName: {ix.name}, IndexKey: {key.name}")
                hashed = key in ix.hash_keys
                limit = MAX_PK_BYTES if hashed else MAX_SK_BYTES
                if key_bytes_size(av) > limit:
                    which = "hash" if hashed else "range"
                    raise _bad(f"One or more parameter values were invalid: Size of {which}key has exceeded the maximum "
                               f"size limit of {limit} bytes. IndexName: {ix.name}, IndexKey: {key.name}")

    def check_key(self, key: Any, where: str = "Key") -> Item:
        """A request's primary key: exactly the key attributes, of the right types."""
        if not isinstance(key, dict):
            raise _bad(f"Invalid type for parameter {where}, value: {key!r}, type: {type(key)}, valid types: <class 'dict'>")
        out = {k: check_value(v, f"{where}.{k}") for k, v in key.items()}
        if set(out) != set(self.key_names):
            raise _bad("The provided key element does not match the schema")
        for k, sort in ((self.pk, False), (self.sk, True)):
            if k is not None:
                if type_of(out[k.name]) != k.type:
                    raise _bad("The provided key element does not match the schema")
                self.check_key_value(k, out[k.name], sort)
        return out

    def key_of(self, item: Item) -> Item:
        return {k: copy_value(item[k]) for k in self.key_names}

    def sk_native(self, item: Item) -> Any:
        return key_native(item[self.sk.name]) if self.sk is not None else 0


# ----------------------------------------------------------------------- CreateTable


def _req(params: dict[str, Any], name: str) -> Any:
    if name not in params or params[name] is None:
        raise _bad(f"Missing required parameter in input: \"{name}\"")
    return params[name]


def check_table_name(name: Any, param: str = "TableName", where: str = "tableName") -> str:
    """Table and index names: 3 to 255 of ``[a-zA-Z0-9_.-]``. Keys on the ring rely on
    it: ``/ # @`` can never be part of a name, so they can separate names in a group."""
    if not isinstance(name, str):
        raise _bad(f"Invalid type for parameter {param}, value: {name!r}, type: {type(name)}, valid types: <class 'str'>")
    if len(name) < 3:
        raise _bad(f"1 validation error detected: Value '{name}' at '{where}' failed to satisfy constraint: "
                   "Member must have length greater than or equal to 3")
    if len(name) > 255:
        raise _bad(f"1 validation error detected: Value '{name}' at '{where}' failed to satisfy constraint: "
                   "Member must have length less than or equal to 255")
    if not _TABLE_NAME.match(name):
        raise _bad(f"1 validation error detected: Value '{name}' at '{where}' failed to satisfy constraint: "
                   "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
    return name


MAX_KEY_NAME_LENGTH = 255
"""A key attribute's name (a table's, an index's, a projected one's) is 1 to 255
characters: the API reference's ``KeySchemaAttributeName`` and
``NonKeyAttributeName``. Checked where a name is first read, before any check of how
the names fit together, so a too long name is what a request is refused for."""


def _key_name(value: Any, param: str, what: str) -> str:
    """A key attribute name (``param`` in the request, ``what`` in DynamoDB's message)."""
    name = a_str(value, param)
    if not 1 <= len(name) <= MAX_KEY_NAME_LENGTH:
        bound = (f"less than or equal to {MAX_KEY_NAME_LENGTH}" if name else "greater than or equal to 1")
        raise _bad(f"1 validation error detected: Value '{name}' at '{what}' failed to satisfy constraint: "
                   f"Member must have length {bound}")
    return name


def _key_elements(ks: list[Any], what: str, param: str) -> tuple[list[str], list[str]]:
    """The names and key types of a KeySchema's elements, each checked."""
    names: list[str] = []
    kinds: list[str] = []
    for i, el in enumerate(ks):
        if not isinstance(el, dict) or "AttributeName" not in el or "KeyType" not in el:
            raise _bad(f"Invalid KeySchema element in {what}: {el!r}")
        if el["KeyType"] not in ("HASH", "RANGE"):
            raise _bad(f"1 validation error detected: Value '{el['KeyType']}' at '{what}.member.keyType' failed to "
                       "satisfy constraint: Member must satisfy enum value set: [HASH, RANGE]")
        names.append(_key_name(el["AttributeName"], f"{param}[{i}].AttributeName", f"{what}.{i + 1}.member.attributeName"))
        kinds.append(el["KeyType"])
    return names, kinds


def _key_schema(ks: Any, defs: dict[str, str], what: str, param: str) -> tuple[KeyDef, KeyDef | None]:
    """A KeySchema (``param`` in the request, ``what`` in DynamoDB's messages)."""
    if not isinstance(ks, list) or not 1 <= len(ks) <= 2:
        raise _bad(f"1 validation error detected: Value '{ks}' at '{what}' failed to satisfy constraint: "
                   "Member must have length less than or equal to 2")
    names, kinds = _key_elements(ks, what, param)
    if kinds[0] != "HASH":
        raise _bad("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
    if len(ks) == 2:
        if ks[1]["KeyType"] != "RANGE":
            raise _bad("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
        if names[0] == names[1]:
            raise _bad("Both the Hash Key and the Range Key element in the KeySchema have the same name")
    missing = [n for n in names if n not in defs]
    if missing:
        raise _bad("One or more parameter values were invalid: Some index key attributes are not defined in "
                   f"AttributeDefinitions. Keys: [{', '.join(names)}], AttributeDefinitions: [{', '.join(defs)}]")
    pk = KeyDef(names[0], defs[names[0]])
    sk = KeyDef(names[1], defs[names[1]]) if len(names) == 2 else None
    return pk, sk


MAX_GSI_KEY_ATTRIBUTES = 4
"""A GSI's partition key, and its sort key, may each be made of up to four attributes."""


def _gsi_key_schema(ks: Any, defs: dict[str, str], what: str, param: str
                    ) -> tuple[tuple[KeyDef, ...], tuple[KeyDef, ...]]:
    """A GSI's KeySchema: one to four HASH attributes, then up to four RANGE ones
    (DynamoDB's multi-attribute keys), each defined, none twice."""
    if not isinstance(ks, list) or not ks:
        raise _bad(f"1 validation error detected: Value '{ks}' at '{what}' failed to satisfy constraint: "
                   "Member must have length greater than or equal to 1")
    names, kinds = _key_elements(ks, what, param)
    if kinds[0] != "HASH":
        raise _bad("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
    n_hash = kinds.count("HASH")
    if kinds != ["HASH"] * n_hash + ["RANGE"] * (len(kinds) - n_hash):
        raise _bad("Invalid KeySchema: every HASH KeySchemaElement must come before the RANGE ones")
    if n_hash > MAX_GSI_KEY_ATTRIBUTES or len(kinds) - n_hash > MAX_GSI_KEY_ATTRIBUTES:
        raise _bad(f"Invalid KeySchema: a global secondary index key has at most {MAX_GSI_KEY_ATTRIBUTES} HASH and "
                   f"{MAX_GSI_KEY_ATTRIBUTES} RANGE KeySchemaElements")
    seen: set[str] = set()
    for n in names:
        if n in seen:
            raise _bad(f"Invalid KeySchema: Duplicate attribute name in KeySchema: {n}")
        seen.add(n)
    missing = [n for n in names if n not in defs]
    if missing:
        raise _bad("One or more parameter values were invalid: Some index key attributes are not defined in "
                   f"AttributeDefinitions. Keys: [{', '.join(names)}], AttributeDefinitions: [{', '.join(defs)}]")
    keys = tuple(KeyDef(n, defs[n]) for n in names)
    return keys[:n_hash], keys[n_hash:]


def _gsi(name: str, hashes: tuple[KeyDef, ...], ranges: tuple[KeyDef, ...], proj: str, nk: tuple[str, ...],
         pk: KeyDef, sk: KeyDef | None, rcu: int, wcu: int) -> IndexDef:
    return IndexDef(name, "global", hashes[0], ranges[0] if ranges else None, proj, nk, pk, sk, rcu, wcu,
                    hashes[1:], ranges[1:])


def _projection(p: Any, index: str, param: str) -> tuple[str, tuple[str, ...]]:
    if not isinstance(p, dict):
        raise _bad(f"One or more parameter values were invalid: Projection is missing for index {index}")
    t = p.get("ProjectionType", "ALL")
    if t not in ("ALL", "KEYS_ONLY", "INCLUDE"):
        raise _bad(f"1 validation error detected: Value '{t}' at 'projection.projectionType' failed to satisfy "
                   "constraint: Member must satisfy enum value set: [ALL, INCLUDE, KEYS_ONLY]")
    nk = p.get("NonKeyAttributes")
    if t == "INCLUDE":
        if not nk:
            raise _bad("One or more parameter values were invalid: ProjectionType is INCLUDE, but NonKeyAttributes is not specified")
        where = f"{param}.Projection.NonKeyAttributes"
        return t, tuple(_key_name(n, f"{where}[{i}]", "projection.nonKeyAttributes")
                        for i, n in enumerate(a_list(nk, where)))
    if nk:
        raise _bad(f"One or more parameter values were invalid: ProjectionType is {t}, but NonKeyAttributes is specified")
    return t, ()


def _throughput(pt: Any, billing: str, what: str, param: str, update: bool = False) -> tuple[int, int]:
    """A ProvisionedThroughput of the table (``what`` is ``table``) or of the GSI named
    ``what``, against the billing mode. A given throughput is checked whole first (both
    capacities, each at least 1), then against the mode, as DynamoDB orders its checks;
    ``update``: the GSI is UpdateTable's ``Create``, which DynamoDB words differently."""
    if pt is not None:
        pt = a_map(pt, f"{param}ProvisionedThroughput")
        r, w = pt.get("ReadCapacityUnits"), pt.get("WriteCapacityUnits")
        for v, n in ((r, "readCapacityUnits"), (w, "writeCapacityUnits")):
            if v is None:
                raise _bad(f"1 validation error detected: Value null at 'provisionedThroughput.{n}' failed to satisfy "
                           "constraint: Member must not be null")
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise _bad(f"1 validation error detected: Value '{v}' at 'provisionedThroughput.{n}' failed to satisfy "
                           "constraint: Member must have value greater than or equal to 1")
    if billing == "PAY_PER_REQUEST":
        if pt is not None:
            if what == "table" or update:
                raise _bad("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits "
                           "can be specified when BillingMode is PAY_PER_REQUEST")
            raise _bad(f"One or more parameter values were invalid: ProvisionedThroughput should not be specified for "
                       f"index: {what} when BillingMode is PAY_PER_REQUEST")
        return 0, 0
    if pt is None:
        if what == "table":
            raise _bad("One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be "
                       "specified when BillingMode is PROVISIONED")
        if update:
            raise _bad("One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must be "
                       f"specified for index: {what} when BillingMode is PROVISIONED")
        raise _bad(f"One or more parameter values were invalid: ProvisionedThroughput is not specified for index: {what}")
    return pt["ReadCapacityUnits"], pt["WriteCapacityUnits"]


RESOLVERS = ("LWW", "MERGE")
"""Per-table resolvers (``CreateTable``'s ``Resolver``, a dynviz extension)."""


def _attribute_definition(ad: Any, where: str) -> tuple[str, str]:
    """One ``AttributeDefinitions`` entry checked: its name and its type (S, N or B)."""
    ad = a_map(ad, where)
    t = ad.get("AttributeType")
    if t not in ("S", "N", "B"):
        raise _bad(f"1 validation error detected: Value '{t}' at 'attributeDefinitions.member.attributeType' failed "
                   "to satisfy constraint: Member must satisfy enum value set: [B, N, S]")
    return _key_name(required(ad, "AttributeName", where), f"{where}.AttributeName",
                     "attributeDefinitions.member.attributeName"), t


def parse_create_table(params: dict[str, Any]) -> TableSchema:
    """Validate a CreateTable request (spec §1, §4) and build the schema."""
    name = check_table_name(_req(params, "TableName"))
    ads = a_list(_req(params, "AttributeDefinitions"), "AttributeDefinitions")
    ks = _req(params, "KeySchema")
    defs: dict[str, str] = {}
    for i, ad in enumerate(ads):
        attr, t = _attribute_definition(ad, f"AttributeDefinitions[{i}]")
        if attr in defs:
            raise _bad(f"Attribute Name is duplicated: {attr}")
        defs[attr] = t
    pk, sk = _key_schema(ks, defs, "keySchema", "KeySchema")
    billing = params.get("BillingMode", "PROVISIONED")
    if billing not in ("PROVISIONED", "PAY_PER_REQUEST"):
        raise _bad(f"1 validation error detected: Value '{billing}' at 'billingMode' failed to satisfy constraint: "
                   "Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]")
    rcu, wcu = _throughput(params.get("ProvisionedThroughput"), billing, "table", "")
    used = {pk.name} | ({sk.name} if sk else set())
    seen_names: set[str] = set()
    lsis: list[IndexDef] = []
    raw_lsis = a_list(params.get("LocalSecondaryIndexes") or [], "LocalSecondaryIndexes")
    if raw_lsis and sk is None:
        raise _bad("One or more parameter values were invalid: Table KeySchema does not have a range key, which is "
                   "required when specifying a LocalSecondaryIndex")
    if len(raw_lsis) > MAX_LSIS:
        raise _bad(f"One or more parameter values were invalid: Number of LocalSecondaryIndexes exceeds per-table limit of {MAX_LSIS}")
    for i, raw in enumerate(raw_lsis):
        param = f"LocalSecondaryIndexes[{i}]"
        raw = a_map(raw, param)
        iname = check_table_name(_req(raw, "IndexName"), "IndexName", "indexName")
        if iname in seen_names:
            raise _bad(f"One or more parameter values were invalid: Duplicate index name: {iname}")
        seen_names.add(iname)
        ipk, isk = _key_schema(_req(raw, "KeySchema"), defs, "localSecondaryIndexes.member.keySchema", f"{param}.KeySchema")
        if isk is None:
            raise _bad(f"One or more parameter values were invalid: Index KeySchema must have a range key for index: {iname}")
        if ipk.name != pk.name:
            raise _bad(f"One or more parameter values were invalid: Index KeySchema does not have the same leading hash key "
                       f"as table KeySchema for index: {iname}. index hash key: {ipk.name}, table hash key: {pk.name}")
        proj, nk = _projection(raw.get("Projection"), iname, param)
        lsis.append(IndexDef(iname, "local", ipk, isk, proj, nk, pk, sk))
        used.update((ipk.name, isk.name))
    gsis: list[IndexDef] = []
    raw_gsis = a_list(params.get("GlobalSecondaryIndexes") or [], "GlobalSecondaryIndexes")
    if len(raw_gsis) > MAX_GSIS:
        raise _bad(f"One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of {MAX_GSIS}")
    for i, raw in enumerate(raw_gsis):
        param = f"GlobalSecondaryIndexes[{i}]"
        raw = a_map(raw, param)
        iname = check_table_name(_req(raw, "IndexName"), "IndexName", "indexName")
        if iname in seen_names:
            raise _bad(f"One or more parameter values were invalid: Duplicate index name: {iname}")
        seen_names.add(iname)
        hashes, ranges = _gsi_key_schema(_req(raw, "KeySchema"), defs, "globalSecondaryIndexes.member.keySchema",
                                         f"{param}.KeySchema")
        proj, nk = _projection(raw.get("Projection"), iname, param)
        ircu, iwcu = _throughput(raw.get("ProvisionedThroughput"), billing, iname, f"{param}.")
        gsis.append(_gsi(iname, hashes, ranges, proj, nk, pk, sk, ircu, iwcu))
        used.update(k.name for k in (*hashes, *ranges))
    if sum(len(ix.non_key) for ix in (*lsis, *gsis)) > MAX_NON_KEY_ATTRIBUTES:
        raise _bad("One or more parameter values were invalid: Number of projected attributes in all indexes exceeds limit of 100")
    unused = [n for n in defs if n not in used]
    if unused:
        if not lsis and not gsis:
            raise _bad("One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match "
                       "number of attributes defined in AttributeDefinitions")
        raise _bad(f"One or more parameter values were invalid: Some AttributeDefinitions are not used. "
                   f"AttributeDefinitions: [{', '.join(defs)}], keys used: [{', '.join(n for n in defs if n in used)}]")
    view = None
    spec = params.get("StreamSpecification")
    if spec is not None:
        spec = a_map(spec, "StreamSpecification")
    if spec and spec.get("StreamEnabled"):
        view = spec.get("StreamViewType")
        if view not in ("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"):
            raise _bad("One or more parameter values were invalid: StreamViewType must be one of KEYS_ONLY, NEW_IMAGE, "
                       "OLD_IMAGE, NEW_AND_OLD_IMAGES when StreamEnabled is true")
    resolver = params.get("Resolver", "LWW")
    if resolver not in RESOLVERS:
        raise _bad(f"1 validation error detected: Value '{resolver}' at 'resolver' failed to satisfy constraint: "
                   f"Member must satisfy enum value set: [{', '.join(RESOLVERS)}] (Resolver is dynviz's own parameter)")
    return TableSchema(name, pk, sk, tuple(KeyDef(n, t) for n, t in defs.items()), tuple(lsis), tuple(gsis),
                       billing, rcu, wcu, view, resolver)


def parse_index_create(schema: TableSchema, create: dict[str, Any], ads: Any) -> tuple[IndexDef, tuple[KeyDef, ...]]:
    """UpdateTable's ``GlobalSecondaryIndexUpdates[].Create``: the new GSI and the
    table's attribute definitions with the request's ``AttributeDefinitions`` added
    (an attribute already defined must keep its type)."""
    defs = {a.name: a.type for a in schema.attribute_definitions}
    given: list[str] = []
    for i, ad in enumerate(a_list(ads or [], "AttributeDefinitions")):
        attr, t = _attribute_definition(ad, f"AttributeDefinitions[{i}]")
        given.append(attr)
        if defs.get(attr, t) != t:
            raise _bad("One or more parameter values were invalid: Attributes cannot be redefined. Please check that "
                       f"your attribute has the same type as previously defined. Attribute: {attr}, defined as "
                       f"{defs[attr]}, given as {t}")
        defs[attr] = t
    param = "GlobalSecondaryIndexUpdates[0].Create"
    iname = check_table_name(_req(create, "IndexName"), "IndexName", "indexName")
    if schema.index(iname) is not None:
        raise _bad(f"One or more parameter values were invalid: Index already exists: {iname}")
    if len(schema.gsis) >= MAX_GSIS:
        raise _bad(f"One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit "
                   f"of {MAX_GSIS}")
    # The request must define every key of the new index itself, even one the table
    # already defines (DynamoDB checks the request, not the table).
    hashes, ranges = _gsi_key_schema(_req(create, "KeySchema"), {n: defs[n] for n in given},
                                     "globalSecondaryIndexUpdates.member.create.keySchema", f"{param}.KeySchema")
    proj, nk = _projection(create.get("Projection"), iname, param)
    if sum(len(ix.non_key) for ix in (*schema.lsis, *schema.gsis)) + len(nk) > MAX_NON_KEY_ATTRIBUTES:
        raise _bad("One or more parameter values were invalid: Number of projected attributes in all indexes exceeds "
                   "limit of 100")
    rcu, wcu = _throughput(create.get("ProvisionedThroughput"), schema.billing_mode, iname, f"{param}.", update=True)
    ix = _gsi(iname, hashes, ranges, proj, nk, schema.pk, schema.sk, rcu, wcu)
    return ix, tuple(KeyDef(n, t) for n, t in defs.items())


def used_definitions(schema: TableSchema) -> tuple[KeyDef, ...]:
    """The attribute definitions some key of the table or of an index still uses."""
    used = set(schema.key_names)
    for ix in (*schema.lsis, *schema.gsis):
        used.update(k.name for k in (*ix.hash_keys, *ix.range_keys))
    return tuple(a for a in schema.attribute_definitions if a.name in used)
