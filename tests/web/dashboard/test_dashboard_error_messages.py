"""Every core error code has a sentence in English and in Chinese, and the core's specifics stay beside it."""

from __future__ import annotations

from mailyard.errors import ErrorCode, InvalidInput, NotFound
from mailyard.web.dashboard import error_messages, languages


def test_every_code_has_an_english_and_a_chinese_sentence() -> None:
    chinese = languages.load_languages()[languages.CHINESE].translations
    assert [code.name for code in ErrorCode if code not in error_messages.MESSAGES] == []
    untranslated = [
        code.name
        for code, english in error_messages.MESSAGES.items()
        if not english or chinese.gettext(english) == english
    ]
    assert untranslated == []


def test_the_sentence_is_translated_and_the_specifics_are_kept() -> None:
    chinese = languages.load_languages()[languages.CHINESE].translations.gettext
    quota = InvalidInput("the daily quota must be 0 to 2147483647", field="daily_quota")
    shown = error_messages.shown_error(quota, chinese)
    assert shown.summary == "填写的部分内容无效。" and shown.detail == "the daily quota must be 0 to 2147483647"
    english = error_messages.shown_error(quota, lambda message: message)
    assert english.summary == "Some of the values given are not valid." and "2147483647" in english.detail


def test_a_message_saying_only_what_the_sentence_says_is_not_repeated() -> None:
    gone = NotFound("the template does not exist", code=ErrorCode.TEMPLATE_NOT_FOUND)
    shown = error_messages.shown_error(gone, lambda message: message)
    assert (shown.summary, shown.detail) == ("The template does not exist.", "")
