"""The reading view and the JSON of a very large page under load: ``reader serve`` against
nginx serving the same bytes from files, in the same run.

The page has 1,001 sections (1.5 MB of HTML). Its reading view and JSON are asked for once
(untimed: that request extracts, lays out and renders), both without and with gzip; the four
answers are written to files that a plain nginx config serves with the same types and encoding.
wrk then loads each side in turn, the order alternating from one repeat to the next.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench._proc import BenchError
from bench._result import Result, median, progress
from bench._servers import HOST, Server, free_port, nginx, reader_serve
from bench._wrk import CONNECTIONS, DURATION, THREADS, checked, header_script, wrk
from bench.corpus import copy_content, large_page

NAME = "page-serving"
TARGET = 0.5
FIRST_TIMEOUT = 600.0
"""Seconds the first (rendering) request may take."""

VIEWS = {"html": "/pages/{slug}", "json": "/api/pages/{slug}"}
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "json": "application/json"}
ENCODINGS = ("identity", "gzip")
SIDES = ("app", "nginx", "nginx-1")
"""nginx-1: the same config with one worker process, like the app's one process (printed, not
judged: the rows compare with nginx as deployed, ``worker_processes auto``)."""


@dataclass(frozen=True)
class Setup:
    servers: dict[str, Server]
    paths: dict[tuple[str, str], str]
    """(view, encoding) → the path asked for on each side."""
    bodies: dict[tuple[str, str], bytes]
    scripts: dict[str, Path]
    """Encoding → the wrk script that sends its Accept-Encoding."""
    etags: dict[str, str]
    """View → the app's ETag of the identity answer, for the revalidation load."""
    first_seconds: dict[str, float]
    """View → seconds of the first request (extraction, rendering, compression)."""


def page_config(root: Path, port: int, *, workers: str = "auto") -> str:
    """nginx serving the saved answers: ``/pages/…`` and ``/api/…`` as they are, ``/gzip/…``
    with ``Content-Encoding: gzip`` (the least a server does for a precompressed file)."""
    locations = []
    for view, media in MEDIA_TYPES.items():
        prefix = "/pages/" if view == "html" else "/api/"
        locations.append(f'location {prefix} {{ root {root}; default_type "{media}"; }}')
        locations.append(
            f'location /gzip{prefix} {{ root {root}; default_type "{media}"; '
            "add_header Content-Encoding gzip; add_header Vary Accept-Encoding; }"
        )
    body = "\n        ".join(locations)
    return f"""worker_processes {workers};
events {{
    worker_connections 1024;
}}
http {{
    types {{ }}
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    access_log off;
    server {{
        listen {HOST}:{port};
        {body}
    }}
}}
"""


def _accept(encoding: str) -> dict[str, str]:
    return {"Accept-Encoding": encoding}


@contextmanager
def servers() -> Iterator[Setup]:
    with tempfile.TemporaryDirectory() as scratch, ExitStack() as stack:
        root = Path(scratch)
        content = copy_content(root / "content")
        slug = large_page(content)
        app = stack.enter_context(reader_serve(content, root / "var"))
        files = root / "files"
        bodies: dict[tuple[str, str], bytes] = {}
        paths: dict[tuple[str, str], str] = {}
        etags: dict[str, str] = {}
        first: dict[str, float] = {}
        for view, template in VIEWS.items():
            path = template.format(slug=slug)
            for encoding in ENCODINGS:
                progress(f"{NAME}: first GET {path} ({encoding})")
                started = time.perf_counter()
                status, headers, body = app.get(path, _accept(encoding), timeout=FIRST_TIMEOUT)
                first.setdefault(view, time.perf_counter() - started)
                if status != 200:
                    raise BenchError(f"app: GET {path} answered {status}")
                if (headers.get("content-encoding") == "gzip") != (encoding == "gzip"):
                    raise BenchError(f"app: GET {path} ({encoding}) came in another encoding")
                if encoding == "identity":
                    etags[view] = headers["etag"]
                saved = ("/gzip" if encoding == "gzip" else "") + path
                target = files / saved.lstrip("/")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(body)
                bodies[view, encoding] = body
                paths[view, encoding] = path
        port = free_port()
        plain = stack.enter_context(nginx(page_config(files, port), port))
        port = free_port()
        single = stack.enter_context(nginx(page_config(files, port, workers="1"), port))
        scripts = {
            encoding: header_script(root / f"{encoding}.lua", _accept(encoding))
            for encoding in ENCODINGS
        }
        yield Setup(
            servers={"app": app, "nginx": plain, "nginx-1": single},
            paths=paths,
            bodies=bodies,
            scripts=scripts,
            etags=etags,
            first_seconds=first,
        )


