"""Promises of dynviz.net.durable: a node's id, epoch, view and issued counters
survive a close and reopen of its database (a crash), and a database is one node's."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynviz.core.membership import Member
from dynviz.net.durable import NodeState, NodeStateError


def test_state_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "n1.sqlite"
    state = NodeState(path)
    assert state.claim("n1") is True
    assert state.load_view() is None and state.epoch == 0
    view = (Member("n2", tokens=(5, 6)), Member("n1", generation=4, tokens=(1, 2**127)))
    assert state.save_view(view) is True
    assert state.save_view(view) is False  # nothing changed in meaning
    heartbeat_only = (Member("n2", tokens=(5, 6), heartbeat=9), view[1])
    assert state.save_view(heartbeat_only) is False
    state.epoch = 2
    counters = state.counters()
    counters[b"k"] = 7
    counters[b"k2"] = 1
    state.close()

    again = NodeState(path)
    assert again.claim("n1") is False
    assert again.epoch == 2
    assert {m.name: m for m in again.load_view()}["n1"] == view[1]
    assert again.load_issued() == {b"k": 7, b"k2": 1}
    restored = again.counters()
    restored.clear()
    assert again.load_issued() == {}
    again.close()


def test_a_database_belongs_to_one_node(tmp_path: Path) -> None:
    state = NodeState(tmp_path / "db.sqlite")
    state.claim("n1")
    with pytest.raises(NodeStateError, match="belongs to node 'n1'"):
        state.claim("n2")
    state.close()
