"""The servers a load benchmark talks to, as real processes on loopback ports: ``reader serve``
and Debian's nginx, with the shipped ``deploy/nginx.conf`` or a plain static-file config."""

from __future__ import annotations

import http.client
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench._proc import ROOT, BenchError, reader_command, reader_env

HOST = "127.0.0.1"
SHIPPED_CONFIG = ROOT / "deploy" / "nginx.conf"
STARTUP_SECONDS = 60.0


@dataclass(frozen=True)
class Server:
    port: int

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def get(
        self, path: str, headers: Mapping[str, str] | None = None, *, timeout: float = 120
    ) -> tuple[int, dict[str, str], bytes]:
        """One request on a new connection: status, headers (lower-case names), body."""
        connection = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            connection.request("GET", path, headers=dict(headers or {}))
            response = connection.getresponse()
            found = {name.lower(): value for name, value in response.getheaders()}
            return response.status, found, response.read()
        finally:
            connection.close()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _tail(path: Path) -> str:
    lines = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return " | ".join(lines[-3:])


def _wait_until_answering(
    process: subprocess.Popen[bytes], server: Server, path: str, what: str, log: Path
) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"{what} exited with {process.returncode}: {_tail(log)}")
        try:
            if server.get(path, timeout=5)[0] < 500:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise BenchError(f"{what} did not answer on port {server.port} in {STARTUP_SECONDS:.0f} s")


@contextmanager
def reader_serve(
    content_dir: Path, data_dir: Path, *, env: Mapping[str, str] | None = None
) -> Iterator[Server]:
    """``reader serve`` with espeak-ng as its engine, as a process, until the block ends.

    Its log goes to a file, as it would to a journal (requests are not logged unless
    ``--access-log`` is given, as shipped).
    """
    with reader_serve_process(content_dir, data_dir, env=env) as (server, _):
        yield server


@contextmanager
def reader_serve_process(
    content_dir: Path, data_dir: Path, *, env: Mapping[str, str] | None = None
) -> Iterator[tuple[Server, subprocess.Popen[bytes]]]:
    """``reader_serve`` with its process, for a benchmark that signals it (it is stopped at
    the end of the block if it still runs)."""
    port = free_port()
    settings = reader_env(content_dir=content_dir, data_dir=data_dir)
    settings.update(env or {})
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "serve.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [*reader_command(), "serve", "--host", HOST, "--port", str(port)],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                env=settings,
                cwd=ROOT,
            )
        server = Server(port)
        try:
            _wait_until_answering(process, server, "/healthz", "reader serve", log)
            yield server, process
        finally:
            _stop(process)


def shipped_config(data_dir: Path, upstream: Server, port: int) -> str:
    """``deploy/nginx.conf`` with its data directory, upstream and port put in."""
    text = SHIPPED_CONFIG.read_text(encoding="utf-8")
    for old, new in [
        ("root /srv/reader/var;", f"root {data_dir};"),
        ("server 127.0.0.1:8000;", f"server {HOST}:{upstream.port};"),
        ("listen 8080;", f"listen {HOST}:{port};"),
    ]:
        if old not in text:
            raise BenchError(f"{old!r} is no longer in {SHIPPED_CONFIG}")
        text = text.replace(old, new)
    return text


def plain_config(data_dir: Path, port: int, *, workers: str = "auto") -> str:
    """nginx serving the files under ``data_dir``/audio and nothing else: the least a web
    server can do for an audio request (the shipped config's global settings, no headers)."""
    return f"""worker_processes {workers};
events {{
    worker_connections 1024;
}}
http {{
    types {{
        audio/mpeg mp3;
    }}
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    access_log off;
    server {{
        listen {HOST}:{port};
        location /audio/ {{
            root {data_dir};
        }}
    }}
}}
"""


def nginx_binary() -> str:
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(found).is_file():
        raise BenchError("nginx is not installed (scripts/bench installs it)")
    return found


@contextmanager
def nginx(config: str, port: int, probe: str = "/") -> Iterator[Server]:
    """Debian's nginx in the foreground with ``config`` (which listens on ``port``)."""
    with tempfile.TemporaryDirectory() as scratch:
        prefix = Path(scratch)
        (prefix / "logs").mkdir()
        (prefix / "nginx.conf").write_text(config, encoding="utf-8")
        log = prefix / "logs" / "output.log"
        directives = f"daemon off; user root; pid {prefix}/nginx.pid; error_log {log};"
        with log.open("ab") as output:  # nginx appends its error log to the same file
            process = subprocess.Popen(
                [nginx_binary(), "-p", str(prefix), "-c", "nginx.conf", "-g", directives],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        server = Server(port)
        try:
            _wait_until_answering(process, server, probe, "nginx", log)
            yield server
        finally:
            _stop(process)
