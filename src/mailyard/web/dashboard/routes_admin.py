"""Administration (admins): users and their passwords, access keys, the account's quota and time zone."""

from __future__ import annotations

from fastapi import APIRouter

from mailyard.web.dashboard.pages import Pages
from mailyard.web.dashboard.sessions import CookieOptions


def add_routes(router: APIRouter, pages: Pages, _cookies: CookieOptions) -> None:
    return None
