"""Editors see site pages with their address, last fetch, HTTP status and audio state, and
can fetch one again."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from pydantic import SecretStr

from reader.config import Settings
from reader.speech.engines.choice import EngineChoice
from reader.web.app import create_app
from tests.editor.apps import ADMIN_TOKEN, AUTH
from tests.fakes.cms import FakeCMS
from tests.fakes.engines import ToneEngine
from tests.web.conftest import client_for

pytestmark = pytest.mark.anyio


async def test_editors_see_site_pages_and_fetch_one_again(
    site_settings: Settings, cms: FakeCMS
) -> None:
    engine = ToneEngine(ms_per_char=2)
    settings = site_settings.model_copy(update={"admin_token": SecretStr(ADMIN_TOKEN)})
    app = create_app(settings, engines=EngineChoice((engine,), None))
    path = cms.paths[6]
    async with client_for(app) as client:
        slug = (await client.get("/api/pages/lookup", params={"url": cms.url(path)})).json()["slug"]
        refused = await client.get("/api/site/pages")
        (row,) = (await client.get("/api/site/pages", headers=AUTH)).json()
        cms.edit(path, "Ny tekst fra redaktionen.")
        again = await client.post(f"/api/site/pages/{slug}/refetch", headers=AUTH)
        status = {
            item["slug"]: item for item in (await client.get("/api/status", headers=AUTH)).json()
        }
        page = (await client.get(f"/api/pages/{slug}")).json()
        admin = BeautifulSoup((await client.get("/admin")).text, "html.parser")
    assert refused.status_code == 401
    assert row["slug"] == slug and row["url"] == cms.url(path)
    assert row["status"] == 200 and row["audio"] == "missing" and not row["stale"]
    assert row["title"] == cms.pages[path].title and row["checked_at"]
    assert again.status_code == 200 and again.json()["status"] == 200
    assert "if-none-match" in cms.seen(path)[-1]
    assert any(
        "Ny tekst fra redaktionen." in s["text"]
        for sec in page["sections"]
        for s in sec["sentences"]
    )
    assert slug in status  # the audio table has site pages like any other
    assert admin.find(id="site-table") is not None


async def test_a_failed_fetch_again_shows_the_reason(site_settings: Settings, cms: FakeCMS) -> None:
    settings = site_settings.model_copy(update={"admin_token": SecretStr(ADMIN_TOKEN)})
    app = create_app(settings, engines=EngineChoice((ToneEngine(ms_per_char=2),), None))
    path = cms.paths[8]
    async with client_for(app) as client:
        slug = (await client.get("/api/pages/lookup", params={"url": cms.url(path)})).json()["slug"]
        cms.broken.add(path)
        answer = (await client.post(f"/api/site/pages/{slug}/refetch", headers=AUTH)).json()
        unknown = await client.post("/api/site/pages/x--0123456789/refetch", headers=AUTH)
    assert answer["stale"] and answer["status"] == 502 and "HTTP 500" in answer["reason"]
    assert unknown.status_code == 404
