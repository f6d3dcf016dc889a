"""Sort-key encodings: bytewise order of ``sort_key_bytes`` is DynamoDB's order
(``key_native``), and ``sort_key_prefix_bound`` brackets exactly the ``begins_with``
matches."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynviz.table.keys import (
    after_prefix,
    escape,
    sort_key_bytes,
    sort_key_prefix_bound,
    tuple_bytes,
)
from dynviz.table.values import check_value, key_native

FAST = settings(max_examples=300, deadline=None)


def _cmp(a: Any, b: Any) -> int:
    return (a > b) - (a < b)


def _assert_same_order(values: list[dict[str, Any]]) -> None:
    encoded = [sort_key_bytes(av) for av in values]
    native = [key_native(av) for av in values]
    for i in range(len(values)):
        for j in range(len(values)):
            assert _cmp(encoded[i], encoded[j]) == _cmp(native[i], native[j]), (values[i], values[j])


# ------------------------------------------------------------------------------ numbers


@st.composite
def _decimals(draw: st.DrawFn) -> Decimal:
    """A non-zero number in DynamoDB's range: up to 38 significant digits, leading digit
    at 10**-130 .. 10**125; ``dense`` draws collide in exponent and digit prefixes."""
    negative = draw(st.booleans())
    if draw(st.booleans()):  # dense: small coefficients, few exponents
        coefficient = draw(st.integers(1, 300))
        adjusted = draw(st.integers(-2, 2))
    else:
        coefficient = draw(st.integers(1, 10**38 - 1))
        adjusted = draw(st.integers(-130, 125))
    digits = tuple(int(c) for c in str(coefficient))
    return Decimal((int(negative), digits, adjusted - (len(digits) - 1)))


def _zeros() -> st.SearchStrategy[Decimal]:
    return st.sampled_from(["0", "-0", "0.0", "-0.000", "0E+5", "0E-7"]).map(Decimal)


def _respelled(d: Decimal, pad: int) -> Decimal:
    """The same number with ``pad`` trailing zeros added to its coefficient."""
    sign, digits, exponent = d.as_tuple()
    assert isinstance(exponent, int)
    return Decimal((sign, digits + (0,) * pad, exponent - pad))


@st.composite
def _number_lists(draw: st.DrawFn) -> list[dict[str, Any]]:
    numbers = draw(st.lists(st.one_of(_decimals(), _zeros()), min_size=1, max_size=8))
    # Equal numbers spelled differently: "1" / "1.0" / "10E-1".
    for d in draw(st.lists(st.sampled_from(numbers), max_size=3)):
        numbers.append(_respelled(d, draw(st.integers(1, 4))))
    texts = [str(d) if draw(st.booleans()) else format(d, "f") for d in numbers]
    return [{"N": text} for text in texts]


@FAST
@given(_number_lists())
def test_number_bytes_order_matches_decimal_order(values: list[dict[str, Any]]) -> None:
    for av in values:
        check_value(av)  # every generated number is one DynamoDB accepts
    _assert_same_order(values)


@FAST
@given(_decimals(), st.integers(1, 5))
def test_equal_numbers_encode_identically(d: Decimal, pad: int) -> None:
    assert sort_key_bytes({"N": str(d)}) == sort_key_bytes({"N": str(_respelled(d, pad))})


def test_hand_picked_numbers_in_order() -> None:
    ordered = [
        "-" + "9" * 38 + "E+88",  # the most negative number (adjusted exponent 125)
        "-1E+125",
        "-1000",
        "-100",
        "-99.5",
        "-12.5",
        "-12",
        "-1.05",
        "-1.01",
        "-1",
        "-0.5",
        "-1E-130",
        "0",
        "1E-130",
        "0.5",
        "1",
        "1.01",
        "1.05",
        "12",
        "12.5",
        "99.5",
        "100",
        "1000",
        "1E+125",
        "9" * 38 + "E+88",
    ]
    encoded = [sort_key_bytes({"N": text}) for text in ordered]
    assert encoded == sorted(encoded)
    assert len(set(encoded)) == len(encoded)


def test_number_spellings() -> None:
    one = sort_key_bytes({"N": "1"})
    assert sort_key_bytes({"N": "1.0"}) == one
    assert sort_key_bytes({"N": "10E-1"}) == one
    assert sort_key_bytes({"N": "0.001E3"}) == one
    zero = sort_key_bytes({"N": "0"})
    for text in ("-0", "0.00", "0E+10", "-0E-10"):
        assert sort_key_bytes({"N": text}) == zero
    # 38 digits survive: no rounding to the default context's 28.
    assert sort_key_bytes({"N": "1" * 38}) != sort_key_bytes({"N": "1" * 37 + "2"})


def test_number_layout() -> None:
    assert sort_key_bytes({"N": "0"}) == b"\x02"
    assert sort_key_bytes({"N": "12.5"}) == bytes([0x03, 1 + 130, 1, 2, 5])
    assert sort_key_bytes({"N": "-12.5"}) == bytes([0x01, 255 - (1 + 130), 8, 7, 4, 0xFF])


@pytest.mark.parametrize("text", ["1E+126", "-1E+126", "1E-131", "-9E-131", "NaN", "Infinity", "x"])
def test_numbers_outside_the_range_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        sort_key_bytes({"N": text})


# ----------------------------------------------------------------------- strings, bytes


@FAST
@given(st.lists(st.text(), min_size=1, max_size=8))
def test_string_bytes_order_matches_code_point_order(texts: list[str]) -> None:
    _assert_same_order([{"S": t} for t in texts])


def test_strings_beyond_the_bmp() -> None:
    # UTF-16 would put U+1F600 below U+FFFD; code points (and UTF-8) put it above.
    values = [{"S": "\ufffd"}, {"S": "\U0001f600"}, {"S": "\ue000"}, {"S": "a"}, {"S": ""}]
    _assert_same_order(values)
    assert sort_key_bytes({"S": "\U0001f600"}) > sort_key_bytes({"S": "\ufffd"})


@FAST
@given(st.lists(st.binary(), min_size=1, max_size=8))
def test_binary_bytes_order_matches_unsigned_order(blobs: list[bytes]) -> None:
    _assert_same_order([{"B": b} for b in blobs])
    for b in blobs:
        assert sort_key_bytes({"B": b}) == b


@pytest.mark.parametrize("av", [{"BOOL": True}, {"NULL": True}, {"SS": ["a"]}, {"M": {}}])
def test_other_types_are_refused(av: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="S, N or B"):
        sort_key_bytes(av)


# ------------------------------------------------------------------------- prefix bound


def _in_range(encoded: bytes, low: bytes, high: bytes | None) -> bool:
    return low <= encoded and (high is None or encoded < high)


@FAST
@given(st.text(max_size=4), st.lists(st.text(max_size=6), max_size=6), st.lists(st.text(max_size=3), max_size=4))
def test_string_prefix_bound(prefix: str, others: list[str], tails: list[str]) -> None:
    low = sort_key_bytes({"S": prefix})
    high = sort_key_prefix_bound({"S": prefix})
    for s in [prefix + tail for tail in tails] + others:
        assert _in_range(sort_key_bytes({"S": s}), low, high) == s.startswith(prefix), (prefix, s)


_FF_HEAVY = st.binary(max_size=4) | st.lists(st.sampled_from([0x00, 0x41, 0xFE, 0xFF]), max_size=4).map(bytes)


@FAST
@given(_FF_HEAVY, st.lists(_FF_HEAVY, max_size=6), st.lists(_FF_HEAVY, max_size=4))
def test_binary_prefix_bound(prefix: bytes, others: list[bytes], tails: list[bytes]) -> None:
    low = sort_key_bytes({"B": prefix})
    high = sort_key_prefix_bound({"B": prefix})
    for b in [prefix + tail for tail in tails] + others:
        assert _in_range(sort_key_bytes({"B": b}), low, high) == b.startswith(prefix), (prefix, b)
    if high is not None:  # above the prefix and not itself one of its extensions
        assert high > low and not high.startswith(low)
        assert len(high) <= len(low)


def test_prefix_bound_examples() -> None:
    assert sort_key_prefix_bound({"S": "ab"}) == b"ac"
    assert sort_key_prefix_bound({"B": b"a\xff\xff"}) == b"b"
    assert sort_key_prefix_bound({"B": b"\x00\xfe\xff"}) == b"\x00\xff"
    assert sort_key_prefix_bound({"B": b"\xff\xff"}) is None
    assert sort_key_prefix_bound({"S": ""}) is None
    assert sort_key_prefix_bound({"B": b""}) is None
    with pytest.raises(ValueError):
        sort_key_prefix_bound({"N": "1"})


# -- tuples of values (global index entries) ------------------------------------------


@settings(max_examples=300)
@given(st.lists(st.tuples(st.binary(max_size=4), st.binary(max_size=4)), min_size=2, max_size=8))
def test_tuple_bytes_order_is_tuple_order(rows: list[tuple[bytes, bytes]]) -> None:
    encoded = sorted(rows, key=lambda r: tuple_bytes(list(r)))
    assert encoded == sorted(rows)
    assert len({tuple_bytes(list(r)) for r in rows}) == len(set(rows))


@settings(max_examples=300)
@given(st.binary(max_size=3), st.lists(st.tuples(st.binary(max_size=4), st.binary(max_size=3)), max_size=12))
def test_escaped_prefix_bounds_select_exactly_the_first_values_that_begin_with_it(
        prefix: bytes, rows: list[tuple[bytes, bytes]]) -> None:
    lo, hi = escape(prefix), after_prefix(escape(prefix))
    inside = [r for r in rows if lo <= tuple_bytes(list(r)) and (hi is None or tuple_bytes(list(r)) < hi)]
    assert sorted(inside) == sorted(r for r in rows if r[0].startswith(prefix))


@settings(max_examples=300)
@given(st.binary(max_size=3), st.lists(st.tuples(st.binary(max_size=4), st.binary(max_size=3)), max_size=12))
def test_escaped_equality_bounds_select_exactly_one_first_value(
        value: bytes, rows: list[tuple[bytes, bytes]]) -> None:
    e = escape(value)
    inside = [r for r in rows if e + b"\x00\x00" <= tuple_bytes(list(r)) < e + b"\x00\x01"]
    assert sorted(inside) == sorted(r for r in rows if r[0] == value)
