"""Audio that decodes but is not the sentence asked for is an engine failure, never a clip."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reader.audio.clips import ClipCache
from reader.config import Settings
from reader.speech.engines.breaker import CircuitBreaker
from reader.speech.engines.espeak import EspeakEngine
from reader.speech.engines.gtts import GttsEngine
from reader.web.metrics import Metrics
from tests.fakes.google import Behaviour, FakeGoogle, Reply, Silent, Truncated

SENTENCE = "Byrådet vedtog en ny politik for borgerinddragelse, og den gælder for alle afdelinger."


@pytest.fixture
def google() -> Iterator[FakeGoogle]:
    with FakeGoogle() as fake:
        yield fake


def cache_for(google: FakeGoogle, tmp_path: Path) -> ClipCache:
    settings = Settings(gtts_url=google.url, gtts_retries=0, data_dir=tmp_path / "var")
    engines = (GttsEngine(settings), EspeakEngine(settings))
    return ClipCache(settings.data_dir, engines, CircuitBreaker(3, 60.0))


@pytest.mark.parametrize(
    ("answer", "reason"), [(Truncated(1 / 3), "too_short"), (Silent(), "silent")]
)
def test_a_bad_gtts_answer_is_asked_again_then_spoken_by_espeak_and_counted(
    google: FakeGoogle, tmp_path: Path, answer: Behaviour, reason: str
) -> None:
    google.default = answer
    cache = cache_for(google, tmp_path)
    clip = cache.get_or_make(SENTENCE)
    assert (clip.engine, clip.degraded) == ("espeak", True)
    assert google.requests == 2  # once, and once more
    assert cache.lookup(SENTENCE).engine == "espeak"  # type: ignore[union-attr]  # no gTTS clip
    snapshot = cache.stats.snapshot()
    assert snapshot.engine_rejections == {("gtts", reason): 2}
    assert snapshot.engine_failures["gtts"] == 2


def test_a_good_answer_on_the_second_asking_is_a_fresh_gtts_clip(
    google: FakeGoogle, tmp_path: Path
) -> None:
    google.script(Truncated(), Reply())
    cache = cache_for(google, tmp_path)
    clip = cache.get_or_make(SENTENCE)
    assert (clip.engine, clip.degraded) == ("gtts", False)
    assert cache.stats.snapshot().engine_rejections == {("gtts", "too_short"): 1}


def test_whole_answers_from_google_and_espeak_pass_the_checks(
    google: FakeGoogle, tmp_path: Path
) -> None:
    cache = cache_for(google, tmp_path)
    texts = ["Ja.", SENTENCE, "Ring til borgerservice på 43 35 10 00 mellem klokken ti og tolv."]
    assert {cache.get_or_make(text).engine for text in texts} == {"gtts"}
    espeak = ClipCache(tmp_path / "espeak", [EspeakEngine(Settings())])
    assert all(espeak.get_or_make(text).engine == "espeak" for text in texts)
    assert cache.stats.snapshot().engine_rejections == {}


def test_rejections_are_in_the_metrics_by_engine_and_reason(
    google: FakeGoogle, tmp_path: Path
) -> None:
    from reader.audio.queue import AudioQueue
    from reader.services import build_services

    google.default = Truncated()
    cache = cache_for(google, tmp_path)
    cache.get_or_make(SENTENCE)
    queue = AudioQueue(build_services(Settings(engine="espeak", data_dir=tmp_path)).builder)
    text = Metrics(cache.stats, queue).render().decode()
    assert 'reader_engine_rejected_total{engine="gtts",reason="too_short"} 2.0' in text


@pytest.mark.parametrize(
    "text",
    [
        "½ § ∑ ≈ µ",  # symbols espeak-ng reads by their names
        "ñ\x8c\U00109534``ûÑÇ]\U0010604av\U0001baed\U0002209d{SiF½:Ûø",  # and unknown characters
    ],
)
def test_espeak_reading_symbols_by_their_names_is_not_too_long(tmp_path: Path, text: str) -> None:
    cache = ClipCache(tmp_path / "espeak", [EspeakEngine(Settings())])
    assert cache.get_or_make(text).engine == "espeak"
    assert cache.stats.snapshot().engine_rejections == {}
