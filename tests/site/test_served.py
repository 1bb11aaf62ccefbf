"""Through a real server on a loopback port: lookup, 307, the page, its audio."""

from __future__ import annotations

import httpx
import pytest

from reader.config import Settings
from reader.speech.engines.choice import EngineChoice
from reader.web.app import create_app
from tests.fakes.cms import FakeCMS
from tests.fakes.engines import ToneEngine
from tests.web.live import serve_in_thread

pytestmark = pytest.mark.slow


def test_a_browser_following_the_lookup_gets_the_page_and_its_audio(
    site_settings: Settings, cms: FakeCMS
) -> None:
    engine = ToneEngine(ms_per_char=5)
    app = create_app(site_settings, engines=EngineChoice((engine,), None))
    with serve_in_thread(app) as base, httpx.Client(base_url=base, timeout=60) as client:
        page = client.get(
            "/api/pages/lookup", params={"url": cms.url(cms.paths[7])}, follow_redirects=True
        )
        assert page.status_code == 200 and page.history[0].status_code == 307
        slug = page.json()["slug"]
        audio = client.get(f"/api/pages/{slug}/audio", follow_redirects=True)
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/mpeg"
    assert audio.content[:3] == b"ID3" or audio.content[:2] == b"\xff\xfb"
    assert engine.calls > 0
