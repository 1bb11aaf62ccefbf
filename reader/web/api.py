"""The JSON API under ``/api``: the page list and one page's structure."""

from __future__ import annotations

from fastapi import APIRouter

from reader.web.catalog import readable_pages
from reader.web.deps import ListeningDep, SettingsDep, SlugDep, StoreDep
from reader.web.schemas import PageDocument, PageSummary, audio_document, failures

router = APIRouter(prefix="/api", tags=["pages"])

_PAGE_ERRORS = failures(
    404,
    422,
    described={404: "No page with this slug", 422: "The page file cannot be extracted"},
)


@router.get("/pages", response_model=list[PageSummary])
def list_pages(store: StoreDep, settings: SettingsDep) -> list[PageSummary]:
    return [PageSummary.of(page, settings.base_url) for page in readable_pages(store)]


@router.get(
    "/pages/{slug}",
    response_model=PageDocument,
    responses=_PAGE_ERRORS,
)
def get_page(
    slug: SlugDep, store: StoreDep, listening: ListeningDep, settings: SettingsDep
) -> PageDocument:
    page = store.load(slug)
    audio = audio_document(listening.page_audio(slug), slug, settings.base_url)
    return PageDocument.of(page, audio, settings.base_url)
