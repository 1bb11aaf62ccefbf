"""``/admin`` in Chromium: used with the keyboard alone, and without accessibility violations
(axe-core) in light and dark mode, on a wide and a narrow screen."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect, sync_playwright

from reader.config import Settings
from reader.web.app import create_app
from tests.content.builders import long_page_html
from tests.editor.apps import (
    AUTH,
    ONE_WORD,
    POLITIK,
    TOKEN,
    editor_settings,
    engines,
    fast_engine,
)
from tests.fakes.engines import ToneEngine
from tests.web.live import serve_in_thread

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_MS = 60_000
MAX_TABS = 60


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def site(settings: Settings) -> Iterator[str]:
    app = create_app(editor_settings(settings), engines=engines(fast_engine()))
    with serve_in_thread(app) as base_url:
        yield base_url


@pytest.fixture
def problems() -> list[str]:
    """Script errors and failed requests the browser reports; none are expected."""
    return []


@pytest.fixture
def page(browser: Browser, problems: list[str]) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.on("pageerror", lambda error: problems.append(str(error)))
    opened.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    yield opened
    context.close()
    assert problems == []


def violations(page: Page) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = Axe().run(page).response["violations"]
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in found
    ]


def tab_to(page: Page, selector: str) -> None:
    """Press Tab until ``selector`` has the focus, as a keyboard user would."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.locator(selector).evaluate("node => node === document.activeElement"):
            return
    raise AssertionError(f"{selector} is not reachable with Tab")


def sign_in(page: Page, site: str) -> None:
    page.goto(f"{site}/admin")
    tab_to(page, "#token")
    page.keyboard.type(TOKEN)
    page.keyboard.press("Enter")
    expect(page.locator("#who")).to_have_text("anna", timeout=WAIT_MS)
    expect(page.locator("#sider-titel")).to_be_focused()


def test_an_editor_signs_in_regenerates_and_previews_a_lexicon_change_by_keyboard(
    page: Page, site: str, tmp_path: Path
) -> None:
    sign_in(page, site)
    row = page.locator(f"#pages-table tr[data-slug={POLITIK}]")
    expect(row).to_contain_text("Ikke lavet")

    tab_to(page, f"button[data-action=regenerate][data-slug={POLITIK}]")
    page.keyboard.press("Enter")
    expect(page.locator("#job-text")).to_contain_text("Færdig", timeout=WAIT_MS)
    expect(page.locator("#status")).to_contain_text("er klar")
    expect(page.locator("#job-progress")).to_have_attribute("value", "1")
    expect(row).to_contain_text("Opdateret")

    tab_to(page, f"button[data-action=script][data-slug={POLITIK}]")
    page.keyboard.press("Enter")
    expect(page.locator("#manuskript-titel")).to_be_focused(timeout=WAIT_MS)
    expect(page.locator("#manuskript-titel")).to_have_text("Manuskript: Politikker og Råd")
    expect(page.locator("#script-body .flag").first).to_contain_text("Lang sætning")

    tab_to(page, "#lexicon-written")
    page.keyboard.type(ONE_WORD["written"])
    page.keyboard.press("Tab")
    page.keyboard.type(ONE_WORD["spoken"])
    page.keyboard.press("Enter")
    expect(page.locator("#impact-title")).to_be_focused(timeout=WAIT_MS)
    impact = page.locator("#impact-body")
    expect(impact).to_contain_text("rammer 1 sætning på 1 side")
    expect(impact.locator("mark").last).to_have_text("Integrations-råd,")
    assert (impact.locator("audio").get_attribute("src") or "").startswith("/audio/")

    assert violations(page) == []
    page.emulate_media(color_scheme="dark")
    assert violations(page) == []
    page.screenshot(path=tmp_path / "admin.png", full_page=True)

    tab_to(page, "#impact-save")
    page.keyboard.press("Enter")
    expect(page.locator("#lexicon-written")).to_be_focused(timeout=WAIT_MS)
    expect(page.locator("#lexicon-table")).to_contain_text(ONE_WORD["written"])
    expect(page.locator("#status")).to_contain_text(
        "udtaleleksikonet er klar: 0 sætninger indtalt", timeout=WAIT_MS
    )
    expect(page.locator("#audit-table")).to_contain_text("Tilføjede")


