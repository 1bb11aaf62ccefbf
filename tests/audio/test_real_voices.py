"""The real engines together: gTTS (through the fake endpoint) with espeak-ng as its fallback."""

from __future__ import annotations

import pytest

from reader.config import Settings
from reader.services import build_services
from reader.speech.engines.breaker import CircuitBreaker
from reader.speech.engines.choice import EngineChoice
from reader.speech.engines.espeak import EspeakEngine
from reader.speech.engines.gtts import GttsEngine
from tests.audio.media import decode_errors
from tests.fakes.google import FakeGoogle, Reply, Status

SLUG = "politikker-og-raad"


def no_wait(_: float) -> None:
    return None


@pytest.mark.slow
def test_google_down_means_espeak_audio_marked_degraded_then_upgraded(settings: Settings) -> None:
    with FakeGoogle(default=Status(503)) as google:
        auto = settings.model_copy(update={"engine": "auto", "gtts_url": google.url})
        clock = [0.0]
        gtts = GttsEngine(auto, sleep=no_wait)
        breaker = CircuitBreaker(failure_threshold=3, reset_after=60, clock=lambda: clock[0])
        services = build_services(auto, EngineChoice((gtts, EspeakEngine(auto)), breaker))

        down = services.builder.build(SLUG)
        assert down.manifest.degraded
        assert set(down.engines) == {"espeak"}
        assert services.builder.status(SLUG).state == "degraded"
        # Once the breaker opened, no new sentence asked Google: only the calls already under
        # way when it opened (one per worker) went through their retries.
        attempts = auto.gtts_retries + 1
        assert google.requests <= services.builder.workers * attempts < down.sentences * attempts

        asked = google.requests
        assert services.builder.build(SLUG).manifest.degraded  # still down, breaker still open
        assert google.requests == asked

        google.default = Reply()
        clock[0] += 61
        up = services.builder.build(SLUG)
        assert not up.manifest.degraded
        assert set(up.engines) == {"gtts"}
        assert services.builder.status(SLUG).state == "fresh"
        assert decode_errors(services.tracks.path(up.manifest.page.hash)) == ""
        assert google.max_in_flight <= auto.gtts_concurrency
