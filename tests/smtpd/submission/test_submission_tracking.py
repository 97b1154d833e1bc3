"""Submitted mail gets the account's tracking and unsubscribe link like any single send, through the listener to
a real relay, with the message's own MIME structure and attachment intact."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import re
from collections.abc import AsyncIterator, Callable
from email.message import EmailMessage
from typing import Any

import dkim
import pytest
from tests.smtpd.submission.conftest import SENDER, Relay, Submission
from tests.smtpd.submission.test_submission_smtp import RECIPIENTS, dkim_lookup, starttls_plain

from mailyard import bootstrap
from mailyard.mail.composer import MimeComposer
from mailyard.mail.relay_mailer import RelayMailer
from mailyard.mail.relay_pool import RelayPool
from mailyard.mail.relays import RelayConfig
from mailyard.services.sending import SendingService
from mailyard.system.vault import FernetCipher, load_master_key
from mailyard.worker.runner import Worker, WorkerOptions

pytestmark = pytest.mark.timeout(90)
ATTACHMENT = os.urandom(50_000)
OFFER = "https://shop.example.org/offer?a=1&b=2"
_TRACKED_LINK = re.compile(r'href="(https?://[^"]+/t/([^/"]+)/c/([^"]+))"')


@pytest.fixture
async def deliver_tracked(runtime: bootstrap.Runtime, relay: Relay) -> AsyncIterator[Callable[[], Any]]:
    """`await deliver_tracked()`: a worker that tracks and adds unsubscribe links as `mailyard serve`'s does."""
    services = runtime.services
    assert services.tracking is not None
    cipher = FernetCipher(load_master_key(runtime.settings.master_key, runtime.settings.data_dir))
    config = RelayConfig(host="127.0.0.1", port=relay.port, name="test", timeout=5.0, connections=2)
    sending = SendingService(
        runtime.store,
        services.clock,
        RelayMailer(RelayPool([config])),
        MimeComposer(),
        cipher=cipher,
        tracking_links=services.tracking.links,
        unsubscribe_links=services.unsubscribe.links,
    )
    worker = Worker(sending, services.scheduling, WorkerOptions(concurrency=2, batch_size=10))
    yield worker.drain
    await sending.close()


def newsletter() -> bytes:
    made = EmailMessage()
    made["From"], made["To"], made["Subject"] = f"News <{SENDER}>", ", ".join(RECIPIENTS), "Spring offers"
    made.set_content("Our spring offers: https://shop.example.org/offer\n")
    made.add_alternative(
        f'<html><body><p>Our <a href="{OFFER.replace("&", "&amp;")}">spring offers</a>.</p></body></html>\n',
        subtype="html",
        cte="base64",
    )
    made.add_attachment(ATTACHMENT, maintype="application", subtype="pdf", filename="catalogue.pdf")
    return made.as_bytes(policy=email.policy.SMTP)


async def test_submitted_html_is_tracked_and_carries_the_unsubscribe_link(
    submission: Submission, deliver_tracked: Any, relay: Relay
) -> None:
    services = submission.runtime.services
    assert services.tracking is not None
    await services.unsubscribe.create_config(submission.principal, address=SENDER, language="2", enabled=True)
    code, reply = await asyncio.to_thread(starttls_plain, submission, newsletter())
    assert code == 250, reply
    assert await deliver_tracked() == 2

    lookup = await dkim_lookup(submission)
    copy_tokens = set()
    for recipient, data in relay.handler.received:
        assert await asyncio.to_thread(dkim.verify, data, dnsfunc=lookup)
        parsed = email.message_from_bytes(data, policy=email.policy.default)
        assert [part.get_content_type() for part in parsed.walk()] == [
            "multipart/mixed", "multipart/alternative", "text/plain", "text/html", "application/pdf",
        ]  # fmt: skip
        (attachment,) = parsed.iter_attachments()
        assert attachment.get_filename() == "catalogue.pdf" and attachment.get_content() == ATTACHMENT
        text = parsed.get_body(("plain",)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]
        html = parsed.get_body(("html",)).get_content()  # type: ignore[union-attr]

        assert OFFER.replace("&", "&amp;") not in html and "o.gif" in html
        ((_, copy_token, link_token),) = _TRACKED_LINK.findall(html)
        assert services.tracking.clicked(copy_token, link_token, None) == OFFER
        copy_tokens.add(copy_token)

        unsubscribe = re.search(r"<(https?://[^>]+/unsubscribe/[^>]+)>", str(parsed["List-Unsubscribe"]))
        assert unsubscribe is not None
        assert text.startswith("Our spring offers: https://shop.example.org/offer\n")
        assert unsubscribe.group(1) in text and unsubscribe.group(1).replace("&", "&amp;") in html
        found = services.unsubscribe.recipient_of(unsubscribe.group(1).rsplit("/", 1)[1].split("?")[0])
        assert found.address == recipient
    assert len(copy_tokens) == 2  # each copy its own


async def test_without_tracking_or_unsubscribe_the_message_is_kept_as_sent(
    submission: Submission, deliver_tracked: Any, relay: Relay
) -> None:
    from mailyard.domain.tracking import TrackingOptions

    assert submission.runtime.services.tracking is not None
    options = TrackingOptions(opens=False, clicks=False)
    await submission.runtime.services.tracking.set_account_options(submission.principal, options)
    content = newsletter()
    code, _ = await asyncio.to_thread(starttls_plain, submission, content)
    assert code == 250
    assert await deliver_tracked() == 2
    for _, data in relay.handler.received:
        assert data.endswith(content.split(b"\r\n\r\n", 1)[1])
        assert b"List-Unsubscribe" not in data
