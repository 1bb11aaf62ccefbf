"""Following the text: the sentence being read stays in view unless the reader turned following
off or prefers reduced motion; and without JavaScript the page still plays and downloads its
audio."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser, Route

from tests.browser.conftest import Sites, Visit
from tests.browser.player import (
    IN_VIEW,
    PageDoc,
    scroll_to_the_end,
    state,
    wait_for_another_sentence,
    wait_for_sentence,
    wait_until_playing,
)

pytestmark = pytest.mark.slow

SLUG = "politikker-og-raad"


def test_the_sentence_being_read_is_scrolled_into_view(sites: Sites, visit: Visit) -> None:
    doc = PageDoc(sites.reader, SLUG)
    page = visit.page
    page.set_viewport_size({"width": 1280, "height": 600})
    page.goto(f"{sites.reader}/pages/{SLUG}")
    page.get_by_role("button", name="Få siden oplæst").click()
    wait_until_playing(page)
    for _ in range(3):
        page.get_by_role("button", name="Næste afsnit").click()
    wait_for_sentence(page, doc.sentences(3))
    page.wait_for_function(IN_VIEW)
    assert state(page)["scrollY"] > 0


def test_a_reader_who_turned_following_off_is_left_where_they_scroll(
    sites: Sites, visit: Visit
) -> None:
    page = visit.page
    page.set_viewport_size({"width": 1280, "height": 600})
    page.goto(f"{sites.reader}/pages/{SLUG}")
    page.get_by_role("button", name="Få siden oplæst").click()
    wait_until_playing(page)
    follow = page.locator("#oplaesning .rp-more").get_by_role("button", name="Følg sætningen")
    assert follow.get_attribute("aria-pressed") == "true"
    follow.click()
    assert follow.get_attribute("aria-pressed") == "false"
    assert page.evaluate("JSON.parse(localStorage.getItem('reader.view')).follow") is False
    scroll_to_the_end(page, y=400)
    away = state(page)["scrollY"]
    for _ in range(2):
        wait_for_another_sentence(page, state(page)["sentence"])
    assert state(page)["scrollY"] == away


def test_with_reduced_motion_the_page_never_scrolls_by_itself(
    sites: Sites, browser: Browser
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 600}, reduced_motion="reduce")
    try:
        page = context.new_page()
        doc = PageDoc(sites.reader, SLUG)
        page.goto(f"{sites.reader}/pages/{SLUG}")
        page.get_by_role("button", name="Få siden oplæst").click()
        wait_until_playing(page)
        for _ in range(3):
            page.get_by_role("button", name="Næste afsnit").click()
        wait_for_sentence(page, doc.sentences(3))
        wait_until_playing(page, past=0.2)
        assert state(page)["scrollY"] == 0
        assert not page.evaluate(IN_VIEW)
    finally:
        context.close()


def test_without_javascript_the_page_has_a_native_player_and_a_download_link(
    sites: Sites, browser: Browser
) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{sites.reader}/pages/{SLUG}")
        audio = page.locator("#oplaesning audio[controls]")
        assert audio.is_visible()
        assert audio.get_attribute("preload") == "none"
        route = f"/api/pages/{SLUG}/audio"
        assert audio.get_attribute("src") == route
        link = page.get_by_role("link", name="Hent oplæsningen som MP3")
        assert link.get_attribute("href") == route and link.get_attribute("download")
        assert page.locator(".rp-main").count() == 0
        assert page.locator("[data-listen-section]").first.is_hidden()
    finally:
        context.close()
    answer = httpx.get(sites.reader + route, follow_redirects=True)
    assert answer.status_code == 200 and answer.headers["content-type"] == "audio/mpeg"


def test_when_the_page_structure_cannot_be_had_the_browser_player_takes_over(
    sites: Sites, visit: Visit
) -> None:
    page = visit.page

    def refuse(route: Route) -> None:
        route.fulfill(status=503, body="")

    page.route(f"{sites.reader}/api/pages/{SLUG}", refuse)
    page.goto(f"{sites.reader}/pages/{SLUG}")
    page.get_by_role("button", name="Få siden oplæst").click()
    audio = page.locator("#oplaesning audio[controls]")
    audio.wait_for()
    assert audio.get_attribute("src") == f"/api/pages/{SLUG}/audio"
    assert page.get_by_role("link", name="Hent oplæsningen som MP3").is_visible()
    assert "kunne ikke starte" in page.locator('#oplaesning [role="status"]').inner_text()
