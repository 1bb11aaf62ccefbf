"""Limits against exhaustion, over real HTTP: what one connection may hold, as ``reader serve``
configures uvicorn."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from reader.config import Settings
from reader.web.app import create_app
from reader.web.serving import BoundedHttpProtocol, server_config
from tests.web.live import (
    SOCKET_TIMEOUT,
    address,
    read_answer,
    read_kept_answer,
    serve_in_thread,
)
from tests.web.server import reader_server

pytestmark = pytest.mark.slow

# Bounds for the slow clients below; each step waits at most PAUSE for the server to close.
TRICKLE_STEPS = 200
PAUSE = 0.2


@contextmanager
def served(settings: Settings, **changes: Any) -> Iterator[tuple[str, int]]:
    changed = Settings(**{**settings.model_dump(), **changes})
    with serve_in_thread(create_app(changed), changed) as base_url:
        yield address(base_url)


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server has closed the connection (read until it does, or SOCKET_TIMEOUT)."""
    try:
        for _ in range(TRICKLE_STEPS):
            if not sock.recv(65536):
                return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    return False


def test_a_connection_that_stops_halfway_through_its_headers_is_closed(
    settings: Settings,
) -> None:
    with served(settings, header_timeout=1) as server:
        with socket.create_connection(server, timeout=SOCKET_TIMEOUT) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: reader\r\nX-Slow: ")
            assert closed_by_server(sock)


def test_a_connection_that_sends_nothing_is_closed(settings: Settings) -> None:
    with served(settings, header_timeout=1) as server:
        with socket.create_connection(server, timeout=SOCKET_TIMEOUT) as sock:
            assert closed_by_server(sock)


def test_headers_trickled_a_byte_at_a_time_do_not_keep_the_connection(settings: Settings) -> None:
    # Every byte resets uvicorn's own keep-alive timer; the header deadline is not moved by them.
    with served(settings, header_timeout=1) as server:
        with socket.create_connection(server) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: reader\r\n")
            sock.settimeout(PAUSE)
            for _ in range(TRICKLE_STEPS):
                try:
                    sock.sendall(b"X")
                    if not sock.recv(65536):
                        break
                except TimeoutError:
                    continue
                except (ConnectionResetError, BrokenPipeError):
                    break
            else:
                raise AssertionError(f"still open after {TRICKLE_STEPS} trickled bytes")


def test_a_kept_alive_connection_must_send_its_next_headers_in_time(settings: Settings) -> None:
    with served(settings, header_timeout=1, keep_alive_timeout=300) as server:
        with socket.create_connection(server, timeout=SOCKET_TIMEOUT) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: reader\r\n\r\n")
            assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: rea")
            assert closed_by_server(sock)


def test_idle_time_on_a_kept_alive_connection_is_the_keep_alive_timeouts(
    settings: Settings,
) -> None:
    with served(settings, header_timeout=1, keep_alive_timeout=300) as server:
        with socket.create_connection(server, timeout=SOCKET_TIMEOUT) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: reader\r\n\r\n")
            assert read_kept_answer(sock) == 200
            # Idle for twice the header deadline: the next request's time starts with it.
            time.sleep(2)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: reader\r\n\r\n")
            assert read_kept_answer(sock) == 200


def test_a_next_request_begun_during_the_answer_must_finish_its_headers_in_time(
    settings: Settings,
) -> None:
    # The start of the second request comes with the first: its time has begun before the
    # answer, and no later byte comes to start it.
    first = b"GET /healthz HTTP/1.1\r\nHost: reader\r\n\r\n"
    with served(settings, header_timeout=1, keep_alive_timeout=300) as server:
        with socket.create_connection(server, timeout=SOCKET_TIMEOUT) as sock:
            sock.sendall(first + b"GET /healthz HTTP/1.1\r\nHost: rea")
            assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
            assert closed_by_server(sock)


