"""``reader serve --access-log`` writes what clients sent without its control characters."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from reader.config import Settings
from tests.web.live import read_answer
from tests.web.server import REPO, _wait_until_healthy, free_port

pytestmark = pytest.mark.slow

CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")
"""Any C0 or C1 control character but the line feed that ends each log line."""


def test_the_access_log_escapes_what_a_client_put_in_the_request(
    settings: Settings, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "READER_CONTENT_DIR": str(settings.content_dir),
        "READER_DATA_DIR": str(settings.data_dir),
    }
    command = [sys.executable, "-m", "reader", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--access-log"]
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=output, stderr=output)
        try:
            _wait_until_healthy(process, f"http://127.0.0.1:{port}")
            # httptools refuses control bytes in the request line, but a header may carry C1
            # bytes: CSI (0x9b) is what ESC [ is to a terminal. Uvicorn trusts X-Forwarded-For
            # from 127.0.0.1, and logs the client it names.
            request = (
                b"GET /pages/ingen HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"X-Forwarded-For: \x9b2J\x9b31mrod\r\n\r\n"
            )
            with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
                sock.sendall(request)
                status, _, _ = read_answer(sock)
            assert status == 404
        finally:
            process.terminate()
            process.wait(timeout=30)

    written = log.read_bytes().decode("utf-8", errors="replace")
    line = next(line for line in written.splitlines() if "GET /pages/ingen HTTP" in line)
    assert "\\x9b2J\\x9b31mrod" in line
    assert not CONTROL.search(written)
