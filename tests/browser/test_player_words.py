"""The word being read: marked inside the sentence being read, in a style of its own, never
announced; a click on a word plays from it; the reader can turn marking off, and it stays off."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.browser.conftest import Sites, Visit
from tests.browser.player import CURRENT, PageDoc, state, wait_until_playing

pytestmark = pytest.mark.slow

SLUG = "politikker-og-raad"

MARKED = f"""() => {{
  const sentence = {CURRENT};
  const word = document.querySelector("main .rp-word-now");
  const live = document.querySelector('#oplaesning [role="status"]');
  return {{
    sentence: sentence ? sentence.dataset.sentenceId : null,
    word: word ? Number(word.dataset.word) : null,
    text: word ? word.textContent : null,
    inside: Boolean(word && sentence && sentence.contains(word)),
    said: live ? live.textContent : null,
  }};
}}"""

STYLES = """() => {
  function luminance(colour) {
    const [r, g, b] = colour.match(/[\\d.]+/g).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }
  function ratio(a, b) {
    const [x, y] = [luminance(a), luminance(b)].sort();
    return (y + 0.05) / (x + 0.05);
  }
  const word = getComputedStyle(document.querySelector("main .rp-word-now"));
  const sentence = getComputedStyle(document.querySelector('main [aria-current="true"]'));
  return {
    word: ratio(word.color, word.backgroundColor),
    sentence: ratio(sentence.color, sentence.backgroundColor),
    differ: word.backgroundColor !== sentence.backgroundColor,
    underline: word.textDecorationLine,
  };
}"""


def marked(page: Any) -> dict[str, Any]:
    found: dict[str, Any] = page.evaluate(MARKED)
    return found


def watch(page: Any, seconds: float) -> list[dict[str, Any]]:
    """What is marked, looked at every 40 ms for ``seconds`` (bounded in count too)."""
    seen = []
    deadline = time.monotonic() + seconds
    for _ in range(400):
        if time.monotonic() > deadline:
            break
        seen.append(marked(page))
        page.wait_for_timeout(40)
    return seen


def test_the_marked_word_moves_while_the_sentence_stays(sites: Sites, visit: Visit) -> None:
    page = visit.page
    page.goto(f"{sites.reader}/pages/{SLUG}")
    page.get_by_role("button", name="Få siden oplæst").click()
    wait_until_playing(page)
    page.wait_for_function("() => document.querySelector('main .rp-word-now')")
    seen = [look for look in watch(page, 6.0) if look["word"] is not None]
    assert seen and all(look["inside"] for look in seen)
    # Within one sentence, the word marked changed, and only forward.
    moves = 0
    for before, after in zip(seen, seen[1:], strict=False):
        if before["sentence"] == after["sentence"] and before["word"] != after["word"]:
            assert after["word"] > before["word"]
            moves += 1
    assert moves >= 3
    # Never announced: the live region did not change as words went by.
    assert len({look["said"] for look in seen}) == 1
    styles = page.evaluate(STYLES)
    assert styles["word"] >= 4.5 and styles["sentence"] >= 4.5
    assert styles["differ"] and "underline" in styles["underline"]
    assert not visit.errors


def test_a_click_on_a_word_plays_from_that_word(sites: Sites, visit: Visit) -> None:
    doc = PageDoc(sites.reader, SLUG)
    page = visit.page
    page.goto(f"{sites.reader}/pages/{SLUG}")
    page.get_by_role("button", name="Få siden oplæst").click()
    wait_until_playing(page)
    index = 2
    sentence = doc.sentences(index)[1]
    timings = doc.data["audio"]["sections"][index]["timings"]
    cue = next(cue for cue in timings if cue["id"] == sentence)
    assert cue["word_timings"] and len(cue["words"]) >= 4
    word = cue["words"][3]
    target = page.locator(f'main [data-sentence-id="{sentence}"] [data-word="3"]').first
    assert target.text_content() in word["text"]
    target.click()
    page.wait_for_function(
        f"() => {{ const c = {CURRENT}; return c && c.dataset.sentenceId === {sentence!r}; }}"
    )
    wait_until_playing(page, past=word["start_ms"] / 1000)
    now = state(page)
    assert now["sentence"] == sentence
    assert now["src"] and now["src"].endswith(doc.audio_route(index))
    assert word["start_ms"] / 1000 <= now["time"] < word["end_ms"] / 1000 + 1.5
    page.wait_for_function("() => document.querySelector('main .rp-word-now')")
    assert marked(page)["word"] >= 3
    assert not visit.errors


def test_marking_turned_off_stays_off_without_a_cookie(sites: Sites, visit: Visit) -> None:
    page = visit.page
    page.goto(f"{sites.reader}/pages/{SLUG}")
    page.get_by_role("button", name="Få siden oplæst").click()
    wait_until_playing(page)
    toggle = page.locator("#oplaesning .rp-more").get_by_role("button", name="Fremhæv ordet")
    assert toggle.get_attribute("aria-pressed") == "true"
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "false"
    assert all(look["word"] is None for look in watch(page, 1.5))
    assert page.evaluate("JSON.parse(localStorage.getItem('reader.view')).words") is False
    assert page.evaluate("document.cookie") == ""
    page.reload()
    page.get_by_role("button", name="Få siden oplæst").click()
    wait_until_playing(page)
    toggle = page.locator("#oplaesning .rp-more").get_by_role("button", name="Fremhæv ordet")
    assert toggle.get_attribute("aria-pressed") == "false"
    assert all(look["word"] is None for look in watch(page, 1.5))
    assert not visit.errors
