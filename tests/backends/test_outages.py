"""Redis or the object store gone for a while: what is cached keeps being served, what needs
them answers 503 with Retry-After, and everything works again once they are back."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from reader.config import Settings
from tests.backends.conftest import shared
from tests.backends.servers import RedisServer, SeaweedServer
from tests.backends.test_replicas import BODY, put_track, served
from tests.web.live import http_request

pytestmark = pytest.mark.slow

CACHED = "00112233445566778899aabbccddeeff"
NEVER_READ = "ffeeddccbbaa99887766554433221100"


def speak(server: tuple[str, int]) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(*server, timeout=60)
    try:
        headers = {"Content-Type": "application/json"}
        connection.request("POST", "/api/speak", body=b'{"text": "Godt nyt."}', headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def test_without_redis_cached_audio_and_pages_are_served_and_the_rest_asks_to_wait(
    site: Settings, redis_server: RedisServer, seaweed: SeaweedServer
) -> None:
    settings = shared(site, redis_server, seaweed, "a")
    put_track(seaweed, settings, CACHED, BODY)
    with served(settings) as server:
        assert http_request(server, "GET", f"/audio/{CACHED}.mp3")[0] == 200
        assert speak(server)[0] == 200
        redis_server.stop()

        status, _, body = http_request(server, "GET", f"/audio/{CACHED}.mp3")
        assert (status, body) == (200, BODY)
        status, _, page = http_request(server, "GET", "/pages/politikker-og-raad")
        assert status == 200 and b'lang="da"' in page

        for status, headers, body in (
            speak(server),
            http_request(server, "GET", "/api/pages/forebyggelsesstrategi/audio"),
        ):
            assert status == 503
            assert int(headers["retry-after"]) > 0
            assert "Redis" in body.decode()

        redis_server.start()
        assert speak(server)[0] == 200
        assert http_request(server, "GET", "/api/pages/forebyggelsesstrategi/audio")[0] == 307


TOKEN = "anna-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
UNKNOWN_JOB = "0123456789abcdef"


def test_without_redis_the_jobs_ask_to_wait_while_pages_and_audio_are_served(
    site: Settings, redis_server: RedisServer, seaweed: SeaweedServer
) -> None:
    settings = shared(site, redis_server, seaweed, "a").model_copy(
        update={"admin_token": SecretStr(f"anna:{TOKEN}")}
    )
    put_track(seaweed, settings, CACHED, BODY)
    regenerate = "/api/pages/politikker-og-raad/regenerate"
    with served(settings) as server:
        status, headers, body = http_request(server, "POST", regenerate, AUTH)
        assert status == 202, body
        ours = headers["location"]
        status, _, body = http_request(server, "GET", f"{ours}?wait=60", AUTH)
        assert status == 200 and json.loads(body)["state"] in ("running", "done")
        redis_server.stop()

        for method, path in (
            ("GET", f"/api/jobs/{UNKNOWN_JOB}"),
            ("GET", "/api/jobs"),
            ("POST", regenerate),
        ):
            status, headers, body = http_request(server, method, path, AUTH)
            assert status == 503, (path, body)
            assert int(headers["retry-after"]) > 0
            assert "Redis" in body.decode()
        # The job this replica ran is still known here.
        assert http_request(server, "GET", ours, AUTH)[0] == 200
        assert http_request(server, "GET", f"/audio/{CACHED}.mp3")[:3:2] == (200, BODY)
        status, _, page = http_request(server, "GET", "/pages/politikker-og-raad")
        assert status == 200 and b'lang="da"' in page

        redis_server.start()
        assert http_request(server, "GET", f"/api/jobs/{UNKNOWN_JOB}", AUTH)[0] == 404
        assert http_request(server, "GET", "/api/jobs", AUTH)[0] == 200
        assert http_request(server, "POST", regenerate, AUTH)[0] == 202


@pytest.fixture
def own_store(tmp_path: Path) -> Iterator[SeaweedServer]:
    server = SeaweedServer(tmp_path / "weed")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_audio_read_once_survives_a_restart_of_the_store(
    site: Settings, redis_server: RedisServer, own_store: SeaweedServer
) -> None:
    # No memory cache: what is served while the store is down comes from the disk cache.
    settings = shared(site.model_copy(update={"audio_cache_mb": 0}), redis_server, own_store, "a")
    put_track(own_store, settings, CACHED, BODY)
    put_track(own_store, settings, NEVER_READ, BODY[::-1])
    with served(settings) as server:
        assert http_request(server, "GET", f"/audio/{CACHED}.mp3")[2] == BODY
        own_store.stop()

        status, _, body = http_request(
            server, "GET", f"/audio/{CACHED}.mp3", {"Range": "bytes=0-9"}
        )
        assert (status, body) == (206, BODY[:10])
        status, headers, body = http_request(server, "GET", f"/audio/{NEVER_READ}.mp3")
        assert status == 503 and int(headers["retry-after"]) > 0
        assert "Lydarkivet" in body.decode()

        own_store.start()
        status, _, body = http_request(server, "GET", f"/audio/{NEVER_READ}.mp3")
        assert (status, body) == (200, BODY[::-1])