def test_the_deadline_covers_the_headers_only_not_the_body(settings: Settings) -> None:
    body = b'{"text": "\xf0\x9f\x98\x80"}'
    head = (
        b"POST /api/speak HTTP/1.1\r\nHost: reader\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    )
    with served(settings, header_timeout=1) as server:
        with socket.create_connection(server, timeout=SOCKET_TIMEOUT) as sock:
            sock.sendall(head)
            # Twice the deadline between the headers and the body: the request is still taken.
            time.sleep(2)
            sock.sendall(body)
            assert sock.recv(65536).startswith(b"HTTP/1.1 422 ")


def test_headers_just_under_the_limit_are_taken(settings: Settings) -> None:
    start = b"GET /healthz HTTP/1.1\r\nHost: reader\r\nX-Padding: "
    end = b"\r\n\r\n"
    padding = b"a" * (settings.max_header_bytes - len(start) - len(end))
    with served(settings) as server:
        with socket.create_connection(server, timeout=SOCKET_TIMEOUT) as sock:
            sock.sendall(start + padding + end)
            assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")


def test_headers_just_over_the_limit_are_a_431(settings: Settings) -> None:
    start = b"GET /healthz HTTP/1.1\r\nHost: reader\r\nX-Padding: "
    end = b"\r\n\r\n"
    padding = b"a" * (settings.max_header_bytes - len(start) - len(end) + 1)
    with served(settings) as server:
        with socket.create_connection(server, timeout=SOCKET_TIMEOUT) as sock:
            sock.sendall(start + padding + end)
            status, headers, body = read_answer(sock)
    assert status == 431
    assert headers["connection"] == "close"
    assert f"{settings.max_header_bytes} bytes" in body.decode()


def test_a_ten_megabyte_header_is_not_taken(settings: Settings) -> None:
    huge = b"GET /healthz HTTP/1.1\r\nHost: reader\r\nX-Huge: " + b"a" * 10_000_000 + b"\r\n\r\n"
    with served(settings) as server:
        with socket.create_connection(server, timeout=SOCKET_TIMEOUT) as sock:
            try:
                sock.sendall(huge)
                answer = sock.recv(65536)
            except (ConnectionResetError, BrokenPipeError):
                answer = b""  # refused while still sending: the server closed the connection
    # Either the 431 was read, or the connection was gone before the header was all sent.
    assert answer == b"" or answer.startswith(b"HTTP/1.1 431 ")


def test_requests_beyond_the_connection_limit_get_503(settings: Settings) -> None:
    with served(settings, max_connections=2) as server:
        base_url = f"http://{server[0]}:{server[1]}"
        assert httpx.get(f"{base_url}/healthz").status_code == 200
        with socket.create_connection(server, timeout=SOCKET_TIMEOUT):
            # One idle connection and this request's own make two: the limit.
            assert httpx.get(f"{base_url}/healthz").status_code == 503


def test_reader_serve_closes_a_connection_that_stops_halfway_through_its_headers(
    settings: Settings,
) -> None:
    env = {"READER_HEADER_TIMEOUT": "1", "READER_ENGINE": "espeak"}
    with reader_server(settings.content_dir, settings.data_dir, env) as base_url:
        with socket.create_connection(address(base_url), timeout=SOCKET_TIMEOUT) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: reader\r\n")
            assert closed_by_server(sock)


def test_reader_serve_answers_431_to_headers_over_its_limit(settings: Settings) -> None:
    env = {"READER_MAX_HEADER_BYTES": "4096", "READER_ENGINE": "espeak"}
    start = b"GET /healthz HTTP/1.1\r\nHost: reader\r\nX-Padding: "
    end = b"\r\n\r\n"
    with reader_server(settings.content_dir, settings.data_dir, env) as base_url:
        with socket.create_connection(address(base_url), timeout=SOCKET_TIMEOUT) as sock:
            sock.sendall(start + b"a" * (4096 - len(start) - len(end)) + end)
            assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
        with socket.create_connection(address(base_url), timeout=SOCKET_TIMEOUT) as sock:
            sock.sendall(start + b"a" * (4096 - len(start) - len(end) + 1) + end)
            status, headers, body = read_answer(sock)
    assert status == 431
    assert headers["connection"] == "close"
    assert "4096 bytes" in body.decode()


def test_reader_serve_keeps_an_idle_connection_for_its_keep_alive_timeout(
    settings: Settings,
) -> None:
    # uvicorn's own keep-alive timeout is 5 s: idling past it shows the setting is the one used,
    # and that the header deadline (1 s) does not count idle time.
    idle = 6
    env = {
        "READER_KEEP_ALIVE_TIMEOUT": "300",
        "READER_HEADER_TIMEOUT": "1",
        "READER_ENGINE": "espeak",
    }
    with reader_server(settings.content_dir, settings.data_dir, env) as base_url:
        with socket.create_connection(address(base_url), timeout=SOCKET_TIMEOUT) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: reader\r\n\r\n")
            assert read_kept_answer(sock) == 200
            time.sleep(idle)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: reader\r\n\r\n")
            assert read_kept_answer(sock) == 200


def test_reader_serve_answers_503_beyond_its_connection_limit(settings: Settings) -> None:
    env = {"READER_MAX_CONNECTIONS": "2", "READER_ENGINE": "espeak"}
    with reader_server(settings.content_dir, settings.data_dir, env) as base_url:
        assert httpx.get(f"{base_url}/healthz").status_code == 200
        with socket.create_connection(address(base_url), timeout=SOCKET_TIMEOUT):
            # One idle connection and this request's own make two: the limit.
            assert httpx.get(f"{base_url}/healthz").status_code == 503
        assert httpx.get(f"{base_url}/healthz").status_code == 200


def test_the_server_takes_its_limits_from_the_settings(settings: Settings) -> None:
    changed = Settings(
        **{
            **settings.model_dump(),
            "max_header_bytes": 4096,
            "header_timeout": 2.5,
            "keep_alive_timeout": 7,
            "max_connections": 12,
        }
    )
    config = server_config(create_app(changed), changed, host="127.0.0.1", port=8000)
    config.load()
    protocol = config.http_protocol_class
    assert issubclass(protocol, BoundedHttpProtocol)
    assert (protocol.max_header_bytes, protocol.header_timeout) == (4096, 2.5)
    assert (config.timeout_keep_alive, config.limit_concurrency) == (7, 12)


def test_an_idle_kept_alive_connection_is_closed(settings: Settings) -> None:
    with served(settings, keep_alive_timeout=1) as server:
        with socket.create_connection(server, timeout=SOCKET_TIMEOUT) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: reader\r\n\r\n")
            assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
            assert closed_by_server(sock)
