"""The button on the site itself: ``<script src=…/embed.js async>`` on a page of the CMS, with
no page named, reads that page and highlights the sentence being read in the host page's own
text. Chromium (Debian's), keyboard only, axe-core, and no request to a third origin."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import Page, sync_playwright

from reader.config import Settings
from reader.speech.engines.choice import EngineChoice
from reader.web.app import create_app
from tests.browser.site import CHROMIUM, CHROMIUM_ARGS, example_host_snippet
from tests.fakes.cms import FakeCMS
from tests.fakes.engines import ToneEngine
from tests.web.live import serve_in_thread

pytestmark = pytest.mark.slow

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]
AXE = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}
MAX_TABS = 40
"""The button is within this many Tab presses of the top of the page."""

MARKED = "[data-reader-sentence][aria-current]"
PLAYING = (
    "() => [...document.querySelector('[data-reader-embed]').shadowRoot"
    ".querySelectorAll('audio')].some((a) => !a.paused && a.currentTime > 0.2)"
)


@pytest.fixture
def reader(site_settings: Settings, cms: FakeCMS, tmp_path: Path) -> Iterator[str]:
    settings = site_settings.model_copy(update={"allowed_origins": [cms.base]})
    engines = EngineChoice((ToneEngine(ms_per_char=25),), None)
    with serve_in_thread(create_app(settings, engines=engines)) as base:
        cms.script = example_host_snippet(base)  # as docs/embed-example.html shows it
        yield base


@pytest.fixture
def page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="da-DK")
            yield context.new_page()
        finally:
            browser.close()


def focus_the_button(page: Page) -> None:
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate(
            "() => { const host = document.activeElement;"
            " const inner = host && host.shadowRoot && host.shadowRoot.activeElement;"
            " return Boolean(inner && inner.classList.contains('rp-main')); }"
        ):
            return
    raise AssertionError(f"the player's button was not reached in {MAX_TABS} presses of Tab")


def test_the_script_reads_the_host_page_and_marks_its_sentences_there(
    reader: str, cms: FakeCMS, page: Page
) -> None:
    requests: list[str] = []
    errors: list[str] = []
    warnings: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("console", lambda msg: warnings.append(msg.text) if msg.type == "warning" else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    path = cms.paths[12]
    script, cms.script = cms.script, ""
    # The page as it is without reader, to measure what reader moves (at another address, so
    # the browser's cache does not keep it for the page with the script).
    page.goto(cms.url(path) + "?uden-reader")
    before = page.evaluate("() => document.documentElement.scrollHeight")
    cms.script = script
    page.goto(cms.url(path))
    page.wait_for_selector("[data-reader-sentence]", state="attached")
    host_sheets = page.evaluate("() => document.styleSheets.length")

    focus_the_button(page)
    page.keyboard.press("Enter")
    page.wait_for_function(PLAYING)
    page.wait_for_selector(MARKED)
    first = page.get_attribute(MARKED, "data-reader-sentence")
    page.wait_for_function(
        f"(first) => {{ const m = document.querySelector('{MARKED}');"
        " return m && m.getAttribute('data-reader-sentence') !== first; }",
        arg=first,
    )
    second = page.get_attribute(MARKED, "data-reader-sentence")
    marked = page.inner_text(MARKED)

    slug = page.evaluate("() => document.querySelector('[data-reader-embed]').dataset.readerEmbed")
    api = page.evaluate(f"async () => (await fetch('{reader}/api/pages/{slug}')).json()")
    ids = [s["id"] for section in api["sections"] for s in section["sentences"]]
    texts = {s["id"]: s["text"] for section in api["sections"] for s in section["sentences"]}
    assert first in ids and second in ids and ids.index(second) > ids.index(first)
    assert marked.strip() in texts[second]
    # Every sentence of the content region is found; those reader adds itself (the breadcrumb,
    # read first) are not on the page, and the console says so while playing goes on.
    unmatched = {text.split()[2] for text in warnings if text.startswith("reader: sentence ")}
    context = api["sections"][0]["sentences"][0]["id"]
    assert context in unmatched
    marks = page.eval_on_selector_all(
        "[data-reader-sentence]", "(all) => [...new Set(all.map((m) => m.dataset.readerSentence))]"
    )
    assert set(marks) | unmatched == set(ids) and not set(marks) & unmatched
    # The marks sit in the page's own content region, never in its chrome or skipped boxes.
    assert page.locator(f"main#content {MARKED}").count() > 0
    assert page.locator(".rs_skip [data-reader-sentence], nav [data-reader-sentence]").count() == 0

    met = list(errors)  # axe reads style sheets itself, and the reader's refuses it (CORS)
    results = Axe().run(page, options=AXE).response
    found = [(v["id"], [n["target"] for n in v["nodes"]]) for v in results["violations"]]
    assert found == []
    assert page.evaluate("() => document.styleSheets.length") == host_sheets
    assert page.evaluate("() => document.cookie") == ""
    # While the compact bar shows, the page gets room below its end (the body's padding) as
    # tall as the bar; that aside, nothing moved but for the player itself.
    grown = page.evaluate(
        "() => { const body = document.body.style, room = body.paddingBottom;"
        " body.paddingBottom = ''; const height = document.documentElement.scrollHeight;"
        " body.paddingBottom = room; return height; }"
    )
    grown -= before
    player = page.evaluate(
        "() => document.querySelector('[data-reader-embed]').getBoundingClientRect().height"
    )
    assert grown <= player
    assert [url for url in requests if not url.startswith((cms.base + "/", reader + "/"))] == []
    assert met == []
