"""What a message submitted over SMTP gets of the account's settings, as a templated single send does: its HTML
parts tracked, then the unsubscribe footer in its HTML and text parts (the footer's link is never tracked) and
a List-Unsubscribe header."""

from __future__ import annotations

from collections.abc import Callable

from mailyard.domain import tracking, unsubscribe_texts
from mailyard.domain.letters import SubmittedChanges
from mailyard.services.unsubscribe import TOKEN_VARIABLE


def submitted_changes(track: Callable[[str], str] | None, option: str | None, link: str | None) -> SubmittedChanges:
    """`track` rewrites a run's HTML (None: nothing tracked); `option` and `link` are the unsubscribe
    footer's language and URL template (None: no link)."""
    footer = (option, link) if option and link else None
    variables = ({tracking.TRACK_VARIABLE} if track else set()) | ({TOKEN_VARIABLE} if footer else set())

    def html(source: str) -> str:
        rewritten = track(source) if track else source
        if footer is None:
            return rewritten
        return unsubscribe_texts.with_html_footer(rewritten, unsubscribe_texts.html_footer(*footer))

    def text(source: str) -> str:
        return source + unsubscribe_texts.text_footer(*footer) if footer else source

    return SubmittedChanges(
        html=html if track or footer else None,
        text=text if footer else None,
        list_unsubscribe=footer[1] if footer else None,
        variables=frozenset(variables),
    )
