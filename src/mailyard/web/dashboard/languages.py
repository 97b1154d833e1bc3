"""The dashboard's languages: English (the source strings) and Simplified Chinese from one gettext catalogue.

The catalogue is kept as a .po file and compiled in memory when the dashboard is built, so no binary file
lives in the repository.
"""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass
from importlib import resources

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ENGLISH = "en"
CHINESE = "zh"
LANGUAGES = (ENGLISH, CHINESE)
CATALOGUE_LOCALES = {CHINESE: "zh_Hans"}
LANGUAGE_COOKIE = "mailyard_language"


@dataclass(frozen=True)
class Language:
    code: str
    html_lang: str
    translations: gettext.NullTranslations


def load_languages() -> dict[str, Language]:
    """Every language with its compiled catalogue; English needs none."""
    loaded = {ENGLISH: Language(ENGLISH, "en", gettext.NullTranslations())}
    for code, locale in CATALOGUE_LOCALES.items():
        loaded[code] = Language(code, "zh-Hans", _compiled(locale))
    return loaded


def _compiled(locale: str) -> gettext.GNUTranslations:
    source = resources.files("mailyard.web.dashboard").joinpath("locale", locale, "LC_MESSAGES", "messages.po")
    with source.open("rb") as po_file:
        catalog = read_po(po_file, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def choose_language(cookie: str | None, accept_language: str | None) -> str:
    """The language picked in the dashboard, else the browser's first supported one, else English."""
    if cookie in LANGUAGES:
        return cookie
    for code, _quality in _ranked(accept_language or ""):
        primary = code.split("-")[0].lower()
        if primary in LANGUAGES:
            return primary
    return ENGLISH


def _ranked(header: str) -> list[tuple[str, float]]:
    ranked: list[tuple[str, float]] = []
    for part in header.split(","):
        code, _, parameters = part.strip().partition(";")
        quality = 1.0
        if parameters.strip().startswith("q="):
            try:
                quality = float(parameters.strip()[2:])
            except ValueError:
                quality = 0.0
        if code:
            ranked.append((code, quality))
    return sorted(ranked, key=lambda item: -item[1])