def test_a_wrong_token_is_said_and_the_field_keeps_the_focus(
    page: Page, site: str, problems: list[str]
) -> None:
    page.goto(f"{site}/admin")
    tab_to(page, "#token")
    page.keyboard.type("wrong-token-0123456789")
    page.keyboard.press("Enter")
    expect(page.locator("#token-error")).to_have_text(
        "Nøglen blev ikke godtaget. Log ind igen.", timeout=WAIT_MS
    )
    expect(page.locator("#token")).to_be_focused()
    expect(page.locator("#editor")).to_be_hidden()
    assert violations(page) == []
    assert [problem for problem in problems if "401" in problem] == problems != []
    problems.clear()  # the refused request is the point of this test


def test_a_signed_in_tab_stays_signed_in_on_reload_and_forgets_on_sign_out(
    page: Page, site: str
) -> None:
    sign_in(page, site)
    page.reload()
    expect(page.locator("#who")).to_have_text("anna", timeout=WAIT_MS)
    tab_to(page, "#logout")
    page.keyboard.press("Enter")
    expect(page.locator("#token")).to_be_focused()
    assert page.evaluate("sessionStorage.length") == 0


def test_the_page_fits_a_narrow_screen_without_violations(page: Page, site: str) -> None:
    page.set_viewport_size({"width": 320, "height": 800})
    sign_in(page, site)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320
    assert violations(page) == []


def test_the_disabled_page_has_no_violations(browser: Browser, settings: Settings) -> None:
    with serve_in_thread(create_app(settings)) as base_url:
        opened = browser.new_page()
        opened.goto(f"{base_url}/admin")
        expect(opened.locator("main")).to_contain_text("READER_ADMIN_TOKEN")
        assert violations(opened) == []
        opened.close()


def test_an_editor_rolls_back_a_published_page_by_keyboard(
    page: Page, site: str, settings: Settings
) -> None:
    path = settings.pages_dir / f"{POLITIK}.html"
    original = path.read_text(encoding="utf-8")
    edited = original.replace("Integrationsrådet", "Integrationsrådet i kommunen", 1)
    published = httpx.put(
        f"{site}/api/pages/{POLITIK}", content=edited.encode(), headers=AUTH, timeout=60
    )
    assert published.status_code == 200
    sign_in(page, site)
    page.on("dialog", lambda dialog: dialog.accept())
    tab_to(page, f"button[data-action=rollback][data-slug={POLITIK}]")
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_contain_text("er sat tilbage", timeout=WAIT_MS)
    assert path.read_text(encoding="utf-8") == original
    expect(page.locator("#audit-table")).to_contain_text("Gik tilbage")


def test_an_editor_cancels_a_running_job_and_the_page_keeps_its_old_audio(
    page: Page, settings: Settings
) -> None:
    (settings.pages_dir / "lang-side.html").write_text(long_page_html(40), encoding="utf-8")
    gate = threading.Event()  # the voice holds every sentence until the editor has cancelled
    engine = ToneEngine(ms_per_char=2, gate=gate)
    app = create_app(editor_settings(settings), engines=engines(engine))
    with serve_in_thread(app) as site:
        try:
            sign_in(page, site)
            row = page.locator("#pages-table tr[data-slug=lang-side]")
            expect(row).to_contain_text("Ikke lavet")
            page.locator("button[data-action=regenerate][data-slug=lang-side]").click()
            cancel = page.locator("#job-cancel")
            expect(cancel).to_be_visible(timeout=WAIT_MS)
            cancel.click()
            expect(cancel).to_be_disabled()
            gate.set()
            expect(page.locator("#job-text")).to_have_text("Annulleret.", timeout=WAIT_MS)
            expect(page.locator("#status")).to_contain_text("blev annulleret")
            expect(cancel).to_be_hidden()
            expect(row).to_contain_text("Ikke lavet")
        finally:
            gate.set()
    assert engine.calls < 40  # it stopped before every sentence was spoken
