"""Return-path tokens: they name a delivery, survive lower-casing, and cannot be forged or cut short."""

from __future__ import annotations

import pytest

from mailyard.domain.return_path import ReturnPathSettings, template_for
from mailyard.services.return_path import InboundAddress, ReturnPaths
from mailyard.system.signing import HmacSigner

SETTINGS = ReturnPathSettings(label="bounce", inbound_host="mx.mailyard.example")


def paths(key: bytes = b"k" * 32) -> ReturnPaths:
    return ReturnPaths(HmacSigner(key, purpose="mailyard return path"), SETTINGS)


@pytest.mark.parametrize("delivery_id", [1, 35, 36, 123_456_789, 2**63 - 1])
def test_a_copy_return_path_names_its_delivery(delivery_id: int) -> None:
    address = paths().address(template_for("news@example.com", SETTINGS), delivery_id)
    local, _, domain = address.partition("@")
    assert domain == "bounce.example.com" and local.startswith("news+") and len(local) <= 64
    assert paths().read(address) == InboundAddress(delivery_id=delivery_id, complaints_for=None)
    assert paths().read(address.upper()) == InboundAddress(delivery_id=delivery_id, complaints_for=None)


def test_forged_truncated_and_foreign_tokens_are_nothing() -> None:
    address = paths().address(template_for("news@example.com", SETTINGS), 4242)
    local, _, domain = address.partition("@")
    number, _, mac = local.partition("+")[2].partition(".")
    forged = [
        f"news+{int(number) + 1}.{mac}@{domain}",  # another delivery with the same MAC
        f"news+{number}.{mac[:-1]}@{domain}",  # truncated
        f"news+{number}.{mac[:-1]}{'a' if mac[-1] != 'a' else 'b'}@{domain}",  # one character changed
        f"news+{number}@{domain}",
        f"news+.{mac}@{domain}",
        f"news+0{number}.{mac}@{domain}",
        f"news@{domain}",
        f"{local}@example.com",  # not a return-path domain
        f"{local}@other.example.com",
        "",
        "@",
        "complaints@example.com",
    ]
    for address_text in forged:
        assert paths().read(address_text) is None, address_text
    assert paths(b"x" * 32).read(address) is None  # another installation's key


def test_long_local_parts_fall_back_and_complaints_address() -> None:
    long_sender = f"{'a' * 40}@example.com"
    address = paths().address(template_for(long_sender, SETTINGS), 7)
    assert address.startswith("bounces+") and paths().read(address) is not None
    found = paths().read("Complaints@Bounce.Example.com")
    assert found == InboundAddress(delivery_id=None, complaints_for="example.com")
    assert SETTINGS.sending_domain_of("bounce.example.com") == "example.com"
    assert SETTINGS.sending_domain_of("bounce.com") is None
