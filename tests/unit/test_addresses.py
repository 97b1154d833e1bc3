"""The one address rule: internationalized addresses are accepted and kept in one form, sent with A-labels."""

from __future__ import annotations

import pytest

from mailyard.domain import addresses, identities, messages, recipients
from mailyard.errors import InvalidInput


@pytest.mark.parametrize(
    ("given", "kept", "sent"),
    [
        ("yu@例え.jp", "yu@例え.jp", "yu@xn--r8jz45g.jp"),
        ("a@example.xn--p1ai", "a@example.рф", "a@example.xn--p1ai"),
        ("A@EXAMPLE.XN--P1AI", "a@example.рф", "a@example.xn--p1ai"),
        ("用户@example.com", "用户@example.com", "用户@example.com"),
        ("Ann.Lee+news@Example.ORG", "ann.lee+news@example.org", "ann.lee+news@example.org"),
    ],
)
def test_international_addresses_are_accepted(given: str, kept: str, sent: str) -> None:
    assert addresses.problem(given) is None
    assert addresses.normalized(f"  {given} ") == kept
    assert addresses.for_sending(kept) == sent
    assert addresses.needs_smtputf8(sent) is (not sent.isascii())
    assert recipients.check_recipient(given).address == kept
    assert messages.check_address(given, "destination") == kept


@pytest.mark.parametrize(
    "given",
    [
        "ann@example.org\r\nBcc: x@example.org",
        "ann\n@example.org",
        "ann@exa\nmple.org",
        "no-at-sign",
        "a..b@example.org",
        "ann@localhost",
        "ann@example.test",
        '"quoted"@example.org',
        "ann@[127.0.0.1]",
        "a" * 65 + "@example.org",
        "ann@" + "a" * 250 + ".org",
        "",
    ],
)
def test_bad_addresses_are_refused_everywhere(given: str) -> None:
    assert addresses.problem(given) is not None
    checked = recipients.check_recipient(given)
    assert not checked.valid and checked.reason
    with pytest.raises(InvalidInput) as refused:
        messages.check_address(given, "destination")
    assert refused.value.code == "address_invalid"


def test_a_trailing_newline_is_not_part_of_a_valid_address() -> None:
    # `$` in the former patterns matched before a final newline; callers that do not strip relied on them.
    assert addresses.problem("ann@example.org\n") is not None
    assert addresses.problem("ann@example.org") is None
    assert identities.normalize_domain("Mail.Example.com.") == "mail.example.com"
    assert identities.normalize_domain("Mail.Example.com.") == "mail.example.com"
    with pytest.raises(InvalidInput):
        identities.normalize_domain("mail.exa\nmple.com")


def test_bytes_an_smtp_session_could_not_decode_are_a_problem_not_a_crash() -> None:
    assert addresses.problem("j\udcffrg@example.org") == "address is not valid UTF-8"


def test_answers_stay_the_same_when_an_address_comes_back() -> None:
    """Valid addresses are remembered; a refused one is refused again, with the same reason."""
    for _ in range(3):
        assert addresses.canonical("Ann@Example.ORG") == "ann@example.org"
        assert addresses.problem("ann@localhost") is not None
        with pytest.raises(InvalidInput, match="not a valid email address"):
            messages.check_address("no-at-sign", "destination")
    assert addresses.canonical.cache_info().hits >= 2
