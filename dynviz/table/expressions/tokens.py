"""The tokenizer of DynamoDB expressions, and the shape of their errors.

Errors are ``ValidationException`` with DynamoDB's wording, always one line
("Invalid FilterExpression: Syntax error; token: ..., near: ...").
"""

from __future__ import annotations

from dataclasses import dataclass

from dynviz.table.errors import ValidationException

SYMBOLS2 = ("<>", "<=", ">=")
SYMBOLS1 = "()[],.=<>+-"


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # name | attrname | attrvalue | number | sym | eof
    text: str
    start: int
    end: int


def tokenize(text: str, kind: str) -> list[Token]:
    """Split an expression into tokens; an unknown character is a syntax error."""
    out: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c.isalpha():  # a bare name starts with a letter; "_" or a digit after "#"/":" only
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            out.append(Token("name", text[i:j], i, j))
        elif c in "#:":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            if j == i + 1:
                syntax_error(kind, text, out, Token("sym", c, i, i + 1))
            out.append(Token("attrname" if c == "#" else "attrvalue", text[i:j], i, j))
        elif c.isdigit():
            j = i + 1
            while j < n and text[j].isdigit():
                j += 1
            out.append(Token("number", text[i:j], i, j))
        elif text[i:i + 2] in SYMBOLS2:
            out.append(Token("sym", text[i:i + 2], i, i + 2))
            i += 2
            continue
        elif c in SYMBOLS1:
            out.append(Token("sym", c, i, i + 1))
            i += 1
            continue
        else:
            syntax_error(kind, text, out, Token("sym", c, i, i + 1))
        i = out[-1].end
    out.append(Token("eof", "<EOF>", n, n))
    return out


def one_line(text: str) -> str:
    """Expression text quoted in an error, its line breaks escaped: errors are one line."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


def syntax_error(kind: str, text: str, before: list[Token], tok: Token) -> None:
    start = before[-1].start if before else tok.start
    near = text[start:tok.end] if tok.kind != "eof" else text[start:]
    raise ValidationException(f'Invalid {kind}: Syntax error; token: "{one_line(tok.text)}", '
                              f'near: "{one_line(near)}"')


def invalid(kind: str, message: str) -> ValidationException:
    """DynamoDB's error for a ``kind`` expression (FilterExpression, ...) that is wrong."""
    return ValidationException(one_line(f"Invalid {kind}: {message}"))
