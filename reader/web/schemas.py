"""The JSON shapes of the API (and of its OpenAPI description at ``/docs``)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from reader.content.models import Page


def page_path(slug: str) -> str:
    return f"/pages/{slug}"


def api_page_path(slug: str) -> str:
    return f"/api/pages/{slug}"


class PageSummary(BaseModel):
    """One entry of the page list."""

    slug: str
    title: str
    updated: dt.date | None
    url: str = Field(description="The reading view of the page")
    api_url: str = Field(description="This page's structure as JSON")

    @classmethod
    def of(cls, page: Page, base_url: str) -> PageSummary:
        return cls(
            slug=page.slug,
            title=page.title,
            updated=page.updated,
            url=base_url + page_path(page.slug),
            api_url=base_url + api_page_path(page.slug),
        )


class PageDocument(Page):
    """A page's structure: metadata and sections with their blocks and sentences."""

    url: str = Field(description="The reading view of the page")

    @classmethod
    def of(cls, page: Page, base_url: str) -> PageDocument:
        return cls.model_validate({**page.model_dump(), "url": base_url + page_path(page.slug)})


class Health(BaseModel):
    status: str = "ok"
