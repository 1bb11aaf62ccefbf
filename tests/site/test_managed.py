"""Names no editor can give a page: ``lookup`` (a route of reader's own), and the slug of a page
read from a site, which changes on the site and is fetched again from there."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from reader.config import Settings
from reader.content.slugs import RESERVED_SLUGS
from reader.speech.engines.choice import EngineChoice
from reader.web.app import create_app
from tests.editor.apps import ADMIN_TOKEN, AUTH
from tests.fakes.cms import FakeCMS
from tests.fakes.engines import ToneEngine
from tests.web.conftest import client_for

pytestmark = pytest.mark.anyio

PAGE = (
    '<!DOCTYPE html><html lang="da"><head><meta charset="utf-8"><title>Opslag</title></head>'
    "<body><main><h1>Opslag</h1><p>Her står en helt almindelig sætning.</p></main></body></html>"
).encode()


def editor_app(settings: Settings) -> FastAPI:
    editing = settings.model_copy(update={"admin_token": SecretStr(ADMIN_TOKEN)})
    return create_app(editing, engines=EngineChoice((ToneEngine(ms_per_char=2),), None))


def error_of(answer: httpx.Response) -> dict[str, object]:
    body = answer.json()["error"]
    assert isinstance(body, dict)
    return body


@pytest.mark.parametrize("slug", sorted(RESERVED_SLUGS))
async def test_a_page_cannot_be_published_under_a_name_a_route_uses(
    site_settings: Settings, cms: FakeCMS, slug: str
) -> None:
    async with client_for(editor_app(site_settings)) as client:
        put = await client.put(
            f"/api/pages/{slug}",
            content=PAGE,
            headers={**AUTH, "Content-Type": "text/html"},
        )
        looked_up = await client.get(f"/api/pages/{slug}", params={"url": cms.url(cms.paths[0])})
    assert put.status_code == 409
    assert slug in str(error_of(put)["message"]) and "reader selv" in str(error_of(put)["message"])
    assert not (site_settings.content_dir / "pages" / f"{slug}.html").exists()
    assert looked_up.status_code == 307  # the route keeps its meaning


async def test_a_page_file_under_a_reserved_name_is_not_read(
    site_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    pages = site_settings.content_dir / "pages"
    (pages / "lookup.html").write_bytes(PAGE)
    with caplog.at_level(logging.WARNING):
        async with client_for(editor_app(site_settings)) as client:
            listed = [page["slug"] for page in (await client.get("/api/pages")).json()]
            status = [row["slug"] for row in (await client.get("/api/status", headers=AUTH)).json()]
            reading = await client.get("/pages/lookup")
    assert listed and "lookup" not in listed and "lookup" not in status
    assert reading.status_code == 409
    assert any("lookup" in record.getMessage() for record in caplog.records)


async def test_a_site_page_is_not_published_deleted_or_rolled_back_through_reader(
    site_settings: Settings, cms: FakeCMS
) -> None:
    path = cms.paths[2]
    async with client_for(editor_app(site_settings)) as client:
        slug = (await client.get("/api/pages/lookup", params={"url": cms.url(path)})).json()["slug"]
        put = await client.put(
            f"/api/pages/{slug}", content=PAGE, headers={**AUTH, "Content-Type": "text/html"}
        )
        deleted = await client.delete(f"/api/pages/{slug}", headers=AUTH)
        rolled = await client.post(f"/api/pages/{slug}/rollback", headers=AUTH)
        still = await client.get(f"/api/pages/{slug}")
    for answer in (put, deleted, rolled):
        assert answer.status_code == 409, answer.text
        assert "hentes fra webstedet" in str(error_of(answer)["message"])
    assert still.status_code == 200 and still.json()["title"] == cms.pages[path].title
    assert not (site_settings.content_dir / "pages" / f"{slug}.html").exists()
