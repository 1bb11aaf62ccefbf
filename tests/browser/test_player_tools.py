"""The reading tools, keyboard only and with a mouse, at 1280 and 320 px, light and dark: "Lyt" by
selected text (through POST /api/speak), the compact bar that stays in view, the Alt+Shift
shortcuts, "Fortsæt fra …" on coming back, and the text settings. axe-core finds nothing in
any of these states."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.conftest import Sites, Visit
from tests.browser.player import (
    PLAYING,
    PageDoc,
    focused,
    js,
    scroll_to_the_end,
    state,
    tab_to,
    wait_for_another_sentence,
    wait_for_sentence,
    wait_until_playing,
    wait_until_said,
)
from tests.browser.site import reader_app
from tests.browser.test_player_axe import violations
from tests.web.live import serve_in_thread

pytestmark = pytest.mark.slow

SLUG = "politikker-og-raad"
Scheme = Literal["light", "dark"]

SELECT = """(selector) => {
  const range = document.createRange();
  range.selectNodeContents(document.querySelector(selector));
  getSelection().removeAllRanges();
  getSelection().addRange(range);
  return String(getSelection()).trim();
}"""
SPEECH = (
    "[...document.querySelectorAll('#oplaesning audio')]"
    ".find((a) => a.src.startsWith('blob:') && !a.paused && a.currentTime > 0.2)"
)
PICK_SAID = "document.querySelector('.rp-pick [role=\"status\"]').textContent"
DOCK = "document.querySelector('#oplaesning .rp-dock')"
NO_SIDEWAYS = "() => document.documentElement.scrollWidth <= window.innerWidth"
# The focused element's box and the compact bar's top, in window coordinates.
FOCUS_AND_DOCK = f"""() => {{
  const box = document.activeElement.getBoundingClientRect();
  const dock = {DOCK};
  return {{ top: box.top, bottom: box.bottom,
    dock: dock.hidden ? null : dock.getBoundingClientRect().top,
    inDock: dock.contains(document.activeElement), tag: document.activeElement.tagName }};
}}"""


def sentence(doc: PageDoc, section: int, index: int) -> str:
    return f'main [data-sentence-id="{doc.sentences(section)[index]}"]'


def elsewhere(visit: Visit, *origins: str) -> list[str]:
    """Requests to anywhere but ``origins``; the selection's speech plays from a local blob."""
    return [url for url in visit.foreign(*origins) if not url.startswith("blob:")]


def drag_over(page: Page, selector: str) -> str:
    """Selects an element's text with the mouse, from its first letter to its last."""
    page.locator(selector).scroll_into_view_if_needed()
    ends = page.evaluate(
        "(selector) => { const boxes = document.querySelector(selector).getClientRects();"
        " const a = boxes[0], b = boxes[boxes.length - 1];"
        " return [a.left + 1, (a.top + a.bottom) / 2, b.right - 1, (b.top + b.bottom) / 2]; }",
        selector,
    )
    page.mouse.move(ends[0], ends[1])
    page.mouse.down()
    page.mouse.move(ends[2], ends[3], steps=5)
    page.mouse.up()
    chosen: str = page.evaluate("String(getSelection()).trim()")
    return chosen


def open_at(page: Page, url: str, width: int, scheme: Scheme) -> None:
    page.set_viewport_size({"width": width, "height": 800 if width > 400 else 640})
    page.emulate_media(color_scheme=scheme)
    page.goto(url)


def fail_on_dialogs(page: Page) -> list[str]:
    """Errors are said in the page, never by alert(): any dialog is recorded (and dismissed)."""
    seen: list[str] = []

    def record(dialog: Any) -> None:
        seen.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    return seen


# 1. Listen to selected text


