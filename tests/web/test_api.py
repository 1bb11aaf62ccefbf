"""The JSON API: the page list, one page's structure, health, and the OpenAPI description."""

from __future__ import annotations

import httpx
import pytest

from reader.config import Settings
from reader.content.models import Page
from reader.content.store import ContentStore
from reader.web.app import create_app
from tests.web.conftest import client_for
from tests.web.pages import REAL_SLUGS

pytestmark = pytest.mark.anyio


async def test_health_answers_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_the_page_list_names_each_page_with_its_addresses(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    response = await client.get("/api/pages")
    assert response.status_code == 200
    listed = response.json()
    store = ContentStore(settings.pages_dir, max_bytes=settings.max_page_bytes)
    assert sorted(entry["slug"] for entry in listed) == REAL_SLUGS
    for entry in listed:
        page = store.load(entry["slug"])
        assert entry == {
            "slug": page.slug,
            "title": page.title,
            "updated": page.updated.isoformat() if page.updated else None,
            "url": f"{settings.base_url}/pages/{page.slug}",
            "api_url": f"{settings.base_url}/api/pages/{page.slug}",
        }


@pytest.mark.parametrize("slug", REAL_SLUGS)
async def test_a_page_is_its_extracted_structure_plus_its_address(
    client: httpx.AsyncClient, settings: Settings, slug: str
) -> None:
    response = await client.get(f"/api/pages/{slug}")
    assert response.status_code == 200
    body = response.json()
    assert body.pop("url") == f"{settings.base_url}/pages/{slug}"
    store = ContentStore(settings.pages_dir, max_bytes=settings.max_page_bytes)
    assert Page.model_validate(body) == store.load(slug)
    assert body["sections"][0]["sentences"][0]["id"]


async def test_the_base_url_setting_makes_the_addresses(settings: Settings) -> None:
    configured = Settings(
        content_dir=settings.content_dir,
        data_dir=settings.data_dir,
        base_url="https://oplaesning.htk.dk/",
    )
    async with client_for(create_app(configured)) as client:
        listed = (await client.get("/api/pages")).json()
    assert {entry["url"] for entry in listed} == {
        f"https://oplaesning.htk.dk/pages/{slug}" for slug in REAL_SLUGS
    }


async def test_the_openapi_description_and_docs_page_are_served(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert set(schema["paths"]) >= {"/api/pages", "/api/pages/{slug}", "/healthz"}
    assert "/pages/{slug}" not in schema["paths"]
    page_errors = schema["paths"]["/api/pages/{slug}"]["get"]["responses"]
    assert {"200", "404", "422"} <= set(page_errors)
    docs = await client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
