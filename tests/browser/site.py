"""A reader site whose voice is a tone, and a host site on another origin that embeds it.

Shared by the browser tests and by ``python -m tests.browser.screenshots``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response

from reader.config import Settings
from reader.services import build_services
from reader.speech.engines.choice import EngineChoice
from reader.web.app import create_app
from tests.fakes.engines import ToneEngine
from tests.web.pages import REAL_SLUGS, REPO, SAMPLE_SLUG, add_sample_page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

MS_PER_CHAR = 25.0
"""Long enough to watch a sentence being read, short enough to hear a few in a test."""

WARM_SLUGS = ["politikker-og-raad", SAMPLE_SLUG]
"""Pages whose audio is made before the browser asks."""
COLD_SLUG = "forebyggelsesstrategi"
"""A page never read aloud: its sections are made when the player asks for them."""
ALL_SLUGS = [*REAL_SLUGS, SAMPLE_SLUG]

EXAMPLE = REPO / "docs" / "embed-example.html"
EXAMPLE_READER = "http://127.0.0.1:8000"
"""The reader's address as written in the example host page."""


def example_host_snippet(reader_url: str) -> str:
    """The markup the example page tells a site to put on each of its own pages (host mode),
    pointed at ``reader_url``."""
    soup = BeautifulSoup(EXAMPLE.read_text(encoding="utf-8"), "html.parser")
    shown = [code.get_text() for code in soup.select("pre code") if "embed.js" in code.get_text()]
    assert len(shown) == 1, shown
    return shown[0].strip().replace(EXAMPLE_READER, reader_url)


@contextmanager
def clean_environment() -> Iterator[None]:
    """No READER_* variable of the developer's shell reaches these settings."""
    saved = {name: value for name, value in os.environ.items() if name.startswith("READER_")}
    for name in saved:
        del os.environ[name]
    try:
        yield
    finally:
        os.environ.update(saved)


def reader_app(
    root: Path, *, allowed_origins: list[str], speak_per_minute: int | None = None
) -> FastAPI:
    """The service over a copy of the repository's pages plus the sample page."""
    content = root / "content"
    shutil.copytree(REPO / "content", content)
    add_sample_page(content / "pages")
    with clean_environment():
        settings = Settings(
            content_dir=content,
            data_dir=root / "var",
            engine="espeak",
            allowed_origins=allowed_origins,
        )
    if speak_per_minute is not None:
        settings = settings.model_copy(update={"speak_per_minute": speak_per_minute})
    engines = EngineChoice((ToneEngine(ms_per_char=MS_PER_CHAR, words=True),), None)
    services = build_services(settings, engines)
    try:
        for slug in WARM_SLUGS:
            services.builder.build(slug)
    finally:
        services.close()
    return create_app(settings, engines=engines)


def host_app(reader_url: dict[str, str]) -> FastAPI:
    """Serves ``docs/embed-example.html`` at ``/``, pointed at ``reader_url["url"]``."""
    app = FastAPI()

    @app.get("/", response_class=HTMLResponse)
    def example() -> str:
        return EXAMPLE.read_text(encoding="utf-8").replace(EXAMPLE_READER, reader_url["url"])

    @app.get("/favicon.ico")
    def no_icon() -> Response:
        return Response(status_code=204)

    return app
