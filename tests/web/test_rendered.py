"""The reading view and page JSON are rendered once per version, served with strong ETags,
304s and a gzip variant; other text answers are compressed per request."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from reader.config import Settings
from reader.web.app import create_app
from reader.web.body_limit import DEFAULT_BODY_BYTES
from reader.web.conditional import accepts_gzip, etag_matches
from reader.web.render_cache import RenderCache, Rendered
from tests.editor.apps import AUTH, FOREBYG, editor_settings, engines, fast_engine
from tests.web.conftest import client_for
from tests.web.test_operations import metric

pytestmark = pytest.mark.anyio

LARGE = "tusind-afsnit"
SECTIONS = 1000
"""Sections after the title's: the page has 1,001 in all."""
IDENTITY = {"Accept-Encoding": "identity"}
GZIP = {"Accept-Encoding": "gzip"}
PAGE_ROUTES = [f"/pages/{FOREBYG}", f"/api/pages/{FOREBYG}"]


def large_page(sections: int) -> str:
    parts = ["<h1>Tusind afsnit</h1>", "<p>Siden har mange afsnit om kommunens arbejde.</p>"]
    for number in range(1, sections + 1):
        parts.append(f"<h2>Afsnit {number} om trivsel</h2>")
        parts.append(
            f"<p>Afsnit {number} handler om borgernes trivsel i område {number}. Byrådet har "
            f"vedtaget mål {number} for sundhed, skole og fritid frem mod år 2030.</p>"
        )
    main = "\n".join(parts)
    return (
        "<!doctype html><html lang='da'><head><meta charset='utf-8'><title>Tusind afsnit</title>"
        f"</head><body><main>{main}</main></body></html>"
    )


@pytest.fixture
def large(settings: Settings) -> Path:
    path = settings.pages_dir / f"{LARGE}.html"
    path.write_text(large_page(SECTIONS), encoding="utf-8")
    return path


@pytest.fixture
async def tone_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, engines=engines(fast_engine()))
    async with client_for(app) as client:
        yield client


def renders(text: str, kind: str, result: str) -> float:
    return metric(text, "reader_render_cache_total", kind=kind, result=result)


