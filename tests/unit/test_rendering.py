import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailyard.domain.rendering import (
    TemplateDataError,
    compile_template,
    merge_variables,
    parse_template_data,
    variable_text,
)


def test_placeholders_with_and_without_inner_whitespace() -> None:
    template = compile_template("Hi {{name}}, {{ first.name }} / {{  order-id\t}} {{x_1}}")

    assert template.variables == frozenset({"name", "first.name", "order-id", "x_1"})
    assert template.render({"name": "A", "first.name": "B", "order-id": "7", "x_1": "z"}) == "Hi A, B / 7 z"


def test_compiled_segments_alternate_literals_and_names() -> None:
    template = compile_template("{{a}}{{b}} and {{a}}")

    assert template.literals == ("", "", " and ", "")
    assert template.names == ("a", "b", "a")
    assert template.variables == frozenset({"a", "b"})


def test_malformed_placeholders_stay_literal() -> None:
    source = "{{ first name }} {{}} {x} {{ok}} {{ unclosed"
    template = compile_template(source)

    assert template.variables == frozenset({"ok"})
    assert template.render({"ok": "yes"}) == "{{ first name }} {{}} {x} yes {{ unclosed"


def test_template_without_placeholders_renders_its_source() -> None:
    assert compile_template("plain <b>text</b>").render({}, escape_html=True) == "plain <b>text</b>"


def test_missing_variables_render_empty_and_are_reported() -> None:
    template = compile_template("Dear {{name}}, code {{code}}.")

    assert template.render({"code": "X1"}) == "Dear , code X1."
    assert template.missing({"code": "X1"}) == frozenset({"name"})
    assert template.missing({"code": "", "name": "n"}) == frozenset()


def test_escape_html_escapes_values_not_the_template() -> None:
    template = compile_template('<a title="{{t}}">{{t}}</a>')

    rendered = template.render({"t": "<b> & \"q\" 'x'"}, escape_html=True)

    escaped = "&lt;b&gt; &amp; &quot;q&quot; &#x27;x&#x27;"
    assert rendered == f'<a title="{escaped}">{escaped}</a>'
    assert template.render({"t": "<b>"}) == '<a title="<b>"><b></a>'


def test_recipient_variables_override_task_variables() -> None:
    merged = merge_variables({"name": "everyone", "shop": "Acme"}, {"name": "Zoë"})

    assert merged == {"name": "Zoë", "shop": "Acme"}


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("x", "x"),
        (None, ""),
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (-12, "-12"),
        (10.0, "10"),
        (1.5, "1.5"),
        (2.0**60, "1.152921504606847e+18"),
        (123456789012345678901234567890, "123456789012345678901234567890"),
    ],
)
def test_scalars_become_text(value: object, text: str) -> None:
    assert variable_text(value) == text
    assert merge_variables({"v": value}, {}) == {"v": text}


@pytest.mark.parametrize("value", [[1], {"a": 1}, float("nan"), float("inf"), b"bytes"])
def test_non_scalars_are_rejected(value: object) -> None:
    with pytest.raises(TemplateDataError):
        merge_variables({}, {"v": value})


def test_parse_template_data_reads_an_object_of_scalars() -> None:
    data = parse_template_data('{"name": "Ada", "age": 36, "vip": true, "score": 9.5, "note": null}')

    assert data == {"name": "Ada", "age": "36", "vip": "true", "score": "9.5", "note": ""}


@pytest.mark.parametrize("source", ["", "   ", None, "{}"])
def test_empty_template_data_means_no_variables(source: str | None) -> None:
    assert parse_template_data(source) == {}


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"a": NaN}', "not valid JSON"),
        ("[1, 2]", "must be a JSON object, not an array"),
        ('"text"', "must be a JSON object, not a string"),
        ("42", "must be a JSON object, not a number"),
        ("null", "must be a JSON object, not null"),
        ('{"a": {"b": 1}}', "'a' must be a string, number, boolean or null, not an object"),
        ('{"a": [1]}', "'a' must be a string, number, boolean or null, not an array"),
        ('{"a": 1e999}', "finite number"),
    ],
)
def test_parse_template_data_errors_are_clear(source: str, message: str) -> None:
    with pytest.raises(TemplateDataError, match=message.replace("[", r"\[")):
        parse_template_data(source)


def test_template_data_error_is_a_value_error() -> None:
    assert issubclass(TemplateDataError, ValueError)


_names = st.from_regex(r"[a-z][a-z0-9_.\-]{0,8}", fullmatch=True)


@given(st.lists(st.tuples(st.text(alphabet=st.characters(exclude_characters="{}")), _names), max_size=6))
def test_render_interleaves_literals_and_values(pieces: list[tuple[str, str]]) -> None:
    source = "".join(f"{literal}{{{{{name}}}}}" for literal, name in pieces)
    values = {name: name.upper() for _, name in pieces}

    rendered = compile_template(source).render(values)

    assert rendered == "".join(literal + name.upper() for literal, name in pieces)
