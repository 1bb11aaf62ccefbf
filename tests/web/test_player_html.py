"""The player's HTML: the W3C checker finds no error in the iframe player, the example host page
or an oEmbed answer's markup; the reading view has a "Lyt til afsnittet" button per section."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from bs4 import BeautifulSoup

from reader.config import Settings
from reader.content.store import ContentStore
from reader.web.layout import layout_page
from tests.web.pages import REAL_SLUGS, REPO, SAMPLE_SLUG, add_sample_page
from tests.web.test_html_validity import vnu_errors

pytestmark = pytest.mark.anyio

ALL_SLUGS = [*REAL_SLUGS, SAMPLE_SLUG]

SNIPPET_PAGE = """<!DOCTYPE html>
<html lang="da"><head><meta charset="utf-8"><title>oEmbed</title></head>
<body><main>{html}</main></body></html>
"""


@pytest.mark.slow
async def test_the_iframe_player_the_example_page_and_oembed_markup_are_valid_html(
    client: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    add_sample_page(settings.pages_dir)
    files = [REPO / "docs" / "embed-example.html"]
    for slug in ALL_SLUGS:
        response = await client.get(f"/embed/{slug}")
        assert response.status_code == 200
        files.append(tmp_path / f"embed-{slug}.html")
        files[-1].write_text(response.text, encoding="utf-8")
        answer = await client.get("/oembed", params={"url": f"{settings.base_url}/pages/{slug}"})
        files.append(tmp_path / f"oembed-{slug}.html")
        files[-1].write_text(SNIPPET_PAGE.format(html=answer.json()["html"]), encoding="utf-8")
    assert vnu_errors(files) == []


@pytest.mark.parametrize("slug", ALL_SLUGS)
async def test_every_section_heading_has_a_listen_button_shown_by_the_script(
    client: httpx.AsyncClient, settings: Settings, slug: str
) -> None:
    add_sample_page(settings.pages_dir)
    store = ContentStore(settings.pages_dir, max_bytes=settings.max_page_bytes)
    view = layout_page(store.load(slug))
    sections = [*view.sections, *([view.about] if view.about else [])]
    soup = BeautifulSoup((await client.get(f"/pages/{slug}")).text, "html.parser")
    buttons = soup.select("button[data-listen-section]")
    assert [button["data-listen-section"] for button in buttons] == [s.id for s in sections]
    for button, section in zip(buttons, sections, strict=True):
        assert button.has_attr("hidden"), "without JavaScript the button would do nothing"
        assert button["type"] == "button"
        assert button["aria-label"] == f"Lyt til afsnittet: {section.heading_text}"
        assert button.get_text(strip=True) == "Lyt til afsnittet"
        heading = button.find_previous_sibling()
        assert heading is not None and heading.get("id") == section.id


async def test_the_player_script_is_deferred_and_the_stylesheets_come_first(
    client: httpx.AsyncClient,
) -> None:
    soup = BeautifulSoup((await client.get(f"/pages/{REAL_SLUGS[0]}")).text, "html.parser")
    assert soup.head is not None
    script = soup.head.find("script")
    assert script is not None and script.has_attr("defer") and not script.has_attr("async")
    assert not soup.body or not soup.body.find("script")
