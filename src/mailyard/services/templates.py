"""Templates: create, change, list, delete and preview with variables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mailyard.domain import accounts, paging, rendering, templates, visibility
from mailyard.errors import Conflict, ErrorCode, Forbidden, InvalidInput, NotFound
from mailyard.ports.store import Store
from mailyard.ports.templates import TemplateRepositories


@dataclass(frozen=True, kw_only=True)
class Preview:
    """A template rendered with some variables, and the variables it needed but did not get."""

    subject: str | None
    text: str | None
    html: str | None
    missing: list[str]


class TemplateService:
    def __init__(self, store: Store[TemplateRepositories], *, review_required: bool) -> None:
        self._store = store
        self._review_required = review_required

    @property
    def _initial_status(self) -> templates.ReviewStatus:
        return templates.ReviewStatus.PENDING if self._review_required else templates.ReviewStatus.APPROVED

    async def create(
        self,
        principal: accounts.Principal,
        *,
        name: str,
        subject: str | None,
        text: str | None,
        html: str | None,
    ) -> templates.Template:
        templates.check_template_content(name=name, text=text, html=html)
        async with self._store.transaction() as repositories:
            return await repositories.templates.create(
                account_id=principal.account_id,
                created_by=principal.user_id,
                name=name.strip(),
                subject=subject,
                text=text,
                html=html,
                review_status=self._initial_status,
            )

    async def get(self, principal: accounts.Principal, template_id: int) -> templates.Template:
        async with self._store.transaction() as repositories:
            template = await repositories.templates.get(principal.account_id, template_id)
        if template is None:
            raise NotFound(f"template {template_id} not found", code=ErrorCode.TEMPLATE_NOT_FOUND)
        return template

    async def list(self, principal: accounts.Principal, window: paging.Window) -> paging.Page[templates.Template]:
        async with self._store.transaction() as repositories:
            return await repositories.templates.list(principal.account_id, window)

    async def update(
        self,
        principal: accounts.Principal,
        template_id: int,
        *,
        name: str,
        subject: str | None,
        text: str | None,
        html: str | None,
    ) -> templates.Template:
        """Replace a template's content; it goes back to review when review is on."""
        templates.check_template_content(name=name, text=text, html=html)
        await self._changeable(principal, template_id)
        async with self._store.transaction() as repositories:
            updated = await repositories.templates.update(
                account_id=principal.account_id,
                template_id=template_id,
                name=name.strip(),
                subject=subject,
                text=text,
                html=html,
                review_status=self._initial_status,
            )
        if updated is None:
            raise NotFound(f"template {template_id} not found", code=ErrorCode.TEMPLATE_NOT_FOUND)
        return updated

    async def approve(self, principal: accounts.Principal, template_id: int) -> templates.Template:
        """An admin lets the template be sent (the end of review)."""
        return await self._review(principal, template_id, templates.ReviewStatus.APPROVED)

    async def reject(self, principal: accounts.Principal, template_id: int) -> templates.Template:
        """An admin refuses the template: nothing sends it until it is changed and approved."""
        return await self._review(principal, template_id, templates.ReviewStatus.REJECTED)

    async def _review(
        self, principal: accounts.Principal, template_id: int, decision: templates.ReviewStatus
    ) -> templates.Template:
        if not principal.is_admin:
            raise Forbidden("only an admin of the account may review templates", code=ErrorCode.ADMIN_REQUIRED)
        async with self._store.transaction() as repositories:
            reviewed = await repositories.templates.set_review_status(principal.account_id, template_id, decision)
        if reviewed is None:
            raise NotFound(f"template {template_id} not found", code=ErrorCode.TEMPLATE_NOT_FOUND)
        return reviewed

    async def delete(self, principal: accounts.Principal, template_id: int) -> None:
        await self._changeable(principal, template_id)
        async with self._store.transaction() as repositories:
            if await repositories.tasks.uses_template(template_id):
                raise Conflict(f"template {template_id} is used by a task", code=ErrorCode.TEMPLATE_IN_USE)
            await repositories.templates.delete(principal.account_id, template_id)

    async def _changeable(self, principal: accounts.Principal, template_id: int) -> templates.Template:
        template = await self.get(principal, template_id)
        what, code = f"template {template_id}", ErrorCode.TEMPLATE_FORBIDDEN
        visibility.require_may_change(principal, created_by=template.created_by, what=what, code=code)
        return template

    async def preview(self, principal: accounts.Principal, template_id: int, variables: dict[str, Any]) -> Preview:
        """Render with the given variables and report placeholders left without a value."""
        template = await self.get(principal, template_id)
        return self.preview_content(
            subject=template.subject, text=template.text, html=template.html, variables=variables
        )

    def preview_content(
        self, *, subject: str | None, text: str | None, html: str | None, variables: dict[str, Any]
    ) -> Preview:
        """Render content that may not be saved yet (an editor's live preview) the way `preview` does."""
        try:
            values = rendering.merge_variables(variables, {})
        except rendering.TemplateDataError as error:
            raise InvalidInput(str(error), field="variables") from error
        missing: set[str] = set()
        rendered: dict[str, str | None] = {}
        for part, source in (("subject", subject), ("text", text), ("html", html)):
            if source is None:
                rendered[part] = None
                continue
            compiled = rendering.compile_template(source)
            missing |= compiled.missing(values)
            rendered[part] = compiled.render(values, escape_html=part == "html")
        return Preview(
            subject=rendered["subject"], text=rendered["text"], html=rendered["html"], missing=sorted(missing)
        )
