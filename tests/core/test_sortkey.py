"""The order-preserving encoding of sort-key values reads back: numbers to the same
number, tuples to the same parts, and a grouped key's suffix to readable text."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dynviz.core.hashing import grouped_key, show_key
from dynviz.core.sortkey import (
    decode_number,
    number_bytes,
    show_suffix,
    show_value,
    split_tuple,
    string_bytes,
    tuple_bytes,
)

# Numbers in DynamoDB's range: up to 38 significant digits, exponents -130..125.
numbers = st.builds(
    lambda sign, digits, exp: Decimal((sign, tuple(int(d) for d in digits), exp - len(digits) + 1)),
    st.integers(0, 1), st.from_regex(r"[1-9][0-9]{0,37}", fullmatch=True), st.integers(-130, 125),
) | st.integers(-10**12, 10**12).map(Decimal) | st.just(Decimal("-0")) | st.just(Decimal("0.000"))

# Printable text: what a person would type as a string sort key (no control characters).
printable = st.text(st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"))
                    | st.just(" "), min_size=1, max_size=30)


@given(numbers)
def test_a_number_decodes_to_the_same_number(value: Decimal) -> None:
    assert decode_number(number_bytes(value)) == value


@given(numbers)
def test_a_number_suffix_reads_as_that_number(value: Decimal) -> None:
    shown = show_key(grouped_key(b"scores/ann", number_bytes(value)))
    assert shown.startswith("scores/ann[") and shown.endswith("]")
    assert Decimal(shown[len("scores/ann["):-1]) == value


@given(printable)
def test_a_string_suffix_reads_as_that_string(value: str) -> None:
    assert show_key(grouped_key(b"orders/bob", string_bytes(value))) == f"orders/bob[{value}]"


@given(st.lists(st.binary(max_size=12), min_size=1, max_size=5))
def test_a_tuple_splits_into_its_parts(parts: list[bytes]) -> None:
    assert split_tuple(tuple_bytes(parts)) == parts


@given(st.lists(numbers | printable, min_size=1, max_size=4))
def test_an_index_entry_reads_as_its_values(values: list[Decimal | str]) -> None:
    encoded = [number_bytes(v) if isinstance(v, Decimal) else string_bytes(v) for v in values]
    shown = show_suffix(tuple_bytes(encoded)).split(", ")
    if all(", " not in v for v in values if isinstance(v, str)):
        assert len(shown) == len(values)
        for text, value in zip(shown, values, strict=True):
            assert (Decimal(text) == value) if isinstance(value, Decimal) else text == value


def test_numbers_read_as_people_write_them() -> None:
    assert [show_value(number_bytes(v)) for v in ("42", "420", "-1.5", "0.0001", "1e100", "-0", "20240105")] == [
        "42", "420", "-1.5", "0.0001", "1E+100", "0", "20240105"]


@pytest.mark.parametrize("data", [b"\x03", b"\x03\x82", b"\x03\x82\x00", b"\x03\x82\x0a", b"\x03\x82\x00\x01",
                                  b"\x01\x7d\x08", b"\x04\x82\x01", b"\x02\x00"])
def test_bytes_that_are_not_a_number_encoding_do_not_decode_as_one(data: bytes) -> None:
    assert decode_number(data) is None


def test_bytes_that_are_neither_number_nor_text_show_as_hex() -> None:
    assert show_value(b"\xff\xfe") == "0xfffe"
    assert show_value(b"a\nb") == "a\\x0ab"
    assert split_tuple(b"a\x00") is None and split_tuple(b"a\x00\x01") is None and split_tuple(b"") is None


def test_the_table_layer_uses_this_encoding() -> None:
    from dynviz.table.keys import sort_key_bytes

    assert sort_key_bytes({"N": "42"}) == number_bytes("42")
    assert show_key(grouped_key(b"orders/bob", sort_key_bytes({"S": "2024-01-05"}))) == "orders/bob[2024-01-05]"
    assert show_key(grouped_key(b"scores/ann", sort_key_bytes({"N": "42"}))) == "scores/ann[42]"
