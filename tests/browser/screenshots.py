"""Makes the pictures of the player in docs/ and the podcast cover, with the same Chromium and
the same tone-voiced site the browser tests use.

    .venv/bin/python -m tests.browser.screenshots
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from reader.web.assets import STATIC_DIR
from tests.browser.player import wait_for_sentence, wait_until_playing
from tests.browser.site import CHROMIUM, CHROMIUM_ARGS, EXAMPLE, host_app, reader_app
from tests.web.live import serve_in_thread
from tests.web.pages import REPO

DOCS = REPO / "docs"
SLUG = "politikker-og-raad"
COVER = STATIC_DIR / "podcast.png"

COVER_HTML = """<!DOCTYPE html><html lang="da"><body style="margin:0">
<div style="box-sizing:border-box;width:1400px;height:1400px;padding:140px;background:#004f6e;
color:#fff;font-family:system-ui,sans-serif;display:flex;flex-direction:column;
justify-content:space-between">
<svg viewBox="0 0 24 24" width="320" height="320" aria-hidden="true">
<path d="M3 9h4l6-5v16l-6-5H3z" fill="#fff"/>
<path d="M16 8.5a5 5 0 0 1 0 7M18.5 6a8.5 8.5 0 0 1 0 12" fill="none" stroke="#ffd24d"
stroke-width="2" stroke-linecap="round"/></svg>
<div><p style="margin:0;font-size:150px;font-weight:700;line-height:1.05">Politikker og
strategier læst op</p>
<p style="margin:60px 0 0;font-size:72px">Høje-Taastrup Kommune</p></div></div></body></html>"""


def reading_view(browser: Browser, reader: str, width: int, target: Path) -> None:
    context = browser.new_context(
        viewport={"width": width, "height": 1000 if width > 400 else 1300}, reduced_motion="reduce"
    )
    try:
        page = context.new_page()
        page.goto(f"{reader}/pages/{SLUG}")
        page.get_by_role("button", name="Få siden oplæst").click()
        wait_until_playing(page)
        page.get_by_role("button", name="Næste afsnit").click()
        sentence = page.evaluate(
            "() => document.querySelectorAll('#integrationsraadet ~ p [data-sentence-id]')[0]"
            ".dataset.sentenceId"
        )
        wait_for_sentence(page, [sentence])
        page.get_by_role("button", name="Sæt på pause").click()
        _settle(page)
        page.locator("h1").scroll_into_view_if_needed()
        page.screenshot(path=target)
    finally:
        context.close()


def compact_bar(browser: Browser, reader: str, target: Path) -> None:
    """At 320 px, scrolled to the end of the page while playing: the compact bar at the bottom."""
    context = browser.new_context(viewport={"width": 320, "height": 640}, reduced_motion="reduce")
    try:
        page = context.new_page()
        page.goto(f"{reader}/pages/{SLUG}")
        page.get_by_role("button", name="Få siden oplæst").click()
        wait_until_playing(page)
        page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
        page.wait_for_function(
            "() => { const d = document.querySelector('#oplaesning .rp-dock');"
            " return !d.hidden && d.getBoundingClientRect().bottom <= innerHeight; }"
        )
        _settle(page)
        page.screenshot(path=target)
    finally:
        context.close()


def selection(browser: Browser, reader: str, target: Path) -> None:
    """A paragraph selected with the mouse and the "Lyt" button beside it."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, reduced_motion="reduce")
    try:
        page = context.new_page()
        page.goto(f"{reader}/pages/{SLUG}")
        chosen = "#integrationsraadet ~ p [data-sentence-id]"
        page.locator(chosen).first.scroll_into_view_if_needed()
        ends = page.evaluate(
            "(s) => { const r = document.querySelector(s).getClientRects();"
            " const a = r[0], b = r[r.length - 1];"
            " return [a.left + 1, (a.top + a.bottom) / 2, b.right - 1, (b.top + b.bottom) / 2]; }",
            chosen,
        )
        page.mouse.move(ends[0], ends[1])
        page.mouse.down()
        page.mouse.move(ends[2], ends[3], steps=5)
        page.mouse.up()
        lyt = page.get_by_role("button", name="Lyt til det markerede")
        lyt.wait_for()
        page.mouse.move(0, 0)
        page.screenshot(path=target)
    finally:
        context.close()


def embedded(browser: Browser, host: str, target: Path) -> None:
    context = browser.new_context(viewport={"width": 900, "height": 1100})
    try:
        page = context.new_page()
        page.goto(host + "/")
        page.locator("[data-reader-embed] .rp-main").click()
        page.wait_for_function(
            "() => [...document.querySelector('[data-reader-embed]').shadowRoot"
            ".querySelectorAll('audio')].some((a) => !a.paused && a.currentTime > 1.5)"
        )
        page.locator("[data-reader-embed] .rp-main").click()
        _settle(page)
        page.screenshot(path=target, full_page=True)
    finally:
        context.close()


def cover(browser: Browser, target: Path) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    try:
        page.set_content(COVER_HTML)
        page.screenshot(path=target)
    finally:
        page.close()


def _settle(page: Page) -> None:
    """The mouse away from the controls, so no hover style shows."""
    page.mouse.move(0, 0)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")


def main() -> None:
    assert EXAMPLE.is_file()
    with tempfile.TemporaryDirectory() as root:
        reader_url: dict[str, str] = {}
        with serve_in_thread(host_app(reader_url)) as host:
            app = reader_app(Path(root), allowed_origins=[host])
            with serve_in_thread(app) as reader, sync_playwright() as playwright:
                reader_url["url"] = reader
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    for width in (320, 1280):
                        reading_view(browser, reader, width, DOCS / f"player-{width}.png")
                    compact_bar(browser, reader, DOCS / "player-compact-320.png")
                    selection(browser, reader, DOCS / "player-selection.png")
                    embedded(browser, host, DOCS / "player-embed.png")
                    cover(browser, COVER)
                finally:
                    browser.close()
    for made in (*sorted(DOCS.glob("player-*.png")), COVER):
        print(made.relative_to(REPO))


if __name__ == "__main__":
    main()
