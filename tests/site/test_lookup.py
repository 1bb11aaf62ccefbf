"""``GET /api/pages/lookup?url=…``: a page of an allowed site, read by its address, then
served like any stored page, revalidated cheaply, and kept when the site is in trouble."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import anyio
import httpx
import pytest
from fastapi import FastAPI

from reader.config import Settings
from reader.speech.engines.choice import EngineChoice
from reader.web.app import create_app
from tests.fakes.cms import AWAY, ERROR, LARGE, MOVED, NOT_FOUND, PDF, SLOW, FakeCMS
from tests.fakes.engines import ToneEngine
from tests.web.conftest import client_for

pytestmark = pytest.mark.anyio


@pytest.fixture
def engine() -> ToneEngine:
    return ToneEngine(ms_per_char=5)


def app_for(settings: Settings, engine: ToneEngine) -> FastAPI:
    return create_app(settings, engines=EngineChoice((engine,), None))


@pytest.fixture
async def client(site_settings: Settings, engine: ToneEngine) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app_for(site_settings, engine)) as client:
        yield client


async def lookup(client: httpx.AsyncClient, url: str) -> httpx.Response:
    return await client.get("/api/pages/lookup", params={"url": url})


def spoken(document: dict[str, object]) -> list[str]:
    sections = document["sections"]
    assert isinstance(sections, list)
    return [sentence["text"] for section in sections for sentence in section["sentences"]]


async def test_a_page_is_fetched_extracted_and_served_like_a_stored_one(
    client: httpx.AsyncClient, cms: FakeCMS, engine: ToneEngine
) -> None:
    path = cms.paths[3]
    answer = await lookup(client, cms.url(path))
    assert answer.status_code == 307
    slug = answer.json()["slug"]
    assert answer.headers["location"] == f"/api/pages/{slug}"
    assert answer.json()["change"] == "new"
    document = (await client.get(answer.headers["location"])).json()
    assert document["title"] == cms.pages[path].title
    assert document["breadcrumb"] == [cms.pages[path].area.capitalize()]
    texts = spoken(document)
    # The hosted reader's "Lyt" link and the box marked rs_skip are never read aloud; nor is the
    # site's menu, search, sidebar or footer.
    for chrome in ("Lyt", "Selvbetjening", "MitID", "Hovedmenu", "Se også", "Bygaden"):
        assert not any(chrome in text for text in texts), chrome
    assert any(text.startswith("Her kan") for text in texts)
    assert (await client.get(f"/pages/{slug}")).status_code == 200
    audio = await client.get(f"/api/pages/{slug}/audio")
    assert audio.status_code == 307 and engine.calls == len(set(texts))
    vtt = await client.get(f"/api/pages/{slug}/timings.vtt")
    assert vtt.status_code == 200 and document["sections"][0]["sentences"][0]["id"] in vtt.text


async def test_within_the_ttl_a_lookup_does_not_ask_the_site(
    client: httpx.AsyncClient, cms: FakeCMS
) -> None:
    first = await lookup(client, cms.url(cms.paths[0]))
    second = await lookup(client, cms.url(cms.paths[0]).replace("http://", "HTTP://"))
    third = await lookup(client, cms.url(cms.paths[0]) + "?utm_source=nyhedsbrev#kontakt")
    assert first.json()["slug"] == second.json()["slug"] == third.json()["slug"]
    assert second.json()["change"] is None and third.json()["change"] is None
    assert cms.counts()[cms.paths[0]] == 1


async def test_an_old_copy_is_revalidated_and_an_unchanged_page_is_not_extracted(
    site_settings: Settings, cms: FakeCMS, engine: ToneEngine
) -> None:
    settings = site_settings.model_copy(update={"site_ttl": 0.0})
    async with client_for(app_for(settings, engine)) as client:
        slug = (await lookup(client, cms.url(cms.paths[1]))).json()["slug"]
        stored = Path(settings.data_dir, "site", "pages", f"{slug}.json")
        before = stored.stat().st_mtime_ns
        again = await lookup(client, cms.url(cms.paths[1]))
    assert again.status_code == 307 and again.json()["change"] == "unchanged"
    conditional = cms.seen(cms.paths[1])[1]
    assert "if-none-match" in conditional and "if-modified-since" in conditional
    assert stored.stat().st_mtime_ns == before


async def test_an_edit_on_the_cms_costs_exactly_its_new_sentences(
    site_settings: Settings, cms: FakeCMS, engine: ToneEngine
) -> None:
    settings = site_settings.model_copy(update={"site_ttl": 0.0})
    path = cms.paths[2]
    async with client_for(app_for(settings, engine)) as client:
        slug = (await lookup(client, cms.url(path))).json()["slug"]
        assert (await client.get(f"/api/pages/{slug}/audio")).status_code == 307
        before = engine.calls
        cms.edit(path, "Fra 1. maj har genbrugspladsen længere åbent om lørdagen.")
        changed = await lookup(client, cms.url(path))
        assert changed.json()["change"] == "changed"
        document = (await client.get(f"/api/pages/{slug}")).json()
        assert document["audio"]["state"] == "stale"
        assert (await client.get(f"/api/pages/{slug}/audio")).status_code == 307
    # One engine call, for the one new sentence (as it is spoken: "Fra første maj …").
    new = engine.texts[before:]
    assert len(new) == 1 and "genbrugspladsen længere åbent" in new[0]


async def test_a_redirect_inside_the_site_lands_on_the_page_it_points_to(
    client: httpx.AsyncClient, cms: FakeCMS
) -> None:
    moved = await lookup(client, cms.url(MOVED))
    direct = await lookup(client, cms.url(cms.paths[0]))
    assert moved.json()["slug"] == direct.json()["slug"]
    assert moved.json()["url"] == cms.url(cms.paths[0])


Address = Callable[[FakeCMS], str]


@pytest.mark.parametrize(
    ("address", "status"),
    [
        (lambda cms: cms.elsewhere + "/borger/affald-og-genbrug", 403),
        (lambda cms: cms.url(AWAY), 403),
        (lambda cms: cms.base.replace("://", "://anna:hemmelig@") + "/borger", 403),
        (lambda cms: cms.base.rsplit(":", 1)[0] + ":8080/borger", 403),
        (lambda cms: "file:///etc/passwd", 403),
        (lambda cms: cms.url(PDF), 415),
        (lambda cms: cms.url(LARGE), 413),
        (lambda cms: cms.url(SLOW), 504),
        (lambda cms: cms.url(ERROR), 502),
        (lambda cms: cms.url(NOT_FOUND), 404),
    ],
    ids=[
        "other-origin", "redirect-out", "credentials", "odd-port", "file", "non-html",
        "oversize", "timeout", "upstream-error", "upstream-404",
    ],
)  # fmt: skip
async def test_refusals_and_failures_answer_with_a_reason(
    client: httpx.AsyncClient, cms: FakeCMS, address: Address, status: int
) -> None:
    answer = await lookup(client, address(cms))
    assert answer.status_code == status
    error = answer.json()["error"]
    assert error["status"] == status and error["message"]


@pytest.mark.parametrize(
    ("update", "message"),
    [
        ({"site_allow_private": False}, "netværksadresse"),
        ({"site_origins": []}, "READER_SITE_ORIGINS"),
    ],
    ids=["private-address-without-the-setting", "feature-off"],
)
async def test_without_permission_nothing_is_fetched(
    site_settings: Settings,
    cms: FakeCMS,
    engine: ToneEngine,
    update: dict[str, object],
    message: str,
) -> None:
    async with client_for(app_for(site_settings.model_copy(update=update), engine)) as client:
        answer = await lookup(client, cms.url(cms.paths[0]))
    assert answer.status_code == 403 and message in answer.json()["error"]["message"]
    assert cms.counts() == {}


async def test_when_the_site_fails_the_copy_held_is_served_marked_stale(
    site_settings: Settings, cms: FakeCMS, engine: ToneEngine
) -> None:
    settings = site_settings.model_copy(update={"site_ttl": 0.0})
    path = cms.paths[4]
    async with client_for(app_for(settings, engine)) as client:
        slug = (await lookup(client, cms.url(path))).json()["slug"]
        cms.broken.add(path)
        answer = await lookup(client, cms.url(path))
        state = (await client.get(f"/api/site/pages/{slug}")).json()
        page = await client.get(f"/api/pages/{slug}")
        cms.broken.clear()
        healed = (await client.get("/api/pages/lookup", params={"url": cms.url(path)})).json()
        after = (await client.get(f"/api/site/pages/{slug}")).json()
    assert answer.status_code == 307 and answer.headers["x-reader-stale"] == "true"
    assert answer.json()["stale"] and "HTTP 500" in answer.json()["reason"]
    assert state["stale"] and state["status"] == 502 and state["url"] == cms.url(path)
    assert page.status_code == 200
    assert not healed["stale"] and not after["stale"]


@pytest.mark.parametrize("listed", [False, True])
async def test_a_setting_says_whether_site_pages_are_listed(
    site_settings: Settings, cms: FakeCMS, engine: ToneEngine, listed: bool
) -> None:
    settings = site_settings.model_copy(update={"site_listed": listed})
    async with client_for(app_for(settings, engine)) as client:
        slug = (await lookup(client, cms.url(cms.paths[5]))).json()["slug"]
        listing = [page["slug"] for page in (await client.get("/api/pages")).json()]
        await client.get(f"/api/pages/{slug}/audio")  # the feed has pages whose audio is made
        feed = (await client.get("/feed.xml")).text
    assert (slug in listing) is listed
    assert (slug in feed) is listed
    assert "politikker-og-raad" in listing


async def test_the_player_routes_work_for_a_site_page(
    client: httpx.AsyncClient, cms: FakeCMS
) -> None:
    slug = (await lookup(client, cms.url(cms.paths[9]))).json()["slug"]
    frame = await client.get(f"/embed/{slug}")
    oembed = await client.get("/oembed", params={"url": f"http://testserver/pages/{slug}"})
    put = await client.put(f"/api/pages/{slug}", content=b"<h1>x</h1>")
    assert frame.status_code == 200 and cms.pages[cms.paths[9]].title in frame.text
    assert oembed.status_code == 200 and f"/embed/{slug}" in oembed.json()["html"]
    assert put.status_code in (401, 403)  # editor routes, and a site page is edited on the site


async def test_editors_regenerate_a_site_page_like_any_other(
    site_settings: Settings, cms: FakeCMS, engine: ToneEngine
) -> None:
    from pydantic import SecretStr

    from tests.editor.apps import ADMIN_TOKEN, AUTH

    settings = site_settings.model_copy(update={"admin_token": SecretStr(ADMIN_TOKEN)})
    async with client_for(app_for(settings, engine)) as client:
        slug = (await lookup(client, cms.url(cms.paths[11]))).json()["slug"]
        started = await client.post(f"/api/pages/{slug}/regenerate", headers=AUTH)
        assert started.status_code == 202
        job = started.json()
        for _ in range(400):
            job = (await client.get(f"/api/jobs/{job['id']}", headers=AUTH)).json()
            if job["state"] not in ("queued", "running"):
                break
            await anyio.sleep(0.05)
        document = (await client.get(f"/api/pages/{slug}")).json()
        refused = await client.put(f"/api/pages/{slug}", content=b"<h1>x</h1>", headers=AUTH)
    assert job["state"] == "done", job
    assert document["audio"]["state"] == "fresh"
    assert refused.status_code == 409 and "webstedet" in refused.json()["error"]["message"]
