"""Message-IDs: unique across installations through a random key per run, the same for every resend."""

from __future__ import annotations

from datetime import UTC, datetime

from mailyard.domain import message_ids
from mailyard.mail.mime import MessageBlueprint, compile_message


def test_each_run_draws_its_own_key() -> None:
    keys = {message_ids.new_run_key() for _ in range(1000)}
    assert len(keys) == 1000
    assert all(len(key) == 20 and int(key, 16) >= 0 for key in keys)


def test_the_same_run_and_delivery_always_give_the_same_id() -> None:
    key = message_ids.new_run_key()
    first = message_ids.message_id(run_key=key, run_id=1, delivery_id=1, from_address="News <hi@example.com>")
    again = message_ids.message_id(run_key=key, run_id=1, delivery_id=1, from_address="hi@example.com")
    assert first == again == f"1.1.{key}@example.com"


def test_fresh_installations_do_not_repeat_ids() -> None:
    """Run 1, delivery 1 exists in every new database; its key tells them apart."""
    one, other = (
        message_ids.message_id(run_key=message_ids.new_run_key(), run_id=1, delivery_id=1, from_address="a@example.com")
        for _ in range(2)
    )
    assert one != other


def test_runs_from_before_keys_keep_their_ids() -> None:
    assert message_ids.message_id(run_key=None, run_id=3, delivery_id=9, from_address="a@example.com") == (
        "3.9@example.com"
    )
    assert message_ids.domain_of("no domain") == message_ids.FALLBACK_DOMAIN


def test_the_id_is_a_valid_message_id_header() -> None:
    compiled = compile_message(
        MessageBlueprint(
            from_address="a@example.com",
            from_name=None,
            reply_to=None,
            subject="s",
            text="t",
            html=None,
            list_unsubscribe=None,
            message_id_domain="example.com",
        )
    )
    key = message_ids.new_run_key()
    identifier = message_ids.message_id(run_key=key, run_id=1, delivery_id=2, from_address="a@example.com")
    message = compiled.render(recipient="r@example.org", values={}, message_id=identifier, date=datetime.now(UTC))
    assert f"Message-ID: <1.2.{key}@example.com>\r\n".encode() in message
