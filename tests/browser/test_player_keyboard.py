"""The player with the keyboard alone: Tab to "Få siden oplæst", Enter, and it reads, highlights,
changes speed and jumps a section; focus stays where the reader put it and is always visible."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Sites, Visit
from tests.browser.player import (
    PLAYING,
    PageDoc,
    focused,
    state,
    tab_to,
    wait_for_another_sentence,
    wait_for_sentence,
    wait_until_playing,
    wait_until_said,
)
from tests.browser.site import COLD_SLUG

pytestmark = pytest.mark.slow

SLUG = "politikker-og-raad"


def test_keyboard_alone_plays_highlights_changes_speed_and_jumps_a_section(
    sites: Sites, visit: Visit
) -> None:
    page = visit.page
    doc = PageDoc(sites.reader, SLUG)
    page.goto(f"{sites.reader}/pages/{SLUG}")
    assert page.evaluate("document.querySelectorAll('#oplaesning audio').length") == 0, "autoplay"

    button = tab_to(page, "Få siden oplæst")
    assert button["tag"] == "button"
    assert button["outline"] == "solid" and button["outlineWidth"] >= 2
    page.keyboard.press("Enter")
    wait_until_playing(page)
    assert focused(page)["name"] == "Sæt på pause", "the button becomes pause and keeps focus"
    first = state(page)["sentence"]
    assert first in doc.sentences(0)
    wait_for_another_sentence(page, first)
    track = page.evaluate(
        f"() => {{ const t = {PLAYING}.querySelector('track');"
        " return [t.kind, t.getAttribute('src'), t.track.mode, t.track.cues.length]; }"
    )
    section = doc.sections[doc.section_of(state(page)["sentence"])]
    timings = f"/api/pages/{SLUG}/sections/{section['id']}/timings.vtt"
    assert track == ["metadata", timings, "hidden", len(section["sentences"])]

    speed = tab_to(page, "Hastighed")
    assert speed["tag"] == "select" and speed["outline"] == "solid"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.wait_for_function(f"() => {PLAYING} && {PLAYING}.playbackRate === 1.5")
    assert page.evaluate(f"{PLAYING}.preservesPitch") is True
    assert page.evaluate("localStorage.getItem('reader.speed')") == "1.5"
    assert focused(page)["name"] == "Hastighed"

    jump = tab_to(page, "Næste afsnit", backwards=True)
    assert jump["tag"] == "button" and jump["outline"] == "solid"
    before = doc.section_of(state(page)["sentence"])
    page.keyboard.press("Enter")
    wait_for_sentence(page, doc.sentences(before + 1))
    wait_until_playing(page, past=0.1)
    after = state(page)
    assert after["src"] == doc.audio_route(before + 1)
    assert after["rate"] == 1.5, "the chosen speed holds in the next section"
    assert f"Afsnit {before + 2} af {len(doc.sections)}" in after["said"]
    assert focused(page)["name"] == "Næste afsnit", "focus is never moved by the player"
    assert page.evaluate("navigator.mediaSession.metadata.title") == doc.data["title"]

    page.keyboard.press("Shift+Tab")  # "Sætning frem"
    sentence = state(page)["sentence"]
    page.keyboard.press("Enter")
    wait_for_another_sentence(page, sentence)

    assert visit.foreign(sites.reader) == []
    assert visit.errors == []
    assert page.context.cookies() == []


def test_the_chosen_speed_is_remembered_on_the_next_page(sites: Sites, visit: Visit) -> None:
    page = visit.page
    page.goto(f"{sites.reader}/pages/{SLUG}")
    page.get_by_role("button", name="Få siden oplæst").click()
    page.get_by_label("Hastighed").select_option("0.75")
    page.goto(f"{sites.reader}/pages/proevesiden")
    assert page.input_value("#oplaesning select") == "0.75"
    page.get_by_role("button", name="Få siden oplæst").click()
    wait_until_playing(page, past=0.1)
    assert state(page)["rate"] == 0.75


def test_a_page_never_read_aloud_plays_its_first_section_as_soon_as_it_is_made(
    sites: Sites, visit: Visit
) -> None:
    doc = PageDoc(sites.reader, COLD_SLUG)
    assert doc.data["audio"]["state"] == "missing"
    page = visit.page
    page.goto(f"{sites.reader}/pages/{COLD_SLUG}")
    tab_to(page, "Få siden oplæst")
    page.keyboard.press("Enter")
    wait_until_playing(page)
    assert state(page)["src"] == doc.audio_route(0)
    wait_for_sentence(page, doc.sentences(0))
    # The total appears once the other sections, made behind the first, are known.
    page.wait_for_function(
        "() => /^\\d+:\\d\\d$/.test(document.querySelectorAll('#oplaesning .rp-time')[1]"
        ".textContent)"
    )
    assert visit.errors == []


def test_activating_a_sentence_by_click_or_keyboard_reads_from_there(
    sites: Sites, visit: Visit
) -> None:
    doc = PageDoc(sites.reader, SLUG)
    page = visit.page
    page.goto(f"{sites.reader}/pages/{SLUG}")
    sentence = doc.sentences(3)[2]
    target = page.locator(f'main [data-sentence-id="{sentence}"]')
    assert target.get_attribute("tabindex") is None, "sentences are Tab stops only while open"
    page.get_by_role("button", name="Få siden oplæst").click()
    wait_until_playing(page)

    target.click()
    wait_for_sentence(page, [sentence])
    wait_until_playing(page, past=doc.start_of(sentence))
    assert state(page)["src"] == doc.audio_route(3)
    assert target.get_attribute("aria-current") == "true"

    other = doc.sentences(1)[1]
    spoken = page.locator(f'main [data-sentence-id="{other}"]')
    assert spoken.get_attribute("tabindex") == "0"
    spoken.focus()
    page.keyboard.press("Enter")
    wait_for_sentence(page, [other])
    assert state(page)["src"] == doc.audio_route(1)
    assert focused(page)["name"] == spoken.inner_text().strip()


def test_listening_to_one_section_stops_at_its_end(sites: Sites, visit: Visit) -> None:
    doc = PageDoc(sites.reader, "proevesiden")
    page = visit.page
    page.goto(f"{sites.reader}/pages/proevesiden")
    button = page.get_by_role("button", name="Lyt til afsnittet: Et dybt afsnit")
    button.click()
    index = doc.index_of("et-dybt-afsnit")
    wait_for_sentence(page, doc.sentences(index))
    wait_until_said(page, "Afsnittet er læst op.")
    assert page.evaluate(f"{PLAYING} === undefined")
    assert page.get_by_role("button", name="Fortsæt oplæsningen").is_visible()


def test_closing_the_player_stops_it_and_returns_focus_to_its_button(
    sites: Sites, visit: Visit
) -> None:
    page = visit.page
    page.goto(f"{sites.reader}/pages/{SLUG}")
    tab_to(page, "Få siden oplæst")
    page.keyboard.press("Enter")
    wait_until_playing(page)
    tab_to(page, "Luk afspilleren")
    page.keyboard.press("Enter")
    assert focused(page)["name"] == "Få siden oplæst"
    assert page.evaluate(f"{PLAYING} === undefined")
    assert page.locator("main [aria-current]").count() == 0
    assert page.locator("main [data-sentence-id][tabindex]").count() == 0
    assert page.locator("#oplaesning .rp-panel").is_hidden()
