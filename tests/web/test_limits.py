"""Limits against exhaustion, over real HTTP: request bodies are bounded by their route."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import httpx
import pytest

from reader.config import Settings
from reader.web.app import create_app
from reader.web.body_limit import BODY_SLACK_BYTES, DEFAULT_BODY_BYTES, body_limits
from tests.web.live import SOCKET_TIMEOUT, address, read_answer, serve_in_thread
from tests.web.server import reader_server

pytestmark = pytest.mark.slow

CLAIMED = 100_000_000


@pytest.fixture
def base_url(settings: Settings) -> Iterator[str]:
    with serve_in_thread(create_app(settings), settings) as url:
        yield url


def send_head(base_url: str, head: str, body: bytes = b"") -> socket.socket:
    sock = socket.create_connection(address(base_url), timeout=SOCKET_TIMEOUT)
    sock.sendall(head.encode("latin-1") + b"\r\n" + body)
    return sock


def limit_of(settings: Settings, method: str, path: str) -> int:
    for rule in body_limits(settings):
        if rule.method == method and rule.path.fullmatch(path):
            return rule.limit
    return DEFAULT_BODY_BYTES


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/speak"),
        ("PUT", "/api/pages/politik"),
        ("POST", "/api/lexicon/preview"),
        ("POST", "/"),
    ],
)
def test_a_huge_content_length_is_refused_without_reading_the_body(
    base_url: str, settings: Settings, method: str, path: str
) -> None:
    # Only five bytes of the hundred megabytes claimed are ever sent: an answer proves the
    # server did not wait for the rest.
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: reader\r\nContent-Type: application/json\r\n"
        f"Content-Length: {CLAIMED}\r\n"
    )
    with send_head(base_url, head, b'{"tex') as sock:
        status, headers, body = read_answer(sock)
    assert status == 413
    assert headers["connection"] == "close"
    assert headers["x-content-type-options"] == "nosniff"
    limit = limit_of(settings, method, path)
    if path.startswith("/api/"):
        error = json.loads(body)["error"]
        assert error["status"] == 413
        assert error["title"] == "Forespørgslen er for stor"
        assert f"{CLAIMED} bytes" in error["message"] and f"{limit} bytes" in error["message"]
    else:
        assert headers["content-type"].startswith("text/html")
        assert "Forespørgslen er for stor" in body.decode()


def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_limit(
    base_url: str, settings: Settings
) -> None:
    limit = limit_of(settings, "POST", "/api/speak")
    # Short text, long padding: the route would read it aloud; the body is what is too big.
    # The body is never finished, so only a server that stops at the limit can answer.
    text = json.dumps({"text": "Hej", "padding": "x" * (limit + 1)}).encode()
    chunks = b"".join(
        f"{len(text[i : i + 4096]):x}\r\n".encode() + text[i : i + 4096] + b"\r\n"
        for i in range(0, len(text), 4096)
    )
    head = (
        "POST /api/speak HTTP/1.1\r\nHost: reader\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n"
    )
    with send_head(base_url, head, chunks) as sock:
        status, headers, body = read_answer(sock)
    assert status == 413
    error = json.loads(body)["error"]
    assert error["title"] == "Forespørgslen er for stor"
    assert f"{limit} bytes" in error["message"]


def test_a_chunked_body_under_the_limit_is_read(base_url: str) -> None:
    text = json.dumps({"text": "😀"}).encode()
    chunked = f"{len(text):x}\r\n".encode() + text + b"\r\n0\r\n\r\n"
    head = (
        "POST /api/speak HTTP/1.1\r\nHost: reader\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n"
    )
    with send_head(base_url, head, chunked) as sock:
        status, _, body = read_answer(sock)
    assert status == 422
    assert json.loads(body)["error"]["title"] == "Der er intet at læse op"


def test_a_text_at_the_length_limit_passes_the_body_limit_in_its_longest_json(
    base_url: str, settings: Settings
) -> None:
    # Every character escaped as a surrogate pair: the most bytes a text at the limit can take.
    body = json.dumps({"text": "😀" * settings.speak_max_chars})
    assert len(body) > settings.speak_max_chars * 4 + BODY_SLACK_BYTES
    answer = httpx.post(
        f"{base_url}/api/speak",
        content=body,
        headers={"Content-Type": "application/json"},
        timeout=SOCKET_TIMEOUT,
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["title"] == "Der er intet at læse op"


def test_a_normal_speak_request_is_answered(base_url: str) -> None:
    answer = httpx.post(
        f"{base_url}/api/speak", json={"text": "Hej med dig."}, timeout=SOCKET_TIMEOUT
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "audio/mpeg"
    assert len(answer.content) > 0


def test_reader_serve_refuses_oversize_bodies_without_reading_them(settings: Settings) -> None:
    env = {"READER_SPEAK_MAX_CHARS": str(settings.speak_max_chars), "READER_ENGINE": "espeak"}
    limit = limit_of(settings, "POST", "/api/speak")
    head = "POST /api/speak HTTP/1.1\r\nHost: reader\r\nContent-Type: application/json\r\n"
    # Neither body is ever finished: only a server that stops at the limit can answer.
    claimed = f"Content-Length: {CLAIMED}\r\n"
    text = json.dumps({"text": "Hej", "padding": "x" * (limit + 1)}).encode()
    chunked = "Transfer-Encoding: chunked\r\n"
    with reader_server(settings.content_dir, settings.data_dir, env) as url:
        with send_head(url, head + claimed, b'{"tex') as sock:
            status, headers, body = read_answer(sock)
        assert status == 413
        assert headers["connection"] == "close"
        assert f"{CLAIMED} bytes" in json.loads(body)["error"]["message"]
        with send_head(url, head + chunked, f"{len(text):x}\r\n".encode() + text) as sock:
            status, _, body = read_answer(sock)
        assert status == 413
        assert f"{limit} bytes" in json.loads(body)["error"]["message"]
