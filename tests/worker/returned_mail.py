"""Returned mail as real servers write it: DSNs shaped like Postfix's, Exim's and Microsoft's, an RFC 5965
complaint report, and an out-of-office reply."""

from __future__ import annotations


def _lines(text: str) -> bytes:
    return text.lstrip("\n").replace("\n", "\r\n").encode()


def postfix_dsn(return_path: str, recipient: str, *, status: str = "5.1.1", action: str = "failed") -> bytes:
    reply = "550 5.1.1" if status.startswith("5") else "450 4.2.0"
    return _lines(f"""
Return-Path: <>
From: MAILER-DAEMON@mx.example.org (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: {return_path}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="3F2A1C0D.1796630000/mx.example.org"
Message-Id: <20261207010000.3F2A1C0D@mx.example.org>

This is a MIME-encapsulated message.

--3F2A1C0D.1796630000/mx.example.org
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.org.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{recipient}>: host mx.example.org[192.0.2.1] said: {reply} <{recipient}>:
    Recipient address rejected: User unknown in local recipient table (in reply
    to RCPT TO command)

--3F2A1C0D.1796630000/mx.example.org
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org
X-Postfix-Queue-ID: 3F2A1C0D
X-Postfix-Sender: rfc822; {return_path}
Arrival-Date: Mon,  7 Dec 2026 09:00:00 +0800 (CST)

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: {action}
Status: {status}
Remote-MTA: dns; mx.example.org
Diagnostic-Code: smtp; {reply} <{recipient}>: Recipient address rejected: User
    unknown in local recipient table

--3F2A1C0D.1796630000/mx.example.org
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

Return-Path: <{return_path}>
From: News <hello@news.example.com>
To: {recipient}
Subject: Hi

--3F2A1C0D.1796630000/mx.example.org--
""")


def exim_bounce(return_path: str, recipient: str) -> bytes:
    return _lines(f"""
Return-path: <>
From: Mail Delivery System <Mailer-Daemon@mx.example.net>
To: {return_path}
Subject: Mail delivery failed: returning message to sender
Auto-Submitted: auto-replied
X-Failed-Recipients: {recipient}
Message-Id: <E1kX9a2-0004Zq-7T@mx.example.net>
Date: Mon, 07 Dec 2026 09:00:00 +0800

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  {recipient}
    host mx.example.org [192.0.2.2]
    SMTP error from remote mail server after RCPT TO:<{recipient}>:
    550 5.1.1 <{recipient}>: Recipient address rejected: User unknown

------ This is a copy of the message, including all the headers. ------

Return-path: <{return_path}>
From: News <hello@news.example.com>
To: {recipient}
Subject: Hi

Hello
""")


def microsoft_ndr(return_path: str, recipient: str) -> bytes:
    return _lines(f"""
From: postmaster@outlook.com
To: {return_path}
Subject: Undeliverable: Hi
Content-Type: multipart/report; report-type=delivery-status;
	boundary="_000_DM6PR_"
MIME-Version: 1.0
X-MS-Exchange-Message-Is-Ndr:
Auto-Submitted: auto-replied

--_000_DM6PR_
Content-Type: text/plain; charset="us-ascii"

Your message to {recipient} couldn't be delivered.
{recipient.partition("@")[0]} wasn't found at example.org.

Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'

--_000_DM6PR_
Content-Type: message/delivery-status

Reporting-MTA: dns;DM6PR11MB1234.namprd11.prod.outlook.com
Received-From-MTA: dns;relay.example.com
Arrival-Date: Mon, 7 Dec 2026 01:00:00 +0000

Final-Recipient: rfc822;{recipient}
Action: failed
Status: 5.1.10
Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient {recipient} not found by SMTP address lookup
X-Display-Name: {recipient}

--_000_DM6PR_
Content-Type: message/rfc822

Return-Path: <{return_path}>
From: News <hello@news.example.com>
To: {recipient}
Subject: Hi

Hello

--_000_DM6PR_--
""")


def complaint(to: str, recipient: str, *, return_path: str | None, message_id: str | None = None) -> bytes:
    enclosed_return_path = f"Return-Path: <{return_path}>\n" if return_path else ""
    enclosed_id = f"Message-ID: <{message_id}>\n" if message_id else ""
    return _lines(f"""
From: staff@feedback.example.net
To: {to}
Subject: FW: Hi
Date: Mon, 07 Dec 2026 09:00:00 +0800
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report;
	boundary="part1_13d.2e68ed54_boundary"

--part1_13d.2e68ed54_boundary
Content-Type: text/plain; charset="US-ASCII"
Content-Transfer-Encoding: 7bit

This is an email abuse report for an email message received from IP
192.0.2.1 on Mon, 07 Dec 2026 09:00:00 +0800.

--part1_13d.2e68ed54_boundary
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: SomeGenerator/1.0
Version: 1
Original-Rcpt-To: <{recipient}>
Arrival-Date: Mon, 07 Dec 2026 09:00:00 +0800
Source-IP: 192.0.2.1

--part1_13d.2e68ed54_boundary
Content-Type: message/rfc822
Content-Disposition: inline

{enclosed_return_path}{enclosed_id}From: News <hello@news.example.com>
To: {recipient}
Subject: Hi

Hello

--part1_13d.2e68ed54_boundary--
""")


def out_of_office(return_path: str, sender: str) -> bytes:
    return _lines(f"""
From: {sender}
To: {return_path}
Subject: Automatic reply: Hi
Auto-Submitted: auto-replied
X-Auto-Response-Suppress: All
Content-Type: text/plain; charset=utf-8

I am out of the office until Monday and will read your message then.
""")
