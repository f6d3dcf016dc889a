"""A tiny host app for testing one modal screen on its own (the welcome, the lesson
picker): it pushes the screen at start and keeps what it was dismissed with."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import App
from textual.screen import Screen

UNSET = object()


class Host(App[None]):
    """Pushes one screen at start and keeps what it was dismissed with."""

    def __init__(self, make_screen: Callable[[], Screen[object]]) -> None:
        super().__init__()
        self.make_screen = make_screen
        self.result: object = UNSET

    def on_mount(self) -> None:
        self.push_screen(self.make_screen(), callback=self._dismissed)

    def _dismissed(self, result: object) -> None:
        self.result = result
