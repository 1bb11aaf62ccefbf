"""The player's script and styles: small (under 20 KB gzipped with the page's stylesheet), from
this origin only, no cookies or tracking, and colours that pass contrast in every theme."""

from __future__ import annotations

import gzip
import re

import httpx
import pytest
from bs4 import BeautifulSoup

from reader.web.assets import STATIC_DIR
from tests.web.pages import REAL_SLUGS
from tests.web.test_static import contrast, palette

pytestmark = pytest.mark.anyio

SCRIPT = (STATIC_DIR / "player.js").read_text()
STYLES = (STATIC_DIR / "player.css").read_text()
PAGE_STYLES = (STATIC_DIR / "reader.css").read_text()
BUDGET = 24 * 1024
"""Was 15 KB (12.3 KB used) before the reading tools (the "Lyt" button by a selection, the
compact bar, shortcuts and their help, resume, text settings and the reading ruler) and the
embed's host mode (reading and marking the sentences of the page it sits on) took the three
files to 20.9 KB gzipped, then 22 KB until marking the word being read added 1.1 KB (23.5 KB);
a reading view still loads less than one photo would."""

# Text (or control) colour and the background it is drawn on, by custom property name.
PLAYER_PAIRS = [
    ("rp-text", "rp-bg"),
    ("rp-muted", "rp-bg"),
    ("rp-accent", "rp-bg"),
    ("rp-accent", "rp-field"),
    ("rp-on-accent", "rp-accent"),
    ("rp-link", "rp-bg"),
    ("rp-text", "rp-current"),
    ("rp-focus-text", "rp-focus"),
]
HIGHLIGHT_PAIRS = [
    ("text", "current"),
    ("link", "current"),
    ("visited", "current"),
    ("muted", "current"),
]


def schemes(css: str, dark_marker: str) -> dict[str, dict[str, str]]:
    light = palette(css.split("@media", 1)[0])
    dark_block = css.split(dark_marker, 1)[1].split("\n}\n", 1)[0]
    return {"light": light, "dark": {**light, **palette(dark_block)}}


def test_script_and_styles_together_are_under_24_kb_gzipped() -> None:
    sizes = {
        name: len(gzip.compress((STATIC_DIR / name).read_bytes(), 9))
        for name in ("player.js", "player.css", "reader.css")
    }
    assert sum(sizes.values()) < BUDGET, sizes


PAGE_PAIRS = [
    ("text", "bg"),
    ("link", "bg"),
    ("visited", "bg"),
    ("muted", "bg"),
    ("band-text", "band"),
]
THEMES = ["dark", "contrast"]
"""The themes a reader may choose in the text settings, besides the light default."""


def theme(css: str, name: str, selector: str) -> dict[str, str]:
    """The light palette overridden by the block of ``selector`` for theme ``name``."""
    light = palette(css.split("@media", 1)[0])
    block = css.split(selector.format(name) + " {", 1)[1].split("\n}\n", 1)[0]
    return {**light, **palette(block)}


@pytest.mark.parametrize("name", THEMES)
@pytest.mark.parametrize(
    ("css", "selector", "pairs"),
    [
        (STYLES, ':root[data-theme="{}"] .rp', PLAYER_PAIRS),
        (PAGE_STYLES, ':root[data-theme="{}"]', [*HIGHLIGHT_PAIRS, *PAGE_PAIRS]),
    ],
    ids=["player", "page"],
)
def test_every_chosen_theme_keeps_a_contrast_of_at_least_4_5(
    css: str, selector: str, pairs: list[tuple[str, str]], name: str
) -> None:
    colours = theme(css, name, selector)
    for foreground, background in pairs:
        ratio = contrast(colours[foreground], colours[background])
        assert ratio >= 4.5, f"{name}: {foreground} on {background} is {ratio:.2f}:1"


def test_the_chosen_dark_theme_is_the_devices_dark_mode() -> None:
    for css, selector in (
        (STYLES, ':root[data-theme="{}"] .rp'),
        (PAGE_STYLES, ':root[data-theme="{}"]'),
    ):
        device = schemes(css, "@media (prefers-color-scheme: dark)")["dark"]
        assert theme(css, "dark", selector) == device


@pytest.mark.parametrize(
    ("css", "dark_marker", "pairs"),
    [
        (STYLES, "@media (prefers-color-scheme: dark)", PLAYER_PAIRS),
        (PAGE_STYLES, "@media (prefers-color-scheme: dark)", HIGHLIGHT_PAIRS),
    ],
    ids=["player", "highlight"],
)
def test_every_colour_pair_has_a_contrast_of_at_least_4_5(
    css: str, dark_marker: str, pairs: list[tuple[str, str]]
) -> None:
    for name, colours in schemes(css, dark_marker).items():
        for foreground, background in pairs:
            ratio = contrast(colours[foreground], colours[background])
            assert ratio >= 4.5, f"{name}: {foreground} on {background} is {ratio:.2f}:1"


def test_the_highlight_is_set_by_the_current_sentence_attribute() -> None:
    rule = PAGE_STYLES.split('[data-sentence-id][aria-current="true"] {', 1)[1].split("}", 1)[0]
    assert "background: var(--current);" in rule


def test_the_script_talks_to_no_other_origin_and_keeps_only_the_readers_choices() -> None:
    addresses = set(re.findall(r"https?://[^\s\"')]+", SCRIPT))
    assert addresses == {"http://www.w3.org/2000/svg"}, "only the SVG namespace, never fetched"
    for forbidden in ("document.cookie", "eval(", "new Function", "innerHTML", "sendBeacon"):
        assert forbidden not in SCRIPT
    assert re.findall(r"localStorage\.(\w+)\(", SCRIPT) == ["getItem", "setItem"]
    # The speed, the text settings, and where each page was left: nothing else is kept.
    keys = re.findall(r'const \w+_KEY = "([^"]+)";', SCRIPT)
    assert keys == ["reader.speed", "reader.view", "reader.resume."]
    assert re.findall(r"\b(?:recall|keep)\((\w+)", SCRIPT).count("key") == 2, "the helpers"
    used = set(re.findall(r"\b(?:recall|keep)\((\w+)", SCRIPT)) - {"key"}
    assert used == {"SPEED_KEY", "VIEW_KEY", "RESUME_KEY"}


def test_the_styles_load_nothing_from_elsewhere() -> None:
    assert "@import" not in STYLES and "@font-face" not in STYLES
    assert not re.search(r"url\(", STYLES)


async def test_the_player_files_carry_their_hash_and_are_cached_for_good(
    client: httpx.AsyncClient,
) -> None:
    soup = BeautifulSoup((await client.get(f"/pages/{REAL_SLUGS[0]}")).text, "html.parser")
    for tag, attribute, name, kind in (
        ("script", "src", "player.js", "text/javascript"),
        ("link", "href", "player.css", "text/css"),
    ):
        element = soup.find(tag, attrs={attribute: re.compile(name)})
        assert element is not None
        url = str(element[attribute])
        assert re.fullmatch(rf"/static/{re.escape(name)}\?v=[0-9a-f]{{12}}", url)
        response = await client.get(url)
        assert response.headers["content-type"].startswith(kind)
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
