"""The espeak-ng engine, run for real: through its library's worker and through its command."""

from __future__ import annotations

import io
import os
import signal
import struct
import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from reader.config import Settings
from reader.errors import BuildStopped, EngineError
from reader.speech.engines import Engine
from reader.speech.engines.espeak import (
    EspeakEngine,
    event_spans,
    fix_wav_sizes,
    split_at_breaks,
)

pytestmark = pytest.mark.slow


@pytest.fixture(params=["library", "command"])
def engine(request: pytest.FixtureRequest) -> Iterator[EspeakEngine]:
    engine = EspeakEngine(Settings(), worker=request.param == "library")
    assert engine.times_words == (request.param == "library")
    yield engine
    engine.close()


def duration(data: bytes) -> float:
    with wave.open(io.BytesIO(data), "rb") as clip:
        assert clip.getnchannels() == 1 and clip.getsampwidth() == 2
        return clip.getnframes() / clip.getframerate()


def test_a_sentence_becomes_a_valid_wav_with_true_header_sizes(engine: EspeakEngine) -> None:
    audio = engine.synthesize("Høje-Taastrup Kommune har en ny politik for borgerinddragelse.")
    assert audio.format == "wav"
    data = audio.data
    assert struct.unpack_from("<I", data, 4)[0] == len(data) - 8
    assert data[36:40] == b"data" and struct.unpack_from("<I", data, 40)[0] == len(data) - 44
    assert 2.0 < duration(data) < 10.0


def test_a_slower_speed_gives_longer_audio() -> None:
    text = "Det er vigtigt at borgerne bliver hørt, før byrådet træffer en beslutning."
    slow = EspeakEngine(Settings(espeak_speed=100)).synthesize(text)
    fast = EspeakEngine(Settings(espeak_speed=300)).synthesize(text)
    assert duration(slow.data) > 2 * duration(fast.data)


@pytest.mark.parametrize("text", ["--help", "-v en --version", "-f /etc/passwd", "--stdout -w x"])
def test_text_that_looks_like_options_is_spoken_not_obeyed(
    engine: EspeakEngine, text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert 0.3 < duration(engine.synthesize(text).data) < 10.0
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_nothing_to_say_is_an_engine_error(engine: EspeakEngine, text: str) -> None:
    with pytest.raises(EngineError):
        engine.synthesize(text)


def test_identity_names_the_voice_speed_and_version() -> None:
    engine = EspeakEngine(Settings(espeak_speed=180))
    assert isinstance(engine, Engine) and engine.name == "espeak"
    identity = engine.identity
    assert identity["engine"] == "espeak" and identity["voice"] == "da"
    assert identity["speed"] == "180"
    assert identity["version"].startswith("eSpeak NG") and "Data at" not in identity["version"]
    assert EspeakEngine.available()


def _fake_binary(directory: Path, script: str) -> None:
    binary = directory / "espeak-ng"
    binary.write_text(f"#!/bin/sh\n{script}\n")
    binary.chmod(0o755)


def test_a_failing_binary_is_an_engine_error_with_its_first_stderr_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_binary(tmp_path, "echo 'Error: voice data missing' >&2\necho second >&2\nexit 3")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EngineError, match=r"\(3\): Error: voice data missing$"):
        EspeakEngine(Settings(), worker=False).synthesize("Hej.")


def test_output_that_is_not_wav_is_an_engine_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_binary(tmp_path, "echo 'usage: espeak-ng [options]'")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EngineError):
        EspeakEngine(Settings(), worker=False).synthesize("Hej.")


def test_a_hanging_binary_times_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_binary(tmp_path, "exec sleep 30")
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    with pytest.raises(EngineError, match="0.2 s"):
        EspeakEngine(Settings(espeak_timeout=0.2), worker=False).synthesize("Hej.")


def test_a_missing_binary_is_unavailable_and_an_engine_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    engine = EspeakEngine(Settings(), worker=False)
    assert not engine.available()
    assert engine.identity["version"] == "unknown"
    with pytest.raises(EngineError):
        engine.synthesize("Hej.")


def _wav_with_placeholder_sizes(frames: bytes, extra_chunk: bytes = b"") -> bytes:
    fmt = struct.pack("<HHIIHH", 1, 1, 22050, 44100, 2, 16)
    return (
        b"RIFF\xff\xff\xff\x7fWAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + extra_chunk
        + b"data\xff\xff\xff\x7f"
        + frames
    )


@pytest.mark.parametrize(
    "extra_chunk", [b"", b"LIST" + struct.pack("<I", 3) + b"abc\x00"], ids=["plain", "odd-chunk"]
)
def test_fixed_sizes_make_a_wav_that_python_reads(extra_chunk: bytes) -> None:
    frames = b"\x01\x00" * 2205
    fixed = fix_wav_sizes(_wav_with_placeholder_sizes(frames, extra_chunk))
    assert struct.unpack_from("<I", fixed, 4)[0] == len(fixed) - 8
    with wave.open(io.BytesIO(fixed), "rb") as clip:
        assert clip.getnframes() == 2205
        assert clip.readframes(2205) == frames


