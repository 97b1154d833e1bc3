"""Reading the action, version and parameters of a request, and the coercion helpers for handlers."""

from __future__ import annotations

import pytest

from mailyard.web.aliyun.errors import AliyunError
from mailyard.web.aliyun.parameters import (
    bool_param,
    int_param,
    parse_bool,
    parse_int,
    read_call,
    required_text_param,
    text_param,
    unflatten,
)
from mailyard.web.aliyun.wire import WireRequest


def wire(query: bytes, headers=(), body=b"") -> WireRequest:
    return WireRequest.decode("POST", "/", query, [(k.encode(), v.encode()) for k, v in headers], body)


def error_of(call) -> AliyunError:
    with pytest.raises(AliyunError) as caught:
        call()
    return caught.value


def test_v3_call_from_headers_and_query(captured):
    call = read_call(captured[8].wire())
    assert (call.action, call.version) == ("GetMailTaskList", "2022-01-01")
    # Params of a bodiless POST live in the query; '+' is a space (spec 5.5, 2.4.1).
    assert call.params == {"PageNum": "1", "PageSize": "10", "Paused": "True", "UserNick": "alice smith"}


def test_v2_call_drops_common_parameters(captured):
    call = read_call(captured[12].wire())
    assert (call.action, call.version) == ("GetMailTaskList", "2022-01-01")
    assert call.params == {"PageNum": "2", "PageSize": "5", "Paused": "False"}


def test_v2_takes_the_signed_action_not_the_unsigned_header(captured):
    raw = captured[12].with_header("x-acs-action", "ManualRunMailTask")
    assert read_call(raw.wire()).action == "GetMailTaskList"


def test_form_body_params_are_read():
    headers = [("authorization", "x"), ("x-acs-action", "AddUser"), ("x-acs-version", "2022-01-01")]
    headers.append(("content-type", "application/x-www-form-urlencoded; charset=UTF-8"))
    call = read_call(wire(b"MailId=1", headers, b"UserNick=bob+smith&Paused=true"))
    assert call.params == {"MailId": "1", "UserNick": "bob smith", "Paused": "true"}


def test_non_form_body_is_not_read_as_params():
    headers = [
        ("authorization", "x"),
        ("x-acs-action", "A"),
        ("x-acs-version", "v"),
        ("content-type", "text/plain"),
    ]
    assert read_call(wire(b"", headers, b"MailId=1")).params == {}


@pytest.mark.parametrize(
    ("query", "headers", "missing"),
    [
        (b"Version=2022-01-01&Signature=x", [], "Action"),
        (b"Action=GetMailTaskList&Signature=x", [], "Version"),
        (b"", [("authorization", "x"), ("x-acs-version", "2022-01-01")], "Action"),
        (b"", [("authorization", "x"), ("x-acs-action", "GetMailTaskList")], "Version"),
    ],
)
def test_missing_action_or_version(query, headers, missing):
    error = error_of(lambda: read_call(wire(query, headers)))
    assert error.code == "MissingParameter" and f'"{missing}"' in error.message


def test_repeated_common_parameter_is_refused():
    error = error_of(lambda: read_call(wire(b"Action=A&Action=B&Version=1")))
    assert error.code == "Invalid.Parameter.Error"


@pytest.mark.parametrize("query", [b"UserNick=%FF", b"UserNick=\xc3\xa9", b"a=%E4%B8"])
def test_undecodable_query_is_refused(query):
    assert error_of(lambda: wire(query)).code == "Invalid.Parameter.Error"


def test_too_many_fields_are_refused():
    query = "&".join(f"K{index}=v" for index in range(1001)).encode()
    assert error_of(lambda: wire(query)).code == "Invalid.Parameter.Error"


def test_repeated_header_is_refused():
    request = wire(b"", [("x-acs-action", "A"), ("x-acs-action", "B"), ("authorization", "x")])
    assert error_of(lambda: read_call(request)).code == "Invalid.Parameter.Error"


