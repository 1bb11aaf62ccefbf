"""A listener hears the offline voice within READER_PRIMARY_WAIT, whatever Google does."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from reader.audio.codec import Mp3FormatError, iter_frames
from reader.config import Settings
from reader.web.app import create_app
from tests.fakes.google import Behaviour, FakeGoogle, Hang, Status
from tests.web.live import http_request, serve_in_thread

SLUG = "forebyggelsesstrategi"
# The client gives up long before Google's hang or Retry-After is over: audio that only comes
# after them never arrives.
CLIENT_TIMEOUT = 20

GOOGLE_TROUBLE = [
    pytest.param(Hang(seconds=120), id="hangs"),
    pytest.param(Status(429, retry_after="30"), id="429-retry-after-30"),
    pytest.param(Status(429, retry_after="3600"), id="429-retry-after-3600"),
]


@pytest.fixture
def server(
    request: pytest.FixtureRequest, content_dir: Path, tmp_path: Path
) -> Iterator[tuple[str, int]]:
    trouble: Behaviour = request.param
    with FakeGoogle(default=trouble) as google:
        settings = Settings(
            content_dir=content_dir,
            data_dir=tmp_path / "var",
            gtts_url=google.url,
            gtts_timeout=60,
            primary_wait=0.5,
            synthesis_wait=10,
        )
        with serve_in_thread(create_app(settings)) as base:
            host, port = base.removeprefix("http://").split(":")
            yield host, int(port)


def page_audio(server: tuple[str, int]) -> dict[str, object]:
    status, _, body = http_request(server, "GET", f"/api/pages/{SLUG}")
    assert status == 200
    audio: dict[str, object] = json.loads(body)["audio"]
    return audio


@pytest.mark.parametrize("server", GOOGLE_TROUBLE, indirect=True)
def test_a_cold_page_is_spoken_by_espeak_instead_of_503(server: tuple[str, int]) -> None:
    status, headers, _ = http_request(server, "GET", f"/api/pages/{SLUG}/audio")
    assert status == 307, status
    status, headers, body = http_request(server, "GET", headers["location"])
    assert status == 200 and headers["content-type"] == "audio/mpeg" and len(body) > 10_000
    audio = page_audio(server)
    assert audio["state"] == "degraded"  # espeak-ng spoke it; made again with gTTS later


@pytest.mark.parametrize("server", GOOGLE_TROUBLE, indirect=True)
def test_a_streamed_section_sends_audio_frames_before_google_answers(
    server: tuple[str, int],
) -> None:
    connection = http.client.HTTPConnection(*server, timeout=CLIENT_TIMEOUT)
    try:
        connection.request("GET", f"/api/pages/{SLUG}/sections/{SLUG}/audio")
        response = connection.getresponse()
        assert response.status == 200
        head = b""
        for _ in range(20):  # the tag, then the first sentence's frames
            head += response.read1(65536)
            if len(head) > 2000:
                break
    finally:
        connection.close()
    assert head.startswith(b"ID3")
    assert audio_frames(head) > 0  # sound, not only the tag


def audio_frames(head: bytes) -> int:
    """Whole audio frames at the start of a stream (its last frame may be cut off)."""
    count = 0
    try:
        for frame in iter_frames(head):
            count += not frame.info_tag
    except Mp3FormatError:
        pass
    return count
