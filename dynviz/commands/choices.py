"""Parsers of the commands that make the learner the network (issue 16): ``network``,
``hold``, ``release``, ``deliver``, ``drop``, ``duplicate``, ``delay`` and ``fire``.

Ids are checked for shape here (``m42`` or ``42`` for a message, ``n1.t7`` for a timer)
and against the running cluster by the executor, which knows what is pending.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from dynviz.commands import convert as cv
from dynviz.commands.ast import (
    Command,
    Delay,
    Deliver,
    DropMessage,
    Duplicate,
    Fire,
    Hold,
    Release,
    ShowNetwork,
)
from dynviz.commands.errors import show
from dynviz.commands.words import Words

_MESSAGE = re.compile(r"m?[0-9]{1,12}")
_TIMER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*\.t[0-9]{1,12}")
_LINK = re.compile(r"([^\s>-][^\s>]*?)->([^\s>]+)")


def _message(ctx: Words, usage: str) -> str:
    token = ctx.expect(0, "a message id like m42 ('network' lists them)")
    if not _MESSAGE.fullmatch(token.value) or token.quoted:
        raise ctx.fail(token.column, f"expected a message id like m42, got {show(token.value)}; usage: {usage}")
    return "m" + token.value.removeprefix("m")


def _one_message(cls: Callable[[str], Command], usage: str) -> Callable[[Words], Command]:
    def parse(ctx: Words) -> Command:
        ctx.at_most(1, usage)
        message = _message(ctx, usage)
        ctx.take_options({})
        return cls(message)

    return parse


parse_deliver = _one_message(Deliver, "deliver ID")
parse_drop = _one_message(DropMessage, "drop ID")
parse_duplicate = _one_message(Duplicate, "duplicate ID")


def parse_delay(ctx: Words) -> Command:
    usage = "delay ID DURATION"
    ctx.at_most(2, usage)
    message = _message(ctx, usage)
    token = ctx.expect(1, "a duration like 300ms")
    ctx.take_options({})
    return Delay(message, cv.duration(token.value, token.column, ctx.line, "the delay"))


def parse_fire(ctx: Words) -> Command:
    ctx.at_most(1, "fire ID")
    token = ctx.expect(0, "a timer id like n1.t42 ('network' lists them)")
    if not _TIMER.fullmatch(token.value) or token.quoted:
        raise ctx.fail(token.column, f"expected a timer id like n1.t42, got {show(token.value)}; usage: fire ID")
    ctx.take_options({})
    return Fire(token.value)


def _target(ctx: Words, usage: str) -> tuple[str | None, str | None]:
    """No word: everything; ``NODE``: its inbox; ``A->B``: one link."""
    ctx.at_most(1, usage)
    ctx.take_options({})
    if not ctx.args:
        return None, None
    token = ctx.args[0]
    link = _LINK.fullmatch(token.value)
    if link is None:
        return None, cv.name(token.value, token.column, ctx.line, "a node name or a link like n1->n3")
    src = cv.name(link[1], token.column, ctx.line, "the link's sender")
    dst = cv.name(link[2], token.column + len(link[1]) + 2, ctx.line, "the link's receiver")
    if src == dst:
        raise ctx.fail(token.column, f"a link joins two nodes, got {show(token.value)}")
    return src, dst


def parse_hold(ctx: Words) -> Command:
    src, dst = _target(ctx, "hold [NODE | A->B]")
    return Hold(src, dst)


def parse_release(ctx: Words) -> Command:
    src, dst = _target(ctx, "release [NODE | A->B]")
    return Release(src, dst, every=dst is None)


def parse_network(ctx: Words) -> Command:
    ctx.at_most(0, "network [node=N] [key=K] [kind=K]")
    got = ctx.take_options({"node": cv.name, "key": cv.key, "kind": cv.key})
    return ShowNetwork(got.text("node"), got.text("key"), got.text("kind"))
