"""Every app test keeps the learner's progress in a temporary directory, never in the
user's data directory (``DYNVIZ_DATA_DIR``, see ``dynviz.tui.progress``)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _own_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "dynviz-data"
    monkeypatch.setenv("DYNVIZ_DATA_DIR", str(data))
    return data