def test_unflatten_folds_one_based_lists_and_dicts():
    pairs = (
        ("Key.2", "b"),
        ("Key.1", "a"),
        ("Tags.1.Name", "x"),
        ("Tags.1.Value", "1"),
        ("Tags.2.Name", "y"),
        ("Filter.Owner", "alice"),
        ("Plain", ""),
    )
    assert unflatten(pairs) == {
        "Key": ["a", "b"],
        "Tags": [{"Name": "x", "Value": "1"}, {"Name": "y"}],
        "Filter": {"Owner": "alice"},
        "Plain": "",
    }


@pytest.mark.parametrize(
    "pairs",
    [
        (("Key.1", "a"), ("Key.3", "c")),  # gap
        (("Key", "a"), ("Key.1", "b")),  # value and prefix
        (("Key.1", "b"), ("Key", "a")),
        (("Key", "a"), ("Key", "b")),  # repeated
        (("Key..1", "a"),),
        ((".Key", "a"),),
        (("A.B.C.D.E.F.G.H.I", "deep"),),
    ],
)
def test_unflatten_refuses_ambiguous_names(pairs):
    assert error_of(lambda: unflatten(pairs)).code == "Invalid.Parameter.Error"


def test_names_that_are_not_all_indices_stay_a_dict():
    # Only 1-based indices make a list (spec 5.7); a map may have keys like "0" or "01".
    assert unflatten((("Key.0", "a"),)) == {"Key": {"0": "a"}}
    assert unflatten((("Key.1", "a"), ("Key.01", "b"))) == {"Key": {"1": "a", "01": "b"}}


def test_huge_list_index_does_not_allocate():
    assert error_of(lambda: unflatten((("Key.999999999999", "a"),))).code == "Invalid.Parameter.Error"


@pytest.mark.parametrize(("text", "value"), [("True", True), ("False", False), ("true", True), ("FALSE", False)])
def test_parse_bool_is_case_insensitive(text, value):
    assert parse_bool(text, "Paused") is value


@pytest.mark.parametrize("text", ["", "1", "0", "yes", " true", "None"])
def test_parse_bool_refuses_other_text(text):
    error = error_of(lambda: parse_bool(text, "Paused"))
    assert error.code == "Invalid.Parameter.Error" and "Paused" in error.message


@pytest.mark.parametrize(("text", "value"), [("0", 0), ("25", 25), ("-3", -3), ("+7", 7), ("007", 7)])
def test_parse_int(text, value):
    assert parse_int(text, "PageSize") == value


@pytest.mark.parametrize("text", ["", " 1", "1.0", "1_000", "١", "0x10", "1e3", "9" * 19])
def test_parse_int_refuses_other_text(text):
    error = error_of(lambda: parse_int(text, "PageSize"))
    assert error.code == "Invalid.Parameter.Error" and "PageSize" in error.message


def test_param_helpers():
    params = {"PageNum": "2", "Paused": "True", "UserNick": "alice smith", "Key": ["a"], "Empty": ""}
    assert int_param(params, "PageNum", 1) == 2
    assert int_param(params, "PageSize", 25) == 25
    assert int_param(params, "PageSize") is None
    assert bool_param(params, "Paused") is True
    assert bool_param(params, "Missing", False) is False
    assert text_param(params, "UserNick") == "alice smith"
    assert required_text_param(params, "UserNick") == "alice smith"
    assert error_of(lambda: int_param(params, "PageNum", 1, maximum=1)).code == "Invalid.Parameter.Error"
    assert error_of(lambda: int_param(params, "PageNum", 1, minimum=3)).code == "Invalid.Parameter.Error"
    assert error_of(lambda: text_param(params, "Key")).code == "Invalid.Parameter.Error"
    assert error_of(lambda: required_text_param(params, "MailId")).code == "MissingParameter"
    assert error_of(lambda: required_text_param(params, "Empty")).code == "MissingParameter"


@pytest.mark.parametrize("query", [b"MailId=1%002", b"UserNick%00=x"])
def test_nul_characters_are_refused(query):
    call = wire(b"Action=GetMailTaskList&Version=2022-01-01&" + query)
    assert error_of(lambda: read_call(call)).code == "Invalid.Parameter.Error"
