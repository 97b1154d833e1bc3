"""Template actions through the official SDK against a real `mailyard serve` process."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator

import pytest
from tencentcloud.ses.v20201002 import models
from tests.web.conftest import LiveService
from tests.web.tencent.tencent_live import expect_code, live_service, request, ses, template_content


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    with live_service(tmp_path_factory.mktemp("serve"), None, "--api-only") as live:
        live.create_key("acme", "admin")
        live.create_key("globex", "eve")
        yield live


def create(service: LiveService, name: str, text: str | None = "Hi {{name}}", html: str | None = None) -> int:
    made = ses(service, "admin").CreateEmailTemplate(
        request(models.CreateEmailTemplateRequest, TemplateName=name, TemplateContent=template_content(text, html))
    )
    return int(made.TemplateID)


def test_create_get_update_list_delete(service: LiveService) -> None:
    client = ses(service, "admin")
    before = int(time.time())
    template_id = create(service, "welcome", "Hi {{name}}", "<p>Hi {{name}}</p>")
    got = client.GetEmailTemplate(request(models.GetEmailTemplateRequest, TemplateID=template_id))
    assert (got.TemplateName, got.TemplateStatus) == ("welcome", 0)
    assert base64.b64decode(got.TemplateContent.Text).decode() == "Hi {{name}}"
    assert base64.b64decode(got.TemplateContent.Html).decode() == "<p>Hi {{name}}</p>"

    client.UpdateEmailTemplate(
        request(
            models.UpdateEmailTemplateRequest,
            TemplateID=template_id,
            TemplateName="welcome v2",
            TemplateContent=template_content(html="<b>{{name}}</b>"),
        )
    )
    got = client.GetEmailTemplate(request(models.GetEmailTemplateRequest, TemplateID=template_id))
    assert got.TemplateName == "welcome v2"
    assert (got.TemplateContent.Text, base64.b64decode(got.TemplateContent.Html)) == (None, b"<b>{{name}}</b>")

    listed = client.ListEmailTemplates(request(models.ListEmailTemplatesRequest, Limit=100, Offset=0))
    mine = {item.TemplateID: item for item in listed.TemplatesMetadata}
    assert listed.TotalCount >= 1 and template_id in mine
    assert isinstance(mine[template_id].CreatedTimestamp, int)
    assert before - 5 <= mine[template_id].CreatedTimestamp <= time.time() + 5
    assert (mine[template_id].TemplateName, mine[template_id].TemplateStatus) == ("welcome v2", 0)

    client.DeleteEmailTemplate(request(models.DeleteEmailTemplateRequest, TemplateID=template_id))
    expect_code(
        "InvalidParameterValue.TemplateNotExist",
        lambda: client.GetEmailTemplate(request(models.GetEmailTemplateRequest, TemplateID=template_id)),
    )


def test_paging_and_get_method(service: LiveService) -> None:
    ids = [create(service, f"page {index}") for index in range(3)]
    client = ses(service, "admin", method="GET")
    total = client.ListEmailTemplates(request(models.ListEmailTemplatesRequest, Limit=100, Offset=0)).TotalCount
    page = client.ListEmailTemplates(request(models.ListEmailTemplatesRequest, Limit=2, Offset=1))
    assert page.TotalCount == total and len(page.TemplatesMetadata) == 2
    empty = client.ListEmailTemplates(request(models.ListEmailTemplatesRequest, Limit=0, Offset=10))
    assert (empty.TemplatesMetadata, empty.TotalCount) == ([], total)
    got = client.GetEmailTemplate(request(models.GetEmailTemplateRequest, TemplateID=ids[0]))
    assert got.TemplateName == "page 0"


def test_errors_change_nothing(service: LiveService) -> None:
    client = ses(service, "admin")
    template_id = create(service, "keep me", "Keep {{it}}")

    def count() -> int:
        return int(client.ListEmailTemplates(request(models.ListEmailTemplatesRequest, Limit=1, Offset=0)).TotalCount)

    total = count()
    bad_content = models.TemplateContent()
    bad_content.Text = "not base64!!"
    for code, fields in [
        ("MissingParameter", {"TemplateContent": template_content("x")}),
        ("MissingParameter", {"TemplateName": "no content"}),
        ("InvalidParameterValue.TemplateNameIsNULL", {"TemplateName": "  ", "TemplateContent": template_content("x")}),
        (
            "InvalidParameterValue.TemplateNameIllegal",
            {"TemplateName": "n" * 101, "TemplateContent": template_content("x")},
        ),
        (
            "InvalidParameterValue.TemplateContentIsNULL",
            {"TemplateName": "x", "TemplateContent": models.TemplateContent()},
        ),
        ("InvalidParameterValue.TemplateContentIsWrong", {"TemplateName": "x", "TemplateContent": bad_content}),
    ]:
        expect_code(code, lambda f=fields: client.CreateEmailTemplate(request(models.CreateEmailTemplateRequest, **f)))
    assert count() == total

    update = request(
        models.UpdateEmailTemplateRequest,
        TemplateID=template_id,
        TemplateName="",
        TemplateContent=template_content("y"),
    )
    expect_code("InvalidParameterValue.TemplateNameIsNULL", lambda: client.UpdateEmailTemplate(update))
    got = client.GetEmailTemplate(request(models.GetEmailTemplateRequest, TemplateID=template_id))
    assert (got.TemplateName, base64.b64decode(got.TemplateContent.Text)) == ("keep me", b"Keep {{it}}")

    expect_code(
        "MissingParameter", lambda: client.ListEmailTemplates(request(models.ListEmailTemplatesRequest, Limit=1))
    )
    expect_code("MissingParameter", lambda: client.DeleteEmailTemplate(models.DeleteEmailTemplateRequest()))
    wrong_type = request(models.GetEmailTemplateRequest, TemplateID="seven")
    expect_code("InvalidParameter", lambda: client.GetEmailTemplate(wrong_type))
    missing = request(models.DeleteEmailTemplateRequest, TemplateID=987654)
    expect_code("InvalidParameterValue.TemplateNotExist", lambda: client.DeleteEmailTemplate(missing))


def test_accounts_do_not_see_each_other(service: LiveService) -> None:
    template_id = create(service, "private")
    eve = ses(service, "eve")
    assert eve.ListEmailTemplates(request(models.ListEmailTemplatesRequest, Limit=10, Offset=0)).TotalCount == 0
    get = request(models.GetEmailTemplateRequest, TemplateID=template_id)
    expect_code("InvalidParameterValue.TemplateNotExist", lambda: eve.GetEmailTemplate(get))
    delete = request(models.DeleteEmailTemplateRequest, TemplateID=template_id)
    expect_code("InvalidParameterValue.TemplateNotExist", lambda: eve.DeleteEmailTemplate(delete))
    assert ses(service, "admin").GetEmailTemplate(get).TemplateName == "private"
