"""An app served by a real uvicorn on a loopback port, in a thread of the test process."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from tests.web.server import free_port

STARTUP_POLLS = 400


@contextmanager
def serve_in_thread(app: FastAPI) -> Iterator[str]:
    """Yield ``http://127.0.0.1:PORT`` while uvicorn serves ``app`` (lifespan included)."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
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
