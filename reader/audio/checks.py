"""Is what an engine returned plausibly the sentence that was asked for?

An answer that decodes is not yet good audio: a truncated gTTS answer (a third of the speech)
decodes fine and would be cached as a fresh clip for ever. Engines that know how fast they speak
say so (``PacedEngine``); their clips must last about as long as their text takes to say.
The bounds are generous: real espeak-ng at any allowed speed and real speech pass them.
"""

from __future__ import annotations

from reader.audio.codec import EncodedAudio, Mp3FormatError, iter_frames
from reader.errors import EngineError
from reader.speech.engines import Engine, PacedEngine, RawAudio

FASTEST = 2.0
"""A clip may be heard this many times faster than the engine's usual pace, no faster."""
SLOWEST = 3.0
"""… and this many times slower."""
SHORT_SLACK_S = 0.2
LONG_SLACK_S = 2.0
"""Added to the longest plausible length: a very short text still takes a breath."""


class AudioRejected(EngineError):
    """An engine answered with audio that is not the sentence asked for; ``reason`` is a short
    label for metrics (``empty``, ``format``, ``undecodable``, ``silent``, ``too_short``,
    ``too_long``)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def letters(text: str) -> int:
    return sum(1 for char in text if char.isalnum())


def marks(text: str) -> int:
    """Every character but spaces: an engine may read a symbol or a character it does not know
    by its name (espeak-ng says "en halv" for ½, and names unassigned code points)."""
    return sum(1 for char in text if not char.isspace())


def check_raw(engine: Engine, raw: RawAudio) -> None:
    """Before decoding: not empty, and MP3 answers are whole frames of one expected rate."""
    if not raw.data:
        raise AudioRejected("empty", f"{engine.name} gav en tom lydfil")
    if raw.format != "mp3":
        return  # a WAV's header is read, and refused if wrong, by the decoder
    try:
        rates = {frame.sample_rate for frame in iter_frames(raw.data) if not frame.info_tag}
    except Mp3FormatError as error:
        raise AudioRejected("format", f"{engine.name} gav ødelagt MP3-lyd ({error})") from None
    expected = engine.sample_rates if isinstance(engine, PacedEngine) else None
    if not rates or (expected is not None and not rates <= set(expected)):
        found = ", ".join(str(rate) for rate in sorted(rates)) or "ingen"
        raise AudioRejected("format", f"{engine.name} gav lyd med uventet samplerate ({found})")


def check_clip(engine: Engine, text: str, audio: EncodedAudio) -> None:
    """After decoding: something is heard, for about as long as ``text`` takes to say."""
    if audio.sound_ms is None:
        raise AudioRejected("silent", f"{engine.name} gav lyd uden tale")
    if not isinstance(engine, PacedEngine):
        return
    heard_s = (audio.sound_ms[1] - audio.sound_ms[0]) / 1000
    count = letters(text)
    shortest = count / (engine.letters_per_second * FASTEST) - SHORT_SLACK_S
    longest = marks(text) / (engine.letters_per_second / SLOWEST) + LONG_SLACK_S
    if heard_s < shortest:
        raise AudioRejected(
            "too_short", f"{engine.name} gav {heard_s:.1f} s tale til {count} bogstaver"
        )
    if audio.duration_ms / 1000 > longest:
        raise AudioRejected(
            "too_long",
            f"{engine.name} gav {audio.duration_ms / 1000:.1f} s til {marks(text)} tegn",
        )
