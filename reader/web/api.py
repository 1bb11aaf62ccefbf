"""The JSON API under ``/api``: the page list and one page's structure."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from reader.web.catalog import readable_pages
from reader.web.deps import SettingsDep, SlugDep, StoreDep
from reader.web.errors import ErrorResponse
from reader.web.schemas import PageDocument, PageSummary

router = APIRouter(prefix="/api", tags=["pages"])

_PAGE_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No page with this slug"},
    422: {"model": ErrorResponse, "description": "The page file cannot be extracted"},
}


@router.get("/pages", response_model=list[PageSummary])
def list_pages(store: StoreDep, settings: SettingsDep) -> list[PageSummary]:
    return [PageSummary.of(page, settings.base_url) for page in readable_pages(store)]


@router.get(
    "/pages/{slug}",
    response_model=PageDocument,
    responses=_PAGE_ERRORS,
)
def get_page(slug: SlugDep, store: StoreDep, settings: SettingsDep) -> PageDocument:
    return PageDocument.of(store.load(slug), settings.base_url)
