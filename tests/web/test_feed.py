"""/feed.xml: an RSS 2.0 podcast of the pages that podcast apps accept: every episode has a title,
a description, a dated pubDate from "Opdateret", an MP3 enclosure with its exact length, and the
iTunes tags; the feed is in Danish."""

from __future__ import annotations

import email.utils
import time
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator

import httpx
import pytest

from reader.config import Settings
from reader.services import build_services
from reader.speech.engines.choice import EngineChoice
from reader.web.app import create_app
from tests.fakes.engines import ToneEngine
from tests.web.conftest import client_for
from tests.web.pages import REAL_SLUGS

pytestmark = pytest.mark.anyio

BASE = "https://oplaesning.htk.dk"
ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
ATOM = "{http://www.w3.org/2005/Atom}"
BUILT = "politikker-og-raad"
NOT_BUILT = "forebyggelsesstrategi"
POLLS = 200


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    configured = settings.model_copy(update={"base_url": BASE})
    engines = EngineChoice((ToneEngine(ms_per_char=5),), None)
    services = build_services(configured, engines)
    try:
        services.builder.build(BUILT)
    finally:
        services.close()
    async with client_for(create_app(configured, engines=engines)) as client:
        yield client


def channel_of(response: httpx.Response) -> ET.Element:
    root = ET.fromstring(response.content)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel is not None
    return channel


def text(element: ET.Element, path: str) -> str:
    found = element.findtext(path)
    assert found is not None and found.strip(), f"{path} is missing or empty"
    return found


async def test_the_feed_is_a_danish_rss_podcast_with_the_itunes_tags(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/feed.xml")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/rss+xml; charset=utf-8"
    channel = channel_of(response)
    for required in ("title", "link", "description"):
        text(channel, required)
    assert text(channel, "language") == "da"
    assert text(channel, "link") == BASE + "/"
    self_link = channel.find(f"{ATOM}link")
    assert self_link is not None and self_link.get("href") == BASE + "/feed.xml"
    assert text(channel, f"{ITUNES}author") == "Høje-Taastrup Kommune"
    assert text(channel, f"{ITUNES}explicit") == "false"
    category = channel.find(f"{ITUNES}category")
    assert category is not None and category.get("text") == "Government"
    image = channel.find(f"{ITUNES}image")
    assert image is not None
    cover = await client.get(str(image.get("href")).removeprefix(BASE))
    assert cover.status_code == 200 and cover.headers["content-type"] == "image/png"
    assert cover.content[16:24] == (1400).to_bytes(4, "big") * 2, "a 1400 × 1400 cover"
    email.utils.parsedate_to_datetime(text(channel, "lastBuildDate"))


async def test_an_episode_carries_its_page_text_date_and_exact_mp3(
    client: httpx.AsyncClient,
) -> None:
    channel = channel_of(await client.get("/feed.xml"))
    items = channel.findall("item")
    assert [text(item, "title") for item in items] == ["Politikker og Råd"]
    item = items[0]
    assert text(item, "link") == f"{BASE}/pages/{BUILT}"
    assert text(item, "description").startswith("Høje-Taastrup Kommune har et Integrationsråd")
    guid = item.find("guid")
    assert guid is not None and guid.get("isPermaLink") == "false" and guid.text
    published = email.utils.parsedate_to_datetime(text(item, "pubDate"))
    assert published.date().isoformat() == "2015-08-05"

    page = (await client.get(f"/api/pages/{BUILT}")).json()
    enclosure = item.find("enclosure")
    assert enclosure is not None
    assert enclosure.get("type") == "audio/mpeg"
    assert enclosure.get("url") == page["audio"]["page"]["audio_url"]
    audio = await client.get(str(enclosure.get("url")).removeprefix(BASE))
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/mpeg"
    assert int(str(enclosure.get("length"))) == len(audio.content)

    hours, minutes, seconds = map(int, text(item, f"{ITUNES}duration").split(":"))
    duration = page["audio"]["page"]["duration_ms"] / 1000
    assert abs(hours * 3600 + minutes * 60 + seconds - duration) <= 0.5
    assert text(item, f"{ITUNES}episodeType") == "full"


async def test_a_page_without_audio_joins_the_feed_once_it_is_made(
    client: httpx.AsyncClient,
) -> None:
    titles: list[str] = []
    for _ in range(POLLS):
        channel = channel_of(await client.get("/feed.xml"))
        titles = [text(item, "title") for item in channel.findall("item")]
        if len(titles) == len(REAL_SLUGS):
            break
        time.sleep(0.05)
    assert sorted(titles) == ["Forebyggelsesstrategi", "Politikker og Råd"]
    state = (await client.get(f"/api/pages/{NOT_BUILT}")).json()["audio"]["state"]
    assert state == "fresh"


async def test_the_feed_escapes_what_the_pages_say(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    page = settings.pages_dir / f"{BUILT}.html"
    page.write_text(
        page.read_text(encoding="utf-8").replace(
            "Politikker og Råd</h1>", "Råd &amp; &lt;Udvalg&gt;</h1>"
        ),
        encoding="utf-8",
    )
    channel = channel_of(await client.get("/feed.xml"))
    assert "Råd & <Udvalg>" in [text(item, "title") for item in channel.findall("item")]


async def test_a_guid_is_the_page_for_life_and_the_feed_answers_304(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/feed.xml")
    assert response.status_code == 200
    guids = [item.findtext("guid") for item in channel_of(response).iter("item")]
    assert BUILT in guids  # no track hash: an edit or a re-synthesis is not a new episode
    etag, modified = response.headers["etag"], response.headers["last-modified"]
    assert etag.startswith('"') and email.utils.parsedate_to_datetime(modified)
    again = await client.get("/feed.xml", headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.content
    since = await client.get("/feed.xml", headers={"If-Modified-Since": modified})
    assert since.status_code == 304
    other = await client.get("/feed.xml", headers={"If-None-Match": '"other"'})
    assert other.status_code == 200 and other.content == response.content


async def test_control_characters_in_a_page_leave_the_feed_valid_xml(
    settings: Settings,
) -> None:
    page = settings.content_dir / "pages" / "kontrol.html"
    page.write_text(
        '<html lang="da"><head><meta charset="utf-8"><title>Kon&#1;trol</title></head><body>'
        "<main><h1>Kon&#1;trol\x08</h1><p>Et tegn&#xFFFF; her\x1b[2J. Og mere.</p></main>"
        "</body></html>",
        encoding="utf-8",
    )
    configured = settings.model_copy(update={"base_url": BASE})
    engines = EngineChoice((ToneEngine(ms_per_char=5),), None)
    services = build_services(configured, engines)
    try:
        services.builder.build("kontrol")
    finally:
        services.close()
    async with client_for(create_app(configured, engines=engines)) as client:
        response = await client.get("/feed.xml")
    assert response.status_code == 200
    titles = [item.findtext("title") for item in channel_of(response).iter("item")]
    assert "Kontrol" in titles
    assert "\x1b" not in response.text and "\x08" not in response.text
