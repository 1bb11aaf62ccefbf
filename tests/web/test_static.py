"""The stylesheet: served with a content hash, readable type, enough contrast, a print style."""

from __future__ import annotations

import re

import httpx
import pytest
from bs4 import BeautifulSoup

from reader.web.assets import STATIC_DIR

pytestmark = pytest.mark.anyio

CSS = (STATIC_DIR / "reader.css").read_text()

# Text colour and the background it is drawn on, by custom property name.
PAIRS = [
    ("text", "bg"),
    ("muted", "bg"),
    ("link", "bg"),
    ("visited", "bg"),
    ("band-text", "band"),
    ("focus-text", "focus-bg"),
]


def palette(block: str) -> dict[str, str]:
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})\s*;", block))


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_is_at_least_4_5_to_1_in_light_and_dark_mode() -> None:
    light = palette(CSS.split("@media", 1)[0])
    dark_block = CSS.split("@media (prefers-color-scheme: dark)", 1)[1].split("\n}\n", 1)[0]
    dark = {**light, **palette(dark_block)}
    for name, colours in (("light", light), ("dark", dark)):
        for foreground, background in PAIRS:
            ratio = contrast(colours[foreground], colours[background])
            assert ratio >= 4.5, f"{name}: {foreground} on {background} is {ratio:.2f}:1"
        # The focus indicator is a dark outline around a yellow ring: one of the two stands
        # out from every background a focusable element sits on.
        for background in ("bg", "band"):
            ring = contrast(colours["focus-bg"], colours[background])
            outline = contrast(colours["focus-text"], colours[background])
            assert max(ring, outline) >= 4.5, f"{name}: focus on {background}"


def test_the_type_is_large_and_calm_and_long_words_wrap() -> None:
    body = CSS.split("\nbody {", 1)[1].split("}", 1)[0]
    assert "font-size: 1.125rem;" in body
    assert "line-height: var(--line, 1.6);" in body  # 1.6 unless the reader chose more
    assert "overflow-wrap: anywhere;" in body
    assert "font-size: 100%;" in CSS.split("\nhtml {", 1)[1].split("}", 1)[0]
    measure = re.search(r"--measure:\s*(\d+)ch;", CSS)
    assert measure and int(measure.group(1)) <= 70


def test_no_font_or_image_comes_from_another_origin() -> None:
    assert "@import" not in CSS and "@font-face" not in CSS
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", CSS)


def test_print_hides_navigation_and_player_and_shows_link_addresses() -> None:
    printed = CSS.split("@media print", 1)[1]
    hidden = printed.split("display: none", 1)[0]
    for selector in (".skip-link", "nav", ".player"):
        assert selector in hidden
    assert 'attr(href) ")"' in printed


def test_focus_is_visible() -> None:
    focus = CSS.split(":focus-visible {", 1)[1].split("}", 1)[0]
    assert re.search(r"outline: 3px solid", focus)


async def test_the_stylesheet_url_carries_its_hash_and_is_cached_for_good(
    client: httpx.AsyncClient,
) -> None:
    soup = BeautifulSoup((await client.get("/")).text, "html.parser")
    link = soup.select_one('link[rel="stylesheet"]')
    assert link is not None
    href = str(link["href"])
    assert re.fullmatch(r"/static/reader\.css\?v=[0-9a-f]{12}", href)
    response = await client.get(href)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.text == CSS


@pytest.mark.parametrize("query", ["", "?v=000000000000", "?w=1"])
async def test_a_stylesheet_request_without_the_current_hash_is_revalidated(
    client: httpx.AsyncClient, query: str
) -> None:
    response = await client.get(f"/static/reader.css{query}")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"
