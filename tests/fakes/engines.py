"""A speech engine for tests: a tone whose length follows the text, with knobs for trouble."""

from __future__ import annotations

import io
import subprocess
import threading
import time
import wave

import numpy as np
import numpy.typing as npt

from reader.errors import EngineError
from reader.speech.engines import AudioFormat, RawAudio, WordSpans
from reader.speech.words import word_tokens

RATE = 22050


class ToneEngine:
    """Implements the engine Protocol with a 220 Hz tone, ``ms_per_char`` per character.

    The tone is framed by ``margin_ms`` of silence (which the clip preparation trims) and gently
    modulated, so it has speech-like loudness to measure. Set ``fail`` to make calls raise
    ``EngineError``; give a ``gate`` to hold every call until the test sets it; ``delay`` sleeps
    in each call; ``words`` says where each word is, as Piper and espeak-ng do.
    ``audio_format="mp3"`` returns MP3 at 24 kHz like gTTS (made with ffmpeg).
    """

    def __init__(
        self,
        name: str = "fake",
        *,
        ms_per_char: float = 60.0,
        amplitude: float = 0.3,
        frequency: float = 220.0,
        margin_ms: float = 120.0,
        audio_format: AudioFormat = "wav",
        gate: threading.Event | None = None,
        delay: float = 0.0,
        words: bool = False,
    ) -> None:
        self._name = name
        self.words = words
        self.ms_per_char = ms_per_char
        self.amplitude = amplitude
        self.frequency = frequency
        self.margin_ms = margin_ms
        self.audio_format: AudioFormat = audio_format
        self.gate = gate
        self.delay = delay
        self.fail = False
        self._lock = threading.Lock()
        self._texts: list[str] = []

    @property
    def name(self) -> str:
        return self._name

    @property
    def identity(self) -> dict[str, str]:
        return {
            "engine": self._name,
            "voice": "tone",
            "amplitude": str(self.amplitude),
            "frequency": str(self.frequency),
            "ms_per_char": str(self.ms_per_char),
            "format": self.audio_format,
            "words": str(self.words),
        }

    @property
    def calls(self) -> int:
        with self._lock:
            return len(self._texts)

    @property
    def texts(self) -> list[str]:
        with self._lock:
            return list(self._texts)

    def tone(self, text: str) -> npt.NDArray[np.int16]:
        """The samples (int16, 22050 Hz) that ``synthesize`` encodes for ``text``."""
        count = int(len(text) * self.ms_per_char * RATE / 1000)
        t = np.arange(count) / RATE
        envelope = 0.75 + 0.25 * np.sin(2 * np.pi * 3 * t)
        tone = self.amplitude * envelope * np.sin(2 * np.pi * self.frequency * t)
        margin = np.zeros(int(self.margin_ms * RATE / 1000))
        signal = np.concatenate([margin, tone, margin])
        return np.round(signal * 32767).astype(np.int16)

    def synthesize(self, text: str) -> RawAudio:
        with self._lock:
            self._texts.append(text)
        if self.gate is not None:
            self.gate.wait()
        if self.delay:
            time.sleep(self.delay)
        if self.fail:
            raise EngineError(f"{self._name} is failing on purpose")
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(RATE)
            wav.writeframes(self.tone(text).tobytes())
        if self.audio_format == "wav":
            return RawAudio(buffer.getvalue(), "wav", self.word_spans(text))
        return RawAudio(to_gtts_like_mp3(buffer.getvalue()), "mp3", self.word_spans(text))

    def word_spans(self, text: str) -> WordSpans | None:
        """With ``words``: each word's characters' share of the tone, as an engine that
        times its words would say it."""
        if not self.words:
            return None
        at = self.margin_ms / 1000
        per = self.ms_per_char / 1000
        return tuple((at + t.start * per, at + t.end * per) for t in word_tokens(text))


def to_gtts_like_mp3(wav_data: bytes) -> bytes:
    """WAV → MP3 at 24 kHz, 32 kbit/s mono, the shape of gTTS's answers."""
    done = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "wav", "-i", "pipe:0"]
        + ["-ar", "24000", "-ac", "1", "-b:a", "32k", "-f", "mp3", "pipe:1"],
        input=wav_data,
        capture_output=True,
        timeout=60,
        check=True,
    )
    return done.stdout


class HeldEngine(ToneEngine):
    """A tone engine that speaks the texts in ``free`` at once and holds every other text
    until ``released`` is set (or fails after a minute), to catch work in the middle."""

    def __init__(self) -> None:
        super().__init__(ms_per_char=5)
        self.free: set[str] = set()
        self.released = threading.Event()

    def synthesize(self, text: str) -> RawAudio:
        if text not in self.free and not self.released.wait(timeout=60):
            raise EngineError("held too long")
        return super().synthesize(text)