def _path(setup: Setup, side: str, view: str, encoding: str) -> str:
    path = setup.paths[view, encoding]
    return f"/gzip{path}" if side != "app" and encoding == "gzip" else path


def check_answers(setup: Setup) -> None:
    """Both sides give the same bytes, types and encoding before anything is timed."""
    for (view, encoding), body in setup.bodies.items():
        for side, server in setup.servers.items():
            path = _path(setup, side, view, encoding)
            status, headers, got = server.get(path, _accept(encoding))
            found = (status, headers.get("content-type"), headers.get("content-encoding"))
            wanted = (200, MEDIA_TYPES[view], "gzip" if encoding == "gzip" else None)
            if found != wanted or got != body:
                raise BenchError(f"{side}: GET {path} ({encoding}) answered {found}, not {wanted}")


def _revalidations(setup: Setup, root: Path, view: str) -> float:
    """Requests per second of the app answering 304 to a matching If-None-Match."""
    headers = {**_accept("identity"), "If-None-Match": setup.etags[view]}
    status, _, _ = setup.servers["app"].get(setup.paths[view, "identity"], headers)
    if status != 304:
        raise BenchError(f"app: a matching If-None-Match on {view} answered {status}, not 304")
    script = header_script(root / f"revalidate-{view}.lua", headers)
    url = setup.servers["app"].url(setup.paths[view, "identity"])
    return checked(wrk(url, script=script), f"revalidations of {view}").per_second


def run(repeat: int) -> list[Result]:
    kinds = [(view, encoding) for view in VIEWS for encoding in ENCODINGS]
    rates: dict[tuple[str, str, str], list[float]] = {
        (side, view, encoding): [] for side in SIDES for view, encoding in kinds
    }
    revalidated: dict[str, list[float]] = {view: [] for view in VIEWS}
    with servers() as setup, tempfile.TemporaryDirectory() as scratch:
        check_answers(setup)
        for index in range(repeat):
            progress(f"{NAME}: run {index + 1} of {repeat}")
            order = SIDES[index % len(SIDES) :] + SIDES[: index % len(SIDES)]
            for view, encoding in kinds:
                for side in order:
                    url = setup.servers[side].url(_path(setup, side, view, encoding))
                    load = wrk(url, script=setup.scripts[encoding])
                    what = f"{view} ({encoding}) GETs of {side}"
                    rates[side, view, encoding].append(checked(load, what).per_second)
            for view in VIEWS:
                revalidated[view].append(_revalidations(setup, Path(scratch), view))
    sizes = ", ".join(
        f"{view} {len(setup.bodies[view, 'identity'])} bytes "
        f"({len(setup.bodies[view, 'gzip'])} gzip)"
        for view in VIEWS
    )
    facts = [
        f"wrk -t {THREADS} -c {CONNECTIONS} -d {DURATION}s on 127.0.0.1; a page of 1,001 "
        f"sections; {sizes}",
        "app = `reader serve` alone (one process, uvloop and httptools, access log off as "
        "shipped); nginx = the same bytes from files, worker_processes auto, sendfile",
        "one nginx worker, like the app's one process: "
        + "; ".join(
            f"{view}/{encoding} {median(rates['nginx-1', view, encoding]):.0f} req/s, app/nginx-1 "
            f"{median(rates['app', view, encoding]) / median(rates['nginx-1', view, encoding]):.3f}"
            for view, encoding in kinds
        ),
        "first GET (extract, lay out, render, compress), untimed in the rows: "
        + ", ".join(f"{view} {seconds:.1f} s" for view, seconds in setup.first_seconds.items()),
        "304 to a matching If-None-Match, app alone: "
        + ", ".join(f"{view} {median(found):.0f} req/s" for view, found in revalidated.items()),
    ]
    results: list[Result] = []
    for view, encoding in kinds:
        ours = rates["app", view, encoding]
        theirs = rates["nginx", view, encoding]
        ratio = median(ours) / median(theirs)
        results.append(
            Result(
                name=f"page-{view}/{encoding}",
                ours=median(ours),
                reference=median(theirs),
                unit="req/s",
                ratio=ratio,
                target=f"app/nginx >= {TARGET}",
                meets=ratio >= TARGET,
                details=facts if not results else [],
                samples={"ours": ours, "reference": theirs},
            )
        )
    return results
