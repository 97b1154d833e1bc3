import email
import email.policy
import email.utils
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailyard.domain.rendering import compile_template, merge_variables
from mailyard.mail.mime import CompiledMessage, MessageBlueprint, MessageError, compile_message, to_smtp_data

DATE = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone(timedelta(hours=8)))
TEXT = "Dear {{name}},\n\nYour order {{order}} ships today.\n.\n.hidden line\nBye"
HTML = "<p>Dear {{name}},</p>\n<p>Your order <b>{{order}}</b> ships today.</p>"


def blueprint(**changes: object) -> MessageBlueprint:
    fields: dict[str, object] = {
        "from_address": "news@example.com",
        "subject": "Order {{order}} for {{name}}",
        "text": TEXT,
        "html": HTML,
        "message_id_domain": "mail.example.com",
    }
    fields.update(changes)
    return MessageBlueprint(**fields)  # type: ignore[arg-type]


def render(compiled: CompiledMessage, values: Mapping[str, str], recipient: str = "bob@example.org") -> bytes:
    return compiled.render(recipient=recipient, values=values, message_id="m-1", date=DATE)


def parse(message: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(message, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    assert not parsed.defects
    return parsed


def body_text(message: EmailMessage, kind: str) -> str:
    part = message.get_body((kind,))
    assert part is not None
    assert not part.defects
    content = part.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")


def assert_wire_format(message: bytes) -> None:
    """CRLF everywhere, lines within RFC 5322's 998 octets, body lines within RFC 2045's 76."""
    assert re.search(rb"[^\r]\n|\r[^\n]", message) is None
    assert message.endswith(b"\r\n")
    head, body = message.split(b"\r\n\r\n", 1)
    assert all(len(line) <= 998 for line in message.split(b"\r\n"))
    assert all(len(line) <= 76 for line in body.split(b"\r\n"))
    assert all(line.isascii() for line in head.split(b"\r\n"))


def unstuff(data: bytes) -> bytes:
    assert data.endswith(b"\r\n.\r\n")
    lines = data[: -len(b".\r\n")].split(b"\r\n")
    assert all(not line.startswith(b".") or line.startswith(b"..") for line in lines)
    return b"\r\n".join(line[1:] if line.startswith(b".") else line for line in lines)


def test_headers_and_both_parts_decode_to_the_rendered_text() -> None:
    values = {"name": "Ada", "order": "A-17"}
    message = render(compile_message(blueprint()), values)
    parsed = parse(message)

    assert parsed["From"] == "news@example.com"
    assert parsed["To"] == "bob@example.org"
    assert parsed["Subject"] == "Order A-17 for Ada"
    assert parsed["Message-ID"] == "<m-1@mail.example.com>"
    assert parsed["MIME-Version"] == "1.0"
    assert parsed["Date"].datetime == DATE
    assert parsed.get_content_type() == "multipart/alternative"
    assert body_text(parsed, "plain") == compile_template(TEXT).render(values)
    assert body_text(parsed, "html") == compile_template(HTML).render(values)
    assert "Reply-To" not in parsed
    assert "List-Unsubscribe" not in parsed
    assert_wire_format(message)


def test_date_header_matches_the_stdlib_format() -> None:
    compiled = compile_message(blueprint())
    for date in (
        DATE,
        datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC),
        DATE.astimezone(timezone(-timedelta(hours=5, minutes=30))),
    ):
        message = compiled.render(recipient="a@b.example", values={}, message_id="x", date=date)
        assert f"Date: {email.utils.format_datetime(date)}\r\n".encode() in message


def test_naive_date_is_rejected() -> None:
    with pytest.raises(MessageError, match="time zone"):
        compile_message(blueprint()).render(
            recipient="a@b.example", values={}, message_id="x", date=datetime(2024, 1, 1)
        )


def test_non_ascii_subject_and_display_name_decode_exactly() -> None:
    subject = "Ваш заказ {{order}} — 已发货 ✓ for {{name}}"
    compiled = compile_message(blueprint(subject=subject, from_name="Zoë’s Café «Boutique» 商店"))
    values = {"name": "Renée", "order": "№ 5"}
    parsed = parse(render(compiled, values))

    assert parsed["Subject"] == "Ваш заказ № 5 — 已发货 ✓ for Renée"
    (sender,) = parsed["From"].addresses
    assert sender.display_name == "Zoë’s Café «Boutique» 商店"
    assert sender.addr_spec == "news@example.com"


@pytest.mark.parametrize(
    "subject",
    [
        "A rather long subject line " * 8,
        "Ünïcödé " * 30,
        "x" * 300,
        "   leading and trailing spaces   ",
        "double  spaces  kept",
        "looks =?utf-8?q?encoded?= but is not",
        "中文主题" * 40,
        "",
    ],
)
def test_long_and_odd_subjects_fold_and_decode_exactly(subject: str) -> None:
    message = render(compile_message(blueprint(subject=subject)), {})
    head = message.split(b"\r\n\r\n", 1)[0]

    assert parse(message)["Subject"] == subject
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))
    assert_wire_format(message)