@pytest.mark.parametrize(
    ("how", "width", "scheme"),
    [
        ("mouse", 1280, "light"),
        ("mouse", 320, "dark"),
        ("keys", 1280, "dark"),
        ("keys", 320, "light"),
    ],
)
def test_a_selection_is_read_aloud_through_api_speak_and_highlighted(
    sites: Sites, visit: Visit, how: str, width: int, scheme: Scheme
) -> None:
    page = visit.page
    dialogs = fail_on_dialogs(page)
    doc = PageDoc(sites.reader, SLUG)
    open_at(page, f"{sites.reader}/pages/{SLUG}", width, scheme)
    target = sentence(doc, 2, 1)
    if how == "mouse":
        chosen = drag_over(page, target)
    else:
        chosen = page.evaluate(SELECT, target)  # as a caret-browsing keyboard selection would
    button = page.get_by_role("button", name="Lyt til det markerede")
    button.wait_for()
    # After the block where the selection ends: Tab goes there next.
    block = page.evaluate(
        f"() => document.querySelector({js(target)}).closest('p, ul, ol').nextElementSibling"
        ".classList.contains('rp-pick')"
    )
    assert block
    box = button.bounding_box()
    assert box is not None and 0 <= box["x"] and box["x"] + box["width"] <= width
    assert page.evaluate(NO_SIDEWAYS)

    with page.expect_request(lambda r: r.url.endswith("/api/speak")) as request:
        if how == "mouse":
            button.click()
        else:
            page.keyboard.press("Alt+Shift+O")
    assert request.value.method == "POST"
    assert request.value.post_data_json == {"text": chosen}
    response = request.value.response()
    assert response is not None and response.status == 200
    page.wait_for_function(f"() => {SPEECH}")
    assert page.evaluate("CSS.highlights.has('rp-said')"), "what is read is highlighted"
    assert page.evaluate(PICK_SAID) == "Det markerede læses op."
    stop = page.get_by_role("button", name="Stop oplæsningen af det markerede")
    if how == "keys":
        now = focused(page)
        assert now["name"] == "Stop oplæsningen af det markerede"
        assert now["outline"] == "solid" and now["outlineWidth"] >= 2
    assert violations(page) == []
    if how == "mouse":
        stop.click()
    else:
        page.keyboard.press("Enter")
    page.wait_for_function(f"() => !{SPEECH}")
    assert not page.evaluate("CSS.highlights.has('rp-said')")
    assert dialogs == [] and visit.errors == []
    assert elsewhere(visit, sites.reader) == []


def test_a_selection_over_the_limit_is_refused_in_danish_in_a_live_region(
    sites: Sites, visit: Visit
) -> None:
    page = visit.page
    dialogs = fail_on_dialogs(page)
    page.goto(f"{sites.reader}/pages/{SLUG}")
    chosen = page.evaluate(SELECT, "main article")
    assert len(chosen) > 1000
    page.get_by_role("button", name="Lyt til det markerede").click()
    page.wait_for_function(f"() => {PICK_SAID}.includes('højst')")
    said = page.locator(".rp-pick [role='status']")
    assert "der kan højst læses 1000 tegn op ad gangen" in said.inner_text()
    assert said.is_visible()
    assert page.evaluate(f"{PLAYING} === undefined")
    assert dialogs == []
    assert violations(page) == []


