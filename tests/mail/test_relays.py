"""Relay URLs: parsing, defaults, lists, errors, and the password never showing."""

from __future__ import annotations

import pytest

from mailyard.mail.relays import RelayConfig, parse_relay, parse_relays


def test_full_url() -> None:
    relay = parse_relay("smtp://user:pass@Mail.Example.com:587?starttls=1&connections=16&rate=200")
    assert (relay.host, relay.port, relay.username, relay.password) == ("mail.example.com", 587, "user", "pass")
    assert relay.starttls and not relay.implicit_tls and relay.uses_tls
    assert (relay.connections, relay.rate, relay.name) == (16, 200.0, "user@mail.example.com:587")


def test_defaults() -> None:
    plain, wrapped = parse_relay("smtp://relay.example"), parse_relay("smtps://relay.example")
    assert (plain.port, wrapped.port) == (25, 465)
    assert wrapped.implicit_tls and not wrapped.starttls
    assert (plain.connections, plain.rate, plain.timeout, plain.idle_timeout) == (4, None, 30.0, 30.0)
    assert (plain.daily_quota, plain.helo, plain.verify, plain.username, plain.password) == (
        None,
        None,
        True,
        None,
        None,
    )
    assert plain.name == "relay.example:25"


def test_every_option() -> None:
    relay = parse_relay(
        "smtps://u:p@[::1]:2465?timeout=2.5&idle_timeout=9&daily_quota=1000&helo=me.example&verify=0&name=main"
        "&time_zone=Asia/Shanghai"
    )
    assert (relay.host, relay.port, relay.timeout, relay.idle_timeout) == ("::1", 2465, 2.5, 9.0)
    assert (relay.daily_quota, relay.helo, relay.verify, relay.name) == (1000, "me.example", False, "main")
    assert (relay.time_zone, parse_relay("smtp://relay.example").time_zone) == ("Asia/Shanghai", "UTC")


def test_credentials_are_url_decoded() -> None:
    relay = parse_relay("smtp://me%40example.com:p%40ss%3Aw%2Cord%2F@relay.example")
    assert (relay.username, relay.password) == ("me@example.com", "p@ss:w,ord/")


def test_password_never_shows() -> None:
    relay = parse_relay("smtp://user:hunter2@relay.example:587")
    for shown in (repr(relay), str(relay), relay.redacted_url, f"{relay}", f"{[relay]}"):
        assert "hunter2" not in shown
    assert str(relay) == "smtp://user:***@relay.example:587"


def test_list() -> None:
    relays = parse_relays(" smtp://a.example?rate=5 , smtps://u:p%2Cq@b.example:465,, ")
    assert [(r.name, r.rate, r.password) for r in relays] == [
        ("a.example:25", 5.0, None),
        ("u@b.example:465", None, "p,q"),
    ]
    assert parse_relays("") == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://relay.example", "scheme"),
        ("relay.example:25", "scheme"),
        ("smtp://", "no host"),
        ("smtp://relay.example:99999", "port"),
        ("smtp://relay.example:0", "port"),
        ("smtp://relay.example:smtp", "port"),
        ("smtp://relay.example/path", "path"),
        ("smtp://relay.example?conections=3", "unknown parameter 'conections'"),
        ("smtp://relay.example?connections=0", "connections"),
        ("smtp://relay.example?rate=fast", "rate"),
        ("smtp://relay.example?rate=inf", "rate"),
        ("smtp://relay.example?verify=maybe", "verify"),
        ("smtp://relay.example?daily_quota=0", "daily_quota"),
        ("smtp://relay.example?time_zone=Mars/Olympus", "time zone"),
        ("smtp://relay.example?time_zone=../etc/passwd", "time zone"),
        ("smtps://relay.example?starttls=1", "starttls"),
        ("smtp://:secret@relay.example", "user name"),
    ],
)
def test_bad_urls(url: str, message: str) -> None:
    with pytest.raises(ValueError, match="bad relay URL") as caught:
        parse_relay(url)
    assert message in str(caught.value)
    assert "secret" not in str(caught.value)


def test_errors_hide_passwords_even_when_the_url_is_garbled() -> None:
    with pytest.raises(ValueError) as caught:
        parse_relay("smtp://user:pa/ss?w#rd@relay.example")  # unencoded "/", "?" and "#" in the password
    assert "pa/ss" not in str(caught.value) and "w#rd" not in str(caught.value)


def test_duplicate_names_are_refused() -> None:
    with pytest.raises(ValueError, match="name="):
        parse_relays("smtp://relay.example,smtp://relay.example:25")
    assert len(parse_relays("smtp://relay.example,smtp://relay.example?name=second")) == 2


def test_config_checks_itself() -> None:
    with pytest.raises(ValueError):
        RelayConfig(host="h", port=465, name="h", implicit_tls=True, starttls=True)
