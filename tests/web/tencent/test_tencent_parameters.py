"""From wire to (action, version, region, params): JSON, flattened GET/v1 pairs, and coercion."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tencent_captured import CAPTURED, replace_header, wire_from_raw

from mailyard.web.tencent.coercion import as_bool, as_int64, as_str, as_uint64
from mailyard.web.tencent.errors import TencentError
from mailyard.web.tencent.parameters import parse_call, parse_json_object, unflatten

pytestmark = pytest.mark.timeout(30)


def error_code(call: Any, *args: Any) -> str:
    with pytest.raises(TencentError) as caught:
        call(*args)
    return caught.value.code


def test_tc3_post_json_keeps_json_types_and_unicode() -> None:
    call = parse_call(wire_from_raw(CAPTURED["1"]))
    assert (call.action, call.version, call.region) == ("BatchSendEmail", "2020-10-02", "ap-guangzhou")
    assert call.params["Subject"] == "Weekly digest 周报"
    assert call.params["Template"] == {"TemplateID": 42, "TemplateData": '{"name":"x"}'}
    assert call.params["CycleParam"] == {"BeginTime": "2024-05-01 09:00:00", "IntervalTime": 168}
    assert call.params["ReceiverId"] == 77


def test_tc3_get_unflattens_nested_objects_as_strings() -> None:
    call = parse_call(wire_from_raw(CAPTURED["5"]))
    assert call.action == "BatchSendEmail"
    assert call.params == {
        "FromEmailAddress": "noreply@mail.example.com",
        "ReceiverId": "78",
        "Subject": "Launch",
        "TaskType": "2",
        "Template": {"TemplateID": "43", "TemplateData": '{"a":"b c"}'},
        "TimedParam": {"BeginTime": "2024-05-03 08:00:00"},
    }


def test_tc3_get_unflattens_zero_based_lists() -> None:
    params = parse_call(wire_from_raw(CAPTURED["edge10"])).params
    assert params["Destination"] == ["x@y.z", "w@y.z"]
    assert params["Attachments"] == [{"FileName": "f.txt", "Content": "aGk="}]
    assert params["Template"] == {"TemplateID": "1", "TemplateData": "{}"}


def test_v1_post_form_drops_common_keys() -> None:
    call = parse_call(wire_from_raw(CAPTURED["6"]))
    assert (call.action, call.version, call.region) == ("ListSendTasks", "2020-10-02", "ap-guangzhou")
    assert call.params == {"Offset": "0", "Limit": "5"}


def test_v1_get_query_drops_common_keys() -> None:
    call = parse_call(wire_from_raw(CAPTURED["7"]))
    assert call.action == "BatchSendEmail"
    assert call.params == {
        "FromEmailAddress": "noreply@mail.example.com",
        "ReceiverId": "78",
        "Subject": "Hi",
        "TaskType": "1",
        "Template": {"TemplateID": "43", "TemplateData": '{"k":"v"}'},
    }


def test_empty_json_body_means_no_parameters() -> None:
    wire = dataclasses.replace(wire_from_raw(CAPTURED["0"]), body=b"")
    assert parse_call(wire).params == {}


@pytest.mark.parametrize(
    "body",
    [b"{", b"[1, 2]", b'"text"', b'{"a": NaN}', b'{"a": Infinity}', b"\xff\xfe\x00", b"[" * 100_000],
)
def test_bad_json_is_invalid_parameter(body: bytes) -> None:
    assert error_code(parse_json_object, body) == "InvalidParameter"


def test_tc3_post_with_unsupported_content_type() -> None:
    wire = replace_header(wire_from_raw(CAPTURED["0"]), "content-type", "multipart/form-data; boundary=x")
    assert error_code(parse_call, wire) == "InvalidParameter"


def test_tc3_post_form_body_is_unflattened() -> None:
    wire = replace_header(wire_from_raw(CAPTURED["0"]), "content-type", "application/x-www-form-urlencoded")
    wire = dataclasses.replace(wire, body=b"Limit=5&Datas.0.Email=a%40b.c")
    assert parse_call(wire).params == {"Limit": "5", "Datas": [{"Email": "a@b.c"}]}


@pytest.mark.parametrize("header", ["x-tc-version"])
def test_missing_tc3_version(header: str) -> None:
    assert error_code(parse_call, replace_header(wire_from_raw(CAPTURED["0"]), header, None)) == "MissingParameter"


def test_missing_tc3_action_with_authorization() -> None:
    wire = replace_header(wire_from_raw(CAPTURED["0"]), "x-tc-action", None)
    assert error_code(parse_call, wire) == "MissingParameter"


@pytest.mark.parametrize("name", ["Action", "Version"])
def test_missing_v1_action_or_version(name: str) -> None:
    wire = wire_from_raw(CAPTURED["7"])
    pairs = "&".join(pair for pair in wire.raw_query.split("&") if not pair.startswith(name + "="))
    assert error_code(parse_call, dataclasses.replace(wire, raw_query=pairs)) == "MissingParameter"


def test_repeated_common_key_is_invalid() -> None:
    wire = wire_from_raw(CAPTURED["7"])
    assert error_code(parse_call, dataclasses.replace(wire, raw_query=wire.raw_query + "&Action=X")) == (
        "InvalidParameter"
    )


def test_raw_non_ascii_query_is_invalid() -> None:
    wire = wire_from_raw(CAPTURED["5"])
    assert error_code(parse_call, dataclasses.replace(wire, raw_query="Subject=caf\u00e9")) == "InvalidParameter"


def test_v1_body_that_is_not_utf8() -> None:
    wire = dataclasses.replace(wire_from_raw(CAPTURED["6"]), body=b"Action=\xff")
    assert error_code(parse_call, wire) == "InvalidParameter"


def test_unflatten_nests_lists_in_objects_in_lists() -> None:
    pairs = [
        ("Datas.0.Email", "a@x"),
        ("Datas.0.TemplateData", "{}"),
        ("Datas.1.Email", "b@x"),
        ("Matrix.0.0", "a"),
        ("Matrix.0.1", "b"),
        ("Matrix.1.0", "c"),
    ]
    assert unflatten(pairs) == {
        "Datas": [{"Email": "a@x", "TemplateData": "{}"}, {"Email": "b@x"}],
        "Matrix": [["a", "b"], ["c"]],
    }


def test_unflatten_orders_list_items_by_index_not_arrival() -> None:
    pairs = [(f"L.{index}", str(index)) for index in (10, 2, 0, 1, 3, 4, 5, 6, 7, 8, 9)]
    assert unflatten(pairs) == {"L": [str(index) for index in range(11)]}


@pytest.mark.parametrize(
    "pairs",
    [
        [("L.1", "a")],  # gap at 0
        [("L.0", "a"), ("L.2", "b")],  # gap at 1
        [("L.0", "a"), ("L.x", "b")],  # list and object at once
        [("L.00", "a")],  # not a canonical index
        [("A", "1"), ("A", "2")],  # repeated
        [("A", "1"), ("A.B", "2")],  # value, then container
        [("A.B", "2"), ("A", "1")],  # container, then value
        [("A..B", "1")],
        [(".A", "1")],
        [("A.", "1")],
        [("", "1")],
        [(".".join(["A"] * 17), "1")],
        [("L.99999999999", "a")],
    ],
)
def test_unflatten_rejects(pairs: list[tuple[str, str]]) -> None:
    assert error_code(unflatten, pairs) == "InvalidParameter"


@settings(max_examples=150, deadline=None, database=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from(["0", "1", "2", "A", "B", "", "01"]), min_size=1, max_size=4).map(".".join),
            st.text(max_size=5),
        ),
        max_size=12,
    )
)
def test_unflatten_either_nests_or_says_invalid_parameter(pairs: list[tuple[str, str]]) -> None:
    try:
        result = unflatten(pairs)
    except TencentError as error:
        assert error.code == "InvalidParameter"
    else:
        assert isinstance(result, dict)


@pytest.mark.parametrize(("value", "expected"), [(0, 0), ("0", 0), ("18446744073709551615", 2**64 - 1), (168, 168)])
def test_as_uint64_accepts(value: object, expected: int) -> None:
    assert as_uint64(value, "Limit") == expected


@pytest.mark.parametrize("value", [-1, "-1", "1.5", 1.5, True, "True", "", " 1", "18446744073709551616", None, [1]])
def test_as_uint64_rejects(value: object) -> None:
    assert error_code(as_uint64, value, "Limit") == "InvalidParameter"


@pytest.mark.parametrize(("value", "expected"), [(-5, -5), ("-5", -5), ("9223372036854775807", 2**63 - 1)])
def test_as_int64_accepts(value: object, expected: int) -> None:
    assert as_int64(value, "Offset") == expected


@pytest.mark.parametrize("value", ["9223372036854775808", "+1", False, "--1"])
def test_as_int64_rejects(value: object) -> None:
    assert error_code(as_int64, value, "Offset") == "InvalidParameter"


@pytest.mark.parametrize(
    ("value", "expected"), [(True, True), (False, False), ("True", True), ("False", False), ("true", True)]
)
def test_as_bool_accepts_json_and_python_spellings(value: object, expected: bool) -> None:
    assert as_bool(value, "Flag") is expected


@pytest.mark.parametrize("value", [1, 0, "1", "yes", None])
def test_as_bool_rejects(value: object) -> None:
    assert error_code(as_bool, value, "Flag") == "InvalidParameter"


def test_as_str() -> None:
    assert as_str("0", "Unsubscribe") == "0"
    assert error_code(as_str, 0, "Unsubscribe") == "InvalidParameter"


@pytest.mark.parametrize(
    "body",
    [b'{"Subject": "a\\u0000b"}', b'{"Emails": ["x@y.z", "\\u0000"]}', b'{"Template": {"TemplateData\\u0000": 1}}'],
)
def test_nul_characters_in_json_are_refused(body: bytes) -> None:
    original = wire_from_raw(CAPTURED["1"])
    wire = dataclasses.replace(original, body=body)
    assert error_code(parse_call, wire) == "InvalidParameter"


def test_nul_characters_in_get_queries_are_refused() -> None:
    original = wire_from_raw(CAPTURED["edge10"])
    wire = dataclasses.replace(original, raw_query=original.raw_query + "&Subject=a%00b")
    assert error_code(parse_call, wire) == "InvalidParameter"
