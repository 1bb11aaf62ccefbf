"""Pages of allowed sites by their address: ``GET /api/pages/lookup?url=…`` and their state."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from reader.audio.manifest import PageState
from reader.content.slugs import is_site_slug
from reader.errors import PageNotFound, ReaderError
from reader.site.service import Lookup
from reader.web.deps import SlugDep, StateDep
from reader.web.editor import router as _editor_routes
from reader.web.schemas import failures
from reader.web.state import AppState

router = APIRouter(prefix="/api", tags=["site"])
editor_router = APIRouter(
    prefix="/api",
    tags=["editor"],
    dependencies=_editor_routes.dependencies,
    responses=_editor_routes.responses,
)
"""The editors' view of site pages: the same Bearer token as every editor route."""

STALE_HEADER = "X-Reader-Stale"
"""``true`` when the site could not be asked and the copy reader holds is what answers."""

_LOOKUP_ERRORS = failures(
    403,
    404,
    413,
    415,
    422,
    502,
    504,
    described={
        403: "Not an address of an allowed site",
        404: "The site has no page at this address",
        413: "The page is larger than READER_MAX_PAGE_BYTES",
        415: "The address holds no HTML page",
        422: "The page has no readable text",
        502: "The site answered with an error",
        504: "The site did not answer in time",
    },
)


class LookupDocument(BaseModel):
    """The body of the 307: where the page is, and whether its copy is current."""

    slug: str
    url: str
    location: str
    change: str | None
    stale: bool
    reason: str | None


class SitePageState(BaseModel):
    """How reader last fetched one site page."""

    slug: str
    url: str
    checked_at: float
    fetched_at: float | None
    status: int | None
    stale: bool
    reason: str | None


@router.get(
    "/pages/lookup",
    status_code=307,
    response_model=LookupDocument,
    responses=_LOOKUP_ERRORS,
)
def lookup_page(state: StateDep, url: Annotated[str, Query(max_length=2000)]) -> JSONResponse:
    """Blocking (it may fetch the page): FastAPI runs it in a worker thread."""
    return _redirect(state.services.site.lookup(url))


class SiteMarkup(BaseModel):
    """Where a site's pages keep their readable text, for the script on those pages."""

    region: str
    """CSS selector of the readable region; empty: ``[data-reader-root]``, else ``<main>``."""
    skip_classes: list[str]


@router.get("/site/markup", response_model=SiteMarkup)
def site_markup(state: StateDep) -> JSONResponse:
    settings = state.settings
    body = SiteMarkup(region=settings.site_region, skip_classes=settings.site_skip_classes)
    return JSONResponse(body.model_dump(), headers={"Cache-Control": "public, max-age=300"})


@router.get("/site/pages/{slug}", response_model=SitePageState, responses=failures(404, 422))
def site_page_state(slug: SlugDep, state: StateDep) -> SitePageState:
    site = state.services.site
    fetch = site.pages.state(slug) if is_site_slug(slug) else None
    stored = site.pages.stored(slug) if fetch is not None else None
    if fetch is None or stored is None:
        raise PageNotFound(f"Siden {slug!r} er ikke hentet fra et websted")
    return SitePageState(
        slug=slug,
        url=stored.url,
        checked_at=fetch.checked_at,
        fetched_at=fetch.fetched_at,
        status=fetch.status,
        stale=fetch.error is not None,
        reason=fetch.error,
    )


class SitePageRow(BaseModel):
    """One site page in the editors' table."""

    slug: str
    url: str
    title: str
    checked_at: dt.datetime
    """When the site last answered for it (200 or 304)."""
    fetched_at: dt.datetime | None
    status: int | None
    """The last HTTP status, or reader's own status when the fetch failed."""
    stale: bool
    reason: str | None
    audio: PageState | None


@editor_router.get("/site/pages", response_model=list[SitePageRow])
def site_pages(state: StateDep) -> list[SitePageRow]:
    """Every page read from a site, with its last fetch and its audio state."""
    return [row for slug in state.services.site.pages.slugs() if (row := _row(state, slug))]


@editor_router.post(
    "/site/pages/{slug}/refetch", response_model=SitePageRow, responses=_LOOKUP_ERRORS
)
def refetch(slug: SlugDep, state: StateDep) -> SitePageRow:
    """Ask the site for the page now (conditionally); changed text gets new audio."""
    found = state.services.site.refresh_slug(slug)
    if found.change == "changed" and state.settings.auto_regenerate:
        state.queue.rebuild(found.slug)
    row = _row(state, found.slug)
    if row is None:
        raise PageNotFound(f"Siden {slug!r} er ikke hentet fra et websted")
    return row


def _row(state: AppState, slug: str) -> SitePageRow | None:
    site = state.services.site
    fetch, stored = site.pages.state(slug), site.pages.stored(slug)
    if fetch is None or stored is None:
        return None
    try:
        audio: PageState | None = state.services.builder.status(slug).state
    except ReaderError:
        audio = None
    return SitePageRow(
        slug=slug,
        url=stored.url,
        title=stored.page.title,
        checked_at=_time(fetch.checked_at),
        fetched_at=_time(fetch.fetched_at) if fetch.fetched_at else None,
        status=fetch.status,
        stale=fetch.error is not None,
        reason=fetch.error,
        audio=audio,
    )


def _time(stamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(stamp, dt.UTC)


def _redirect(found: Lookup) -> JSONResponse:
    location = f"/api/pages/{found.slug}"
    body = LookupDocument(
        slug=found.slug,
        url=found.url,
        location=location,
        change=found.change,
        stale=found.stale,
        reason=found.reason,
    )
    headers = {"Location": location, "Cache-Control": "no-store"}
    if found.stale:
        headers[STALE_HEADER] = "true"
    return JSONResponse(body.model_dump(), status_code=307, headers=headers)
