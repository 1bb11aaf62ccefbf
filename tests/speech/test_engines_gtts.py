"""The gTTS engine against a fake of Google's endpoint on 127.0.0.1 (Google is unreachable)."""

from __future__ import annotations

import email.utils
import json
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import gtts.tts
import pytest
import requests

from reader.config import Settings
from reader.errors import EngineError
from reader.speech.engines import Engine
from reader.speech.engines.gtts import BACKOFF_CAP, GttsEngine, decode_answer
from tests.fakes.google import (
    FakeGoogle,
    Garbage,
    Hang,
    Reply,
    Reset,
    Status,
    answer_body,
    espeak_mp3,
)

LONG = (
    "Byrådet vedtog den 5. august 2015 en ny politik for borgerinddragelse i hele kommunen, "
    "og den gælder for alle afdelinger, institutioner og selvejende foreninger med driftsaftale."
)


@pytest.fixture
def google() -> Iterator[FakeGoogle]:
    with FakeGoogle() as fake:
        yield fake


class Sleeps(list[float]):
    """Records the backoff delays instead of waiting them out."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def make_engine(
    google: FakeGoogle, sleeps: Sleeps, session: requests.Session | None = None, **settings: Any
) -> GttsEngine:
    values: dict[str, Any] = {"gtts_url": google.url, "gtts_timeout": 5.0, "gtts_retries": 2}
    values.update(settings)
    return GttsEngine(Settings(**values), session=session, sleep=sleeps)


def test_a_danish_sentence_becomes_mp3_that_ffprobe_reads(
    google: FakeGoogle, sleeps: Sleeps, tmp_path: Path
) -> None:
    audio = make_engine(google, sleeps).synthesize("Velkommen til Høje-Taastrup Kommune.")
    assert audio.format == "mp3"
    clip = tmp_path / "clip.mp3"
    clip.write_bytes(audio.data)
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(clip)],
        capture_output=True,
        check=True,
    )
    info = json.loads(probe.stdout)
    assert info["streams"][0]["codec_name"] == "mp3"
    assert 1.0 < float(info["format"]["duration"]) < 10.0
    assert google.langs == ["da"]


def test_the_engine_implements_the_engine_protocol(google: FakeGoogle, sleeps: Sleeps) -> None:
    engine = make_engine(google, sleeps)
    assert isinstance(engine, Engine)
    assert engine.name == "gtts"
    assert engine.identity == {"engine": "gtts", "voice": "da", "tld": "127.0.0.1", "slow": "0"}


def test_the_identity_names_googles_domain_which_picks_the_accent() -> None:
    settings = Settings(gtts_url="https://translate.google.dk/_/TranslateWebserverUi/data/x")
    assert GttsEngine(settings).identity["tld"] == "dk"


def test_a_short_sentence_is_one_request_and_keeps_its_commas(
    google: FakeGoogle, sleeps: Sleeps
) -> None:
    sentence = "Hvis du har spørgsmål, så ring til os, eller skriv til borgerservice."
    engine = make_engine(google, sleeps)
    engine.synthesize(sentence)
    assert google.texts == [sentence]
    assert engine.requests_sent == 1


def test_the_full_stop_after_a_danish_word_like_mest_survives(
    google: FakeGoogle, sleeps: Sleeps
) -> None:
    make_engine(google, sleeps).synthesize("Læs mest. Det er godt.")
    assert google.texts == ["Læs mest. Det er godt."]


def test_a_long_sentence_is_two_requests_split_at_a_comma_not_inside_the_date(
    google: FakeGoogle, sleeps: Sleeps
) -> None:
    assert 170 < len(LONG) <= 200
    audio = make_engine(google, sleeps).synthesize(LONG)
    assert len(google.texts) == 2
    first, second = google.texts
    assert first.endswith("kommunen,") and "5. august 2015" in first
    assert f"{first} {second}" == LONG
    assert audio.data == espeak_mp3(first) + espeak_mp3(second)


def test_429_is_retried_after_the_retry_after_it_asks_for(
    google: FakeGoogle, sleeps: Sleeps
) -> None:
    google.script(Status(429, retry_after="2"), Reply())
    engine = make_engine(google, sleeps)
    engine.synthesize("Hej.")
    assert google.requests == 2 and engine.retries == 1
    assert sleeps[0] >= 2.0


def test_a_retry_after_given_as_an_http_date_is_honoured(
    google: FakeGoogle, sleeps: Sleeps
) -> None:
    google.script(Status(503, retry_after=email.utils.formatdate(time.time() + 5, usegmt=True)))
    make_engine(google, sleeps).synthesize("Hej.")
    assert 3.0 < sleeps[0] <= 5.0


def test_a_retry_after_longer_than_worth_waiting_fails_at_once(
    google: FakeGoogle, sleeps: Sleeps
) -> None:
    google.script(Status(429, retry_after="3600"))
    with pytest.raises(EngineError):
        make_engine(google, sleeps).synthesize("Hej.")
    assert google.requests == 1 and sleeps == []


def test_server_errors_twice_then_success(google: FakeGoogle, sleeps: Sleeps) -> None:
    google.script(Status(500), Status(503), Reply())
    engine = make_engine(google, sleeps)
    assert engine.synthesize("Hej.").data == espeak_mp3("Hej.")
    assert google.requests == 3 and engine.retries == 2 and engine.failures == 0
    # Exponential backoff with jitter: the second wait is drawn from twice the first's range.
    assert 0.25 <= sleeps[0] <= 0.5 and 0.5 <= sleeps[1] <= 1.0


def test_backoff_is_capped(google: FakeGoogle, sleeps: Sleeps) -> None:
    google.script(*[Status(503)] * 8)
    engine = make_engine(google, sleeps, gtts_retries=8)
    engine.synthesize("Hej.")
    assert max(sleeps) <= BACKOFF_CAP and len(sleeps) == 8


def test_server_errors_until_retries_run_out_fail(google: FakeGoogle, sleeps: Sleeps) -> None:
    google.default = Status(500)
    engine = make_engine(google, sleeps)
    with pytest.raises(EngineError, match="HTTP 500"):
        engine.synthesize("Hej.")
    assert google.requests == 3 and engine.failures == 1


def test_a_timeout_is_retried(google: FakeGoogle, sleeps: Sleeps) -> None:
    google.script(Hang(), Reply())
    engine = make_engine(google, sleeps, gtts_timeout=0.2)
    assert engine.synthesize("Hej.").data == espeak_mp3("Hej.")
    assert google.requests == 2


def test_timeouts_until_retries_run_out_raise_engine_error(
    google: FakeGoogle, sleeps: Sleeps
) -> None:
    google.default = Hang()
    engine = make_engine(google, sleeps, gtts_timeout=0.2, gtts_retries=1)
    with pytest.raises(EngineError, match="Timeout"):
        engine.synthesize("Hej.")
    assert google.requests == 2 and engine.failures == 1


def test_a_reset_connection_is_retried(google: FakeGoogle, sleeps: Sleeps) -> None:
    google.script(Reset(), Reply())
    engine = make_engine(google, sleeps)
    assert engine.synthesize("Hej.").data == espeak_mp3("Hej.")
    assert google.requests == 2 and engine.retries == 1


def test_a_refused_connection_is_retried_then_fails(sleeps: Sleeps) -> None:
    with FakeGoogle() as google:
        url = google.url
    engine = GttsEngine(Settings(gtts_url=url, gtts_retries=1), sleep=sleeps)
    with pytest.raises(EngineError, match="ConnectionError"):
        engine.synthesize("Hej.")
    assert engine.requests_sent == 2


def test_garbage_is_an_engine_error_at_once(google: FakeGoogle, sleeps: Sleeps) -> None:
    google.script(Garbage())
    engine = make_engine(google, sleeps)
    with pytest.raises(EngineError):
        engine.synthesize("Hej.")
    assert google.requests == 1 and engine.failures == 1


@pytest.mark.parametrize("status", [400, 403, 404])
def test_other_client_errors_fail_at_once(google: FakeGoogle, sleeps: Sleeps, status: int) -> None:
    google.script(Status(status))
    with pytest.raises(EngineError, match=str(status)):
        make_engine(google, sleeps).synthesize("Hej.")
    assert google.requests == 1 and sleeps == []


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b")]}'\n\n<html>Sorry</html>",
        b'[["wrb.fr","jQ1olc",null,null,null,[3],"generic"]]',
        b'[["wrb.fr","jQ1olc","[\\"not base64!\\"]",null,null,null,"generic"]]',
        b'[["wrb.fr","jQ1olc","[\\"aGVsbG8=\\"]",null,null,null,"generic"]]',  # not MP3
    ],
    ids=["empty", "html", "no-audio", "bad-base64", "not-mp3"],
)
def test_answers_without_usable_audio_are_engine_errors(body: bytes) -> None:
    with pytest.raises(EngineError):
        decode_answer(body)


def test_the_answer_is_decoded_as_gtts_decodes_it() -> None:
    assert decode_answer(answer_body(b"\xff\xf3audio")) == b"\xff\xf3audio"


def test_the_fake_answers_as_google_does_for_the_real_gtts_client(
    google: FakeGoogle, monkeypatch: pytest.MonkeyPatch
) -> None:
    # gTTS sends only to translate.google.<tld>; this points its own client at the fake to show
    # that the fake's answers are what gTTS itself decodes.
    monkeypatch.setattr(gtts.tts, "_translate_url", lambda tld="com", path="": google.url)
    client = gtts.tts.gTTS("Hej med dig.", lang="da", lang_check=False)
    assert b"".join(client.stream()) == espeak_mp3("Hej med dig.")


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_nothing_to_say_is_an_engine_error_without_a_request(
    google: FakeGoogle, sleeps: Sleeps, text: str
) -> None:
    with pytest.raises(EngineError):
        make_engine(google, sleeps).synthesize(text)
    assert google.requests == 0


def test_concurrent_calls_never_exceed_the_concurrency_setting(sleeps: Sleeps) -> None:
    tiny = espeak_mp3("Hej.")
    with FakeGoogle(speech=lambda text: tiny, default=Reply(latency=0.1)) as google:
        engine = make_engine(google, sleeps, gtts_concurrency=3)
        start = threading.Barrier(20)
        results: list[bytes] = []

        def speak(number: int) -> None:
            start.wait()
            results.append(engine.synthesize(f"Sætning nummer {number}.").data)

        threads = [threading.Thread(target=speak, args=(n,)) for n in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert results == [tiny] * 20
    assert 1 < engine.in_flight_max <= 3
    assert 1 < google.max_in_flight <= 3
    assert engine.requests_sent == 20 and engine.in_flight == 0


class RecordingSession(requests.Session):
    """A session configured to skip TLS verification, which records how it is asked to send."""

    def __init__(self) -> None:
        super().__init__()
        self.verify = False
        self.sent: list[Mapping[str, Any]] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.sent.append(kwargs)
        return super().send(request, **kwargs)


def test_tls_verification_is_on_even_when_the_session_turns_it_off(
    google: FakeGoogle, sleeps: Sleeps
) -> None:
    session = RecordingSession()
    make_engine(google, sleeps, session=session).synthesize("Hej.")
    (kwargs,) = session.sent
    # True, or the CA bundle named by REQUESTS_CA_BUNDLE: verification either way.
    assert kwargs["verify"] is True or isinstance(kwargs["verify"], str)
    assert kwargs["timeout"] == 5.0
    assert kwargs["allow_redirects"] is False
