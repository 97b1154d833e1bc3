"""What templates need from the store."""

from __future__ import annotations

from typing import Protocol

from mailyard.domain import paging, templates


class TemplateLookup(Protocol):
    async def get(self, account_id: int, template_id: int) -> templates.Template | None: ...


class Templates(TemplateLookup, Protocol):
    async def create(
        self,
        *,
        account_id: int,
        created_by: int,
        name: str,
        subject: str | None,
        text: str | None,
        html: str | None,
        review_status: templates.ReviewStatus,
    ) -> templates.Template: ...
    async def list(self, account_id: int, window: paging.Window) -> paging.Page[templates.Template]: ...
    async def update(
        self,
        *,
        account_id: int,
        template_id: int,
        name: str,
        subject: str | None,
        text: str | None,
        html: str | None,
        review_status: templates.ReviewStatus,
    ) -> templates.Template | None: ...
    async def set_review_status(
        self, account_id: int, template_id: int, review_status: templates.ReviewStatus
    ) -> templates.Template | None: ...
    async def delete(self, account_id: int, template_id: int) -> bool: ...


class TemplateUse(Protocol):
    async def uses_template(self, template_id: int) -> bool:
        """True while a task refers to the template."""
        ...


class TemplateRepositories(Protocol):
    @property
    def templates(self) -> Templates: ...
    @property
    def tasks(self) -> TemplateUse: ...
