"""Converters from a word to a value: durations, counts, probabilities, names.

Each takes ``(text, column, line, what)`` and returns the converted value or raises a
:class:`CommandError` at ``column`` whose message names ``what`` and the form expected.
Option tables (``cluster``'s, ``put``'s) map each option name to one of these.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from fractions import Fraction

from dynviz.commands.errors import CommandError, show

Converter = Callable[[str, int, int, str], object]
"""``(text, column, line, what) -> value``."""

MAX_DIGITS = 18
_UNITS = {"us": 1, "ms": 1_000, "s": 1_000_000, "m": 60_000_000}
_UNIT_HINT = "a unit: us, ms, s or m (e.g. '2s', '1.5s', '200ms')"
_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)(us|ms|s|m)")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?|\.[0-9]+")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


def whole(text: str, col: int, line: int, what: str, minimum: int = 1) -> int:
    """A whole number of at least ``minimum``."""
    if not re.fullmatch(r"[0-9]+", text):
        raise CommandError(line, col, f"expected {what} as a whole number, got {show(text)}")
    if len(text.lstrip("0")) > MAX_DIGITS:
        raise CommandError(line, col, f"{what} {show(text)} is too large")
    value = int(text)
    if value < minimum:
        raise CommandError(line, col, f"expected {what} to be at least {minimum}, got {value}")
    return value


def positive_int(text: str, col: int, line: int, what: str) -> int:
    """A whole number of at least 1."""
    return whole(text, col, line, what)


def duration(text: str, col: int, line: int, what: str, positive: bool = True) -> int:
    """A duration with a unit (``2s``, ``1.5s``, ``200ms``) in whole microseconds."""
    m = _DURATION.fullmatch(text)
    if not m:
        if _NUMBER.fullmatch(text):
            raise CommandError(line, col, f"{what} {show(text)} needs {_UNIT_HINT}")
        raise CommandError(line, col, f"expected {what} with {_UNIT_HINT}, got {show(text)}")
    number, unit = m.groups()
    if len(number) > MAX_DIGITS + 1:
        raise CommandError(line, col, f"{what} {show(text)} is too long")
    micros = Fraction(number) * _UNITS[unit]
    if micros.denominator != 1:
        raise CommandError(line, col, f"{what} {show(text)} is finer than a microsecond")
    if positive and micros <= 0:
        raise CommandError(line, col, f"expected {what} greater than zero, got {show(text)}")
    return int(micros)


def skew(text: str, col: int, line: int, what: str) -> int:
    """A signed duration (``+5s``, ``-200ms``, ``0``)."""
    if text in ("0", "+0", "-0"):
        return 0
    sign = -1 if text.startswith("-") else 1
    body = text[1:] if text[:1] in "+-" else text
    if not body:
        raise CommandError(line, col, f"expected {what} like '+5s' or '-200ms', got {show(text)}")
    return sign * duration(body, col, line, what, positive=False)


def probability(text: str, col: int, line: int, what: str) -> float:
    """A probability from 0 to 1."""
    if not _NUMBER.fullmatch(text) or len(text) > MAX_DIGITS + 2:
        raise CommandError(
            line,
            col,
            f"expected {what} as a probability from 0 to 1 (e.g. 0.05), got {show(text)}",
        )
    p = Fraction(text)
    if p > 1:
        raise CommandError(line, col, f"expected {what} between 0 and 1, got {show(text)}")
    return float(p)


def delay_range(text: str, col: int, line: int, what: str) -> tuple[int, int]:
    """``LOW..HIGH`` (or one duration for both) in microseconds."""
    if ".." in text:
        lo_text, _, hi_text = text.partition("..")
        lo = duration(lo_text, col, line, what, positive=False)
        hi = duration(hi_text, col + len(lo_text) + 2, line, what, positive=False)
        if lo > hi:
            raise CommandError(
                line, col, f"expected {what} as LOW..HIGH with LOW <= HIGH, got {show(text)}"
            )
        return lo, hi
    single = duration(text, col, line, what, positive=False)
    return single, single


def name(text: str, col: int, line: int, what: str) -> str:
    """A node or client name: letters, digits, ``-`` and ``_``, starting with a letter or
    digit (as the ring names nodes)."""
    if not _NAME.fullmatch(text):
        raise CommandError(
            line,
            col,
            f"expected {what} made of letters, digits, '-' and '_' (starting with a letter or digit), "
            f"got {show(text)}",
        )
    return text


def key(text: str, col: int, line: int, what: str) -> str:
    """A key named in an option (``context=KEY``): any text but the empty one."""
    if not text:
        raise CommandError(line, col, f"expected {what}: a key, got nothing")
    return text


def names(text: str, col: int, line: int, what: str) -> tuple[str, ...]:
    """Comma-separated names, none twice."""
    out: list[str] = []
    offset = 0
    for part in text.split(","):
        name(part, col + offset, line, what)
        if part in out:
            raise CommandError(line, col + offset, f"{what} {part!r} is listed twice")
        out.append(part)
        offset += len(part) + 1
    return tuple(out)


def choice(*choices: str) -> Converter:
    """A converter that takes one of ``choices``."""

    def convert(text: str, col: int, line: int, what: str) -> str:
        if text not in choices:
            raise CommandError(
                line,
                col,
                f"expected {what} to be one of: {', '.join(choices)}; got {show(text)}",
            )
        return text

    return convert


def switch(text: str, col: int, line: int, what: str) -> bool:
    """``on`` or ``off``."""
    return choice("on", "off")(text, col, line, what) == "on"
