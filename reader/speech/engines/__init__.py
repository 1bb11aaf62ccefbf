"""Speech engines: each turns one sentence's spoken text into audio.

Engines know nothing about pages, caching or the clip format: the audio layer converts what an
engine returns into the one clip format, once, when it caches it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from reader.speech.words import word_tokens

AudioFormat = Literal["mp3", "wav"]

WordSpans = tuple[tuple[float, float], ...]
"""(start, end) in seconds from the start of the engine's audio, one per word of the text."""


@dataclass(frozen=True)
class RawAudio:
    """Audio exactly as an engine produced it."""

    data: bytes
    format: AudioFormat
    words: WordSpans | None = None
    """Where each word of the spoken text (``reader.speech.words.word_tokens``) is heard;
    None when the engine cannot tell (gTTS)."""


def word_spans(value: object, text: str) -> WordSpans | None:
    """A worker's word spans, if they are usable for ``text``: one ordered, finite, non-negative
    (start, end) pair per word; None otherwise (the clip then has no word timings)."""
    if not isinstance(value, list) or len(value) != len(word_tokens(text)) or not value:
        return None
    spans: list[tuple[float, float]] = []
    previous = 0.0
    for pair in value:
        if not (isinstance(pair, list) and len(pair) == 2):
            return None
        start, end = pair
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in (start, end)):
            return None
        if not previous <= start <= end:
            return None
        spans.append((float(start), float(end)))
        previous = float(start)
    return tuple(spans)


@runtime_checkable
class Engine(Protocol):
    """One speech engine with one voice and fixed settings."""

    @property
    def name(self) -> str:
        """Short engine name: ``gtts`` or ``espeak``."""
        ...

    @property
    def identity(self) -> dict[str, str]:
        """Everything that changes the sound: engine, voice and settings (part of a clip's key)."""
        ...

    def synthesize(self, text: str) -> RawAudio:
        """Speak ``text`` (one sentence, already normalised); raise ``EngineError`` on failure."""
        ...


@runtime_checkable
class BatchEngine(Engine, Protocol):
    """An engine that speaks many sentences in one call more cheaply than one by one."""

    def synthesize_many(self, texts: Sequence[str]) -> list[RawAudio]:
        """One ``RawAudio`` per text, in order; ``EngineError`` on failure."""
        ...


@runtime_checkable
class PacedEngine(Engine, Protocol):
    """An engine that knows how fast it speaks, so that its answers can be checked."""

    @property
    def letters_per_second(self) -> float:
        """Letters and digits of the text heard per second of speech, typically."""
        ...

    @property
    def sample_rates(self) -> tuple[int, ...] | None:
        """The sample rates its MP3 answers come in (None: any)."""
        ...
