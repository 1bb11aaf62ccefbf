"""/audio/{hash}.mp3 speaks correct HTTP, checked with raw requests against a real uvicorn."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from reader.config import Settings
from reader.speech.engines.choice import EngineChoice
from reader.web.app import create_app
from tests.fakes.engines import ToneEngine
from tests.web.live import http_request, serve_in_thread

DIGEST = "0123456789abcdef0123456789abcdef"
BODY = bytes(range(256)) * 40  # 10240 bytes, every byte position recognisable


@pytest.fixture
def server(settings: Settings) -> Iterator[tuple[str, int]]:
    audio = settings.data_dir / "audio"
    audio.mkdir(parents=True)
    (audio / f"{DIGEST}.mp3").write_bytes(BODY)
    app = create_app(
        settings.model_copy(update={"allowed_origins": ["https://www.htk.dk"]}),
        engines=EngineChoice((ToneEngine(),), None),
    )
    with serve_in_thread(app) as base:
        host, port = base.removeprefix("http://").split(":")
        yield host, int(port)


def request(
    server: tuple[str, int], method: str, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    return http_request(server, method, path, headers)


def raw(server: tuple[str, int], request_line: str) -> bytes:
    """Send bytes exactly as written (no client normalises the path)."""
    with socket.create_connection(server, timeout=30) as conn:
        conn.sendall(f"{request_line}\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


PATH = f"/audio/{DIGEST}.mp3"


def test_a_full_get_has_length_ranges_type_and_caches_for_a_year(server: tuple[str, int]) -> None:
    status, headers, body = request(server, "GET", PATH)
    assert status == 200 and body == BODY
    assert headers["content-length"] == str(len(BODY))
    assert headers["content-type"] == "audio/mpeg"
    assert headers["accept-ranges"] == "bytes"
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    assert headers["etag"] == f'"{DIGEST}"'


@pytest.mark.parametrize(
    ("range_header", "start", "end"),
    [
        ("bytes=0-1", 0, 1),  # Safari's probe
        ("bytes=100-199", 100, 199),
        ("bytes=10000-", 10000, 10239),
        ("bytes=-40", 10200, 10239),
        ("bytes=10200-99999", 10200, 10239),
        ("bytes=0-0", 0, 0),
    ],
)
def test_a_single_range_is_answered_with_206(
    server: tuple[str, int], range_header: str, start: int, end: int
) -> None:
    status, headers, body = request(server, "GET", PATH, {"Range": range_header})
    assert status == 206
    assert headers["content-range"] == f"bytes {start}-{end}/{len(BODY)}"
    assert headers["content-length"] == str(end - start + 1)
    assert body == BODY[start : end + 1]


@pytest.mark.parametrize("range_header", ["bytes=10240-", "bytes=20000-30000", "bytes=-0"])
def test_an_unsatisfiable_range_is_416(server: tuple[str, int], range_header: str) -> None:
    status, headers, _ = request(server, "GET", PATH, {"Range": range_header})
    assert status == 416
    assert headers["content-range"] == f"bytes */{len(BODY)}"


@pytest.mark.parametrize("range_header", ["bytes=0-1,5-6", "items=0-1", "bytes=abc"])
def test_a_range_we_do_not_serve_gets_the_whole_file(
    server: tuple[str, int], range_header: str
) -> None:
    status, _, body = request(server, "GET", PATH, {"Range": range_header})
    assert status == 200 and body == BODY


def test_if_range_with_another_etag_sends_the_whole_file(server: tuple[str, int]) -> None:
    status, _, body = request(server, "GET", PATH, {"Range": "bytes=0-1", "If-Range": '"old"'})
    assert status == 200 and body == BODY


@pytest.mark.parametrize("tag", [f'"{DIGEST}"', f'W/"{DIGEST}"', f'"x", "{DIGEST}"', "*"])
def test_a_matching_if_none_match_is_304(server: tuple[str, int], tag: str) -> None:
    status, headers, body = request(server, "GET", PATH, {"If-None-Match": tag})
    assert status == 304 and body == b""
    assert headers["etag"] == f'"{DIGEST}"'


def test_head_sends_the_headers_without_the_body(server: tuple[str, int]) -> None:
    status, headers, body = request(server, "HEAD", PATH)
    assert status == 200 and body == b""
    assert headers["content-length"] == str(len(BODY))


@pytest.mark.parametrize(
    "path",
    [
        "/audio/ffffffffffffffffffffffffffffffff.mp3",
        "/audio/../manifests/x.json",
        "/audio/%2e%2e/%2e%2e/etc/passwd",
        "/audio/0123456789ABCDEF0123456789ABCDEF.mp3",
        "/audio/0123456789abcdef.mp3",
        "/audio/",
    ],
)
def test_unknown_or_odd_names_are_404(server: tuple[str, int], path: str) -> None:
    answer = raw(server, f"GET {path} HTTP/1.1")
    assert answer.startswith(b"HTTP/1.1 404"), answer[:80]


def test_other_methods_are_refused(server: tuple[str, int]) -> None:
    status, headers, _ = request(server, "DELETE", PATH)
    assert status == 405 and headers["allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize(
    ("if_match", "extra", "status"),
    [
        (f'"{DIGEST}"', {}, 200),
        ("*", {}, 200),
        (f'"x", "{DIGEST}"', {}, 200),
        ('"someone-else"', {}, 412),
        (f'W/"{DIGEST}"', {}, 412),  # If-Match compares strongly
        ('"someone-else"', {"Range": "bytes=0-1"}, 412),  # before Range
        (f'"{DIGEST}"', {"Range": "bytes=0-1"}, 206),
    ],
)
def test_if_match_that_does_not_match_is_412(
    server: tuple[str, int], if_match: str, extra: dict[str, str], status: int
) -> None:
    answer, headers, body = request(server, "GET", PATH, {"If-Match": if_match, **extra})
    assert answer == status
    if status == 412:
        assert body == b"" and headers["etag"] == f'"{DIGEST}"'


def test_a_range_preflight_from_an_allowed_origin_allows_range(server: tuple[str, int]) -> None:
    preflight = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "range"}
    status, headers, _ = request(
        server, "OPTIONS", PATH, {"Origin": "https://www.htk.dk", **preflight}
    )
    assert status == 204
    assert headers["access-control-allow-origin"] == "https://www.htk.dk"
    assert "range" in headers["access-control-allow-headers"].lower()
    assert headers["allow"] == "GET, HEAD, OPTIONS"
    _, other, _ = request(server, "OPTIONS", PATH, {"Origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in other
    assert "access-control-allow-headers" not in other


def test_an_allowed_origin_may_read_the_audio_and_others_may_not(server: tuple[str, int]) -> None:
    _, allowed, _ = request(server, "GET", PATH, {"Origin": "https://www.htk.dk"})
    assert allowed["access-control-allow-origin"] == "https://www.htk.dk"
    assert "Content-Range" in allowed["access-control-expose-headers"]
    _, other, _ = request(server, "GET", PATH, {"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other


def test_the_etag_is_the_content_hash_of_a_built_track(settings: Settings, tmp_path: Path) -> None:
    from reader.services import build_services

    services = build_services(settings, EngineChoice((ToneEngine(ms_per_char=5),), None))
    manifest = services.builder.build("forebyggelsesstrategi").manifest
    data = services.tracks.path(manifest.page.hash).read_bytes()
    assert hashlib.sha256(data).hexdigest()[:32] == manifest.page.hash
