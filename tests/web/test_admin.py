"""``/admin``: a Danish page that explains how to turn editing on, or a sign-in form whose
scripts and styles are static files allowed by the content security policy."""

from __future__ import annotations

import httpx
import pytest
from bs4 import BeautifulSoup, Tag

from reader.config import Settings
from reader.web.app import create_app
from reader.web.headers import CONTENT_SECURITY_POLICY
from tests.editor.apps import editor_settings
from tests.web.conftest import client_for

pytestmark = pytest.mark.anyio


async def admin_page(settings: Settings) -> tuple[httpx.Response, BeautifulSoup]:
    async with client_for(create_app(settings)) as client:
        response = await client.get("/admin")
        for tag in BeautifulSoup(response.text, "html.parser").select("[href], [src]"):
            url = str(tag.get("href") or tag.get("src"))
            if url.startswith("/static/"):
                assert (await client.get(url)).status_code == 200, url
    return response, BeautifulSoup(response.text, "html.parser")


async def test_without_a_token_the_page_says_how_to_turn_editing_on(settings: Settings) -> None:
    response, soup = await admin_page(settings)
    assert response.status_code == 200
    assert soup.html is not None and soup.html["lang"] == "da"
    text = soup.get_text(" ")
    assert "slået fra" in text and "READER_ADMIN_TOKEN" in text
    assert soup.find("form") is None and soup.find("script") is None


async def test_with_a_token_the_page_is_a_sign_in_form_and_the_editor_shell(
    settings: Settings,
) -> None:
    response, soup = await admin_page(editor_settings(settings))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    robots = soup.find("meta", attrs={"name": "robots"})
    assert isinstance(robots, Tag) and robots["content"] == "noindex"
    field = soup.find("input", id="token")
    assert isinstance(field, Tag) and field["type"] == "password"
    label = soup.find("label", attrs={"for": "token"})
    assert label is not None and label.get_text() == "Adgangsnøgle"
    scripts = soup.select("script")
    assert [str(s["src"]).split("?")[0] for s in scripts] == ["/static/admin.js"]
    assert all(not s.string for s in scripts)
    assert soup.select("[style]") == []
    assert soup.select("#editor[hidden]")
    tables = soup.select("table")
    assert len(tables) == 4  # pages, site pages, lexicon, audit
    for table in tables:
        assert table.select("caption")
        assert all(th.get("scope") == "col" for th in table.select("thead th"))
    assert soup.select("[role=status][aria-live=polite]")


async def test_the_token_is_never_in_the_page(settings: Settings) -> None:
    configured = editor_settings(settings)
    response, _ = await admin_page(configured)
    assert configured.admin_token is not None
    for secret in configured.admin_token.get_secret_value().split(","):
        assert secret.split(":")[1] not in response.text
