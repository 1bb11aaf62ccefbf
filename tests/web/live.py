"""An app served by a real uvicorn on a loopback port, in a thread of the test process."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import uvicorn
from fastapi import FastAPI

from reader.config import Settings
from reader.web.serving import server_config
from tests.web.server import free_port

STARTUP_POLLS = 400
# Enough reads for any answer here; each waits at most SOCKET_TIMEOUT, so nothing hangs.
MAX_READS = 1000
SOCKET_TIMEOUT = 30


@contextmanager
def serve_in_thread(app: FastAPI, settings: Settings | None = None) -> Iterator[str]:
    """Yield ``http://127.0.0.1:PORT`` while uvicorn serves ``app`` (lifespan included).

    With ``settings``, uvicorn is configured as ``reader serve`` configures it."""
    port = free_port()
    if settings is None:
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"
        )
    else:
        config = server_config(app, settings, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    try:
        for _ in range(STARTUP_POLLS):
            if server.started:
                break
            if not thread.is_alive():
                raise RuntimeError("uvicorn stopped during start-up")
            time.sleep(0.05)
        else:
            raise RuntimeError("uvicorn did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def http_request(
    server: tuple[str, int], method: str, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request over a fresh connection: (status, lower-cased headers, body)."""
    connection = http.client.HTTPConnection(*server, timeout=60)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def address(base_url: str) -> tuple[str, int]:
    parts = urlsplit(base_url)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


def read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Read until the server closes: (status, lower-cased headers, body)."""
    data = b""
    for _ in range(MAX_READS):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    else:
        raise AssertionError("the server kept the connection open")
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


def read_kept_answer(sock: socket.socket) -> int:
    """Read one answer that has a Content-Length, leaving the connection open: its status."""
    data = b""
    for _ in range(MAX_READS):
        head, found, body = data.partition(b"\r\n\r\n")
        if found:
            break
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("the server closed the connection")
        data += chunk
    else:
        raise AssertionError("no end of the headers")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    fields = {name.strip().lower(): value for name, _, value in (x.partition(":") for x in lines)}
    length = int(fields["content-length"])
    for _ in range(MAX_READS):
        if len(body) >= length:
            break
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("the server closed the connection")
        body += chunk
    else:
        raise AssertionError("no end of the body")
    return int(status_line.split()[1])
