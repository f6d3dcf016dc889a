"""The one lexer (dynviz/commands/lexer.py): words, quoting and its one escape rule,
options, comments, JSON words and operator words; and that lesson predicates read
strings by the same rule as commands."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dynviz.commands import CommandError, Put, parse_line
from dynviz.commands.lexer import JsonConstant, JsonNumber, Token, lex, quote
from dynviz.session.lesson import parse_lesson
from dynviz.session.predicates import parse_check, parse_predicate, tokenize


def words(text: str, **kw: bool) -> list[str]:
    return [t.show(text) for t in lex(text, **kw).tokens]


def error(text: str, **kw: bool) -> CommandError:
    with pytest.raises(CommandError) as info:
        lex(text, 3, **kw)
    assert info.value.line == 3
    return info.value


def test_words_are_split_on_whitespace_and_keep_their_positions() -> None:
    tokens = lex("  put\tcart:alice  milk ").tokens
    assert [(t.value, t.start, t.end, t.column) for t in tokens] == [
        ("put", 2, 5, 3), ("cart:alice", 6, 16, 7), ("milk", 18, 22, 19)]
    assert all(t.bare for t in tokens)


def test_a_quoted_word_unescapes_quote_and_backslash_only() -> None:
    (token,) = lex(r'"say \"hi\" to C:\\dir"').tokens
    assert token.value == r'say "hi" to C:\dir' and token.quoted and not token.bare


@pytest.mark.parametrize("text, column", [(r'"a\nb"', 3), (r'"\x"', 2), (r'put "k\t" v', 7)])
def test_any_other_escape_is_an_error_at_the_backslash(text: str, column: int) -> None:
    err = error(text)
    assert err.column == column
    assert "unknown escape" in err.message and '\\"' in err.message


@pytest.mark.parametrize("text, column", [('"abc', 1), ('x "ab\\"', 3), ('"ab\\', 1)])
def test_an_unterminated_string_points_at_its_opening_quote(text: str, column: int) -> None:
    err = error(text)
    assert (err.column, "unterminated string" in err.message) == (column, True)


@given(st.text())
def test_quote_is_the_inverse_of_the_escapes(text: str) -> None:
    (token,) = lex(quote(text)).tokens
    assert token.value == text and token.quoted


def test_a_comment_starts_only_at_the_start_of_a_word_outside_quotes() -> None:
    lexed = lex('put user#1 "a # b" # the rest')
    assert [t.value for t in lexed.tokens] == ["put", "user#1", "a # b"]
    assert lexed.end == 19
    assert lex("# only a comment").tokens == []


def test_options_are_identifier_equals_value_and_may_be_quoted() -> None:
    via, empty, quoted, plain = lex('via=n1 w= say="a b" a-b=c').tokens
    assert (via.key, via.value, via.value_column) == ("via", "n1", 5)
    assert (empty.key, empty.value, empty.quoted) == ("w", "", False)
    assert (quoted.key, quoted.value, quoted.quoted, quoted.value_start) == ("say", "a b", True, 24 - 10)
    assert (plain.key, plain.value) == (None, "a-b=c")  # not an identifier before '='


@pytest.mark.parametrize("text, column, fragment", [
    ('ab"c', 3, "inside a word"),
    ('"a"b', 4, "expected a space after the closing"),
    ('k="v"x', 6, "expected a space after the closing"),
])
def test_stray_quotes_are_errors(text: str, column: int, fragment: str) -> None:
    err = error(text)
    assert err.column == column and fragment in err.message


def test_braces_read_a_json_word_with_exact_numbers() -> None:
    text = 'table put t {"n": 1.50, "x": [NaN], "s": "# }"} k=v'
    tokens = lex(text, braces=True).tokens
    data = tokens[3].data
    assert isinstance(data, dict) and tokens[3].show(text).startswith("{") and tokens[4].key == "k"
    assert isinstance(data["n"], JsonNumber) and data["n"] == "1.50"
    assert isinstance(data["x"][0], JsonConstant)
    assert words("t {a}") == ["t", "{a}"]  # without braces, '{' is an ordinary character
    err = error('t {"a": 1', braces=True)
    assert err.column == 10 and "bad JSON" in err.message


def test_operators_are_words_of_their_own_when_asked() -> None:
    assert words("time>=5s and hints!=2", operators=True) == ["time", ">=", "5s", "and", "hints", "!=", "2"]
    assert words("a-b=c <> x==1", operators=True) == ["a-b", "=", "c", "<", ">", "x=", "=", "1"]
    hints, values = lex('hints=0 values="a b"', operators=True).tokens
    assert (hints.key, hints.value, values.key, values.value) == ("hints", "0", "values", "a b")
    assert words("time>=5s") == ["time>=5s"]  # commands keep them inside the word


def test_errors_carry_the_column_in_the_line_the_text_came_from() -> None:
    with pytest.raises(CommandError) as info:
        lex('siblings "a\\q" > 1', 9, column=20)
    assert (info.value.line, info.value.column) == (9, 20 + 11)
    tokens = lex("x y", column=20).tokens
    assert [t.start for t in tokens] == [0, 2]  # positions stay in the text given


def test_tokens_show_as_written() -> None:
    text = 'k="a \\" b"'
    (token,) = lex(text).tokens
    assert token == Token('a " b', 0, len(text), True, "k", 2)
    assert token.show(text) == text


# -- one escape rule for commands and lesson predicates ---------------------------------


def test_predicates_read_strings_by_the_command_rule() -> None:
    assert [w.text for w in tokenize('siblings "a \\"b\\"" >= 2', 1, 1)] == ["siblings", 'a "b"', ">=", "2"]
    assert [w.text for w in tokenize('values="x y" time>=5s', 1, 1)] == ["values=x y", "time", ">=", "5s"]
    for parse in (parse_predicate, parse_check):
        with pytest.raises(CommandError) as info:
            parse('hint stored of "a\\x"', 4, 10)
        assert "unknown escape '\\\\x'" in info.value.message
        assert (info.value.line, info.value.column) == (4, 10 + 17)
    with pytest.raises(CommandError) as info:
        parse_line('put "a\\x" v', 4)
    assert "unknown escape '\\\\x'" in info.value.message  # the same words as in a put


def test_a_lesson_reads_an_escaped_key_the_same_in_a_put_and_a_wait() -> None:
    lesson = parse_lesson('cluster nodes=3\nput "a\\"b" v\nwait until read repair of "a\\"b"\n')
    put, wait = lesson.steps[1], lesson.steps[2]
    assert isinstance(put.command, Put) and put.command.key == 'a"b'
    assert wait.predicate is not None and wait.predicate.text == 'read repair of "a\\"b"'
    with pytest.raises(CommandError) as info:
        parse_lesson('cluster nodes=3\nwait until read repair of "a\\qb"\n')
    assert info.value.line == 2 and "unknown escape" in info.value.message
