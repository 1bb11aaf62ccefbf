"""Characters XML and terminals cannot carry, in a page, reach no answer made from it."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import httpx
import mutagen.id3
import pytest

from reader.config import Settings
from reader.services import build_services
from reader.speech.engines.choice import EngineChoice
from reader.web.app import create_app
from tests.fakes.engines import ToneEngine
from tests.web.conftest import client_for

pytestmark = pytest.mark.anyio

UNCARRIABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
PAGE = (
    '<html lang="da"><head><meta charset="utf-8"><title>Kon&#1;trol</title></head><body>'
    "<main><h1>Kon&#1;trol\x08</h1><p>Et tegn&#xFFFF; her\x1b[2J. Og &#127;mere\x9f.</p>"
    '<h2 id="a&#2;b">Afsnit&#x7;</h2><p>Slut&#11; her.</p></main></body></html>'
)


async def test_json_webvtt_and_id3_tags_carry_no_control_characters(settings: Settings) -> None:
    (settings.content_dir / "pages" / "kontrol.html").write_text(PAGE, encoding="utf-8")
    engines = EngineChoice((ToneEngine(ms_per_char=5),), None)
    services = build_services(settings, engines)
    try:
        track = services.builder.build("kontrol").manifest.page
    finally:
        services.close()
    async with client_for(create_app(settings, engines=engines)) as client:
        answers: list[httpx.Response] = [
            await client.get("/api/pages/kontrol"),
            await client.get("/api/pages/kontrol/timings.vtt"),
            await client.get("/pages/kontrol"),
        ]
        page = answers[0].json()
        for section in page["sections"]:
            answers.append(
                await client.get(f"/api/pages/kontrol/sections/{section['id']}/timings.vtt")
            )
        audio = await client.get(f"/audio/{track.hash}.mp3")
    assert all(answer.status_code == 200 for answer in answers), answers
    for answer in answers:
        assert not UNCARRIABLE.search(answer.text), (answer.url, answer.text)
    assert page["title"] == "Kontrol"
    with tempfile.TemporaryDirectory() as scratch:
        mp3 = Path(scratch) / "track.mp3"
        mp3.write_bytes(audio.content)
        tag = mutagen.id3.ID3(mp3)
    texts = [str(text) for frame in tag.values() for text in getattr(frame, "text", [])]
    assert "Kontrol" in texts
    assert not any(UNCARRIABLE.search(text) for text in texts), texts
