"""The HTML pages: the index of policies and the reading view of one page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from reader.web.catalog import readable_pages
from reader.web.conditional import rendered_response
from reader.web.deps import RenderedDep, SlugDep, StoreDep, TemplatesDep

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/")
def index(request: Request, store: StoreDep, templates: TemplatesDep) -> HTMLResponse:
    pages = readable_pages(store)
    return templates.TemplateResponse(request, "index.html", {"pages": pages, "current": "index"})


@router.get("/pages/{slug}")
def page(request: Request, slug: SlugDep, rendered: RenderedDep) -> Response:
    """Rendered once per version of the page file; 304 to a matching ``If-None-Match``."""
    return rendered_response(request.headers, rendered.html(slug))
