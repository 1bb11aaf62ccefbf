"""The reading view in a real browser (headless Chromium): it fits a 320 px screen, the type is
large, the measure short, the skip link is the first Tab stop, and nothing else is fetched."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.web.chromium import Browser, Tab, chromium
from tests.web.pages import REAL_SLUGS, REPO, SAMPLE_SLUG, add_sample_page
from tests.web.server import reader_server

pytestmark = pytest.mark.slow

MEASURE = """(() => {
  const probe = document.createElement("span");
  probe.textContent = "0".repeat(20);
  const paragraph = document.querySelector("main p:not(.kicker)");
  paragraph.append(probe);
  const ch = probe.getBoundingClientRect().width / 20;
  probe.remove();
  const body = getComputedStyle(document.body);
  return {
    scrollWidth: document.documentElement.scrollWidth,
    viewport: document.documentElement.clientWidth,
    fontSize: parseFloat(body.fontSize),
    lineHeight: parseFloat(body.lineHeight) / parseFloat(body.fontSize),
    measure: paragraph.getBoundingClientRect().width / ch,
    fontFamily: body.fontFamily,
  };
})()"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("site")
    pages = root / "content" / "pages"
    pages.mkdir(parents=True)
    for source in (REPO / "content" / "pages").glob("*.html"):
        (pages / source.name).write_bytes(source.read_bytes())
    add_sample_page(pages)
    with reader_server(root / "content", root / "var") as base_url:
        yield base_url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as running:
        yield running


def load(tab: Tab, url: str) -> None:
    tab.call("Page.navigate", url=url)
    tab.wait_for("Page.loadEventFired")


def requested_urls(tab: Tab) -> list[str]:
    return [
        event["params"]["request"]["url"]
        for event in tab.events
        if event["method"] == "Network.requestWillBeSent"
    ]


def console_problems(tab: Tab) -> list[Any]:
    return [
        event["params"]
        for event in tab.events
        if event["method"] in ("Log.entryAdded", "Runtime.exceptionThrown")
        and event["params"].get("entry", {}).get("level", "error") == "error"
    ]


@pytest.mark.parametrize("slug", [*REAL_SLUGS, SAMPLE_SLUG])
@pytest.mark.parametrize("width", [320, 1280])
def test_the_reading_view_fits_the_screen_with_large_type_and_a_short_measure(
    site: str, browser: Browser, slug: str, width: int
) -> None:
    with browser.tab(width=width, height=900) as tab:
        load(tab, f"{site}/pages/{slug}")
        found = tab.evaluate(MEASURE)
        assert found["scrollWidth"] <= found["viewport"], "the page scrolls sideways"
        assert found["fontSize"] >= 18
        assert 1.5 <= found["lineHeight"] <= 1.7
        assert found["measure"] <= 70.5
        assert found["fontFamily"].startswith("system-ui")
        assert all(url.startswith(site + "/") for url in requested_urls(tab)), requested_urls(tab)
        assert console_problems(tab) == []


def test_the_first_tab_stop_is_the_visible_skip_link_with_a_focus_outline(
    site: str, browser: Browser
) -> None:
    with browser.tab(width=320, height=700) as tab:
        load(tab, f"{site}/pages/{REAL_SLUGS[0]}")
        for kind in ("keyDown", "keyUp"):
            tab.call("Input.dispatchKeyEvent", type=kind, key="Tab", code="Tab", keyCode=9)
        focused = tab.evaluate(
            """(() => {
              const element = document.activeElement;
              const style = getComputedStyle(element);
              const box = element.getBoundingClientRect();
              return {
                href: element.getAttribute("href"),
                outline: style.outlineStyle,
                outlineWidth: parseFloat(style.outlineWidth),
                top: box.top,
                height: box.height,
              };
            })()"""
        )
        assert focused["href"] == "#hovedindhold"
        assert focused["outline"] == "solid" and focused["outlineWidth"] >= 2
        assert focused["top"] >= 0 and focused["height"] > 0


def test_print_leaves_out_navigation_and_shows_where_links_go(site: str, browser: Browser) -> None:
    with browser.tab(width=800, height=900) as tab:
        tab.call("Emulation.setEmulatedMedia", media="print")
        load(tab, f"{site}/pages/politikker-og-raad")
        printed = tab.evaluate(
            """(() => {
              const shown = (selector) => [...document.querySelectorAll(selector)]
                .some((element) => getComputedStyle(element).display !== "none");
              const link = document.querySelector('main a[href^="/media/"]');
              return {
                nav: shown("nav"),
                skip: shown(".skip-link"),
                player: shown("#oplaesning"),
                main: shown("main"),
                after: getComputedStyle(link, "::after").content,
                href: link.getAttribute("href"),
              };
            })()"""
        )
        assert printed["main"] and not printed["nav"]
        assert not printed["skip"] and not printed["player"]
        assert printed["href"] in printed["after"]
