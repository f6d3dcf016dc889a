"""The client's result values: their hand-written ``__init__`` keeps the dataclass promises."""

from __future__ import annotations

import dataclasses
import inspect
import pickle

import pytest

from dynviz.client import GetResult, PutResult
from dynviz.core.versions import Siblings


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
