"""Promises of dynviz.core.context: signed, key-bound, and never crashes on input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dynviz.core.context import (
    Context,
    ContextError,
    context_for,
    context_token,
    decode_context,
    encode_context,
    read_token,
)
from dynviz.core.versions import EMPTY_CONTEXT, CausalContext, Siblings, versioning

SECRET = b"cluster-secret"
KEY = b"cart:42"

causal_contexts = st.builds(
    CausalContext.of,
    st.dictionaries(st.text(max_size=6), st.integers(0, 1 << 40), max_size=5),
    st.lists(st.tuples(st.text(max_size=6), st.integers(1, 1 << 40)), max_size=5),
)


@given(causal_contexts, st.one_of(st.none(), st.text(max_size=10)), st.binary(max_size=20))
def test_round_trip(causal, replier, key):
    ctx = context_for(key, causal, replier)
    token = encode_context(ctx, SECRET)
    assert token.isascii() and token.isprintable() and "=" not in token
    assert decode_context(token, SECRET, key) == ctx
    assert decode_context(token, SECRET) == ctx


def test_round_trip_example_and_compactness():
    causal = CausalContext.of({"n1#0": 3, "n2#0": 1}, [("n3#1", 5)])
    ctx = context_for(KEY, causal, "n2#0")
    token = encode_context(ctx, SECRET)
    assert decode_context(token, SECRET, KEY) == ctx
    assert len(token) < 80
    empty = Context(EMPTY_CONTEXT)
    assert decode_context(encode_context(empty, SECRET), SECRET, KEY) == empty


def _token():
    causal = CausalContext.of({"n1": 3, "n2": 1}, [("n3", 5)])
    return encode_context(context_for(KEY, causal, "n1"), SECRET)


def test_every_single_char_flip_is_rejected():
    token = _token()
    for i, ch in enumerate(token):
        for other in ("A", "b", "-", "_", "9"):
            if other == ch:
                continue
            bad = token[:i] + other + token[i + 1 :]
            with pytest.raises(ContextError):
                decode_context(bad, SECRET, KEY)


def test_tampered_token_fails_integrity():
    token = _token()
    mid = len(token) // 2
    bad = token[:mid] + ("A" if token[mid] != "A" else "B") + token[mid + 1 :]
    with pytest.raises(ContextError, match="integrity"):
        decode_context(bad, SECRET, KEY)


def test_wrong_secret():
    with pytest.raises(ContextError, match="integrity check .tampered, or from another cluster"):
        decode_context(_token(), b"other-cluster", KEY)


def test_wrong_key():
    with pytest.raises(ContextError, match="context is for another key"):
        decode_context(_token(), SECRET, b"cart:43")


@pytest.mark.parametrize("bad", ["", "A", "AAAA", "====", "é", "not a token!", "\x00", "A" * 17])
def test_garbage_is_malformed(bad):
    with pytest.raises(ContextError, match="context is malformed"):
        decode_context(bad, SECRET, KEY)


def test_truncated_tokens():
    token = _token()
    for n in range(len(token)):
        with pytest.raises(ContextError):
            decode_context(token[:n], SECRET, KEY)


def test_not_a_string():
    with pytest.raises(ContextError):
        decode_context(b"abc", SECRET)  # type: ignore[arg-type]


def test_context_error_is_value_error():
    assert issubclass(ContextError, ValueError)


@given(st.text())
def test_any_text_raises_only_context_error(text):
    with pytest.raises(ContextError):
        decode_context(text, SECRET, KEY)


@given(
    st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", min_size=17
    )
)
def test_any_base64_raises_only_context_error(text):
    with pytest.raises(ContextError):
        decode_context(text, SECRET, KEY)


def test_validly_signed_garbage_payload_is_malformed():
    """A forger with the secret still can't crash the decoder."""
    import base64

    from dynviz.core import context as mod

    for body in (
        b"\x01",
        b"\x01\x08abc",
        b"\x01\x00\x00\x01\x05ab",
        b"\x01\x00\x00\x00\x01\x00\x01",
        b"\x01\x00\x00\x00\x00\x00\x00\xff",
    ):
        raw = body + mod._tag(SECRET, body)
        token = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        with pytest.raises(ContextError, match="malformed"):
            decode_context(token, SECRET)


@pytest.mark.parametrize("mode", ["dvv", "vclock"])
def test_read_token_is_the_token_of_the_siblings_context(mode: str) -> None:
    vs = versioning(mode)
    a = vs.new_version(Siblings.EMPTY, CausalContext.of({"n1": 3}), b"a", "n1", 5)
    b = vs.new_version(Siblings.EMPTY, CausalContext.of({"n2": 1}), b"b", "n2", 6)
    for siblings in (Siblings((a,)), Siblings((a, b)), Siblings.EMPTY):
        for key, replier, secret in ((b"k", "n1", b"s"), (b"k", "n2", b"s"), (b"j", "n1", b"s"), (b"k", "n1", b"t")):
            want = context_token(key, vs.context_of(siblings), replier, secret)
            assert read_token(key, siblings, replier, vs, secret) == want  # computed
            assert read_token(key, siblings, replier, vs, secret) == want  # remembered