def test_control_characters_in_a_subject_value_cannot_add_headers() -> None:
    compiled = compile_message(blueprint(subject="Hi {{name}}"))
    parsed = parse(render(compiled, {"name": "x\r\nBcc: victim@example.org"}))

    assert parsed["Subject"] == "Hi x  Bcc: victim@example.org"
    assert "Bcc" not in parsed


def test_ascii_display_name_is_quoted() -> None:
    compiled = compile_message(blueprint(from_name='The "Best" Shop, Inc. \\ Co', reply_to="help@example.com"))
    parsed = parse(render(compiled, {}))

    (sender,) = parsed["From"].addresses
    assert sender.display_name == 'The "Best" Shop, Inc. \\ Co'
    assert parsed["Reply-To"] == "help@example.com"


def test_html_escaping_applies_only_to_the_html_part() -> None:
    values = {"name": "Tom & <Jerry>", "order": '"5"'}
    parsed = parse(render(compile_message(blueprint()), values))

    assert parsed["Subject"] == 'Order "5" for Tom & <Jerry>'
    assert "Dear Tom & <Jerry>," in body_text(parsed, "plain")
    assert "<p>Dear Tom &amp; &lt;Jerry&gt;,</p>" in body_text(parsed, "html")
    assert "<b>&quot;5&quot;</b>" in body_text(parsed, "html")


def test_missing_variables_render_empty() -> None:
    parsed = parse(render(compile_message(blueprint()), {"name": "Ada"}))

    assert parsed["Subject"] == "Order  for Ada"
    assert "Your order  ships today." in body_text(parsed, "plain")
    assert compile_message(blueprint()).variables == frozenset({"name", "order"})


def test_recipient_variables_override_task_variables() -> None:
    values = merge_variables({"name": "customer", "order": 1}, {"name": "Ada"})
    parsed = parse(render(compile_message(blueprint()), values))

    assert parsed["Subject"] == "Order 1 for Ada"


@pytest.mark.parametrize(("text", "html", "kind"), [(TEXT, None, "plain"), (None, HTML, "html")])
def test_single_part_messages(text: str | None, html: str | None, kind: str) -> None:
    values = {"name": "Ada", "order": "9"}
    message = render(compile_message(blueprint(text=text, html=html)), values)
    parsed = parse(message)

    assert parsed.get_content_type() == f"text/{kind}"
    assert parsed.get_content_charset() == "utf-8"
    assert parsed["Content-Transfer-Encoding"] == "quoted-printable"
    assert body_text(parsed, kind) == compile_template(text or html or "").render(values, escape_html=kind == "html")
    assert_wire_format(message)


def test_a_message_needs_a_body() -> None:
    with pytest.raises(MessageError, match="text or an HTML body"):
        compile_message(blueprint(text=None, html=None))


def test_dot_stuffing_of_lines_starting_with_a_dot() -> None:
    compiled = compile_message(blueprint(text=".{{name}}\n..two\n{{name}}", html=None))
    values = {"name": ".dot value\n.second"}
    message = render(compiled, values)
    data = to_smtp_data(message)

    assert b"\r\n..dot value" in data
    assert data.endswith(b"\r\n.\r\n")
    assert unstuff(data) == message
    assert body_text(parse(message), "plain") == "..dot value\n.second\n..two\n.dot value\n.second"


def test_to_smtp_data_stuffs_in_one_pass_and_terminates() -> None:
    assert to_smtp_data(b".a\r\nb\r\n.\r\n..c") == b"..a\r\nb\r\n..\r\n...c\r\n.\r\n"
    assert to_smtp_data(b"x\r\n") == b"x\r\n.\r\n"


def test_boundary_cannot_collide_with_content() -> None:
    compiled = compile_message(blueprint())
    first = render(compiled, {})
    boundary = parse(first).get_boundary()
    assert boundary is not None
    hostile = {"name": f"--{boundary}\n--{boundary}--", "order": f"\n--{boundary}\n"}

    message = render(compiled, hostile)
    parsed = parse(message)

    delimiters = [line for line in message.split(b"\r\n") if line.startswith(b"--" + boundary.encode())]
    assert len(delimiters) == 3
    assert len(list(parsed.iter_parts())) == 2
    assert body_text(parsed, "plain") == compile_template(TEXT).render(hostile)


def test_long_lines_and_arbitrary_utf8_are_wrapped_and_decode_exactly() -> None:
    text = "x" * 5000 + "\n" + "é" * 2000 + " \t\n" + "{{v}}" * 3 + "end  "
    values = {"v": "=" * 80 + "😀" * 30}
    message = render(compile_message(blueprint(text=text, html=text)), values)
    parsed = parse(message)

    assert body_text(parsed, "plain") == compile_template(text).render(values)
    assert body_text(parsed, "html") == compile_template(text).render(values, escape_html=True)
    assert_wire_format(message)