def test_half_a_sample_at_the_end_is_dropped() -> None:
    fixed = fix_wav_sizes(_wav_with_placeholder_sizes(b"\x01\x00" * 10 + b"\x01"))
    with wave.open(io.BytesIO(fixed), "rb") as clip:
        assert clip.getnframes() == 10


@pytest.mark.parametrize(
    "data",
    [b"", b"usage: espeak-ng", b"RIFF\x00\x00\x00\x00WAVE", _wav_with_placeholder_sizes(b"")],
    ids=["empty", "text", "no-chunks", "no-samples"],
)
def test_broken_wav_is_rejected(data: bytes) -> None:
    with pytest.raises(ValueError):
        fix_wav_sizes(data)


def test_many_sentences_from_one_process_come_back_one_clip_each(
    engine: EspeakEngine,
) -> None:
    texts = ["Første sætning.", "Anden, og lidt længere, sætning her.", "Tre & fire <fem>."]
    batch = engine.synthesize_many(texts)
    assert len(batch) == len(texts)
    for text, raw in zip(texts, batch, strict=True):
        single = duration(engine.synthesize(text).data)
        assert duration(raw.data) == pytest.approx(single, rel=0.5, abs=0.8)
        assert duration(raw.data) > 0.3


def test_audio_that_does_not_split_into_as_many_pieces_is_refused() -> None:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(22050)
        writer.writeframes(b"\x10\x27" * 22050)  # one second of sound, no break
    assert split_at_breaks(buffer.getvalue(), 2) is None
    assert split_at_breaks(buffer.getvalue(), 1) is not None


def _espeak_children() -> list[int]:
    """The espeak-ng processes (commands or library workers) this test process has started and
    not reaped."""
    found = []
    for task in Path("/proc/self/task").iterdir():
        for pid in (task / "children").read_text().split():
            try:
                name = Path(f"/proc/{pid}/comm").read_text().strip()
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
            except FileNotFoundError:
                continue
            if name.startswith("espeak") or b"_espeak_worker" in command:
                found.append(int(pid))
    return found


def test_halt_ends_the_running_espeak_ng_at_once_and_every_later_call(
    engine: EspeakEngine,
) -> None:
    # Enough text for espeak-ng to speak for many seconds: the halt comes while it runs.
    texts = [f"Afsnit {n} handler om borgernes trivsel og om byrådets mål. " * 40 for n in range(8)]
    outcome: list[BaseException | object] = []

    def speak() -> None:
        try:
            outcome.append(engine.synthesize_many(texts))
        except BaseException as error:
            outcome.append(error)

    worker = threading.Thread(target=speak)
    worker.start()
    for _ in range(2000):  # bounded: the child shows up within a few ms
        if _espeak_children() or outcome:
            break
        time.sleep(0.005)
    assert _espeak_children() and not outcome, "espeak-ng was not seen running"
    engine.halt()
    worker.join()
    assert len(outcome) == 1 and isinstance(outcome[0], BuildStopped)
    assert _espeak_children() == []
    with pytest.raises(BuildStopped):
        engine.synthesize("Endnu en sætning.")


def test_the_library_worker_says_where_each_word_starts_and_ends() -> None:
    engine = EspeakEngine(Settings())
    try:
        text = "Børne- og ungepolitikken gælder fra 2015, og alle skal være med."
        raw = engine.synthesize(text)
    finally:
        engine.close()
    assert raw.words is not None and len(raw.words) == len(text.split())
    starts = [start for start, _ in raw.words]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    assert all(start <= end for start, end in raw.words)
    assert raw.words[-1][1] <= duration(raw.data) + 1e-6
    # "2015," is four spoken words and the longest here; the comma after it is a pause.
    lengths = [end - start for start, end in raw.words]
    assert lengths.index(max(lengths)) == 5


def test_the_command_says_nothing_about_words() -> None:
    assert EspeakEngine(Settings(), worker=False).synthesize("Hej med dig.").words is None


def test_a_worker_that_dies_is_an_engine_error_and_the_next_call_starts_another() -> None:
    engine = EspeakEngine(Settings())
    try:
        engine.synthesize("Første.")
        (pid,) = _espeak_children()
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(EngineError, match="holdt op med at svare"):
            engine.synthesize("Anden.")
        assert engine.synthesize("Tredje.").words is not None
        assert len(_espeak_children()) == 1
    finally:
        engine.close()
    assert _espeak_children() == []


def test_word_events_are_matched_to_the_words_they_start() -> None:
    text = "Hej – med dig."
    # espeak-ng's word events (kind 1, character from 1) and the clause end (kind 5).
    events = [[1, 1, 0], [1, 7, 5000], [1, 11, 9000], [1, 11, 9100], [5, 14, 15000]]
    assert event_spans(text, events, 16000, 10000) == ((0.0, 0.5), (0.5, 0.9), (0.9, 1.5))
    assert event_spans(text, events[:2], 16000, 10000) is None  # "dig" never started
    assert event_spans(text, [[1, 1, 99999]], 16000, 10000) is None  # past the audio
