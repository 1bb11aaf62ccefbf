"""The player on another site (docs/embed-example.html served from another origin): the script's
Shadow DOM player and the iframe player both play, the host's CSS does not reach them, and the
only requests go to the host and to the reader."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Sites, Visit

pytestmark = pytest.mark.slow

EMBED = "[data-reader-embed]"

SHADOW_STATE = """(host) => {
  const root = host.shadowRoot;
  const audio = [...root.querySelectorAll("audio")].find((a) => !a.paused);
  const button = root.querySelector(".rp-main");
  const style = getComputedStyle(button);
  return {
    time: audio ? audio.currentTime : null,
    caption: root.querySelector(".rp-caption").textContent,
    background: style.backgroundColor,
    font: style.fontFamily,
    border: style.borderStyle,
  };
}"""


def test_the_script_draws_a_player_the_host_css_cannot_reach_and_it_plays(
    sites: Sites, visit: Visit
) -> None:
    page = visit.page
    page.goto(sites.host + "/")
    host = page.locator(EMBED)
    button = host.locator(".rp-main")
    assert button.inner_text().strip() == "Få siden oplæst"
    region = host.get_by_role("region", name="Oplæsning af sidens tekst")
    assert region.count() == 1

    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"() => {{ const r = document.querySelector('{EMBED}').shadowRoot;"
        " const a = [...r.querySelectorAll('audio')].find((x) => !x.paused);"
        " return a && a.currentTime > 0.3 && r.querySelector('.rp-caption').textContent; }"
    )
    found = host.evaluate(SHADOW_STATE)
    # The host styles buttons with a dashed border, italic Georgia and pink: none of it shows.
    assert found["background"] == "rgb(0, 79, 110)"
    assert found["border"] == "solid"
    assert found["font"].startswith("system-ui")
    assert found["caption"], "the sentence being read is shown in the player"

    assert visit.foreign(sites.host, sites.reader) == []
    assert visit.errors == []


def test_the_iframe_player_plays_on_the_host_page(sites: Sites, visit: Visit) -> None:
    page = visit.page
    page.goto(sites.host + "/")
    frame = page.frame_locator("iframe")
    frame.get_by_role("button", name="Få siden oplæst").click()
    frame.locator("body").evaluate(
        "async () => { const a = () => [...document.querySelectorAll('audio')]"
        ".find((x) => !x.paused && x.currentTime > 0.3);"
        " while (!a() || !document.querySelector('.rp-caption').textContent)"
        " await new Promise((r) => setTimeout(r, 50)); }"
    )
    assert frame.get_by_role("link", name="Læs teksten hos Høje-Taastrup Kommune").is_visible()
    assert visit.foreign(sites.host, sites.reader) == []
    assert visit.errors == []
