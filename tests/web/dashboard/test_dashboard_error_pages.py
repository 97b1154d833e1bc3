"""Error pages of the dashboard: unknown paths give browsers its 404 page (API clients keep JSON), and every
error page carries the menu when signed in and speaks the person's language, core errors included."""

from __future__ import annotations

import httpx
import pytest
from starlette.requests import Request
from tests.conftest import Team

from mailyard import bootstrap
from mailyard.errors import ErrorCode, LimitExceeded, MailyardError
from mailyard.web.dashboard.front import error_response
from mailyard.web.dashboard.pages import Pages

PASSWORD = "a long enough password"
PAGE = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
CHINESE = {"mailyard_language": "zh"}
MENU = '<nav class="menu"'


def _with_cookies(headers: dict[str, str], cookies: dict[str, str]) -> dict[str, str]:
    return {**headers, "cookie": "; ".join(f"{name}={value}" for name, value in cookies.items())}


async def _session(runtime: bootstrap.Runtime, team: Team, nickname: str) -> tuple[str, str]:
    """A dashboard session of `nickname` of acme: its cookie value and CSRF token."""
    person = next(person for person in (team.admin, *team.members) if person.nickname == nickname)
    await runtime.services.sign_in.reset_password(team.admin.principal, person.principal.user_id, PASSWORD)
    token, signed_in = await runtime.services.sign_in.sign_in(
        account_name="acme", nickname=nickname, password=PASSWORD, client_address="test"
    )
    return token, signed_in.csrf_token


async def test_a_browser_asking_for_an_unknown_path_gets_the_404_page(
    api: httpx.AsyncClient, runtime: bootstrap.Runtime, team: Team
) -> None:
    signed_out = await api.get("/no/such/page", headers=PAGE)
    assert signed_out.status_code == 404 and signed_out.headers["content-type"].startswith("text/html")
    assert "Not found" in signed_out.text and MENU not in signed_out.text
    token, _csrf = await _session(runtime, team, "bob")
    signed_in = await api.get("/no/such/page", headers=_with_cookies(PAGE, {"mailyard_session": token}))
    assert signed_in.status_code == 404 and MENU in signed_in.text and ">Tasks</a>" in signed_in.text
    chinese = await api.get("/no/such/page", headers=_with_cookies(PAGE, {"mailyard_session": token, **CHINESE}))
    assert "找不到" in chinese.text and ">任务</a>" in chinese.text and 'lang="zh-Hans"' in chinese.text
    # A form posted to a path nothing serves (a stale bookmark, an old form) gets the page too.
    posted = await api.post("/no/such/form", headers=PAGE, data={"field": "value"})
    assert posted.status_code == 404 and posted.headers["content-type"].startswith("text/html")
    assert "Not found" in posted.text
    # A GET on a path that only takes forms is no page either.
    assert (await api.get("/admin/keys", headers=PAGE)).headers["content-type"].startswith("text/html")


async def test_api_clients_keep_their_json_on_unknown_paths(api: httpx.AsyncClient, team: Team) -> None:
    for path, headers in [
        ("/no/such/page", {"accept": "application/json"}),
        ("/no/such/page", {}),
        ("/v1/no/such/thing", PAGE),
        ("/no/such/page", {**PAGE, "x-tc-action": "SendEmail"}),
        ("/no/such/page?AccessKeyId=x&Signature=y", PAGE),
    ]:
        answer = await api.get(path, headers=headers, auth=team.admin.auth)
        assert answer.status_code == 404, path
        assert answer.json()["error"]["code"] == "not_found", (path, headers)
    posted = await api.post("/no/such/page", headers=PAGE, content=b"x")
    assert posted.status_code == 404 and posted.json()["error"]["code"] == "not_found"
    as_json = await api.post("/no/such/page", headers={"accept": "application/json"}, data={"field": "value"})
    assert as_json.status_code == 404 and as_json.json()["error"]["code"] == "not_found"


async def test_refusals_carry_the_menu_and_the_persons_language(
    api: httpx.AsyncClient, runtime: bootstrap.Runtime, team: Team
) -> None:
    token, _csrf = await _session(runtime, team, "bob")
    cookies = {"mailyard_session": token, **CHINESE}
    not_admin = await api.get("/admin", headers=_with_cookies(PAGE, cookies))
    assert not_admin.status_code == 403 and MENU in not_admin.text
    assert "只有本账户的管理员可以执行此操作。" in not_admin.text and "only an admin" not in not_admin.text
    no_token = await api.post("/tasks/1/pause", headers=_with_cookies(PAGE, cookies), data={})
    assert no_token.status_code == 403 and MENU in no_token.text
    assert "此表单已过期或并非来自本控制台：请刷新页面。" in no_token.text


async def test_a_core_error_is_shown_in_chinese_with_its_specifics(
    api: httpx.AsyncClient, runtime: bootstrap.Runtime, team: Team
) -> None:
    token, csrf = await _session(runtime, team, "alice")
    cookies = {"mailyard_session": token, **CHINESE}
    form = {"csrf_token": csrf, "time_zone": "Asia/Shanghai", "daily_quota": "99999999999"}
    answer = await api.post("/admin/account", headers=_with_cookies(PAGE, cookies), data=form)
    assert answer.status_code == 400 and MENU in answer.text
    assert "填写的部分内容无效。" in answer.text and "2147483647" in answer.text and "详细信息：" in answer.text
    scripted = await api.post(
        "/admin/account", headers=_with_cookies({"accept": "application/json"}, cookies), data=form
    )
    error = scripted.json()["error"]
    assert error["code"] == "invalid_input" and error["message"].startswith("填写的部分内容无效。")
    assert "2147483647" in error["message"]


@pytest.mark.parametrize(
    ("error", "status", "english", "chinese"),
    [
        (LimitExceeded("slow down", code=ErrorCode.RATE_LIMITED), 429, "Too many attempts", "尝试次数过多"),
        (MailyardError("boom"), 500, "Something went wrong", "出了点问题"),
    ],
)
async def test_throttled_and_failed_pages_carry_the_menu(
    runtime: bootstrap.Runtime, team: Team, error: MailyardError, status: int, english: str, chinese: str
) -> None:
    token, _csrf = await _session(runtime, team, "bob")
    pages = Pages()
    for language, heading in (("en", english), ("zh", chinese)):
        cookie = f"mailyard_session={token}; mailyard_language={language}".encode()
        request = _request(runtime, [(b"accept", b"text/html"), (b"cookie", cookie)])
        shown = await error_response(pages, request, error, status=status if status == 500 else None)
        body = bytes(shown.body).decode()
        assert shown.status_code == status and MENU in body and heading in body, language
        assert "boom" not in body  # a failure on our side says nothing of its cause


def _request(runtime: bootstrap.Runtime, headers: list[tuple[bytes, bytes]]) -> Request:
    app = bootstrap.create_web_app(runtime)
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/tasks",
        "raw_path": b"/tasks",
        "query_string": b"",
        "headers": [(b"host", b"mailyard.test"), *headers],
        "scheme": "http",
        "server": ("mailyard.test", 80),
        "app": app,
    }
    return Request(scope)
