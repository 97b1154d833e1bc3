"""The `Template` parameter shared by BatchSendEmail and SendEmail: a template id and its JSON data."""

from __future__ import annotations

from typing import Any

from mailyard.domain import rendering
from mailyard.web.tencent.errors import TencentError
from mailyard.web.tencent.fields import Fields

SEND_PARAMS = "MissingParameter.SendParamNecessary"


def read_template(fields: Fields, *, required: str) -> tuple[int, dict[str, Any]]:
    """``(TemplateID, variables)``; ``TemplateData`` may be ``{}`` or absent when recipients carry data.

    `required` names the parameters the action needs, for the message of a missing `Template`.
    """
    template = fields.nested("Template", missing=None)
    if template is None:
        if fields.has("Simple"):
            raise TencentError("FailedOperation.WithOutPermission", "Only template-based sending is allowed.")
        raise TencentError(SEND_PARAMS, f"{required} are required.")
    template_id = template.id("TemplateID")
    try:
        variables = rendering.read_template_data(template.optional_text("TemplateData"))
    except rendering.TemplateDataError as error:
        raise TencentError("FailedOperation.WrongContentJson", f"Template.TemplateData: {error}") from None
    return template_id, variables
