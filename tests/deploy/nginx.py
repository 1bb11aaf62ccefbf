"""Debian's nginx on loopback, started by the tests, with a deploy/ config made local."""

from __future__ import annotations

import http.client
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
REPLICAS_CONFIG = REPO / "deploy" / "nginx-replicas.conf"
STARTUP_POLLS = 200
UPSTREAM_SERVER = re.compile(r"^(\s*)server [^\s;]+:\d+([^;]*);$", re.MULTILINE)


def nginx_binary() -> str:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "nginx is missing: run scripts/test (it installs nginx-light)"
    return nginx


def local_replicas_config(text: str, root: Path, upstreams: list[int], port: int) -> str:
    """``deploy/nginx-replicas.conf`` with its replicas on these loopback ports, its cache under
    ``root`` and nginx listening on 127.0.0.1:``port``: nothing else of it changes."""
    servers = UPSTREAM_SERVER.findall(text)
    assert servers, "deploy/nginx-replicas.conf names no replica in its upstream"
    indent, options = servers[0]
    lines = "\n".join(f"{indent}server 127.0.0.1:{p}{options};" for p in upstreams)
    first = UPSTREAM_SERVER.search(text)
    assert first is not None
    text = text[: first.start()] + "\0" + UPSTREAM_SERVER.sub("", text[first.end() :])
    text = re.sub(r"\n\n?(?=\s*keepalive)", "\n", text.replace("\0", lines, 1), count=1)
    for old, new in [
        ("/var/cache/nginx/reader", str(root / "cache")),
        ("listen 8080;", f"listen 127.0.0.1:{port};"),
    ]:
        assert old in text, f"{old!r} is no longer in deploy/nginx-replicas.conf"
        text = text.replace(old, new)
    assert re.findall(r"server ([^\s;]+):\d+", text) == ["127.0.0.1"] * len(upstreams)
    return text


def check_config(root: Path, text: str) -> subprocess.CompletedProcess[str]:
    """``nginx -t`` on ``text`` (written under ``root``)."""
    conf = root / "nginx.conf"
    conf.write_text(text)
    (root / "logs").mkdir(exist_ok=True)
    return subprocess.run(
        [nginx_binary(), "-t", "-p", str(root), "-c", str(conf), "-g", _globals(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def _globals(root: Path) -> str:
    return f"pid {root}/nginx.pid; error_log {root}/logs/error.log;"


@contextmanager
def running_nginx(root: Path, text: str, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """nginx with config ``text`` under ``root`` (readable by its unprivileged workers), until
    it answers on 127.0.0.1:``port``."""
    conf = root / "nginx.conf"
    conf.write_text(text)
    (root / "logs").mkdir(exist_ok=True)
    process = subprocess.Popen(
        [nginx_binary(), "-p", str(root), "-c", str(conf), "-g", "daemon off; " + _globals(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(STARTUP_POLLS):
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                probe.connect()
                break
            except OSError:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                time.sleep(0.05)
            finally:
                probe.close()
        else:
            raise AssertionError(f"nginx did not answer on 127.0.0.1:{port}")
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout:
            process.stdout.close()
