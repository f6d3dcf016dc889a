"""The client's result values: their hand-written ``__init__`` keeps the dataclass promises;
the trace records of requests and results, written from cached pieces of text, are
exactly the reprs of their tuples."""

from __future__ import annotations

import dataclasses
import inspect
import pickle

import pytest

from dynviz.client import GetResult, PutResult, request_line, result_line
from dynviz.core.versions import EMPTY_CONTEXT, Siblings, VClock, Version


@pytest.mark.parametrize("cls", [PutResult, GetResult])
def test_init_takes_the_fields_in_order_with_their_defaults(cls: type) -> None:
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    fields = dataclasses.fields(cls)
    assert [p.name for p in params] == [f.name for f in fields]
    for p, f in zip(params, fields, strict=True):
        assert p.default == (inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default), f.name


def test_results_are_frozen_values() -> None:
    a = PutResult(True, "put", b"k", b"v", "n1", ("n1", "n2"), siblings=Siblings.EMPTY, req=3)
    b = PutResult(True, "put", b"k", b"v", "n1", ("n1", "n2"), siblings=Siblings.EMPTY, req=3)
    assert a == b and hash(a) == hash(b) and a != dataclasses.replace(a, req=4)
    assert dataclasses.astuple(a)[:4] == (True, "put", b"k", b"v")
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.ok = False  # type: ignore[misc]
    g = GetResult(True, b"k", coordinator="n2", finished=9)
    assert pickle.loads(pickle.dumps(g)) == g
    assert repr(g).startswith("GetResult(ok=True, key=b'k', siblings=None")


@pytest.mark.parametrize("fields", [
    (0, 1, "put", "writer", b"k", b"v", None, None, None, None, "n1"),
    (1_234_567, 42, "delete", "bob's", b"\x00'\"\n", None, 3, 2, 1, "n2", "n3"),
    (5, 43, "get", "\u00e9\t", b"x" * 300, None, None, 1, None, None, "n1"),
    (5, 43, "get", "\u00e9\t", b"x" * 300, None, None, 1, None, None, "n1"),  # again: from the cache
])
def test_a_request_record_is_the_repr_of_its_tuple(fields: tuple[object, ...]) -> None:
    assert request_line(*fields) + ")" == repr(("request", *fields))  # type: ignore[arg-type]


def test_a_result_record_is_the_repr_of_its_tuple() -> None:
    v = Version(b"v", ("n1", 3), EMPTY_CONTEXT, VClock((("n1", 3, 0),)), 0)
    two = Siblings((v, Version(None, ("n2", 1), EMPTY_CONTEXT, VClock(), 7)))
    results = [
        PutResult(True, "put", b"k", b"v", "n1", siblings=Siblings((v,)), finished=12),
        PutResult(False, "delete", b"k'\x01", None, "n2", error="timeout with 1/2 acks", finished=3),
        GetResult(True, b"k", two, coordinator="n3", finished=99),
        GetResult(True, b"k", two, coordinator="n3", finished=100),  # again: from the cache
        GetResult(False, b"\xff", error="no reply from n1 (is it down?)", finished=1),
    ]
    for r in results:
        op = "get" if isinstance(r, GetResult) else r.op
        dots = tuple(v.dot for v in r.siblings.versions) if r.siblings is not None else ()
        assert result_line(r) == repr((op, r.finished, r.key, r.ok, r.coordinator, dots, r.error))
