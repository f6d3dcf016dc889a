"""Items and keys written as JSON (dynviz/commands/items.py): JSON's own matters are
settled here, and what an attribute value may hold is judged by the table layer's one
validator (dynviz.table.values), in its words, when the command is parsed."""

from __future__ import annotations

import pytest

from dynviz.commands import CommandError, TableGet, TablePut, TableValue, parse_line


def item(text: str) -> dict[str, TableValue]:
    command = parse_line(f"table put users {text}")
    assert isinstance(command, TablePut)
    return dict(command.item)


def refused(text: str) -> str:
    with pytest.raises(CommandError) as info:
        parse_line(text)
    assert info.value.column == 17, str(info.value)
    return info.value.message


def test_typed_json_keeps_the_exact_text_of_numbers_and_base64() -> None:
    got = item('{"n": {"N": 1.50}, "s": {"N": "-2e3"}, "b": {"BS": ["AAE=", "AQ=="]}, "l": {"L": [{"N": 7}]}}')
    assert got == {"n": TableValue('{"N":"1.50"}', "json"), "s": TableValue('{"N":"-2e3"}', "json"),
                   "b": TableValue('{"BS":["AAE=","AQ=="]}', "json"), "l": TableValue('{"L":[{"N":"7"}]}', "json")}
    assert got["b"].attribute() == {"BS": ["AAE=", "AQ=="]}


def test_plain_json_is_typed_by_its_json_types() -> None:
    assert item('{"id": 42, "ok": true, "none": null, "tags": ["a"], "m": {"x": "y"}}') == {
        "id": TableValue('{"N":"42"}', "json"), "ok": TableValue('{"BOOL":true}', "json"),
        "none": TableValue('{"NULL":true}', "json"), "tags": TableValue('{"L":[{"S":"a"}]}', "json"),
        "m": TableValue('{"M":{"x":{"S":"y"}}}', "json")}


@pytest.mark.parametrize("text, fragment", [
    ('{"id": {"N": "ten"}}', "bad JSON for item: id: 'ten' is not a number"),
    ('{"id": {"NS": ["1", NaN]}}', "id[1]: 'NaN' is not a number"),
    ('{"a": {"B": "???"}}', "a: '???' is not base64"),
    ('{"a": NaN}', "not a number DynamoDB accepts"),
    ('{"a": {"L": [' + "{\"L\": [" * 33 + "]}" * 33 + "]}}", "nested more than 32 levels"),
])
def test_what_json_cannot_say_is_refused_here(text: str, fragment: str) -> None:
    assert fragment in refused(f"table put users {text}")


@pytest.mark.parametrize("text, message", [
    ('{"id": {"S": 1}}', "Invalid type for parameter Item.id.S, value: 1, type: <class 'int'>, "
                         "valid types: <class 'str'>"),
    ('{"tags": {"SS": []}}', "One or more parameter values were invalid: An string set may not be empty"),
    ('{"n": {"NS": ["1", "1.0"]}}', "Input collection [1, 1.0] contains duplicates."),
    ('{"n": 1e200}', "Number overflow"),
    ('{"ok": {"BOOL": 1}}', "Item.ok.BOOL"),
    ('{"a": {"L": [5]}}', "Item.a.L[0]"),
])
def test_attribute_values_are_judged_by_the_table_layers_validator(text: str, message: str) -> None:
    assert message in refused(f"table put users {text}")


def test_a_key_is_checked_as_the_request_parameter_it_becomes() -> None:
    assert "Key.id.S" in refused('table get users {"id": {"S": 7}}')
    command = parse_line('table get users {"id": {"S": "7"}} consistent')
    assert isinstance(command, TableGet) and command.consistent
