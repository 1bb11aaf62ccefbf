"""Chromium (Debian's, driven by Playwright), the reader on a loopback port, and a host site."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, Request, sync_playwright

from tests.browser.site import CHROMIUM, CHROMIUM_ARGS, host_app, reader_app
from tests.web.live import serve_in_thread


@dataclass(frozen=True)
class Sites:
    reader: str
    """The reader's origin, e.g. ``http://127.0.0.1:40123``."""
    host: str
    """Another origin (another port) whose page embeds the reader."""


@pytest.fixture(scope="package")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sites]:
    reader_url: dict[str, str] = {}
    with serve_in_thread(host_app(reader_url)) as host:
        app = reader_app(tmp_path_factory.mktemp("reader"), allowed_origins=[host])
        with serve_in_thread(app) as reader:
            reader_url["url"] = reader
            yield Sites(reader=reader, host=host)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


class Visit:
    """A tab, with every request it made and every script error it met."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", self._request)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )

    def _request(self, request: Request) -> None:
        self.requests.append(request.url)

    def foreign(self, *origins: str) -> list[str]:
        """Requests to anywhere but ``origins``."""
        return [url for url in self.requests if not url.startswith(tuple(o + "/" for o in origins))]


@pytest.fixture
def visit(browser: Browser) -> Iterator[Visit]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="da-DK")
    try:
        yield Visit(context.new_page())
    finally:
        context.close()
