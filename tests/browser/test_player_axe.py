"""axe-core (WCAG 2.2 A and AA, and best practices) finds nothing on the index, on every reading
view, with the player open and playing, on a page embedding it and in the iframe player."""

from __future__ import annotations

from typing import Any, Literal

import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import Page

from tests.browser.conftest import Sites, Visit
from tests.browser.player import wait_until_playing
from tests.browser.site import ALL_SLUGS

pytestmark = pytest.mark.slow

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]
OPTIONS: dict[str, Any] = {
    "runOnly": {"type": "tag", "values": TAGS},
    "resultTypes": ["violations"],
    # The iframe player is checked on its own page (axe is not injected into frames here).
    "iframes": False,
}


def violations(page: Page) -> list[str]:
    results = Axe().run(page, options=OPTIONS).response
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in results["violations"]
    ]


@pytest.mark.parametrize("path", ["/", *(f"/pages/{slug}" for slug in ALL_SLUGS)])
def test_no_axe_violations_on_the_index_and_every_page(
    sites: Sites, visit: Visit, path: str
) -> None:
    visit.page.goto(sites.reader + path)
    assert violations(visit.page) == []
    assert visit.foreign(sites.reader) == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_axe_violations_with_the_player_open_and_playing(
    sites: Sites, visit: Visit, scheme: Literal["light", "dark"]
) -> None:
    page = visit.page
    page.emulate_media(color_scheme=scheme)
    page.goto(f"{sites.reader}/pages/politikker-og-raad")
    page.get_by_role("button", name="Få siden oplæst").click()
    wait_until_playing(page)
    page.get_by_role("button", name="Næste afsnit").click()
    page.wait_for_function("() => document.querySelector('main [aria-current=\"true\"]')")
    assert page.locator("main [data-sentence-id][tabindex]").count() > 0
    assert violations(page) == []


def test_no_axe_violations_on_a_page_embedding_the_player_while_it_plays(
    sites: Sites, visit: Visit
) -> None:
    page = visit.page
    page.goto(sites.host + "/")
    page.locator("[data-reader-embed] .rp-main").click()
    page.wait_for_function(
        "() => [...document.querySelector('[data-reader-embed]').shadowRoot"
        ".querySelectorAll('audio')].some((a) => !a.paused && a.currentTime > 0.2)"
    )
    assert violations(page) == []


def test_no_axe_violations_in_the_iframe_player_while_it_plays(sites: Sites, visit: Visit) -> None:
    page = visit.page
    page.goto(f"{sites.reader}/embed/politikker-og-raad")
    assert violations(page) == []
    page.get_by_role("button", name="Få siden oplæst").click()
    wait_until_playing(page)
    assert violations(page) == []
