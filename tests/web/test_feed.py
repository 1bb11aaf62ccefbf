"""/feed.xml: an RSS 2.0 podcast of the pages that podcast apps accept: every episode has a title,
a description, a pubDate from when its audio was made (it moves with the MP3), an MP3
enclosure with its exact length, and the iTunes tags; the feed is in Danish."""

from __future__ import annotations

import datetime as dt
import email.utils
import time
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator

import feedparser
import httpx
import pytest

from reader.audio.manifest import ManifestStore
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
SECOND_POLLS = 40


def build(settings: Settings, slug: str) -> dt.datetime:
    """Make the page's audio as ``reader build`` does; the manifest's time of making."""
    engines = EngineChoice((ToneEngine(ms_per_char=5),), None)
    services = build_services(settings, engines)
    try:
        services.builder.build(slug)
    finally:
        services.close()
    manifest = ManifestStore(settings.data_dir).load(slug)
    assert manifest is not None
    return manifest.built_at


@pytest.fixture
def configured(settings: Settings) -> Settings:
    return settings.model_copy(update={"base_url": BASE})


@pytest.fixture
async def client(configured: Settings) -> AsyncIterator[httpx.AsyncClient]:
    build(configured, BUILT)
    engines = EngineChoice((ToneEngine(ms_per_char=5),), None)
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
    client: httpx.AsyncClient, configured: Settings
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
    manifest = ManifestStore(configured.data_dir).load(BUILT)
    assert manifest is not None
    assert published == manifest.built_at.replace(microsecond=0)
    assert published.date().isoformat() != "2015-08-05", "not the page's Opdateret date"

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


def pub_dates(response: httpx.Response) -> dict[str, dt.datetime]:
    return {
        text(item, "guid"): email.utils.parsedate_to_datetime(text(item, "pubDate"))
        for item in channel_of(response).iter("item")
    }


async def test_an_episode_is_dated_anew_when_its_audio_is_made_anew(
    client: httpx.AsyncClient, configured: Settings
) -> None:
    before = pub_dates(await client.get("/feed.xml"))[BUILT]
    # The feed's dates are whole seconds: let the clock pass into the next one first.
    for _ in range(SECOND_POLLS):
        if dt.datetime.now(dt.UTC).replace(microsecond=0) > before:
            break
        time.sleep(0.05)
    page = configured.pages_dir / f"{BUILT}.html"
    text_now = page.read_text(encoding="utf-8")
    page.write_text(text_now.replace("et Integrationsråd", "et Integrationsudvalg"), "utf-8")
    built = build(configured, BUILT)
    after = pub_dates(await client.get("/feed.xml"))[BUILT]
    assert after == built.replace(microsecond=0)
    assert after > before, "new audio, new date; the page's Opdateret date did not change"


async def test_feedparser_reads_the_feed_without_complaint(client: httpx.AsyncClient) -> None:
    response = await client.get("/feed.xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert parsed.feed.language == "da"
    assert parsed.entries, "the built page is an episode"
    for entry in parsed.entries:
        assert entry.id and entry.title
        assert entry.published_parsed is not None, entry.get("published")
        (enclosure,) = entry.enclosures
        assert enclosure.type == "audio/mpeg"
        assert int(enclosure.length) > 0
        assert enclosure.href.startswith(BASE + "/audio/")
