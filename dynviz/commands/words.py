"""One command being parsed: its keyword, positional words and options, and the checks
every command's parser shares (how many words, which options, a quorum no larger
than ``n``)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from dynviz.commands.convert import Converter, name
from dynviz.commands.errors import CommandError, show
from dynviz.commands.lexer import Token


@dataclass(slots=True)
class Options:
    """Converted options by name, each with the token it was written in."""

    given: dict[str, tuple[object, Token]] = field(default_factory=dict)

    def __contains__(self, key: str) -> bool:
        return key in self.given

    def value(self, key: str) -> object:
        """The converted value of option ``key``, or None if it was not given."""
        return self.given[key][0] if key in self.given else None

    def number(self, key: str) -> int | None:
        value = self.value(key)
        assert value is None or isinstance(value, int)
        return value

    def text(self, key: str) -> str | None:
        value = self.value(key)
        assert value is None or isinstance(value, str)
        return value

    def token(self, key: str) -> Token:
        return self.given[key][1]


@dataclass(slots=True)
class Words:
    """One command being parsed: its keyword token, positional words and options."""

    text: str
    line: int
    keyword: Token
    args: list[Token]
    options: list[Token]
    end: int  # index where the command's text ends (comment or end of line)

    def fail(self, column: int, message: str) -> CommandError:
        return CommandError(self.line, column, message)

    @property
    def end_column(self) -> int:
        """The column just after the last character of the command (for "expected ...")."""
        return len(self.text[: self.end].rstrip()) + 1

    def rest(self) -> str:
        """The raw text after the keyword, without a trailing comment."""
        return self.text[self.keyword.end : self.end].strip()

    def in_order(self) -> list[Token]:
        """Positional words and options together, as written."""
        return sorted(self.args + self.options, key=lambda t: t.start)

    def expect(self, index: int, what: str) -> Token:
        """The ``index``-th positional word, or an error saying ``what`` was expected."""
        if index < len(self.args):
            return self.args[index]
        after = self.args[index - 1].show(self.text) if index else self.keyword.value
        raise self.fail(self.end_column, f"expected {what} after {show(after)}")

    def at_most(self, count: int, usage: str) -> None:
        if len(self.args) > count:
            extra = self.args[count]
            raise self.fail(extra.column, f"unexpected {show(extra.show(self.text))}; usage: {usage}")

    def node(self, index: int, what: str = "a node name") -> str:
        token = self.expect(index, what)
        return name(token.value, token.column, self.line, what)

    def key(self, index: int) -> str:
        token = self.expect(index, "a key")
        if not token.value:
            raise self.fail(token.column, "expected a non-empty key")
        return token.value

    def unknown_option(self, option: Token, allowed: list[str] | tuple[str, ...], command: str) -> CommandError:
        """An error for an option ``command`` does not take, naming the ones it does."""
        assert option.key is not None
        hint = difflib.get_close_matches(option.key.lower(), list(allowed), n=1)
        maybe = f" (did you mean {hint[0]!r}?)" if hint else ""
        return self.fail(option.column, f"unknown option {option.key!r} for {command}; expected one of: "
                         + ", ".join(allowed) + maybe)

    def take_options(self, allowed: dict[str, Converter]) -> Options:
        """Convert the options against ``allowed``; errors name the valid ones."""
        keyword = self.keyword.value
        got = Options()
        for opt in self.options:
            assert opt.key is not None
            if opt.key not in allowed:
                if not allowed:
                    raise self.fail(
                        opt.column,
                        f"unknown option {opt.key!r} for {keyword}; {keyword} takes no options"
                        " (quote a word that contains '=')",
                    )
                raise self.unknown_option(opt, list(allowed), keyword)
            if opt.key in got:
                raise self.fail(opt.column, f"option {opt.key!r} is given twice")
            if not opt.value and not opt.quoted:
                raise self.fail(opt.value_column, f"expected a value after '{opt.key}='")
            value = allowed[opt.key](opt.value, opt.value_column, self.line, opt.key)
            got.given[opt.key] = (value, opt)
        return got

    def check_quorum(self, got: Options, *names: str) -> None:
        """Reject r/w/pr/pw larger than n when both are given (a quorum of more than N
        replicas could never be met, paper section 4.5)."""
        n = got.number("n")
        if n is None:
            return
        for q in names:
            value = got.number(q)
            if value is not None and value > n:
                raise self.fail(got.token(q).column, f"{q}={value} is larger than n={n}; expected {q} <= n")
