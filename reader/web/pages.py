"""The HTML pages: the index of policies and the reading view of one page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from reader.web.catalog import readable_pages
from reader.web.deps import SettingsDep, SlugDep, StoreDep, TemplatesDep
from reader.web.embed import oembed_address
from reader.web.layout import layout_page

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/")
def index(request: Request, store: StoreDep, templates: TemplatesDep) -> HTMLResponse:
    pages = readable_pages(store)
    return templates.TemplateResponse(request, "index.html", {"pages": pages, "current": "index"})


@router.get("/pages/{slug}")
def page(
    request: Request, slug: SlugDep, store: StoreDep, templates: TemplatesDep, settings: SettingsDep
) -> HTMLResponse:
    loaded = store.load(slug)
    context = {
        "page": loaded,
        "view": layout_page(loaded),
        "current": "page",
        "oembed": oembed_address(settings.base_url, loaded.slug),
    }
    return templates.TemplateResponse(request, "page.html", context)
