"""A cold section streams as it is made: the first sentence is heard before the rest exists."""

from __future__ import annotations

import asyncio
import http.client
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from reader.audio.codec import iter_frames
from reader.config import Settings
from reader.speech.engines.choice import EngineChoice
from reader.web.app import create_app
from tests.audio.media import decode, decode_errors
from tests.fakes.engines import HeldEngine, ToneEngine
from tests.web.live import serve_in_thread

SLUG = "forebyggelsesstrategi"
SECTION = "forebyggelsesstrategi"


@pytest.fixture
def engine() -> HeldEngine:
    return HeldEngine()


@pytest.fixture
def server(settings: Settings, engine: HeldEngine) -> Iterator[tuple[str, int]]:
    app = create_app(settings, engines=EngineChoice((engine,), None))
    try:
        with serve_in_thread(app) as base:
            host, port = base.removeprefix("http://").split(":")
            yield host, int(port)
    finally:
        engine.released.set()


def first_sentence(settings: Settings) -> str:
    from reader.services import build_services

    services = build_services(settings, EngineChoice((ToneEngine(),), None))
    _, lines = services.builder.script(SLUG)
    return next(line.spoken for line in lines if line.section_id == SECTION)


ROUTE = f"/api/pages/{SLUG}/sections/{SECTION}/audio"


def without_info_frame(track: bytes) -> bytes:
    """``track`` without its Info frame, if it has one."""
    for frame in iter_frames(track):
        if frame.info_tag:
            return track[: frame.offset] + track[frame.end :]
    return track


def test_sound_arrives_while_the_rest_of_the_section_is_still_being_made(
    server: tuple[str, int], engine: HeldEngine, settings: Settings, tmp_path: Path
) -> None:
    engine.free = {first_sentence(settings)}
    connection = http.client.HTTPConnection(*server, timeout=60)
    connection.request("GET", ROUTE)
    response = connection.getresponse()
    assert response.status == 200
    assert response.getheader("content-type") == "audio/mpeg"
    assert response.getheader("cache-control") == "no-store"
    head = b""
    for _ in range(20):  # the tag, then the first sentence's frames
        head += response.read1(65536)
        if len(head) > 1000:
            break
    # Audio is here although every sentence but the first is still held by the engine.
    assert head.startswith(b"ID3") and len(head) > 1000
    assert not engine.released.is_set()
    engine.released.set()
    streamed = head + response.read()
    connection.close()
    (tmp_path / "stream.mp3").write_bytes(streamed)
    assert decode_errors(tmp_path / "stream.mp3") == ""

    # What was streamed is, byte for byte, the section track that is now stored, but for the
    # stored track's Info frame (its frame count is not known while the stream starts).
    connection = http.client.HTTPConnection(*server, timeout=60)
    connection.request("GET", ROUTE)
    redirect = connection.getresponse()
    redirect.read()
    assert redirect.status == 307
    connection.request("GET", redirect.getheader("location") or "")
    stored = connection.getresponse().read()
    connection.close()
    assert without_info_frame(stored) == streamed
    assert stored != streamed
    (tmp_path / "stored.mp3").write_bytes(stored)
    assert decode(tmp_path / "stored.mp3").size == decode(tmp_path / "stream.mp3").size > 0


@pytest.mark.parametrize("range_header", ["bytes=0-1", "bytes=100-200"])
def test_a_bounded_range_waits_for_the_stored_track_instead(
    server: tuple[str, int], engine: HeldEngine, range_header: str
) -> None:
    engine.released.set()
    connection = http.client.HTTPConnection(*server, timeout=60)
    connection.request("GET", ROUTE, headers={"Range": range_header})
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 307  # Safari's probe gets a file that answers ranges


def test_many_cold_listeners_stream_one_synthesis_per_sentence(
    server: tuple[str, int], engine: HeldEngine
) -> None:
    engine.released.set()

    def listen() -> bytes:
        connection = http.client.HTTPConnection(*server, timeout=60)
        connection.request("GET", ROUTE)
        response = connection.getresponse()
        body = response.read()
        if response.status == 307:  # came after the section was made
            connection.request("GET", response.getheader("location") or "")
            body = connection.getresponse().read()
        connection.close()
        return body

    async def everyone() -> list[bytes]:
        return await asyncio.gather(*(asyncio.to_thread(listen) for _ in range(20)))

    bodies = asyncio.run(everyone())
    # Streamed or stored (for those who came late), everyone got the same audio.
    assert len({without_info_frame(body) for body in bodies}) == 1
    assert all(body.startswith(b"ID3") for body in bodies)
    assert all(count == 1 for count in Counter(engine.texts).values())
