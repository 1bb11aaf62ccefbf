"""The service as it runs: ``python -m reader serve`` under uvicorn, over real HTTP."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from reader.config import Settings
from tests.web.pages import REAL_SLUGS
from tests.web.server import reader_server

pytestmark = pytest.mark.slow


@pytest.fixture
def base_url(settings: Settings) -> Iterator[str]:
    with reader_server(settings.content_dir, settings.data_dir) as url:
        yield url


def raw_get(base_url: str, path: str) -> tuple[int, str, bytes]:
    """GET ``path`` exactly as written: no client-side clean-up of "." and ".." segments."""
    address = urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.getheader("content-type") or "", response.read()
    finally:
        connection.close()


def test_the_index_and_a_page_are_served_over_http(base_url: str) -> None:
    with httpx.Client(base_url=base_url) as client:
        index = client.get("/")
        assert index.status_code == 200
        assert f'href="/pages/{REAL_SLUGS[0]}"' in index.text
        page = client.get(f"/pages/{REAL_SLUGS[0]}")
        assert page.status_code == 200
        assert '<html lang="da">' in page.text and "data-sentence-id=" in page.text
        assert "default-src 'self'" in page.headers["content-security-policy"]
        listed = client.get("/api/pages").json()
        assert sorted(entry["slug"] for entry in listed) == REAL_SLUGS


@pytest.mark.parametrize(
    "path",
    ["/pages/..", "/pages/../../etc/passwd", "/api/pages/..", "/pages/./politikker-og-raad/.."],
)
def test_dot_segments_sent_as_they_are_are_a_404(base_url: str, path: str) -> None:
    status, content_type, body = raw_get(base_url, path)
    assert status == 404
    expected = "application/json" if path.startswith("/api/") else "text/html"
    assert content_type.startswith(expected)
    assert b"root:" not in body