async def raw_body(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> bytes:
    """The body as it came over the wire, not decoded."""
    async with client.stream("GET", path, headers=headers) as response:
        assert response.status_code == 200
        return b"".join([chunk async for chunk in response.aiter_raw()])


async def test_a_second_get_of_a_thousand_section_page_renders_nothing(
    client: httpx.AsyncClient, large: Path
) -> None:
    first_json = await client.get(f"/api/pages/{LARGE}", headers=IDENTITY)
    first_html = await client.get(f"/pages/{LARGE}", headers=IDENTITY)
    assert first_json.status_code == first_html.status_code == 200
    assert len(first_json.json()["sections"]) == SECTIONS + 1
    again_json = await client.get(f"/api/pages/{LARGE}", headers=IDENTITY)
    again_html = await client.get(f"/pages/{LARGE}", headers=IDENTITY)
    head = await client.head(f"/pages/{LARGE}", headers=IDENTITY)
    assert again_json.content == first_json.content
    assert again_html.content == first_html.content
    assert again_json.headers["etag"] == first_json.headers["etag"]
    assert head.headers["etag"] == first_html.headers["etag"] and head.content == b""
    assert head.headers["content-length"] == str(len(first_html.content))
    text = (await client.get("/metrics")).text
    assert renders(text, "page_json", "render") == 1
    assert renders(text, "page_json", "hit") == 1
    assert renders(text, "page_html", "render") == 1
    assert renders(text, "page_html", "hit") == 2

    # A change to the file is a new version: new bytes, a new ETag, one more render.
    large.write_text(large_page(SECTIONS + 1), encoding="utf-8")
    changed = await client.get(f"/pages/{LARGE}", headers=IDENTITY)
    assert f"Afsnit {SECTIONS + 1} om trivsel" in changed.text
    assert changed.headers["etag"] != first_html.headers["etag"]
    stale = await client.get(
        f"/pages/{LARGE}", headers={**IDENTITY, "If-None-Match": first_html.headers["etag"]}
    )
    assert stale.status_code == 200
    text = (await client.get("/metrics")).text
    assert renders(text, "page_html", "render") == 2


@pytest.mark.parametrize("path", PAGE_ROUTES)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
async def test_a_matching_if_none_match_gets_304_without_a_body(
    client: httpx.AsyncClient, path: str, method: str
) -> None:
    full = await client.get(path, headers=IDENTITY)
    etag = full.headers["etag"]
    assert etag == f'"{hashlib.sha256(full.content).hexdigest()[:32]}"'
    for sent in [etag, f"W/{etag}", f'"other", {etag}', "*"]:
        answer = await client.request(method, path, headers={**IDENTITY, "If-None-Match": sent})
        assert answer.status_code == 304, sent
        assert answer.content == b""
        assert answer.headers["etag"] == etag
        assert answer.headers["vary"] == "Accept-Encoding"
    other = await client.request(method, path, headers={**IDENTITY, "If-None-Match": '"x"'})
    assert other.status_code == 200 and other.headers["etag"] == etag


@pytest.mark.parametrize("path", PAGE_ROUTES)
async def test_the_gzip_variant_has_its_own_etag_and_the_same_content(
    client: httpx.AsyncClient, path: str
) -> None:
    plain = await client.get(path, headers=IDENTITY)
    packed = await client.get(path, headers=GZIP)
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert plain.headers["vary"] == packed.headers["vary"] == "Accept-Encoding"
    assert packed.headers["etag"] != plain.headers["etag"]
    wire = await raw_body(client, path, GZIP)
    assert len(wire) < len(plain.content)
    assert gzip.decompress(wire) == plain.content
    assert packed.headers["etag"] == f'"{hashlib.sha256(wire).hexdigest()[:32]}"'
    # Each variant's ETag matches only that variant.
    tag = packed.headers["etag"]
    assert (await client.get(path, headers={**GZIP, "If-None-Match": tag})).status_code == 304
    assert (await client.get(path, headers={**IDENTITY, "If-None-Match": tag})).status_code == 200


@pytest.mark.parametrize("path", PAGE_ROUTES)
@pytest.mark.parametrize("encoding", ["identity", "gzip"])
@pytest.mark.parametrize("method", ["GET", "HEAD"])
async def test_the_cached_answer_equals_the_frameworks_and_is_counted(
    client: httpx.AsyncClient, path: str, encoding: str, method: str
) -> None:
    # A request with an Origin is answered by the framework's route (CORS is its job).
    sent = {"Accept-Encoding": encoding}
    fast = await client.request(method, path, headers=sent)
    text = (await client.get("/metrics")).text
    route = "/pages/{slug}" if path.startswith("/pages/") else "/api/pages/{slug}"
    counted = metric(text, "reader_http_requests_total", route=route, method=method, status="200")
    assert counted == 1
    framework = await client.request(method, path, headers={**sent, "Origin": "https://x.dk"})
    assert fast.status_code == framework.status_code == 200
    assert fast.headers == framework.headers
    assert fast.content == framework.content
    assert fast.headers["x-content-type-options"] == "nosniff"
    if path.startswith("/pages/"):
        assert "default-src 'self'" in fast.headers["content-security-policy"]


@pytest.mark.parametrize("path", PAGE_ROUTES)
async def test_requests_that_arrive_together_share_one_look_at_the_page(
    client: httpx.AsyncClient, path: str
) -> None:
    kind = "page_html" if path.startswith("/pages/") else "page_json"
    first = await client.get(path, headers=IDENTITY)
    before = renders((await client.get("/metrics")).text, kind, "hit")
    together = 20
    answers = await asyncio.gather(*(client.get(path, headers=IDENTITY) for _ in range(together)))
    assert {answer.status_code for answer in answers} == {200}
    assert {answer.content for answer in answers} == {first.content}
    text = (await client.get("/metrics")).text
    looked = renders(text, kind, "hit") - before
    assert 1 <= looked < together
    route = "/pages/{slug}" if kind == "page_html" else "/api/pages/{slug}"
    counted = metric(text, "reader_http_requests_total", route=route, method="GET", status="200")
    assert counted == together + 1


@pytest.mark.parametrize("path", PAGE_ROUTES)
async def test_a_get_with_a_body_gets_the_frameworks_answer(
    client: httpx.AsyncClient, path: str
) -> None:
    small = await client.request("GET", path, headers=IDENTITY, content=b"x")
    assert small.status_code == 200
    assert small.content == (await client.get(path, headers=IDENTITY)).content
    large = await client.request(
        "GET", path, headers=IDENTITY, content=b"x" * (DEFAULT_BODY_BYTES + 1)
    )
    assert large.status_code == 413


@pytest.mark.parametrize(
    ("path", "status"), [("/pages/findes-ikke", 404), ("/api/pages/findes-ikke", 404)]
)
async def test_a_missing_page_still_gets_the_frameworks_error_answer(
    client: httpx.AsyncClient, path: str, status: int
) -> None:
    response = await client.get(path)
    assert response.status_code == status
    if path.startswith("/api/"):
        assert response.json()["error"]["message"]
    else:
        assert "text/html" in response.headers["content-type"]


@pytest.mark.parametrize(
    ("header", "gzip_ok"),
    [
        (None, False),
        ("", False),
        ("identity", False),
        ("gzip", True),
        ("GZIP;q=0.5", True),
        ("gzip;q=0", False),
        ("gzip; q=0.0, *", False),
        ("br, deflate", False),
        ("br, *;q=0.1", True),
        ("*;q=0", False),
        ("x-gzip", True),
        ("gzip, deflate, br, zstd", True),
    ],
)
def test_accept_encoding_is_read_with_its_q_values(header: str | None, gzip_ok: bool) -> None:
    assert accepts_gzip(header) is gzip_ok


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        (None, False),
        ('"a"', True),
        ('W/"a"', True),
        ('"b", "a"', True),
        ('"b"', False),
        ("*", True),
    ],
)
def test_if_none_match_compares_weakly(header: str | None, matches: bool) -> None:
    assert etag_matches(header, '"a"') is matches


