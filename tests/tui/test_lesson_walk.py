"""Every shipped lesson, walked in the app as a student would (``dynviz.tui.walk``), at
80x24 and at 160x50: at every narration the narration is on screen whole, the panel it
names is visible, the key or node it is about is selected, its checks hold, and Back
restores the previous narration with the cluster exactly as it was (digests equal)."""

from __future__ import annotations

import re

import pytest

from dynviz.session.lesson import LESSONS_DIR, list_lessons, load_lesson
from dynviz.tui.panels import TITLES, panels_mentioned
from dynviz.tui.walk import walk

LESSONS = [name for name, _ in list_lessons()]


@pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=["80x24", "160x50"])
@pytest.mark.parametrize("name", LESSONS)
async def test_every_narration_is_on_screen_with_what_it_is_about(name: str, size: tuple[int, int]) -> None:
    stops = await walk(name, size)
    assert len(stops) == len(load_lesson(name).stops), "the lesson opens at its first narration, none skipped"
    assert [s.number for s in stops] == list(range(1, len(stops) + 1))
    for stop in stops:
        where = f"{name} narration {stop.number} ({stop.narration[:50]}...)"
        assert stop.narration_whole, f"{where}: cut off at {size}"
        assert set(panels_mentioned(stop.narration)) <= set(stop.panels), f"{where}: names a panel it does not cue"
        for panel in stop.panels:
            assert panel in stop.visible, f"{where}: the {TITLES[panel]} panel is not on screen at {size}"
        if stop.key is not None:
            assert stop.selected_key == stop.key, f"{where}: key {stop.key!r} not selected"
        if stop.node is not None:
            assert stop.selected_node == stop.node, f"{where}: node {stop.node} not selected"
        assert not stop.failures, f"{where}: {stop.failures}"


def test_lessons_name_panels_as_the_screen_titles_them() -> None:
    """A narration names at most one panel (so it can be brought on screen at 80x24),
    by its title on screen ("the Versions panel", not "the Version history panel")."""
    titles = "|".join(re.escape(t) for t in TITLES.values())
    named = re.compile(r"\b([A-Z][\w-]*(?: [a-z]+)?) (?:panel|tab)\b")
    for path in sorted(LESSONS_DIR.glob("*.dyn")):
        lesson = load_lesson(path.stem)
        for step in lesson.steps:
            if step.command.name != "say":
                continue
            text = step.command.text  # type: ignore[attr-defined]
            for match in named.finditer(text):
                assert re.fullmatch(titles, match.group(1)), f"{path.name}:{step.line}: no panel is titled {match.group(1)!r}"
            assert len(panels_mentioned(text)) <= 1, f"{path.name}:{step.line}: one panel per narration"
