"""Audio through the API: cold pages made section by section, single-flight, bounded, speech."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from reader.config import Settings
from reader.services import build_services
from reader.speech.engines.choice import EngineChoice
from tests.fakes.engines import HeldEngine, ToneEngine
from tests.web.conftest import client_for

pytestmark = pytest.mark.anyio

SLUG = "forebyggelsesstrategi"
AUDIO_URL = re.compile(r"^/audio/[0-9a-f]{32}\.mp3$")
# Asking for a bounded range (as Safari does first) waits for the stored track and is
# redirected to it; without one, a section not made yet is streamed (test_audio_stream.py).
PROBE = {"Range": "bytes=0-1"}


@pytest.fixture
def engine() -> HeldEngine:
    return HeldEngine()


@pytest.fixture
def app(settings: Settings, engine: HeldEngine) -> FastAPI:
    from reader.web.app import create_app

    return create_app(settings, engines=EngineChoice((engine,), None))


@pytest.fixture
async def client(app: FastAPI, engine: HeldEngine) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as client:
        try:
            yield client
        finally:
            engine.released.set()  # let held workers finish before the app stops


def spoken_by_section(settings: Settings) -> dict[str, list[str]]:
    services = build_services(settings, EngineChoice((ToneEngine(),), None))
    _, lines = services.builder.script(SLUG)
    by_section: dict[str, list[str]] = {}
    for line in lines:
        by_section.setdefault(line.section_id, []).append(line.spoken)
    return by_section


async def test_a_cold_page_says_nothing_is_ready(client: httpx.AsyncClient) -> None:
    audio = (await client.get(f"/api/pages/{SLUG}")).json()["audio"]
    assert audio["state"] == "missing"
    assert audio["page"]["ready"] is False and audio["page"]["audio_url"] is None
    assert [s["ready"] for s in audio["sections"]] == [False] * len(audio["sections"])
    assert audio["page"]["url"].endswith(f"/api/pages/{SLUG}/audio")


async def test_a_section_request_waits_only_for_its_own_section(
    client: httpx.AsyncClient, engine: HeldEngine, settings: Settings
) -> None:
    sections = spoken_by_section(settings)
    first = next(iter(sections))
    engine.free = set(sections[first])  # every other section is held
    answer = await client.get(f"/api/pages/{SLUG}/sections/{first}/audio", headers=PROBE)
    assert answer.status_code == 307
    assert AUDIO_URL.match(answer.headers["location"])
    audio = (await client.get(f"/api/pages/{SLUG}")).json()["audio"]
    ready = {s["id"]: s["ready"] for s in audio["sections"]}
    assert ready[first] is True
    assert not any(ready[other] for other in sections if other != first)
    mp3 = await client.get(answer.headers["location"])
    assert mp3.status_code == 200 and mp3.content.startswith(b"ID3")


async def test_fifty_listeners_on_a_missing_section_cause_one_synthesis_per_clip(
    client: httpx.AsyncClient, engine: HeldEngine, settings: Settings
) -> None:
    sections = spoken_by_section(settings)
    second = list(sections)[1]

    async def listen() -> httpx.Response:
        return await client.get(f"/api/pages/{SLUG}/sections/{second}/audio", headers=PROBE)

    tasks = [asyncio.create_task(listen()) for _ in range(50)]
    await asyncio.sleep(0.2)
    # Meanwhile the service answers other requests: synthesis is off the event loop.
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/api/pages")).status_code == 200
    engine.released.set()
    answers = await asyncio.gather(*tasks)
    assert {a.status_code for a in answers} == {307}
    assert len({a.headers["location"] for a in answers}) == 1
    calls = Counter(engine.texts)
    assert all(calls[text] == 1 for text in sections[second])


async def test_when_the_queue_is_full_requests_get_503_with_retry_after(
    settings: Settings, engine: HeldEngine
) -> None:
    from reader.web.app import create_app

    app = create_app(
        settings.model_copy(update={"queue_size": 1, "queue_workers": 1}),
        engines=EngineChoice((engine,), None),
    )
    sections = list(spoken_by_section(settings))
    try:
        async with client_for(app) as client:
            waiting = asyncio.create_task(
                client.get(f"/api/pages/{SLUG}/sections/{sections[0]}/audio", headers=PROBE)
            )
            await asyncio.sleep(0.2)
            refused = await client.get(
                f"/api/pages/{SLUG}/sections/{sections[1]}/audio", headers=PROBE
            )
            assert refused.status_code == 503
            assert int(refused.headers["retry-after"]) > 0
            assert refused.json()["error"]["status"] == 503
            engine.released.set()
            assert (await waiting).status_code == 307
    finally:
        engine.released.set()


async def test_a_listener_who_waits_too_long_gets_503_and_the_work_goes_on(
    settings: Settings, engine: HeldEngine
) -> None:
    from reader.web.app import create_app

    app = create_app(
        settings.model_copy(update={"synthesis_wait": 0.3}), engines=EngineChoice((engine,), None)
    )
    try:
        async with client_for(app) as client:
            late = await client.get(f"/api/pages/{SLUG}/audio")
            assert late.status_code == 503 and "retry-after" in late.headers
            engine.released.set()
            for _ in range(100):
                answer = await client.get(f"/api/pages/{SLUG}/audio")
                if answer.status_code == 307:
                    break
                await asyncio.sleep(0.1)
            assert answer.status_code == 307
    finally:
        engine.released.set()


async def test_a_built_page_redirects_to_its_tracks_and_serves_timings(
    client: httpx.AsyncClient, engine: HeldEngine, app: FastAPI
) -> None:
    engine.released.set()
    page = await client.get(f"/api/pages/{SLUG}/audio")
    assert page.status_code == 307 and page.headers["cache-control"] == "no-cache"
    document = (await client.get(f"/api/pages/{SLUG}")).json()
    audio = document["audio"]
    assert audio["state"] == "fresh" and audio["page"]["ready"]
    assert audio["page"]["audio_url"].endswith(page.headers["location"])
    sentence_ids = [s["id"] for section in document["sections"] for s in section["sentences"]]
    assert [cue["id"] for cue in audio["page"]["timings"]] == sentence_ids
    vtt = await client.get(f"/api/pages/{SLUG}/timings.vtt")
    assert vtt.headers["content-type"].startswith("text/vtt")
    assert re.findall(r"^(\S+)\n\d\d:\d\d", vtt.text, re.MULTILINE) == sentence_ids
    first = document["sections"][0]
    section_vtt = await client.get(f"/api/pages/{SLUG}/sections/{first['id']}/timings.vtt")
    assert re.findall(r"^(\S+)\n\d\d:\d\d", section_vtt.text, re.MULTILINE) == [
        s["id"] for s in first["sentences"]
    ]


@pytest.mark.parametrize(
    "path",
    [
        f"/api/pages/{SLUG}/sections/findes-ikke/audio",
        f"/api/pages/{SLUG}/sections/UPPER/audio",
        f"/api/pages/{SLUG}/sections/findes-ikke/timings.vtt",
        "/api/pages/findes-ikke/audio",
        "/api/pages/findes-ikke/timings.vtt",
    ],
)
async def test_unknown_pages_and_sections_are_404(client: httpx.AsyncClient, path: str) -> None:
    answer = await client.get(path)
    assert answer.status_code == 404
    assert answer.json()["error"]["status"] == 404


async def test_speak_reads_a_selection_and_caches_its_sentences(
    client: httpx.AsyncClient, engine: HeldEngine
) -> None:
    engine.released.set()
    text = "Kontakt os på tlf. 43 59 10 00."
    answer = await client.post("/api/speak", json={"text": text})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "audio/mpeg"
    assert answer.headers["cache-control"] == "no-store"
    calls = engine.calls
    assert (await client.post("/api/speak", json={"text": text})).status_code == 200
    assert engine.calls == calls


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"text": "x" * 1001}, 413),
        ({"text": ""}, 422),
        ({}, 422),
        ({"text": 5}, 422),
    ],
)
async def test_speak_refuses_bad_text(
    client: httpx.AsyncClient, body: dict[str, object], status: int
) -> None:
    answer = await client.post("/api/speak", json=body)
    assert answer.status_code == status
    if status == 413 and body["text"] != "   ":
        assert "1000" in answer.json()["error"]["message"]


@pytest.mark.parametrize("text", ["👍", "...", "—", "\u200b", "   ", "\u200b \u200b"])
async def test_speak_of_nothing_speakable_is_a_422_in_danish(
    client: httpx.AsyncClient, text: str
) -> None:
    answer = await client.post("/api/speak", json={"text": text})
    assert answer.status_code == 422
    assert "intet, der kan læses op" in answer.json()["error"]["message"]


async def test_speak_is_rate_limited_per_client(settings: Settings, engine: HeldEngine) -> None:
    from reader.web.app import create_app

    engine.released.set()
    app = create_app(
        settings.model_copy(update={"speak_per_minute": 3}), engines=EngineChoice((engine,), None)
    )
    async with client_for(app) as client:
        answers = [
            (await client.post("/api/speak", json={"text": f"Sætning {n}."})).status_code
            for n in range(4)
        ]
        assert answers == [200, 200, 200, 429]
        refused = await client.post("/api/speak", json={"text": "Igen."})
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
