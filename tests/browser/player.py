"""What the browser tests read from a page with the player: small, named JavaScript queries."""

from __future__ import annotations

import json
from typing import Any

import httpx
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

PLAYING = "[...document.querySelectorAll('#oplaesning audio')].find((audio) => !audio.paused)"
CURRENT = "document.querySelector('main [aria-current=\"true\"]')"

STATE = f"""() => {{
  const audio = {PLAYING};
  const current = {CURRENT};
  const live = document.querySelector('#oplaesning [role="status"]');
  return {{
    time: audio ? audio.currentTime : null,
    rate: audio ? audio.playbackRate : null,
    src: audio ? audio.getAttribute("src") : null,
    sentence: current ? current.dataset.sentenceId : null,
    said: live ? live.textContent.trim() : null,
    scrollY: window.scrollY,
  }};
}}"""

FOCUSED = """() => {
  const element = document.activeElement;
  const label = element.labels && element.labels.length ? element.labels[0].textContent : "";
  const text = element.getAttribute("aria-label") || label || element.textContent || "";
  const name = text.replace(/\\s+/g, " ").trim();
  const style = getComputedStyle(element);
  return {
    name,
    tag: element.tagName.toLowerCase(),
    outline: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth),
  };
}"""

IN_VIEW = f"""() => {{
  const box = {CURRENT}.getBoundingClientRect();
  return box.top >= 0 && box.bottom <= window.innerHeight;
}}"""


def state(page: Page) -> dict[str, Any]:
    found: dict[str, Any] = page.evaluate(STATE)
    return found


def focused(page: Page) -> dict[str, Any]:
    found: dict[str, Any] = page.evaluate(FOCUSED)
    return found


def tab_to(page: Page, name: str, *, backwards: bool = False, limit: int = 60) -> dict[str, Any]:
    """Press Tab (or Shift+Tab) until the focused element's name starts with ``name``."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        now = focused(page)
        if now["name"].startswith(name):
            return now
        seen.append(now["name"])
    raise AssertionError(f"no {name!r} among the Tab stops: {seen}")


def wait_until_playing(page: Page, past: float = 0.3) -> None:
    page.wait_for_function(f"() => {{ const a = {PLAYING}; return a && a.currentTime > {past}; }}")


def wait_for_sentence(page: Page, ids: list[str]) -> None:
    """Until the highlighted sentence is one of ``ids``."""
    page.wait_for_function(
        f"(ids) => {{ const c = {CURRENT}; return c && ids.includes(c.dataset.sentenceId); }}",
        arg=ids,
    )


def wait_for_another_sentence(page: Page, than: str | None) -> None:
    page.wait_for_function(
        f"(than) => {{ const c = {CURRENT}; return c && c.dataset.sentenceId !== than; }}",
        arg=than,
    )


def wait_until_said(page: Page, words: str) -> None:
    page.wait_for_function(
        "(words) => document.querySelector('#oplaesning [role=\"status\"]')"
        ".textContent.includes(words)",
        arg=words,
    )


class PageDoc:
    """A page's structure from the JSON API: which sentence is in which section."""

    def __init__(self, reader: str, slug: str) -> None:
        self.slug = slug
        self.data: dict[str, Any] = httpx.get(f"{reader}/api/pages/{slug}").json()
        self.sections: list[dict[str, Any]] = self.data["sections"]

    def sentences(self, index: int) -> list[str]:
        return [sentence["id"] for sentence in self.sections[index]["sentences"]]

    def section_of(self, sentence_id: str) -> int:
        for index in range(len(self.sections)):
            if sentence_id in self.sentences(index):
                return index
        raise LookupError(sentence_id)

    def index_of(self, section_id: str) -> int:
        return [section["id"] for section in self.sections].index(section_id)

    def audio_route(self, index: int) -> str:
        return f"/api/pages/{self.slug}/sections/{self.sections[index]['id']}/audio"

    def start_of(self, sentence_id: str) -> float:
        index = self.section_of(sentence_id)
        timings = self.data["audio"]["sections"][index]["timings"]
        start: int = next(cue["start_ms"] for cue in timings if cue["id"] == sentence_id)
        return start / 1000


def js(value: object) -> str:
    return json.dumps(value)


AT_END = "() => window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - 2"


def scroll_to_the_end(page: Page, x: float = 640, y: float = 300) -> None:
    """Wheel down as a reader does, more than once if a scroll still under way (the last
    sentence being brought into view) ate the first turn of the wheel."""
    page.mouse.move(x, y)
    for _ in range(8):
        page.mouse.wheel(0, 20000)
        try:
            page.wait_for_function(AT_END, timeout=5000)
            return
        except PlaywrightTimeoutError:
            continue
    raise AssertionError("the page never reached its end under the wheel")
