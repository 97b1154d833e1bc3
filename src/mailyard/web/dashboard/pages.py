"""Rendering pages: one Jinja2 environment per language, the menu, and the security headers of every page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from mailyard.domain import schedules
from mailyard.domain.sign_in import SignedIn
from mailyard.web.dashboard import languages
from mailyard.web.dashboard.labels import translatable

# Pages load nothing but their own origin's script and style; nothing embeds them elsewhere.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; "
    "frame-ancestors 'self'; form-action 'self'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": PAGE_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class MenuItem:
    path: str
    label: str  #: an English msgid, translated when rendered
    admin_only: bool = False
    within: tuple[str, ...] = ()  #: other pages that belong under this entry

    def is_current(self, path: str) -> bool:
        return any(path == base or path.startswith(base + "/") for base in (self.path, *self.within))


MENU = (
    MenuItem("/tasks", translatable("Tasks")),
    MenuItem("/templates", translatable("Templates")),
    MenuItem("/lists", translatable("Recipient lists")),
    MenuItem("/outbox", translatable("Outbox")),
    MenuItem("/statistics", translatable("Statistics")),
    MenuItem("/suppressions", translatable("Suppressions")),
    MenuItem("/domains", translatable("Domains")),
    MenuItem("/admin", translatable("Administration"), admin_only=True, within=("/webhooks",)),
)


def local_time(moment: datetime | None, time_zone: str) -> str:
    """A time as people of the account read it: in its zone, to the minute."""
    if moment is None:
        return ""
    return moment.astimezone(schedules.zone(time_zone)).strftime("%Y-%m-%d %H:%M")


class Pages:
    """Renders templates in the request's language."""

    def __init__(self) -> None:
        self._languages = languages.load_languages()
        self._environments = {code: self._environment(language) for code, language in self._languages.items()}

    def _environment(self, language: languages.Language) -> Environment:
        environment = Environment(
            loader=PackageLoader("mailyard.web.dashboard", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        environment.install_gettext_translations(language.translations, newstyle=True)  # type: ignore[attr-defined]
        environment.globals["menu"] = MENU
        environment.globals["html_lang"] = language.html_lang
        environment.globals["language"] = language.code
        environment.filters["local"] = local_time
        return environment

    def language_of(self, request: Request) -> str:
        return languages.choose_language(
            request.cookies.get(languages.LANGUAGE_COOKIE), request.headers.get("accept-language")
        )

    def gettext(self, request: Request, message: str) -> str:
        return self._languages[self.language_of(request)].translations.gettext(message)

    def render(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any],
        *,
        signed_in: SignedIn | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        environment = self._environments[self.language_of(request)]
        values = {
            "request": request,
            "path": request.url.path,
            "signed_in": signed_in,
            "principal": signed_in.principal if signed_in else None,
            "csrf_token": signed_in.csrf_token if signed_in else "",
            **context,
        }
        body = environment.get_template(template).render(values)
        return HTMLResponse(body, status_code=status_code, headers=SECURITY_HEADERS)