def test_list_unsubscribe_headers() -> None:
    compiled = compile_message(blueprint(list_unsubscribe="https://example.com/u/{{token}}?list={{list}}"))
    parsed = parse(render(compiled, {"token": "a b/c,<d>", "list": "7"}))

    assert parsed["List-Unsubscribe"] == "<https://example.com/u/a%20b/c%2C%3Cd%3E?list=7>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_one_click_post_header_only_for_https() -> None:
    parsed = parse(render(compile_message(blueprint(list_unsubscribe="mailto:leave@example.com")), {}))

    assert parsed["List-Unsubscribe"] == "<mailto:leave@example.com>"
    assert "List-Unsubscribe-Post" not in parsed


def test_extra_headers_are_encoded() -> None:
    headers = (("X-Campaign", "spring sale"), ("X-Note", "Grüße " * 20))
    parsed = parse(render(compile_message(blueprint(headers=headers)), {}))

    assert parsed["X-Campaign"] == "spring sale"
    assert parsed["X-Note"] == "Grüße " * 20


@pytest.mark.parametrize(
    "changes",
    [
        {"headers": (("Subject", "x"),)},
        {"headers": (("Bad Name", "x"),)},
        {"headers": ((".dot", "x"),)},
        {"from_address": "not an address"},
        {"from_address": "a@b.example>\r\nBcc: c@d.example"},
        {"reply_to": "x"},
        {"from_name": "line\r\nbreak"},
        {"message_id_domain": "bad domain"},
        {"list_unsubscribe": "ftp://example.com/x"},
        {"list_unsubscribe": "https://example.com/<x>"},
    ],
)
def test_invalid_blueprints_are_rejected(changes: dict[str, object]) -> None:
    with pytest.raises(MessageError):
        compile_message(blueprint(**changes))


@pytest.mark.parametrize(
    "recipient", ["bob", "bob@example.org\r\nBcc: x@y.example", "a b@example.org", "<a@b.example>"]
)
def test_unusable_recipients_are_rejected(recipient: str) -> None:
    with pytest.raises(MessageError, match="recipient"):
        render(compile_message(blueprint()), {}, recipient=recipient)


def test_message_id_keeps_a_full_id_and_rejects_junk() -> None:
    compiled = compile_message(blueprint())
    message = compiled.render(recipient="a@b.example", values={}, message_id="abc.1@other.example", date=DATE)

    assert parse(message)["Message-ID"] == "<abc.1@other.example>"
    with pytest.raises(MessageError, match="Message-ID"):
        compiled.render(recipient="a@b.example", values={}, message_id="a b", date=DATE)


_body_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=300)
_subject_text = st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")), max_size=200)


@settings(max_examples=150, deadline=None)
@given(literal=_body_text, value=_body_text, subject=_subject_text)
def test_any_text_round_trips(literal: str, value: str, subject: str) -> None:
    source = literal + "{{v}}" + literal
    compiled = compile_message(blueprint(subject=subject + "{{v}}", text=source, html=source))
    values = {"v": value}
    message = render(compiled, values)
    parsed = parse(message)

    def normalized(text: str) -> str:
        return text.replace("\r\n", "\n").replace("\r", "\n")

    assert body_text(parsed, "plain") == normalized(compile_template(source).render(values))
    assert body_text(parsed, "html") == normalized(compile_template(source).render(values, escape_html=True))
    assert unstuff(to_smtp_data(message)) == message
    assert_wire_format(message)
    if value.isprintable():
        assert parsed["Subject"] == subject + value


def test_render_speed() -> None:
    """Printed with -s; only a loose bound is asserted, shared machines vary."""
    paragraph = "Thanks for shopping with us, {{name}}. Your order {{order}} is on its way.\n"
    compiled = compile_message(
        blueprint(
            subject="Your order {{order}} has shipped",
            text=paragraph * 30,
            html="<p>" + paragraph * 30 + "</p>",
            list_unsubscribe="https://example.com/u/{{token}}",
        )
    )
    values = {"name": "Ada Lovelace", "order": "A-1234", "token": "0123456789abcdef"}
    size = len(render(compiled, values))
    rounds = 3000

    timings = {}
    for label, method in (
        ("render", compiled.render),
        ("render + to_smtp_data", lambda **copy: to_smtp_data(compiled.render(**copy))),
    ):
        start = time.perf_counter()
        for _ in range(rounds):
            method(recipient="bob@example.org", values=values, message_id="m-1", date=DATE)
        timings[label] = (time.perf_counter() - start) / rounds * 1e6
    print(f"\n{size} byte message: " + ", ".join(f"{k} {v:.1f} µs" for k, v in timings.items()))
    assert 4000 < size < 8000
    assert timings["render + to_smtp_data"] < 1000