async def test_built_audio_changes_the_json_and_not_the_reading_view(
    tone_client: httpx.AsyncClient,
) -> None:
    json_before = await tone_client.get(f"/api/pages/{FOREBYG}", headers=IDENTITY)
    html_before = await tone_client.get(f"/pages/{FOREBYG}", headers=IDENTITY)
    assert json_before.json()["audio"]["state"] == "missing"
    assert (await tone_client.get(f"/api/pages/{FOREBYG}/audio")).status_code == 307
    json_after = await tone_client.get(f"/api/pages/{FOREBYG}", headers=IDENTITY)
    html_after = await tone_client.get(f"/pages/{FOREBYG}", headers=IDENTITY)
    assert json_after.json()["audio"]["state"] == "fresh"
    assert json_after.headers["etag"] != json_before.headers["etag"]
    assert html_after.headers["etag"] == html_before.headers["etag"]
    old = {**IDENTITY, "If-None-Match": json_before.headers["etag"]}
    assert (await tone_client.get(f"/api/pages/{FOREBYG}", headers=old)).status_code == 200


async def test_a_thousand_section_page_without_audio_shows_each_made_section_ready(
    tone_client: httpx.AsyncClient, large: Path
) -> None:
    cold = (await tone_client.get(f"/api/pages/{LARGE}", headers=IDENTITY)).json()["audio"]
    assert cold["state"] == "missing"
    assert len(cold["sections"]) == SECTIONS + 1
    assert not any(section["ready"] for section in cold["sections"])
    made = [cold["sections"][1]["id"], cold["sections"][SECTIONS // 2]["id"]]
    locations = {}
    for section_id in made:
        answer = await tone_client.get(
            f"/api/pages/{LARGE}/sections/{section_id}/audio", headers={"Range": "bytes=0-1"}
        )
        assert answer.status_code == 307
        locations[section_id] = answer.headers["location"]
    warm = (await tone_client.get(f"/api/pages/{LARGE}", headers=IDENTITY)).json()["audio"]
    assert warm["state"] == "missing"
    assert [s["id"] for s in warm["sections"]] == [s["id"] for s in cold["sections"]]
    ready = {s["id"]: s["audio_url"] for s in warm["sections"] if s["ready"]}
    assert ready.keys() == locations.keys()
    assert all(ready[key].endswith(location) for key, location in locations.items())


async def test_an_edit_through_the_editor_gives_new_bytes_and_a_new_etag(
    settings: Settings,
) -> None:
    app = create_app(editor_settings(settings), engines=engines(fast_engine()))
    async with client_for(app) as client:
        before = await client.get(f"/pages/{FOREBYG}", headers=IDENTITY)
        json_before = await client.get(f"/api/pages/{FOREBYG}", headers=IDENTITY)
        html = (settings.pages_dir / f"{FOREBYG}.html").read_text(encoding="utf-8")
        edited = html.replace("</h1>", "</h1>\n<p>Et nyt afsnit om trivsel i dag.</p>", 1)
        saved = await client.put(f"/api/pages/{FOREBYG}", content=edited.encode(), headers=AUTH)
        assert saved.status_code == 200
        after = await client.get(f"/pages/{FOREBYG}", headers=IDENTITY)
        json_after = await client.get(f"/api/pages/{FOREBYG}", headers=IDENTITY)
    assert "Et nyt afsnit om trivsel i dag." in after.text
    assert after.headers["etag"] != before.headers["etag"]
    assert "Et nyt afsnit om trivsel i dag." in json_after.text
    assert json_after.headers["etag"] != json_before.headers["etag"]


def _script_url(html: str) -> str:
    found = re.search(r'<script src="([^"]+)"', html)
    assert found is not None
    return found.group(1).replace("&amp;", "&")


async def test_static_text_is_gzipped_with_a_suffixed_etag_that_revalidates(
    client: httpx.AsyncClient,
) -> None:
    script = _script_url((await client.get(f"/pages/{FOREBYG}")).text)
    plain = await client.get(script, headers=IDENTITY)
    packed = await client.get(script, headers=GZIP)
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.headers["vary"] == plain.headers["vary"] == "Accept-Encoding"
    assert packed.headers["etag"] == plain.headers["etag"][:-1] + '-gzip"'
    wire = await raw_body(client, script, GZIP)
    assert gzip.decompress(wire) == plain.content
    assert packed.headers["content-length"] == str(len(wire))
    again = await client.get(script, headers={**GZIP, "If-None-Match": packed.headers["etag"]})
    assert again.status_code == 304 and again.headers["etag"] == packed.headers["etag"]
    head = await client.head(script, headers=GZIP)
    assert head.headers["content-encoding"] == "gzip"
    assert head.headers["content-length"] == str(len(wire))


async def test_range_requests_and_audio_are_never_compressed(
    tone_client: httpx.AsyncClient,
) -> None:
    script = _script_url((await tone_client.get(f"/pages/{FOREBYG}")).text)
    part = await tone_client.get(script, headers={**GZIP, "Range": "bytes=0-99"})
    assert part.status_code == 206 and "content-encoding" not in part.headers
    redirect = await tone_client.get(f"/api/pages/{FOREBYG}/audio")
    track = await tone_client.get(redirect.headers["location"], headers=GZIP)
    assert track.status_code == 200 and track.headers["content-type"] == "audio/mpeg"
    assert "content-encoding" not in track.headers
    page = (await tone_client.get(f"/api/pages/{FOREBYG}", headers=IDENTITY)).json()
    section = page["audio"]["sections"][0]["id"]
    stream = await tone_client.get(
        f"/api/pages/{FOREBYG}/sections/{section}/audio", headers=GZIP, follow_redirects=True
    )
    assert stream.status_code == 200 and "content-encoding" not in stream.headers
    vtt = await tone_client.get(f"/api/pages/{FOREBYG}/timings.vtt", headers=GZIP)
    assert vtt.headers["content-encoding"] == "gzip" and vtt.text.startswith("WEBVTT")


def _rendered(text: str) -> Rendered:
    return Rendered.of(text.encode(), "text/plain")


def test_the_cache_keeps_one_version_per_name_within_its_bytes() -> None:
    made: list[str] = []

    def render(text: str) -> Rendered:
        made.append(text)
        return _rendered(text)

    size = _rendered("a" * 400).size
    cache = RenderCache(max_bytes=2 * size)
    cache.get("k", "one", 1, lambda: render("a" * 400))
    cache.get("k", "one", 1, lambda: render("a" * 400))
    assert len(made) == 1
    cache.get("k", "one", 2, lambda: render("b" * 400))
    assert cache.stats("k").entries == 1  # the newer version replaced the older
    cache.get("k", "two", 1, lambda: render("c" * 400))
    cache.get("k", "three", 1, lambda: render("d" * 400))
    stats = cache.stats("k")
    assert stats.entries == 2 and stats.bytes <= 2 * size
    cache.get("k", "one", 2, lambda: render("b" * 400))  # the least recently used went
    assert made == ["a" * 400, "b" * 400, "c" * 400, "d" * 400, "b" * 400]
    assert cache.stats("k").renders == 5 and cache.stats("k").hits == 1
