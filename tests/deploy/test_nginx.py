"""deploy/nginx.conf, run by Debian's nginx on loopback, answers as the app does."""

from __future__ import annotations

import http.client
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reader.config import Settings
from reader.services import build_services
from reader.speech.engines.choice import EngineChoice
from reader.web.app import create_app
from tests.fakes.engines import ToneEngine
from tests.web.live import http_request, serve_in_thread
from tests.web.server import free_port

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "deploy" / "nginx.conf"
SLUG = "forebyggelsesstrategi"
ALLOWED = "https://www.htk.dk"

Server = tuple[str, int]
MASTERS: list[int] = []
"""The nginx master process of the running fixture."""


def nginx_config(data_dir: Path, upstream_port: int, port: int) -> str:
    text = CONFIG.read_text()
    for old, new in [
        ("root /srv/reader/var;", f"root {data_dir};"),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream_port};"),
        ("listen 8080;", f"listen 127.0.0.1:{port};"),
    ]:
        assert old in text, f"{old!r} is no longer in deploy/nginx.conf"
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server, str]]:
    """(the app alone, nginx in front of it, the page track's hash)."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "nginx is missing: run scripts/test (it installs nginx-light)"
    # nginx's workers run as the config's unprivileged user, as in production: the data
    # directory is where they can reach it (pytest's own temp folders are private to root).
    root = Path(tempfile.mkdtemp(prefix="reader-nginx-"))
    root.chmod(0o755)
    shutil.copytree(REPO / "content", root / "content")
    settings = Settings(
        content_dir=root / "content",
        data_dir=root / "var",
        engine="espeak",
        allowed_origins=[ALLOWED],
    )
    engines = EngineChoice((ToneEngine(ms_per_char=5),), None)
    umask = os.umask(0o022)  # what a service manager gives the service unless told otherwise
    try:
        digest = build_services(settings, engines).builder.build(SLUG).manifest.page.hash
    finally:
        os.umask(umask)
    app = create_app(settings, engines=engines)
    with serve_in_thread(app) as base:
        app_port = int(base.rsplit(":", 1)[1])
        port = free_port()
        conf = root / "nginx.conf"
        conf.write_text(nginx_config(root / "var", app_port, port))
        (root / "logs").mkdir()
        process = subprocess.Popen(
            [
                nginx,
                "-p",
                str(root),
                "-c",
                str(conf),
                "-g",
                f"daemon off; pid {root}/nginx.pid; error_log {root}/logs/error.log;",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        MASTERS.append(process.pid)
        try:
            for _ in range(200):
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                try:
                    probe.connect()
                    break
                except OSError:
                    assert process.poll() is None, process.stdout.read() if process.stdout else ""
                    time.sleep(0.05)
                finally:
                    probe.close()
            yield ("127.0.0.1", app_port), ("127.0.0.1", port), digest
        finally:
            process.terminate()
            process.wait(timeout=30)
            if process.stdout:
                process.stdout.close()
            shutil.rmtree(root, ignore_errors=True)


def get(
    server: Server, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    return http_request(server, method, path, headers)


AUDIO_HEADERS = ("content-type", "content-length", "content-range", "cache-control", "etag")


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("GET", {}),
        ("HEAD", {}),
        ("GET", {"Range": "bytes=0-1"}),
        ("GET", {"Range": "bytes=1000-65535"}),
        ("GET", {"Range": "bytes=-500"}),
        ("GET", {"Range": "bytes=99999999-"}),
        ("GET", {"If-None-Match": "HASH"}),
        ("GET", {"If-None-Match": "W/HASH"}),
        ("GET", {"If-None-Match": '"someone-else"'}),
        ("GET", {"If-Match": "HASH"}),
        ("GET", {"If-Match": "*"}),
        ("GET", {"If-Match": '"someone-else"'}),
        ("GET", {"If-Match": "HASH", "Range": "bytes=0-1"}),
        ("HEAD", {"If-Match": '"someone-else"'}),
    ],
)
def test_audio_answers_match_the_app(
    servers: tuple[Server, Server, str], method: str, headers: dict[str, str]
) -> None:
    app, nginx, digest = servers
    headers = {k: v.replace("HASH", f'"{digest}"') for k, v in headers.items()}
    path = f"/audio/{digest}.mp3"
    ours, theirs = get(app, path, headers, method), get(nginx, path, headers, method)
    assert ours[0] == theirs[0]
    if ours[0] not in (412, 416):  # nginx explains these in an HTML body; the app sends none
        assert ours[2] == theirs[2]
    for name in AUDIO_HEADERS:
        if ours[0] in (304, 412, 416) and name in ("content-length", "content-type"):
            continue  # no body: either may leave these out
        assert ours[1].get(name) == theirs[1].get(name), name
    if ours[0] in (200, 206):
        assert theirs[1]["accept-ranges"] == "bytes"
        assert theirs[1]["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    ["/audio/ffffffffffffffffffffffffffffffff.mp3", "/audio/../manifests/x.json", "/audio/x.mp3"],
)
def test_unknown_audio_is_404_from_both(servers: tuple[Server, Server, str], path: str) -> None:
    app, nginx, _ = servers
    assert get(app, path)[0] == get(nginx, path)[0] == 404


@pytest.mark.parametrize("path", ["/", f"/pages/{SLUG}", "/api/pages", f"/api/pages/{SLUG}"])
def test_the_rest_is_proxied_and_compressed(servers: tuple[Server, Server, str], path: str) -> None:
    app, nginx, _ = servers
    plain = get(nginx, path)
    assert plain[0] == 200 and plain[2] == get(app, path)[2]
    zipped = get(nginx, path, {"Accept-Encoding": "gzip"})
    assert zipped[1].get("content-encoding") == "gzip"


def test_redirects_lead_to_audio_nginx_serves(servers: tuple[Server, Server, str]) -> None:
    _, nginx, digest = servers
    status, headers, _ = get(nginx, f"/api/pages/{SLUG}/audio")
    assert status == 307 and headers["location"] == f"/audio/{digest}.mp3"


def test_nginx_workers_are_unprivileged_and_read_the_audio(
    servers: tuple[Server, Server, str],
) -> None:
    _, nginx, digest = servers
    status, _, body = get(nginx, f"/audio/{digest}.mp3")
    assert status == 200 and body[:3] in (b"ID3", b"\xff\xfb")
    workers = [
        status_of(proc)
        for proc in Path("/proc").iterdir()
        if proc.name.isdigit() and status_of(proc).get("PPid") == str(MASTERS[-1])
    ]
    assert workers, "nginx started no worker processes"
    for worker in workers:
        assert worker["Uid"].split()[0] != "0", worker


def status_of(proc: Path) -> dict[str, str]:
    try:
        lines = (proc / "status").read_text().splitlines()
    except OSError:  # the process ended meanwhile
        return {}
    return dict(line.split(":\t", 1) for line in lines if ":\t" in line)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        f"/pages/{SLUG}",
        "/api/pages",
        f"/api/pages/{SLUG}",
        f"/api/pages/{SLUG}/audio",
        f"/api/pages/{SLUG}/timings.vtt",
        "/feed.xml",
        "/healthz",
        "/pages/ingen-side",
    ],
)
def test_head_through_nginx_answers_as_get_does(
    servers: tuple[Server, Server, str], path: str
) -> None:
    _, nginx, _ = servers
    got, head = get(nginx, path), get(nginx, path, method="HEAD")
    assert head[0] == got[0] and head[2] == b""
    assert head[1].get("content-type") == got[1].get("content-type")
    assert head[1].get("location") == got[1].get("location")


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("OPTIONS", {}),
        ("DELETE", {}),
        (
            "OPTIONS",
            {
                "Origin": ALLOWED,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "range",
            },
        ),
    ],
)
def test_other_audio_methods_are_answered_as_the_app_does(
    servers: tuple[Server, Server, str], method: str, headers: dict[str, str]
) -> None:
    app, nginx, digest = servers
    path = f"/audio/{digest}.mp3"
    ours, theirs = get(app, path, headers, method), get(nginx, path, headers, method)
    assert ours[0] == theirs[0]
    for name in ("allow", "access-control-allow-origin", "access-control-allow-headers"):
        assert ours[1].get(name) == theirs[1].get(name), name


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": ALLOWED},
        {"Origin": ALLOWED, "Range": "bytes=0-99"},
        {"Origin": ALLOWED, "If-None-Match": "HASH"},
        {"Origin": "https://elsewhere.example"},
    ],
)
def test_audio_asked_from_another_site_carries_the_apps_cors_headers(
    servers: tuple[Server, Server, str], headers: dict[str, str]
) -> None:
    app, nginx, digest = servers
    path = f"/audio/{digest}.mp3"
    headers = {name: value.replace("HASH", f'"{digest}"') for name, value in headers.items()}
    ours, theirs = get(app, path, headers), get(nginx, path, headers)
    assert ours[0] == theirs[0] and ours[2] == theirs[2]
    for name in ("access-control-allow-origin", "access-control-expose-headers", "vary"):
        assert ours[1].get(name) == theirs[1].get(name), name
    allowed = headers["Origin"] == ALLOWED
    assert (theirs[1].get("access-control-allow-origin") == ALLOWED) == allowed
