"""The player on other sites: /embed.js, the iframe player /embed/{slug}, oEmbed, and CORS only
for the allowed origins."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from bs4 import BeautifulSoup

from reader.config import Settings
from reader.web.app import create_app
from reader.web.assets import STATIC_DIR
from tests.web.conftest import client_for
from tests.web.pages import REAL_SLUGS

pytestmark = pytest.mark.anyio

ALLOWED = "https://www.htk.dk"
OTHER = "https://evil.example"
BASE = "https://oplaesning.htk.dk"
SLUG = REAL_SLUGS[1]


@pytest.fixture
async def shared(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app as deployed for a municipality's site: a public address and one allowed origin."""
    configured = settings.model_copy(update={"allowed_origins": [ALLOWED], "base_url": BASE})
    async with client_for(create_app(configured)) as client:
        yield client


def directives(response: httpx.Response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


async def test_embed_js_is_the_player_script_cached_briefly_and_revalidated(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/embed.js")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.content == (STATIC_DIR / "player.js").read_bytes()
    assert response.headers["cache-control"] == "public, max-age=300"
    assert response.headers["x-content-type-options"] == "nosniff"
    again = await client.get("/embed.js", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


async def test_the_iframe_player_has_the_player_and_its_native_fallback(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(f"/embed/{SLUG}")
    assert response.status_code == 200
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.html is not None and soup.html["lang"] == "da"
    assert soup.h1 is not None and soup.h1.get_text() == "Politikker og Råd"
    player = soup.select_one("#oplaesning[data-reader-player][data-frame]")
    assert player is not None and player["data-slug"] == SLUG
    audio = player.select_one("audio[controls]")
    assert audio is not None and audio["src"] == f"/api/pages/{SLUG}/audio"
    link = soup.select_one('a[target="_blank"]')
    assert link is not None and link["href"] == f"/pages/{SLUG}" and "noopener" in link["rel"]
    scripts = [str(script["src"]).split("?")[0] for script in soup.find_all("script")]
    assert scripts == ["/static/player.js"]


async def test_only_the_allowed_origins_may_frame_the_iframe_player(
    shared: httpx.AsyncClient,
) -> None:
    framed = directives(await shared.get(f"/embed/{SLUG}"))
    assert framed["frame-ancestors"] == f"'self' {ALLOWED}"
    assert framed["script-src"] == "'self'" and framed["default-src"] == "'self'"
    assert directives(await shared.get(f"/pages/{SLUG}"))["frame-ancestors"] == "'self'"


async def test_an_unknown_page_has_no_iframe_player(client: httpx.AsyncClient) -> None:
    response = await client.get("/embed/findes-ikke")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    "path",
    [f"/api/pages/{SLUG}", "/api/pages", "/embed.js", f"/embed/{SLUG}", "/oembed?url=/pages/x"],
)
async def test_cors_answers_the_allowed_origin_on_shared_addresses(
    shared: httpx.AsyncClient, path: str
) -> None:
    allowed = await shared.get(path, headers={"Origin": ALLOWED})
    assert allowed.headers["access-control-allow-origin"] == ALLOWED
    assert "access-control-allow-credentials" not in allowed.headers
    assert "Origin" in allowed.headers["vary"]
    other = await shared.get(path, headers={"Origin": OTHER})
    assert "access-control-allow-origin" not in other.headers


async def test_a_preflight_from_the_allowed_origin_allows_get_only(
    shared: httpx.AsyncClient,
) -> None:
    response = await shared.options(
        f"/api/pages/{SLUG}",
        headers={"Origin": ALLOWED, "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" not in response.headers["access-control-allow-methods"]
    refused = await shared.options(
        f"/api/pages/{SLUG}",
        headers={"Origin": OTHER, "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in refused.headers


@pytest.mark.parametrize("path", [f"/pages/{SLUG}", "/", "/healthz"])
async def test_pages_of_the_service_itself_get_no_cors(
    shared: httpx.AsyncClient, path: str
) -> None:
    response = await shared.get(path, headers={"Origin": ALLOWED})
    assert "access-control-allow-origin" not in response.headers


async def test_without_allowed_origins_nobody_gets_cors(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/api/pages/{SLUG}", headers={"Origin": ALLOWED})
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("address", [f"{BASE}/pages/{SLUG}", f"{BASE}/embed/{SLUG}/"])
async def test_oembed_describes_the_iframe_player_of_a_page(
    shared: httpx.AsyncClient, address: str
) -> None:
    response = await shared.get("/oembed", params={"url": address, "format": "json"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    answer = response.json()
    assert answer["version"] == "1.0" and answer["type"] == "rich"
    assert answer["title"] == "Politikker og Råd"
    assert answer["provider_name"] == "Høje-Taastrup Kommune"
    assert answer["provider_url"] == BASE + "/"
    assert isinstance(answer["width"], int) and isinstance(answer["height"], int)
    frame = BeautifulSoup(answer["html"], "html.parser").iframe
    assert frame is not None
    assert frame["src"] == f"{BASE}/embed/{SLUG}"
    assert frame["title"] == "Oplæsning: Politikker og Råd"
    assert (frame["width"], frame["height"]) == (str(answer["width"]), str(answer["height"]))


@pytest.mark.parametrize(
    ("query", "width", "height"),
    [
        ("", 640, 440),
        ("&maxwidth=1000&maxheight=1000", 640, 440),
        ("&maxwidth=400", 400, 540),
        ("&maxwidth=400&maxheight=300", 400, 300),
        ("&maxheight=200", 640, 200),
    ],
)
async def test_oembed_never_exceeds_the_size_asked_for(
    shared: httpx.AsyncClient, query: str, width: int, height: int
) -> None:
    url = quote(f"{BASE}/pages/{SLUG}", safe="")
    answer = (await shared.get(f"/oembed?url={url}{query}")).json()
    assert (answer["width"], answer["height"]) == (width, height)


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"url": f"{OTHER}/pages/{SLUG}"}, 404),
        ({"url": f"{BASE}/pages/findes-ikke"}, 404),
        ({"url": f"{BASE}/api/pages/{SLUG}"}, 404),
        ({"url": f"{BASE}/pages/../admin"}, 404),
        ({"url": f"{BASE}/pages/{SLUG}", "format": "xml"}, 501),
        ({"url": f"{BASE}/pages/{SLUG}", "maxwidth": "0"}, 422),
        ({}, 422),
    ],
)
async def test_oembed_refuses_what_it_cannot_embed(
    shared: httpx.AsyncClient, params: dict[str, str], status: int
) -> None:
    assert (await shared.get("/oembed", params=params)).status_code == status


async def test_the_reading_view_announces_its_oembed_and_the_podcast_feed(
    shared: httpx.AsyncClient,
) -> None:
    soup = BeautifulSoup((await shared.get(f"/pages/{SLUG}")).text, "html.parser")
    discovery = soup.select_one('link[rel="alternate"][type="application/json+oembed"]')
    assert discovery is not None
    href = urlsplit(str(discovery["href"]))
    # Absolute, on the public address: a consumer may have found the page anywhere.
    assert (href.scheme, href.netloc, href.path) == ("https", "oplaesning.htk.dk", "/oembed")
    # The page address is one encoded query value, not raw ':' and '/' in the query.
    assert ":" not in href.query and "/" not in href.query
    assert parse_qs(href.query, strict_parsing=True) == {
        "format": ["json"],
        "url": [f"{BASE}/pages/{SLUG}"],
    }
    answer = await shared.get(f"{href.path}?{href.query}")
    assert answer.status_code == 200
    frame = BeautifulSoup(answer.json()["html"], "html.parser").iframe
    assert frame is not None and frame["src"] == f"{BASE}/embed/{SLUG}"
    assert answer.json()["title"] == "Politikker og Råd"
    feed = soup.select_one('link[rel="alternate"][type="application/rss+xml"]')
    assert feed is not None and feed["href"] == "/feed.xml"


@pytest.mark.parametrize("form", ["JSON", "Json"])
async def test_oembed_format_json_in_any_case_works(shared: httpx.AsyncClient, form: str) -> None:
    url = f"{BASE}/pages/{SLUG}"
    response = await shared.get("/oembed", params={"url": url, "format": form})
    assert response.status_code == 200 and response.json()["type"] == "rich"


@pytest.mark.parametrize(
    "params",
    [{"url": f"{BASE}/pages/findes-ikke"}, {"url": f"{BASE}/pages/{SLUG}", "format": "xml"}, {}],
)
async def test_oembed_errors_are_json(shared: httpx.AsyncClient, params: dict[str, str]) -> None:
    response = await shared.get("/oembed", params=params)
    assert response.status_code >= 400
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["message"]
