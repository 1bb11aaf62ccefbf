"""HEAD on every GET route, OPTIONS and 405 answers that name the methods a path really has,
and CORS preflights that let an allowed origin do what its pages do."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote

import httpx
import pytest

from reader.config import Settings
from reader.services import build_services
from reader.web.app import create_app
from tests.editor.apps import AUTH, FOREBYG, editor_settings, engines, fast_engine
from tests.web.conftest import client_for

pytestmark = pytest.mark.anyio

ALLOWED = "https://www.htk.dk"

# Every GET route, with values that exist (the page is built first, so answers are stable).
GET_PATHS = [
    "/",
    f"/pages/{FOREBYG}",
    "/feed.xml",
    "/embed.js",
    f"/embed/{FOREBYG}",
    "/admin",
    f"/oembed?url={quote(f'http://127.0.0.1:8000/pages/{FOREBYG}', safe='')}",
    "/api/pages",
    f"/api/pages/{FOREBYG}",
    f"/api/pages/{FOREBYG}/audio",
    f"/api/pages/{FOREBYG}/sections/SECTION/audio",
    f"/api/pages/{FOREBYG}/timings.vtt",
    f"/api/pages/{FOREBYG}/sections/SECTION/timings.vtt",
    "/healthz",
    "/readyz",
    "/openapi.json",
    "/docs",
    "/static/reader.css",
    "/api/whoami",
    "/api/status",
    f"/api/pages/{FOREBYG}/script",
    f"/api/pages/{FOREBYG}/versions",
    "/api/jobs",
    "/api/lexicon",
    "/api/audit",
]


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    esettings = editor_settings(settings, allowed_origins=[ALLOWED])
    chosen = engines(fast_engine())
    build_services(esettings, chosen).builder.build(FOREBYG)
    async with client_for(create_app(esettings, engines=chosen)) as client:
        client.headers.update(AUTH)
        yield client


async def section(client: httpx.AsyncClient) -> str:
    page = (await client.get(f"/api/pages/{FOREBYG}")).json()
    first: str = page["sections"][0]["id"]
    return first


@pytest.mark.parametrize("path", [*GET_PATHS, "/metrics"])
async def test_every_get_route_answers_head_with_the_same_headers_and_no_body(
    client: httpx.AsyncClient, path: str
) -> None:
    path = path.replace("SECTION", await section(client))
    got = await client.get(path)
    head = await client.head(path)
    assert got.status_code < 400, (path, got.status_code)
    assert head.status_code == got.status_code
    assert head.content == b""
    names = {"content-type", "location", "cache-control", "etag", "vary"}
    if path != "/metrics":  # the metrics count the GET just made, so their length moves
        names.add("content-length")
    for name in names:
        assert head.headers.get(name) == got.headers.get(name), name


@pytest.mark.parametrize(
    "path", ["/pages/ingen-side", "/api/pages/ingen-side", "/ingen-adresse", "/static/ingen.css"]
)
async def test_head_of_an_unknown_address_is_404_like_get(
    client: httpx.AsyncClient, path: str
) -> None:
    head = await client.head(path)
    assert head.status_code == 404 == (await client.get(path)).status_code
    assert head.content == b""


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        (f"/api/pages/{FOREBYG}", "GET, HEAD, PUT, DELETE, OPTIONS"),
        ("/api/pages", "GET, HEAD, OPTIONS"),
        ("/api/speak", "POST, OPTIONS"),
        ("/api/regenerate", "POST, OPTIONS"),
        ("/api/lexicon/entries/kl.", "PUT, DELETE, OPTIONS"),
        ("/", "GET, HEAD, OPTIONS"),
        (f"/pages/{FOREBYG}", "GET, HEAD, OPTIONS"),
        ("/audio/0123456789abcdef0123456789abcdef.mp3", "GET, HEAD, OPTIONS"),
    ],
)
async def test_options_and_405_name_every_method_of_the_path(
    client: httpx.AsyncClient, path: str, allow: str
) -> None:
    options = await client.options(path)
    assert options.status_code == 204 and options.headers["allow"] == allow
    unused = next(m for m in ("PATCH", "POST", "GET") if m not in allow.split(", "))
    refused = await client.request(unused, path)
    assert refused.status_code == 405 and refused.headers["allow"] == allow


async def test_head_of_a_post_only_route_is_405_naming_its_methods(
    client: httpx.AsyncClient,
) -> None:
    head = await client.head("/api/speak")
    assert head.status_code == 405 and head.headers["allow"] == "POST, OPTIONS"
    assert head.content == b""


async def test_options_of_an_unknown_address_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.options("/ingen-adresse")).status_code == 404


async def test_the_speak_preflight_from_an_allowed_origin_allows_a_json_post(
    client: httpx.AsyncClient,
) -> None:
    response = await client.options(
        "/api/speak",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "content-type" in response.headers["access-control-allow-headers"].lower()


async def test_a_preflight_for_range_on_an_audio_redirect_allows_it(
    client: httpx.AsyncClient,
) -> None:
    response = await client.options(
        f"/api/pages/{FOREBYG}/audio",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "range",
        },
    )
    assert response.status_code == 200
    assert "range" in response.headers["access-control-allow-headers"].lower()
