"""Every string the dashboard shows is in the one catalogue, translated, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import mailyard.web.dashboard
from mailyard.web.dashboard import languages

DASHBOARD = Path(mailyard.web.dashboard.__file__).parent
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\{\s*\w+\s*\}\}")


def _shown_strings() -> set[str]:
    """The msgids of the templates (`_()`) and the Python modules (`gettext`, `translatable`)."""
    found = extract_from_dir(
        str(DASHBOARD),
        method_map=[("templates/**.html", "jinja2"), ("**.py", "python")],
        keywords={"_": None, "gettext": None, "translatable": None},
        options_map={"templates/**.html": {"extensions": "jinja2.ext.i18n"}},
    )
    return {message for _file, _line, message, _comments, _context in found if isinstance(message, str)}


def test_every_shown_string_has_a_chinese_translation_with_the_same_placeholders() -> None:
    with (DASHBOARD / "locale" / "zh_Hans" / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        catalog = read_po(po_file)
    shown = _shown_strings()
    assert len(shown) > 150
    untranslated = sorted(message for message in shown if not (catalog.get(message) and catalog[message].string))
    assert untranslated == []
    for message in shown:
        translation = str(catalog[message].string)
        assert sorted(PLACEHOLDER.findall(message)) == sorted(PLACEHOLDER.findall(translation)), message


def test_the_language_comes_from_the_choice_then_the_browser() -> None:
    assert languages.choose_language(None, "zh-CN,zh;q=0.9,en;q=0.8") == "zh"
    assert languages.choose_language(None, "fr-FR, en;q=0.5") == "en"
    assert languages.choose_language(None, "fr, zh-TW;q=0.3") == "zh"
    assert languages.choose_language("en", "zh-CN") == "en"
    assert languages.choose_language("xx", None) == "en"
    assert languages.load_languages()["zh"].translations.gettext("Suppressions") == "黑名单"
