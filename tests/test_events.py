"""Promises of dynviz.events: every event type lives in events.py and is in its explicit
registry, once, under its own class name (what a reader rebuilds events from by name,
e.g. the TCP nodes' event feed)."""

from __future__ import annotations

import ast
from pathlib import Path

import dynviz
from dynviz import events
from dynviz.events import EVENT_TYPES, Event

PACKAGE = Path(dynviz.__file__).resolve().parent


def _defined_in_events() -> dict[str, type]:
    return {
        name: obj for name, obj in vars(events).items()
        if isinstance(obj, type) and issubclass(obj, Event) and obj is not Event
        and obj.__module__ == events.__name__
    }


def test_every_event_class_in_events_py_is_registered_under_its_name() -> None:
    defined = _defined_in_events()
    assert sorted(EVENT_TYPES) == sorted(defined)
    for name, cls in EVENT_TYPES.items():
        # The very class the module exports (a dataclass with slots=True is a new class;
        # the registry must hold that one, not the one the decorator replaced).
        assert cls is defined[name] and cls.__name__ == name


def test_event_names_are_unique() -> None:
    assert len({cls.__name__ for cls in EVENT_TYPES.values()}) == len(EVENT_TYPES)
    assert len(set(EVENT_TYPES.values())) == len(EVENT_TYPES)


def _event_bases(tree: ast.Module) -> dict[str, str]:
    """Names a module binds to dynviz.events classes (``from dynviz.events import X as Y``)
    and to the module itself (``import dynviz.events as m``, ``from dynviz import events``)."""
    bound: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "dynviz.events":
            for alias in node.names:
                bound[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module == "dynviz":
            for alias in node.names:
                if alias.name == "events":
                    bound[alias.asname or "events"] = "<module>"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "dynviz.events" and alias.asname:
                    bound[alias.asname] = "<module>"
    return bound


def test_no_event_type_is_defined_outside_events_py() -> None:
    event_names = {"Event", *EVENT_TYPES}
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "events.py":
            continue
        tree = ast.parse(path.read_text("utf-8"), str(path))
        bound = _event_bases(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            for base in node.bases:
                if isinstance(base, ast.Name) and bound.get(base.id) in event_names:
                    found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name}")
                elif (isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name)
                      and bound.get(base.value.id) == "<module>" and base.attr in event_names):
                    found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name}")
    assert found == [], "event types belong in dynviz/events.py, in EVENT_TYPES: " + ", ".join(found)