@pytest.fixture(scope="module")
def strict_reader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A reader that reads one selection a minute per client."""
    app = reader_app(tmp_path_factory.mktemp("strict"), allowed_origins=[], speak_per_minute=1)
    with serve_in_thread(app) as url:
        yield url


def test_too_many_selections_say_when_to_try_again(strict_reader: str, visit: Visit) -> None:
    page = visit.page
    doc = PageDoc(strict_reader, SLUG)
    page.goto(f"{strict_reader}/pages/{SLUG}")
    button = page.get_by_role("button", name="Lyt til det markerede")
    page.evaluate(SELECT, sentence(doc, 1, 0))
    button.click()
    page.wait_for_function(f"() => {SPEECH}")
    page.get_by_role("button", name="Stop oplæsningen af det markerede").click()
    page.evaluate(SELECT, sentence(doc, 2, 0))
    with page.expect_response(lambda r: r.url.endswith("/api/speak")) as answer:
        button.click()
    assert answer.value.status == 429
    page.wait_for_function(f"() => {PICK_SAID}.includes('Prøv igen om')")
    assert "For mange oplæsninger på kort tid. Prøv igen om" in page.evaluate(PICK_SAID)


def test_a_selection_on_a_page_embedding_the_player_is_read_aloud(
    sites: Sites, visit: Visit
) -> None:
    page = visit.page
    page.goto(sites.host + "/")
    page.locator("[data-reader-embed] .rp-main").wait_for()
    chosen = page.evaluate(SELECT, "main h2 + p")
    with page.expect_request(lambda r: r.url == sites.reader + "/api/speak") as request:
        page.locator("[data-reader-pick]").get_by_role(
            "button", name="Lyt til det markerede"
        ).click()
    assert request.value.post_data_json == {"text": chosen}
    page.wait_for_function(
        "() => [...document.querySelector('[data-reader-embed]').shadowRoot"
        ".querySelectorAll('audio')].some((a) => a.src.startsWith('blob:') && !a.paused)"
    )
    assert elsewhere(visit, sites.host, sites.reader) == []
    assert visit.errors == []
    # (axe-core itself then tries to read the Shadow DOM's stylesheet without CORS: not ours.)
    assert violations(page) == []


# 2. The compact bar


@pytest.mark.parametrize(("width", "scheme"), [(1280, "light"), (320, "dark")])
def test_the_compact_bar_stays_in_view_and_never_covers_the_focus(
    sites: Sites, visit: Visit, width: int, scheme: Scheme
) -> None:
    page = visit.page
    open_at(page, f"{sites.reader}/pages/{SLUG}", width, scheme)
    tab_to(page, "Få siden oplæst")
    page.keyboard.press("Enter")
    wait_until_playing(page)
    follow = tab_to(page, "Følg sætningen")
    assert (
        page.get_by_role("button", name="Følg sætningen").first.get_attribute("aria-pressed")
        == "true"
    )
    page.keyboard.press("Enter")  # following off: the page stays where the reader scrolls
    assert follow["tag"] == "button"
    page.wait_for_function("() => document.activeElement.getAttribute('aria-pressed') === 'false'")
    scroll_to_the_end(page, x=width / 2)
    pause = page.locator("#oplaesning .rp-dock").get_by_role("button", name="Sæt på pause")
    pause.wait_for()
    assert pause.is_visible() and pause.bounding_box() is not None
    assert page.evaluate(
        "() => { const b = document.querySelector('#oplaesning .rp-dock').getBoundingClientRect();"
        " return b.top >= 0 && b.bottom <= window.innerHeight + 1; }"
    )
    assert page.evaluate(NO_SIDEWAYS)
    assert violations(page) == []

    # Every Tab stop from the compact bar to the end of the page stays clear of it.
    page.locator("#oplaesning .rp-dock button").first.focus()
    stops = 0
    for _ in range(120):
        page.keyboard.press("Tab")
        seen = page.evaluate(FOCUS_AND_DOCK)
        if seen["tag"] == "BODY":
            break
        if not seen["inDock"] and seen["dock"] is not None:
            assert seen["bottom"] <= seen["dock"] + 1, seen
            stops += 1
    assert stops > 5

    # With following on again, the sentence being read is kept above the compact bar.
    pause.focus()
    page.keyboard.press("Alt+Shift+F")
    wait_for_another_sentence(page, state(page)["sentence"])
    page.wait_for_function(
        f"() => {{ const c = document.querySelector('main [aria-current=\"true\"]')"
        f".getBoundingClientRect(); const d = {DOCK};"
        " const top = d.hidden ? innerHeight : d.getBoundingClientRect().top;"
        " return c.top >= 0 && c.bottom <= top; }"
    )

    # The full panel is one step away.
    page.locator("#oplaesning .rp-dock").get_by_role("button", name="Hele afspilleren").click()
    assert focused(page)["name"] == "Sæt på pause"
    page.wait_for_function(f"() => {DOCK}.hidden")
    assert visit.errors == []


# 3. Shortcuts


@pytest.mark.parametrize(("width", "scheme"), [(1280, "light"), (320, "dark")])
def test_every_shortcut_works_and_single_keys_do_nothing(
    sites: Sites, visit: Visit, width: int, scheme: Scheme
) -> None:
    page = visit.page
    doc = PageDoc(sites.reader, SLUG)
    open_at(page, f"{sites.reader}/pages/{SLUG}", width, scheme)
    page.keyboard.press("p")
    assert page.evaluate("document.querySelectorAll('#oplaesning audio').length") == 0
    # Typing in a text field (a host page's search box, say) never triggers the player.
    page.evaluate(
        "() => { const i = document.createElement('input'); i.id = 'typing';"
        " document.querySelector('main').prepend(i); }"
    )
    page.focus("#typing")
    page.keyboard.press("Alt+Shift+P")
    page.keyboard.type("pk")
    assert page.evaluate("document.querySelectorAll('#oplaesning audio').length") == 0
    page.evaluate("() => document.getElementById('typing').remove()")
    page.keyboard.press("Alt+Shift+P")
    wait_until_playing(page)
    wait_for_sentence(page, doc.sentences(0))

    page.keyboard.press("Alt+Shift+ArrowDown")
    wait_for_sentence(page, doc.sentences(1))
    page.keyboard.press("Alt+Shift+ArrowDown")
    wait_for_sentence(page, doc.sentences(2))
    page.keyboard.press("Alt+Shift+ArrowUp")
    wait_for_sentence(page, doc.sentences(1))
    page.keyboard.press("Alt+Shift+ArrowRight")
    wait_for_sentence(page, doc.sentences(1)[1:2])
    page.keyboard.press("Alt+Shift+ArrowRight")
    wait_for_sentence(page, doc.sentences(1)[2:3])
    page.keyboard.press("Alt+Shift+ArrowLeft")
    wait_for_sentence(page, doc.sentences(1)[1:2])

    page.keyboard.press("Alt+Shift+H")
    page.wait_for_function(f"() => {PLAYING} && {PLAYING}.playbackRate === 1.25")
    page.keyboard.press("Alt+Shift+G")
    page.keyboard.press("Alt+Shift+G")
    page.wait_for_function(f"() => {PLAYING} && {PLAYING}.playbackRate === 0.75")
    assert page.input_value("#oplaesning .rp-more select") == "0.75"

    follow = page.locator("#oplaesning .rp-more .rp-follow")
    pressed = follow.get_attribute("aria-pressed")
    page.keyboard.press("Alt+Shift+F")
    assert follow.get_attribute("aria-pressed") != pressed

    assert violations(page) == []

    page.keyboard.press("k")
    page.keyboard.press("Alt+Shift+P")
    page.wait_for_function(f"() => {PLAYING} === undefined")
    wait_until_said(page, "pause")
    page.keyboard.press("Alt+Shift+P")
    wait_until_playing(page, past=0.1)

    page.keyboard.press("Alt+Shift+X")
    page.wait_for_function(f"() => {PLAYING} === undefined")
    assert page.locator("#oplaesning .rp-panel").is_hidden()
    assert violations(page) == []
    assert visit.errors == []


def test_the_shortcuts_are_explained_in_the_player(sites: Sites, visit: Visit) -> None:
    page = visit.page
    page.goto(f"{sites.reader}/pages/{SLUG}")
    page.get_by_role("button", name="Få siden oplæst").click()
    help_button = page.get_by_role("button", name="Tastaturgenveje")
    assert help_button.get_attribute("aria-expanded") == "false"
    help_button.focus()
    page.keyboard.press("Enter")
    assert help_button.get_attribute("aria-expanded") == "true"
    listed = page.locator("#oplaesning .rp-keys kbd").all_inner_texts()
    assert "Alt+Shift+P" in listed and "Alt+Shift+O" in listed and len(listed) == 10
    assert all(key.startswith("Alt+Shift+") for key in listed)
    assert "Option" in page.locator("#oplaesning .rp-keys").inner_text()
    assert violations(page) == []


# 4. Resume


@pytest.mark.parametrize(
    ("how", "width", "scheme"),
    [
        ("mouse", 1280, "light"),
        ("keys", 320, "dark"),
        ("mouse", 320, "light"),
        ("keys", 1280, "dark"),
    ],
)
def test_coming_back_offers_to_go_on_from_where_the_reader_left(
    sites: Sites, visit: Visit, how: str, width: int, scheme: Scheme
) -> None:
    page = visit.page
    doc = PageDoc(sites.reader, SLUG)
    open_at(page, f"{sites.reader}/pages/{SLUG}", width, scheme)
    page.get_by_role("button", name="Få siden oplæst").click()
    wait_until_playing(page)
    left = doc.sentences(3)[4]
    page.locator(f'main [data-sentence-id="{left}"]').click()
    wait_for_sentence(page, [left])
    page.goto(f"{sites.reader}/")
    page.goto(f"{sites.reader}/pages/{SLUG}")

    heading = doc.sections[3]["heading"]
    offer = page.get_by_role("button", name=f"Fortsæt fra {heading}")
    offer.wait_for()
    assert violations(page) == []
    if how == "mouse":
        offer.click()
    else:
        tab_to(page, "Fortsæt fra")
        page.keyboard.press("Enter")
    wait_for_sentence(page, [left])
    wait_until_playing(page, past=doc.start_of(left))
    assert state(page)["src"] == doc.audio_route(3)
    assert focused(page)["name"] == "Sæt på pause"
    assert page.context.cookies() == []
    assert not [url for url in visit.requests if "resume" in url or left in url]


def test_a_changed_page_goes_on_from_the_nearest_sentence_that_is_still_there(
    sites: Sites, visit: Visit
) -> None:
    page = visit.page
    doc = PageDoc(sites.reader, SLUG)
    page.goto(f"{sites.reader}/pages/{SLUG}")
    kept = doc.sentences(2)[3]
    # What an earlier version of the page left: a sentence since edited away, and its neighbours.
    record = {
        "version": "older",
        "sentence": "integrations-og-medborgerskabspolitik.gone",
        "near": ["also.gone", kept],
    }
    page.evaluate(f"localStorage.setItem('reader.resume.{SLUG}', {js(js(record))})")
    page.reload()
    offer = page.get_by_role("button", name=f"Fortsæt fra {doc.sections[2]['heading']}")
    offer.click()
    wait_for_sentence(page, [kept])
    assert state(page)["src"] == doc.audio_route(2)


# 5. Text settings

SETTINGS = [
    ("Tekststørrelse", "200%", "getComputedStyle(document.documentElement).fontSize", "32px"),
    ("Linjeafstand", "2.3", "getComputedStyle(document.body).lineHeight", f"{18 * 2.3:g}px"),
    (
        "Afstand mellem bogstaver",
        "0.12em",
        "getComputedStyle(document.querySelector('main p')).letterSpacing",
        f"{18 * 0.12:g}px",
    ),
    ("Farver", "dark", "getComputedStyle(document.body).backgroundColor", "rgb(20, 23, 26)"),
    ("Farver", "contrast", "getComputedStyle(document.body).backgroundColor", "rgb(0, 0, 0)"),
    ("Farver", "light", "getComputedStyle(document.body).backgroundColor", "rgb(255, 255, 255)"),
]


@pytest.mark.parametrize(("label", "value", "probe", "expected"), SETTINGS)
@pytest.mark.parametrize(("width", "scheme"), [(1280, "light"), (320, "dark")])
def test_each_text_setting_applies_is_remembered_and_reflows(
    sites: Sites,
    visit: Visit,
    label: str,
    value: str,
    probe: str,
    expected: str,
    width: int,
    scheme: Scheme,
) -> None:
    page = visit.page
    open_at(page, f"{sites.reader}/pages/{SLUG}", width, scheme)
    page.get_by_role("button", name="Tekst og farver").click()
    page.get_by_label(label).select_option(value)
    assert page.evaluate(probe) == expected
    page.reload()
    assert page.evaluate(probe) == expected, "remembered in this browser"
    assert page.evaluate(NO_SIDEWAYS)
    assert violations(page) == []
    assert page.context.cookies() == []


@pytest.mark.parametrize("ruler", ["ruler", "mask"])
@pytest.mark.parametrize("theme", ["", "dark", "contrast"])
def test_the_reading_ruler_follows_the_sentence_at_320_px_with_the_largest_text(
    sites: Sites, visit: Visit, ruler: str, theme: str
) -> None:
    page = visit.page
    doc = PageDoc(sites.reader, SLUG)
    settings = {"size": "200%", "line": "2.3", "letter": "0.12em", "theme": theme, "ruler": ruler}
    page.goto(f"{sites.reader}/")
    page.evaluate(f"localStorage.setItem('reader.view', {js(js(settings))})")
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(f"{sites.reader}/pages/{SLUG}")
    page.get_by_role("button", name="Få siden oplæst").click()
    wait_until_playing(page)
    page.get_by_role("button", name="Næste afsnit").click()
    wait_for_sentence(page, doc.sentences(1))
    covers = (
        "() => { const r = document.querySelector('.rt-ruler').getBoundingClientRect();"
        " const c = document.querySelector('main [aria-current=\"true\"]').getBoundingClientRect();"
        " const shown = !document.querySelector('.rt-ruler').hidden;"
        " return shown && r.top <= c.top && r.bottom >= c.bottom; }"
    )
    page.wait_for_function(covers)
    first = state(page)["sentence"]
    wait_for_another_sentence(page, first)
    page.wait_for_function(covers)
    assert page.evaluate(NO_SIDEWAYS)
    assert violations(page) == []


def test_with_reduced_motion_the_ruler_jumps_without_sliding(
    sites: Sites, browser: Browser
) -> None:
    context = browser.new_context(reduced_motion="reduce")
    try:
        page = context.new_page()
        page.goto(f"{sites.reader}/pages/{SLUG}")
        page.get_by_role("button", name="Tekst og farver").click()
        page.get_by_label("Læsehjælp").select_option("ruler")
        assert (
            page.evaluate(
                "getComputedStyle(document.querySelector('.rt-ruler')).transitionDuration"
            )
            == "0s"
        )
        follow = page.get_by_role("button", name="Følg sætningen").first
        page.get_by_role("button", name="Få siden oplæst").click()
        assert follow.get_attribute("aria-pressed") == "false", "no scrolling by itself"
    finally:
        context.close()


def test_no_font_or_anything_else_is_fetched_from_elsewhere(sites: Sites, visit: Visit) -> None:
    page = visit.page
    page.goto(f"{sites.reader}/pages/{SLUG}")
    page.get_by_role("button", name="Tekst og farver").click()
    for label, value, _, _ in SETTINGS:
        page.get_by_label(label).select_option(value)
    assert elsewhere(visit, sites.reader) == []
    fonts = page.evaluate("[...document.fonts].map((font) => font.family)")
    assert fonts == []
