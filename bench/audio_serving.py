"""Cached page audio under load: the app alone and the shipped nginx config, each against
nginx serving the same file with a plain static-file config, in the same run.

Three servers run at once: ``reader serve`` (the app alone), nginx with ``deploy/nginx.conf`` in
front of it, and nginx with a plain config serving the data directory (the reference). wrk
loads each in turn with full GETs and with 64 KiB Range GETs (what players send); the order of
the three rotates from one repeat to the next.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench._proc import BenchError
from bench._result import Result, median, progress
from bench._servers import Server, free_port, nginx, plain_config, reader_serve, shipped_config
from bench._wrk import CONNECTIONS, DURATION, THREADS, Load, checked, range_script, wrk
from bench.corpus import copy_content, load_pages, written_text
from reader.config import Settings
from reader.services import build_services

NAME = "audio-serving"
APP_TARGET = 0.25
SHIPPED_TARGET = 0.9
RANGE_BYTES = 64 * 1024

SIDES = ("app", "shipped", "nginx", "nginx-1")
"""The app alone; the shipped nginx config in front of it; nginx with a plain config, with
``worker_processes auto`` (the reference) and with one worker process, like the app's one."""
KINDS = ("full", "range")


@dataclass(frozen=True)
class Setup:
    """The servers of one run and what they serve."""

    servers: dict[str, Server]
    slug: str
    audio: str
    """``/audio/<hash>.mp3`` of the page's track."""
    data: bytes
    """The track's bytes, to check answers against."""
    range_script: Path


def _build_page(content: Path, data_dir: Path) -> tuple[str, str]:
    """Build the page with the most text (espeak-ng); its slug and its track's hash."""
    page = max(load_pages(content), key=lambda page: len(written_text(page)))
    services = build_services(Settings(content_dir=content, data_dir=data_dir, engine="espeak"))
    try:
        return page.slug, services.builder.build(page.slug).manifest.page.hash
    finally:
        services.close()


@contextmanager
def servers() -> Iterator[Setup]:
    with tempfile.TemporaryDirectory() as scratch, ExitStack() as stack:
        root = Path(scratch)
        content = copy_content(root / "content")
        data_dir = root / "var"
        progress(f"{NAME}: building the longest page (espeak-ng)")
        slug, digest = _build_page(content, data_dir)
        app = stack.enter_context(reader_serve(content, data_dir))
        port = free_port()
        shipped = stack.enter_context(nginx(shipped_config(data_dir, app, port), port))
        port = free_port()
        plain = stack.enter_context(nginx(plain_config(data_dir, port), port))
        port = free_port()
        single = stack.enter_context(nginx(plain_config(data_dir, port, workers="1"), port))
        audio = f"/audio/{digest}.mp3"
        yield Setup(
            servers={"app": app, "shipped": shipped, "nginx": plain, "nginx-1": single},
            slug=slug,
            audio=audio,
            data=(data_dir / audio.lstrip("/")).read_bytes(),
            range_script=range_script(root, 0, RANGE_BYTES - 1),
        )


def check_answers(setup: Setup) -> None:
    """Every side answers the requests that will be timed correctly, before any is timed."""
    size = len(setup.data)
    if size <= RANGE_BYTES:
        raise BenchError(f"the page's track is only {size} bytes: no 64 KiB range to ask for")
    for side, server in setup.servers.items():
        status, headers, body = server.get(setup.audio)
        if (status, headers.get("content-length"), body) != (200, str(size), setup.data):
            raise BenchError(f"{side}: GET {setup.audio} answered {status}, not the file")
        status, headers, body = server.get(setup.audio, {"Range": f"bytes=0-{RANGE_BYTES - 1}"})
        wanted = (206, str(RANGE_BYTES), f"bytes 0-{RANGE_BYTES - 1}/{size}")
        got = (status, headers.get("content-length"), headers.get("content-range"))
        if got != wanted or body != setup.data[:RANGE_BYTES]:
            raise BenchError(f"{side}: a 64 KiB Range GET answered {got}, not {wanted}")
    redirect = f"/api/pages/{setup.slug}/audio"
    for side in ("app", "shipped"):
        status, headers, _ = setup.servers[side].get(redirect)
        if (status, headers.get("location")) != (307, setup.audio):
            raise BenchError(f"{side}: GET {redirect} answered {status}, not 307 to the track")


def _load(setup: Setup, side: str, kind: str) -> Load:
    url = setup.servers[side].url(setup.audio)
    script = setup.range_script if kind == "range" else None
    return checked(wrk(url, script=script), f"{kind} GETs of {side}")


def _row(
    name: str, ours: list[float], theirs: list[float], label: str, target: float, facts: list[str]
) -> Result:
    ratio = median(ours) / median(theirs)
    return Result(
        name=name,
        ours=median(ours),
        reference=median(theirs),
        unit="req/s",
        ratio=ratio,
        target=f"{label}/nginx >= {target}",
        meets=ratio >= target,
        details=facts,
        samples={"ours": ours, "reference": theirs},
    )


def run(repeat: int) -> list[Result]:
    rates: dict[str, list[float]] = {f"{side}_{kind}": [] for side in SIDES for kind in KINDS}
    redirects: dict[str, list[float]] = {"app": [], "shipped": []}
    with servers() as setup:
        check_answers(setup)
        for index in range(repeat):
            progress(f"{NAME}: run {index + 1} of {repeat}")
            order = SIDES[index % len(SIDES) :] + SIDES[: index % len(SIDES)]
            for kind in KINDS:
                for side in order:
                    rates[f"{side}_{kind}"].append(_load(setup, side, kind).per_second)
            for side in order[::-1]:
                if side in redirects:
                    url = setup.servers[side].url(f"/api/pages/{setup.slug}/audio")
                    redirects[side].append(checked(wrk(url), f"redirects of {side}").per_second)
    size = len(setup.data)
    setting = (
        f"wrk -t {THREADS} -c {CONNECTIONS} -d {DURATION}s on 127.0.0.1; track of "
        f"{setup.slug!r}, {size} bytes; Range GETs ask for bytes=0-{RANGE_BYTES - 1}"
    )
    sides = (
        "app = `reader serve` alone (one process); shipped = deploy/nginx.conf in front of it "
        "(audio from disk); nginx = a plain static-file config, worker_processes auto"
    )
    single = "; ".join(
        f"{kind} {median(rates[f'nginx-1_{kind}']):.0f} req/s, app/nginx-1 "
        f"{median(rates[f'app_{kind}']) / median(rates[f'nginx-1_{kind}']):.3f}"
        for kind in KINDS
    )
    redirect = (
        f"GET /api/pages/{setup.slug}/audio (307 to the track): "
        f"{median(redirects['app']):.0f} req/s from the app alone, "
        f"{median(redirects['shipped']):.0f} req/s through the shipped config (proxied)"
    )
    rows = [
        ("audio-full/app", "app", "full", APP_TARGET, [setting, sides]),
        ("audio-range/app", "app", "range", APP_TARGET, [f"one worker, like the app: {single}"]),
        ("audio-full/shipped", "shipped", "full", SHIPPED_TARGET, []),
        ("audio-range/shipped", "shipped", "range", SHIPPED_TARGET, [redirect]),
    ]
    return [
        _row(name, rates[f"{side}_{kind}"], rates[f"nginx_{kind}"], side, target, facts)
        for name, side, kind, target, facts in rows
    ]
