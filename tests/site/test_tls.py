"""TLS is verified: a site on https whose certificate no authority signed is not read."""

from __future__ import annotations

import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from reader.config import Settings
from reader.site.errors import SiteUnreachable
from reader.site.fetch import Fetcher
from reader.site.service import policy_of

PAGE = "<!DOCTYPE html><html lang='da'><title>Side</title><main><h1>Side</h1></main></html>"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        body = PAGE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def self_signed_site(tmp_path: Path) -> Iterator[str]:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=30)


def test_a_certificate_no_authority_signed_is_refused(
    settings: Settings, self_signed_site: str
) -> None:
    policy = policy_of(
        settings.model_copy(update={"site_origins": [self_signed_site], "site_allow_private": True})
    )
    fetcher = Fetcher(policy)
    try:
        with pytest.raises(SiteUnreachable, match="CERTIFICATE_VERIFY_FAILED"):
            fetcher.get(self_signed_site + "/side")
    finally:
        fetcher.close()
