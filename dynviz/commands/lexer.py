"""The one lexer of the command language: command lines, lesson predicates and checks, and
the terms of ``table`` commands all split their text into words here.

Lexical rules:

* words are separated by whitespace (``str.isspace``);
* ``"..."`` is a quoted word (keys, values, ``say`` text). Inside the quotes a backslash
  escapes exactly two characters: ``\\"`` is a quote and ``\\\\`` a backslash. Any other
  backslash is an error that says so (``\\n`` is not a line break and not two
  characters), everywhere: a ``put``, a ``wait until`` and an ``expect`` read a string
  the same way. :func:`quote` writes a string back in this form. (Why strict: every
  command line already read strings so, and a lesson's ``wait until`` line is lexed as a
  command before its predicate is, so no shipped file changes meaning; and an unknown
  escape that is refused, not taken literally, can be given a meaning later without
  changing what any accepted text means.)
* ``#`` at the start of a word begins a comment, outside quotes (so ``user#1`` is a word,
  as in a POSIX shell);
* ``name=value`` (``name`` an identifier) is an option; its value may be quoted
  (``values="a b"``). A key or value that itself looks like ``name=...`` must be quoted;
* with ``braces`` (``table`` lines), a word that starts with ``{`` is a JSON object
  running to its matching ``}``, spaces and ``#`` inside included;
* with ``operators`` (lesson predicates and checks), the comparison operators
  (``<``, ``<=``, ``>``, ``>=``, ``=``, ``==``, ``!=``) are words of their own even
  without spaces around them (``time>=5s`` is three words), except the ``=`` of an
  option.

Positions: a token's ``start``/``end`` index the text given; errors carry the column in
the line the text came from (``column`` is where the text starts in that line).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from dynviz.commands.errors import CommandError, show

__all__ = ["NUMBER_WORD", "JsonConstant", "JsonNumber", "Lexed", "Token", "lex", "quote", "read_string"]

NUMBER_WORD = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
"""A number as the command language writes one (``42``, ``-1.5e3``): a bare word of this
shape is a number, and so is a JSON string given for a number."""

_OPTION = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=")
_OPERATOR_CHARS = "<>=!"
_ESCAPABLE = ('"', "\\")


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a text. ``start``/``end`` index the text; ``value`` is unescaped."""

    value: str
    start: int
    end: int
    quoted: bool = False
    key: str | None = None  # set for ``key=value`` options; ``value`` is then the value
    value_start: int = 0  # index of the option's value (or its opening quote)
    data: object = None  # the decoded JSON of a ``{...}`` word (``braces`` only)

    @property
    def column(self) -> int:
        return self.start + 1

    @property
    def value_column(self) -> int:
        return self.value_start + 1

    @property
    def bare(self) -> bool:
        """A plain word: not quoted, not an option, not JSON (so it can be a keyword)."""
        return self.key is None and not self.quoted and self.data is None

    def show(self, text: str) -> str:
        """The token as written in ``text``."""
        return text[self.start : self.end]


@dataclass(slots=True)
class Lexed:
    tokens: list[Token]
    end: int  # index where the text ends before a comment (or the end of the text)


def quote(text: str) -> str:
    """``text`` as a quoted word that lexes back to ``text`` (the inverse of the escapes)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def read_string(text: str, start: int, line: int, column: int = 1) -> tuple[str, int]:
    """Read the quoted string opening at ``text[start]``; return (value, index after).

    ``column`` is the column of ``text[0]`` in line ``line`` (for errors)."""
    out: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == '"':
            return "".join(out), i + 1
        if ch == "\\":
            nxt = text[i + 1 : i + 2]
            if not nxt:
                break
            if nxt not in _ESCAPABLE:
                raise CommandError(
                    line, column + i, f'unknown escape {show(ch + nxt)} in a string; expected \\" or \\\\'
                )
            ch = nxt
            i += 1
        out.append(ch)
        i += 1
    raise CommandError(line, column + start, "unterminated string; expected a closing '\"'")


class JsonNumber(str):
    """A JSON number kept as its exact text (DynamoDB numbers are decimal strings)."""


class JsonConstant(str):
    """NaN or Infinity in JSON: not a number DynamoDB accepts (rejected when checked)."""


_JSON = json.JSONDecoder(parse_int=JsonNumber, parse_float=JsonNumber, parse_constant=JsonConstant)


def _read_json(text: str, start: int, line: int, column: int) -> tuple[object, int]:
    """Decode the JSON value opening at ``text[start]``; return (value, index after)."""
    try:
        return _JSON.raw_decode(text, start)
    except json.JSONDecodeError as exc:
        raise CommandError(line, column + min(exc.pos, len(text)), f"bad JSON: {exc.msg}") from None
    except RecursionError:
        raise CommandError(line, column + start, "bad JSON: nested too deeply") from None


def _need_space(text: str, i: int, line: int, column: int) -> None:
    if i < len(text) and not text[i].isspace():
        raise CommandError(line, column + i, "expected a space after the closing '\"'")


def _word_end(text: str, i: int, line: int, column: int, operators: bool) -> int:
    """The index where the unquoted word running from ``text[i]`` ends."""
    while i < len(text) and not text[i].isspace():
        if text[i] == '"':
            raise CommandError(line, column + i, "unexpected '\"' inside a word; quote the whole word instead")
        if operators and text[i] in _OPERATOR_CHARS:
            break
        i += 1
    return i


def lex(text: str, line: int = 1, *, column: int = 1, braces: bool = False, operators: bool = False) -> Lexed:
    """Split ``text`` (which starts at ``column`` of line ``line``) into tokens.

    ``braces`` reads ``{...}`` words as JSON (``table`` lines); ``operators`` makes
    comparison operators words of their own (lesson predicates). Raises
    :class:`CommandError` for a bad string, a stray quote or bad JSON."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        start = i
        if ch == "#":
            return Lexed(tokens, start)
        if braces and ch == "{":
            data, i = _read_json(text, i, line, column)
            _need_space(text, i, line, column)
            tokens.append(Token(text[start:i], start, i, data=data))
            continue
        if ch == '"':
            value, i = read_string(text, i, line, column)
            _need_space(text, i, line, column)
            tokens.append(Token(value, start, i, quoted=True))
            continue
        if operators and ch in _OPERATOR_CHARS:
            i += 2 if text[i + 1 : i + 2] == "=" else 1
            tokens.append(Token(text[start:i], start, i))
            continue
        m = _OPTION.match(text, i)
        if m:
            key, i = m.group(1), m.end()
            if i < n and text[i] == '"':
                value, end = read_string(text, i, line, column)
                _need_space(text, end, line, column)
                tokens.append(Token(value, start, end, True, key, i))
                i = end
                continue
            end = _word_end(text, i, line, column, operators)
            tokens.append(Token(text[i:end], start, end, False, key, i))
            i = end
            continue
        i = _word_end(text, i, line, column, operators)
        tokens.append(Token(text[start:i], start, i))
    return Lexed(tokens, n)
