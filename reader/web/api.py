"""The JSON API under ``/api``: the page list and one page's structure."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from reader.web.catalog import readable_pages
from reader.web.conditional import rendered_response
from reader.web.deps import RenderedDep, SettingsDep, SlugDep, StoreDep
from reader.web.schemas import PageDocument, PageSummary, Responses, failures

router = APIRouter(prefix="/api", tags=["pages"])

_PAGE_ERRORS: Responses = {
    304: {"description": "The page and its audio are as the `If-None-Match` ETag says"},
    **failures(
        404,
        422,
        described={404: "No page with this slug", 422: "The page file cannot be extracted"},
    ),
}


@router.get("/pages", response_model=list[PageSummary])
def list_pages(store: StoreDep, settings: SettingsDep) -> list[PageSummary]:
    return [PageSummary.of(page, settings.base_url) for page in readable_pages(store)]


@router.get(
    "/pages/{slug}",
    response_model=PageDocument,
    responses=_PAGE_ERRORS,
)
def get_page(request: Request, slug: SlugDep, rendered: RenderedDep) -> Response:
    """The page's structure and audio, rendered once per version of the page and its audio;
    gzip when accepted, a strong ETag and 304 to a matching ``If-None-Match``."""
    return rendered_response(request.headers, rendered.json(slug))
