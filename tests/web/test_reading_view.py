"""The reading view and the index, as HTML: structure, landmarks, sentence spans, safety."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest
from bs4 import BeautifulSoup, Tag

from reader.config import Settings
from reader.content.store import ContentStore
from tests.web.pages import REAL_SLUGS, SAMPLE_SLUG, add_sample_page

pytestmark = pytest.mark.anyio

ALL_SLUGS = [*REAL_SLUGS, SAMPLE_SLUG]
FOCUSABLE = ["a", "button", "input", "select", "textarea", "summary"]


@pytest.fixture(autouse=True)
def _sample_page(settings: Settings) -> None:
    add_sample_page(settings.pages_dir)


def soup_of(response: httpx.Response) -> BeautifulSoup:
    assert response.headers["content-type"].startswith("text/html")
    return BeautifulSoup(response.text, "html.parser")


def the(soup: BeautifulSoup | Tag, selector: str) -> Tag:
    found = soup.select(selector)
    assert len(found) == 1, f"{selector!r} matched {len(found)} elements"
    return found[0]


def test_the_real_pages_are_in_the_repository() -> None:
    assert REAL_SLUGS == ["forebyggelsesstrategi", "politikker-og-raad"]


@pytest.mark.parametrize("slug", ALL_SLUGS)
async def test_the_reading_view_is_danish_with_landmarks_and_one_h1(
    client: httpx.AsyncClient, settings: Settings, slug: str
) -> None:
    response = await client.get(f"/pages/{slug}")
    assert response.status_code == 200
    soup = soup_of(response)
    page = ContentStore(settings.pages_dir, max_bytes=settings.max_page_bytes).load(slug)

    assert the(soup, "html")["lang"] == "da"
    assert the(soup, "title").get_text().startswith(page.title)
    for landmark in ("body > header", "main", "body > footer"):
        the(soup, landmark)
    assert the(soup, "h1").get_text(" ", strip=True) == page.title
    assert the(soup, "main").find("h1") is soup.h1


@pytest.mark.parametrize("slug", ALL_SLUGS)
async def test_the_skip_link_is_the_first_focusable_element_and_leads_to_main(
    client: httpx.AsyncClient, slug: str
) -> None:
    soup = soup_of(await client.get(f"/pages/{slug}"))
    first = soup.body.find(FOCUSABLE) if soup.body else None
    assert isinstance(first, Tag)
    target = str(first["href"])
    assert target.startswith("#")
    assert the(soup, "main")["id"] == target[1:]


@pytest.mark.parametrize("slug", ALL_SLUGS)
async def test_every_sentence_has_exactly_one_span_with_its_id(
    client: httpx.AsyncClient, settings: Settings, slug: str
) -> None:
    page = ContentStore(settings.pages_dir, max_bytes=settings.max_page_bytes).load(slug)
    soup = soup_of(await client.get(f"/pages/{slug}"))
    spans = soup.select("span[data-sentence-id]")
    assert sorted(str(span["data-sentence-id"]) for span in spans) == sorted(
        sentence.id for sentence in page.sentences()
    )
    for sentence in page.sentences():
        span = the(soup, f'span[data-sentence-id="{sentence.id}"]')
        shown = span.get_text()
        # A numbered item shows its number as the list's marker, not in the text.
        assert shown == sentence.text or sentence.text.endswith(" " + shown)


@pytest.mark.parametrize("slug", ALL_SLUGS)
async def test_each_section_is_a_heading_with_its_id(
    client: httpx.AsyncClient, settings: Settings, slug: str
) -> None:
    page = ContentStore(settings.pages_dir, max_bytes=settings.max_page_bytes).load(slug)
    soup = soup_of(await client.get(f"/pages/{slug}"))
    first, *rest = page.sections
    assert the(soup, "h1")["id"] == first.id
    for section in rest:
        heading = the(soup, f"#{section.id}")
        assert heading.name in ("h2", "h3", "h4", "h5", "h6")
        assert heading.get_text(" ", strip=True) == section.heading
        if section.level == 2:
            assert heading.name == "h2"


@pytest.mark.parametrize("slug", ALL_SLUGS)
async def test_the_breadcrumb_is_a_kicker_above_the_title(
    client: httpx.AsyncClient, settings: Settings, slug: str
) -> None:
    page = ContentStore(settings.pages_dir, max_bytes=settings.max_page_bytes).load(slug)
    soup = soup_of(await client.get(f"/pages/{slug}"))
    kicker = the(soup, "p.kicker")
    assert kicker.get_text() == ", ".join(page.breadcrumb)
    assert kicker.find_next(["h1", "h2", "p"]) is soup.h1


@pytest.mark.parametrize("slug", ALL_SLUGS)
async def test_the_page_links_nothing_from_another_origin(
    client: httpx.AsyncClient, settings: Settings, slug: str
) -> None:
    response = await client.get(f"/pages/{slug}")
    soup = soup_of(response)
    stylesheets = soup.select('link[rel="stylesheet"]')
    assert [str(link["href"]).split("?")[0] for link in stylesheets] == [
        "/static/reader.css",
        "/static/player.css",
    ]
    scripts = soup.find_all("script")
    assert [str(script["src"]).split("?")[0] for script in scripts] == ["/static/player.js"]
    assert not any(script.string for script in scripts) and not soup.find_all(style=True)
    for tag in soup.find_all(["link", "script", "img", "iframe", "audio", "source"]):
        for attribute in ("src", "href"):
            if tag.has_attr(attribute):
                url = urlsplit(str(tag[attribute]))
                # Only the service's own public address may be named in full (oEmbed discovery).
                own = f"{url.scheme}://{url.netloc}" == settings.base_url
                assert own or not (url.scheme or url.netloc), f"{tag} loads from another origin"


@pytest.mark.parametrize("path", ["/", f"/pages/{REAL_SLUGS[0]}", "/pages/findes-ikke"])
async def test_html_answers_carry_a_strict_content_security_policy(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    policy = response.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


async def test_the_player_sits_under_the_title_with_a_native_audio_fallback(
    client: httpx.AsyncClient,
) -> None:
    soup = soup_of(await client.get(f"/pages/{REAL_SLUGS[0]}"))
    player = the(soup, "#oplaesning")
    assert player.has_attr("data-reader-player")
    assert player.name == "div" and player["role"] == "region"
    assert the(soup, f"#{player['aria-labelledby']}").get_text() == "Oplæsning af sidens tekst"
    assert the(player, "audio[controls]")["src"] == f"/api/pages/{REAL_SLUGS[0]}/audio"
    assert player.find_previous("h1") is soup.h1


async def test_the_page_metadata_closes_the_page_with_date_and_phone_links(
    client: httpx.AsyncClient,
) -> None:
    soup = soup_of(await client.get("/pages/politikker-og-raad"))
    meta = the(soup, "main footer.page-meta")
    assert the(meta, "time")["datetime"] == "2015-08-05"
    assert the(meta, "time").get_text() == "5. august 2015"
    assert "Fritids- og Kulturcenter" in meta.get_text()
    assert the(meta, 'a[href^="tel:"]')["href"] == "tel:+4543591000"


async def test_lists_keep_their_numbers_and_dangerous_links_are_dropped(
    client: httpx.AsyncClient,
) -> None:
    soup = soup_of(await client.get(f"/pages/{SAMPLE_SLUG}"))
    numbered = the(soup, "ol[start]")
    assert numbered["start"] == "3"
    items = numbered.find_all("li")
    assert [item.get("value") for item in items] == [None, None, "9"]
    assert items[0].get_text() == "Tredje punkt er først."
    assert len(the(soup, "#tal-og-punkter ~ ul").find_all("li")) == 2
    assert the(soup, "#et-dybt-afsnit").name == "h3"
    assert not soup.select('a[href^="javascript:"]')
    assert "Et farligt link" in soup.get_text()
    contact = the(soup, "#skema-og-links ~ address")
    assert [a["href"] for a in contact.find_all("a")] == ["mailto:post@htk.dk", "tel:+4543591000"]
    assert the(soup, "ul.rows").get_text(strip=True) == "Navn: Borgerservice, Telefon: 43 59 10 00"


async def test_the_index_lists_every_page_with_title_link_and_date(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    soup = soup_of(response)
    assert the(soup, "html")["lang"] == "da"
    assert the(soup, "h1").get_text() == "Politikker og strategier"
    store = ContentStore(settings.pages_dir, max_bytes=settings.max_page_bytes)
    links = {str(a["href"]): a.get_text() for a in soup.select("main li a")}
    assert links == {f"/pages/{slug}": store.load(slug).title for slug in ALL_SLUGS}
    dates = [str(time["datetime"]) for time in soup.select("main li time")]
    assert "2015-08-05" in dates and "2016-11-28" in dates


async def test_the_index_leaves_out_a_broken_page_but_shows_the_rest(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    (settings.pages_dir / "tom-side.html").write_bytes(b"")
    soup = soup_of(await client.get("/"))
    hrefs = [a["href"] for a in soup.select("main li a")]
    assert "/pages/tom-side" not in hrefs
    assert f"/pages/{REAL_SLUGS[0]}" in hrefs
