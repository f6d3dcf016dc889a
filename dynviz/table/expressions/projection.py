"""Applying a ProjectionExpression: only the attributes, and nested elements, named."""

from __future__ import annotations

from typing import Any

from dynviz.table.expressions.evaluate import resolve
from dynviz.table.expressions.nodes import Path
from dynviz.table.values import Item, copy_value


def project(item: Item, paths: list[Path]) -> Item:
    """Only the attributes (and nested elements) ``paths`` name."""
    out: Item = {}
    for path in paths:
        v = resolve(item, path)
        if v is None:
            continue
        if len(path.parts) == 1:
            out[path.top] = copy_value(v)
            continue
        _project_into(out, item, path, v)
    return out


def _project_into(out: Item, item: Item, path: Path, v: dict[str, Any]) -> None:
    # Build the nested shape step by step; list elements keep their relative order.
    parts = path.parts
    src: Any = item[path.top]
    dst = out.setdefault(path.top, {"M": {}} if "M" in src else {"L": []})
    for i, p in enumerate(parts[1:], start=1):
        last = i == len(parts) - 1
        if isinstance(p, int):
            src = src["L"][p]
            lst = dst.setdefault("L", [])
            if last:
                lst.append(copy_value(v))
                return
            nxt: dict[str, Any] = {"M": {}} if "M" in src else {"L": []}
            lst.append(nxt)
            dst = nxt
        else:
            src = src["M"][p]
            m = dst.setdefault("M", {})
            if last:
                m[p] = copy_value(v)
                return
            dst = m.setdefault(p, {"M": {}} if "M" in src else {"L": []})
