"""How many cases the fuzz tests run, and what no answer may show.

`make test` runs every fuzz test with its small default; `make fuzz` sets ``MAILYARD_FUZZ_EXAMPLES`` (10,000)
and selects them with ``-m fuzz``; their timeouts grow with the number of cases.
"""

from __future__ import annotations

import os
import re

import pytest

#: what a traceback, a driver error or an object repr would leave in an answer (precise enough that an answer
#: echoing a client's word, such as "not a valid domain name: 'Traceback'", is not taken for one)
INTERNAL_DETAILS = re.compile(
    r"Traceback \(most recent call last\)|File \"[^\"]*\", line \d+|sqlalchemy\.|sqlite3\.|aiosqlite\."
    r"|asyncpg\.|psycopg|site-packages/| object at 0x[0-9a-f]+"
)


#: numbers as text, at and past every edge a door parses: integer widths, signs, Unicode digits, padding
EDGE_NUMBERS = (
    *("0", "-1", "1", str(2**31), str(2**53 + 1), str(2**63 - 1), str(2**63), str(-(2**63) - 1), str(2**64)),
    *("9" * 12, "9" * 13, "1e3", "1.5", "+1", " 1", "1 ", "0x10", "", "00000000000000000001"),
    *("\u0663", "\uff11", "\u00b2", "\u2167"),  # Arabic-Indic three, fullwidth one, superscript two, Roman eight
)


def examples(default: int) -> int:
    """The number of cases for a test whose `make test` share is ``default``."""
    configured = os.environ.get("MAILYARD_FUZZ_EXAMPLES", "")
    return int(configured) if configured.isdigit() else default


def timeout(default_seconds: float, default_examples: int) -> pytest.MarkDecorator:
    """A timeout mark that grows with the number of cases, from ``default_seconds`` for the default number."""
    scale = max(1.0, examples(default_examples) / default_examples)
    return pytest.mark.timeout(default_seconds * scale)


def assert_no_internal_details(text: str, sent: str = "") -> None:
    """For error answers: a success may echo what its client stored, whatever that says.

    A match that the request itself carried (a parameter named ``asyncpg.x`` named back in "unknown parameter")
    is an echo, not a leak.
    """
    shown = [found for found in INTERNAL_DETAILS.findall(text) if found not in sent]
    assert not shown, (shown, text[:2000])
