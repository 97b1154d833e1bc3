"""Address-level unsubscribe configuration: whether mail from a sender address carries an unsubscribe link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mailyard.errors import ErrorCode, InvalidInput

NO_LINK = "0"
#: Tencent's `Unsubscribe` enum: "0" no link, "1" simplified Chinese, "2" English ... "12" Vietnamese.
LANGUAGES = frozenset(str(number) for number in range(13))
#: The same options as language tags (BCP 47), as the native API names them; "none" is "0".
LANGUAGE_TAGS = {
    "none": "0",
    "zh-CN": "1",
    "en": "2",
    "zh-TW": "3",
    "es": "4",
    "fr": "5",
    "de": "6",
    "ja": "7",
    "ko": "8",
    "ar": "9",
    "th": "10",
    "id": "11",
    "vi": "12",
}
TAGS_BY_OPTION = {option: tag for tag, option in LANGUAGE_TAGS.items()}


@dataclass(frozen=True, kw_only=True)
class UnsubscribeConfig:
    """Per sender address: the language of the unsubscribe link, and whether the configuration is on."""

    id: int
    account_id: int
    address: str
    language: str
    enabled: bool
    created_at: datetime
    updated_at: datetime

    @property
    def adds_link(self) -> bool:
        return self.enabled and self.language != NO_LINK


def check_language(language: str) -> str:
    """An address-level configuration's language, or a task's own option: "0" to "12", as a string."""
    cleaned = language.strip()
    if cleaned not in LANGUAGES:
        raise InvalidInput(
            "the unsubscribe option must be a number from 0 to 12, as a string",
            field="unsubscribe",
            code=ErrorCode.UNSUBSCRIBE_OPTION_INVALID,
        )
    return cleaned


def check_task_option(option: str | None) -> str | None:
    """A task's or single send's own `Unsubscribe` option, checked; absent or "0" (no link) is None."""
    if option is None:
        return None
    cleaned = check_language(option)
    return None if cleaned == NO_LINK else cleaned


def task_asks_for_link(option: str | None) -> bool:
    """A task's own `Unsubscribe` option: anything but absent or "0" asks for a link."""
    return option is not None and option.strip() not in ("", NO_LINK)
