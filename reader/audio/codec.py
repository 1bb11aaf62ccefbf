"""The one clip format: engine audio in, clean CBR MP3 frames out.

Every clip is MPEG-2 Layer III, mono, 22050 Hz, 48 kbit/s CBR, with no ID3 tag and no
Xing/Info frame, so a track is assembled by concatenating frames without decoding anything.
WAV input (espeak-ng) is handled in-process; MP3 input (gTTS) takes one ffmpeg subprocess.
"""

from __future__ import annotations

import io
import logging
import math
import struct
import subprocess
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal

import lameenc
import numpy as np
import numpy.typing as npt
import soundfile

from reader.audio import loudness
from reader.errors import EngineError
from reader.speech.engines import AudioFormat, RawAudio, WordSpans

logger = logging.getLogger(__name__)

Pcm = npt.NDArray[np.int16]
WordTimes = tuple[tuple[float, float], ...]
MpegVersion = Literal["1", "2", "2.5"]

FORMAT_VERSION: Final = 3
"""Part of every clip key: raise it when anything below changes how a clip sounds."""

SAMPLE_RATE: Final = 22050
BITRATE_KBPS: Final = 48
SAMPLES_PER_FRAME: Final = 576
FRAME_MS: Final = SAMPLES_PER_FRAME * 1000 / SAMPLE_RATE  # 26.122... ms

LAME_QUALITY: Final = 3
"""2 is LAME's best and ~300x real time here, 3 is ~390x, 5 is ~480x: 3 costs little and is
indistinguishable from 2 at 48 kbit/s speech."""

CODEC_DELAY_SAMPLES: Final = 1105
"""Where sound fed to the encoder at sample 0 comes out of a decoder: LAME's encoder delay (576)
plus the MP3 decoder's (529). Measured with lameenc and ffmpeg; without a LAME tag, which clips
do not carry, browsers decode with the same delay."""

EDGE_SILENCE_MS: Final = 30
"""Silence kept at both ends of a clip, so that a frame-boundary artefact falls in silence."""
TARGET_LUFS: Final = -16.0
"""Integrated loudness (ITU-R BS.1770) of every clip, so of every track: what podcasts and
spoken-word platforms aim at, loud enough for a phone speaker in a noisy room."""
TRUE_PEAK_CEILING_DBTP: Final = -2.0
"""No true peak (between samples, too) goes above this after normalisation; louder peaks are
limited, not clipped. One dB under ``ENCODED_TRUE_PEAK_DBTP``, because MP3 encoding at 48 kbit/s
moves peaks: by under a dB in most clips."""
ENCODED_TRUE_PEAK_DBTP: Final = -1.0
"""The highest true peak a decoded clip may have, so a track does too. A few heavily limited
espeak-ng clips come out of the encoder up to 1.5 dB over the ceiling; each encoded clip is
decoded and measured, and one over this is limited again under a lower ceiling."""
PEAK_ROUNDS: Final = 3
PEAK_MARGIN_DB: Final = 0.3
SILENCE_FLOOR_DBFS: Final = -50.0
TRIM_BELOW_PEAK_DB: Final = 40.0
MAX_GAIN_DB: Final = 40.0
CONTEXT_PAUSE_MS: Final = 350.0
"""The shortest pause around a clip in a track (between two sentences)."""
LOUDNESS_ROUNDS: Final = 6
"""Limiting takes loudness away: the gain is corrected from a new measurement at most this
many times."""
MAX_MAKE_UP_DB: Final = 8.0
"""At most this much gain on top of the measured need, to make up for what the limiter took:
a voice that can only reach the target by being squashed flat stays a little quieter."""
LOUDNESS_TOLERANCE_LU: Final = 0.1

_BLOCK = SAMPLE_RATE // 200  # 5 ms: trimming and limiter resolution
_LIMITER_HOLD_BLOCKS = 4
"""A limited peak holds the gain down for 20 ms either side ..."""
_LIMITER_SMOOTH_BLOCKS = 3
"""... and the gain is averaged over 35 ms (fewer blocks than the hold, so the average never
rises above what a block needs): it moves slower than a voice's pitch, so limiting does not
distort it."""

FFMPEG = "ffmpeg"


class Mp3FormatError(ValueError):
    """Bytes that are not a well-formed MP3 stream (or not in the clip format)."""


def frames_to_ms(frames: int) -> float:
    return frames * FRAME_MS


def ms_to_frames(ms: float) -> int:
    """The whole number of clip frames closest to ``ms`` milliseconds."""
    return max(0, round(ms / FRAME_MS))


# --- MP3 frames -----------------------------------------------------------------------------

_VERSIONS: dict[int, MpegVersion] = {0b00: "2.5", 0b10: "2", 0b11: "1"}
_LAYERS = {0b01: 3, 0b10: 2, 0b11: 1}
_SAMPLE_RATES: dict[MpegVersion, tuple[int, int, int]] = {
    "1": (44100, 48000, 32000),
    "2": (22050, 24000, 16000),
    "2.5": (11025, 12000, 8000),
}
# kbit/s by bitrate index 1..14; index 0 ("free format") and 15 are rejected.
_BITRATES: dict[tuple[bool, int], tuple[int, ...]] = {
    (True, 1): (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 3): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_INFO_TAGS = (b"Xing", b"Info")


@dataclass(frozen=True, slots=True)
class Frame:
    """One MPEG audio frame found in a byte stream."""

    offset: int
    length: int
    version: MpegVersion
    layer: int
    bitrate_kbps: int
    sample_rate: int
    padding: bool
    mono: bool
    samples: int
    info_tag: bool
    """A Xing/Info/VBRI frame: encoder metadata, no audio (decoders do not play it)."""
    reservoir_bytes: int
    """Layer III ``main_data_begin``: how many bytes of earlier frames this frame reuses."""

    @property
    def end(self) -> int:
        return self.offset + self.length

    @property
    def in_clip_format(self) -> bool:
        return (
            self.version == "2"
            and self.layer == 3
            and self.mono
            and self.sample_rate == SAMPLE_RATE
            and self.bitrate_kbps == BITRATE_KBPS
        )


def _id3v2_size(data: bytes, position: int) -> int:
    """Length of the ID3v2 tag at ``position`` (header included), or 0 if there is none."""
    if data[position : position + 3] != b"ID3" or len(data) < position + 10:
        return 0
    size_bytes = data[position + 6 : position + 10]
    if any(byte & 0x80 for byte in size_bytes):
        raise Mp3FormatError(f"bad ID3v2 size at byte {position}")
    size = 0
    for byte in size_bytes:
        size = (size << 7) | byte
    footer = 10 if data[position + 5] & 0x10 else 0
    return 10 + size + footer


def _parse_header(data: bytes, position: int) -> Frame:
    if len(data) - position < 4:
        raise Mp3FormatError(f"truncated frame header at byte {position}")
    header = int.from_bytes(data[position : position + 4], "big")
    if header >> 21 != 0x7FF:
        raise Mp3FormatError(f"no frame sync at byte {position}")
    version = _VERSIONS.get((header >> 19) & 0b11)
    layer = _LAYERS.get((header >> 17) & 0b11)
    if version is None or layer is None:
        raise Mp3FormatError(f"reserved MPEG version or layer at byte {position}")
    protected = not (header >> 16) & 1
    bitrate_index = (header >> 12) & 0b1111
    rate_index = (header >> 10) & 0b11
    padding = bool((header >> 9) & 1)
    mono = (header >> 6) & 0b11 == 0b11
    if bitrate_index in (0, 15):
        raise Mp3FormatError(f"free-format or bad bitrate at byte {position}")
    if rate_index == 3:
        raise Mp3FormatError(f"reserved sample rate at byte {position}")
    if header & 0b11 == 0b10:
        raise Mp3FormatError(f"reserved emphasis at byte {position}")
    bitrate = _BITRATES[(version == "1", layer)][bitrate_index - 1]
    sample_rate = _SAMPLE_RATES[version][rate_index]
    if layer == 1:
        samples = 384
        length = (12 * bitrate * 1000 // sample_rate + padding) * 4
    else:
        samples = 576 if layer == 3 and version != "1" else 1152
        length = samples // 8 * bitrate * 1000 // sample_rate + padding
    if len(data) - position < length:
        raise Mp3FormatError(f"truncated frame at byte {position}")

    body = position + 4 + (2 if protected else 0)
    info_tag = False
    reservoir = 0
    if layer == 3:
        if version == "1":
            side_info = 17 if mono else 32
            reservoir = int.from_bytes(data[body : body + 2], "big") >> 7
        else:
            side_info = 9 if mono else 17
            reservoir = data[body]
        info_tag = data[body + side_info : body + side_info + 4] in _INFO_TAGS
        info_tag = info_tag or data[position + 36 : position + 40] == b"VBRI"
    return Frame(
        offset=position,
        length=length,
        version=version,
        layer=layer,
        bitrate_kbps=bitrate,
        sample_rate=sample_rate,
        padding=padding,
        mono=mono,
        samples=samples,
        info_tag=info_tag,
        reservoir_bytes=reservoir,
    )


def iter_frames(data: bytes) -> Iterator[Frame]:
    """Every frame of an MP3 stream, strictly: anything that is not a frame is an error.

    ID3v2 tags (anywhere between frames) and a trailing 128-byte ID3v1 tag are skipped.
    Raises ``Mp3FormatError`` at the first byte that belongs to neither.
    """
    position = 0
    while position < len(data):
        tag = _id3v2_size(data, position)
        if tag:
            position += tag
            continue
        if len(data) - position == 128 and data[position : position + 3] == b"TAG":
            return
        frame = _parse_header(data, position)
        yield frame
        position = frame.end
    if position > len(data):
        raise Mp3FormatError("ID3v2 tag runs past the end of the data")


@dataclass(frozen=True)
class EncodedAudio:
    """Clip-format MP3 frames, nothing else, and how many there are."""

    data: bytes
    frames: int
    sound_ms: tuple[float, float] | None = None
    """Where the sound starts and ends once decoded, in ms from the first frame (None: unknown
    or silent)."""
    words: WordTimes | None = None
    """Where each word of the spoken text is heard, in ms like ``sound_ms`` (None: unknown)."""

    @property
    def duration_ms(self) -> float:
        return frames_to_ms(self.frames)


def clean_frames(data: bytes) -> EncodedAudio:
    """Keep only the audio frames of ``data`` and check they are all in the clip format."""
    kept: list[bytes] = []
    for frame in iter_frames(data):
        if frame.info_tag:
            continue
        if not frame.in_clip_format:
            raise Mp3FormatError(
                f"frame at byte {frame.offset} is MPEG-{frame.version} layer {frame.layer}, "
                f"{frame.sample_rate} Hz, {frame.bitrate_kbps} kbit/s, not the clip format"
            )
        kept.append(data[frame.offset : frame.end])
    return EncodedAudio(b"".join(kept), len(kept))


INFO_FRAME_BYTES: Final = SAMPLES_PER_FRAME // 8 * BITRATE_KBPS * 1000 // SAMPLE_RATE
"""An Info frame is one clip-format frame without its padding byte (156 bytes)."""
_INFO_HEADER = bytes.fromhex("fff360c4")  # MPEG-2 layer III, 48 kbit/s, 22050 Hz, mono, no CRC
_SIDE_INFO_BYTES = 9  # MPEG-2 mono: the Xing header follows it
_XING_FRAMES, _XING_BYTES, _XING_TOC = 0x1, 0x2, 0x4


def info_frame(frames: int, audio_bytes: int) -> bytes:
    """A Xing header with the "Info" mark (what LAME writes for CBR): how many audio frames
    follow it, how many bytes the stream has (this frame included) and a seek table.

    Players read the duration from it instead of guessing from the file size, and do not play
    it. It carries no LAME tag on purpose: a LAME tag's encoder delay and padding make
    browsers and ffmpeg cut samples from the start and end, which would move every sentence
    of a track earlier than its cue (clips are joined with their delay inside, and cue times
    count whole frames from the first audio frame, as players decode a stream without one).
    Its side information is all zeros, so the first audio frame (which reuses no earlier
    bytes) is unaffected, and a decoder that knew nothing of Info frames would hear 26 ms of
    silence.
    """
    total = INFO_FRAME_BYTES + audio_bytes
    # Clips are CBR, so i % of the duration is i % of the audio bytes in: each entry is that
    # position in 256ths of the stream.
    toc = bytes(
        min(255, (INFO_FRAME_BYTES + audio_bytes * percent // 100) * 256 // total)
        for percent in range(100)
    )
    flags = _XING_FRAMES | _XING_BYTES | _XING_TOC
    header = b"Info" + struct.pack(">III", flags, frames, total) + toc
    return (_INFO_HEADER + bytes(_SIDE_INFO_BYTES) + header).ljust(INFO_FRAME_BYTES, b"\0")


def count_frames(data: bytes) -> int:
    """The number of audio frames (tags and Xing/Info frames not counted)."""
    return sum(1 for frame in iter_frames(data) if not frame.info_tag)


# --- PCM in ---------------------------------------------------------------------------------


def to_pcm(raw: RawAudio, timeout: float = 30.0) -> Pcm:
    """Engine audio as 16-bit mono samples at 22050 Hz; ``EngineError`` if it is not audio."""
    if raw.format == "wav":
        pcm = _wav_to_pcm(raw.data)
        if pcm is not None:
            return pcm
    return _ffmpeg_to_pcm(raw.data, raw.format, timeout)


def _wav_to_pcm(data: bytes) -> Pcm | None:
    """Plain 16-bit PCM WAV at the clip rate, read in-process; None for anything else."""
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            # A WAV written to a pipe carries placeholder sizes (0x7ffff000): asking for that
            # many frames reads whatever is really there.
            frames = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError):
        return None
    if width != 2 or rate != SAMPLE_RATE or channels < 1:
        return None
    usable = len(frames) - len(frames) % (2 * channels)
    samples = np.frombuffer(frames[:usable], dtype="<i2")
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1).round().astype("<i2")
    if samples.size == 0:
        raise EngineError("Stemmen gav en tom lydfil")
    return samples.astype(np.int16, copy=False)


def _ffmpeg_to_pcm(data: bytes, audio_format: AudioFormat, timeout: float) -> Pcm:
    command = [
        FFMPEG, "-nostdin", "-hide_banner", "-v", "error",
        "-f", audio_format, "-i", "pipe:0",
        "-f", "s16le", "-ac", "1", "-ar", str(SAMPLE_RATE), "pipe:1",
    ]  # fmt: skip
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise EngineError(f"Lyden kunne ikke afkodes inden for {timeout:g} s") from None
    except OSError as error:
        raise EngineError(f"ffmpeg kunne ikke startes: {error.strerror}") from None
    usable = len(done.stdout) - len(done.stdout) % 2
    if done.returncode != 0 or usable == 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        logger.warning("ffmpeg could not decode %s audio: %s", audio_format, detail[:1])
        raise EngineError("Stemmen gav lyd, der ikke kan afkodes")
    return np.frombuffer(done.stdout[:usable], dtype="<i2").astype(np.int16)


# --- clip preparation -----------------------------------------------------------------------


def _db(value: float) -> float:
    return 10 ** (value / 20)


def _block_peaks(signal: npt.NDArray[np.float64], block: int) -> npt.NDArray[np.float64]:
    padded = np.zeros(math.ceil(signal.size / block) * block)
    padded[: signal.size] = np.abs(signal)
    peaks: npt.NDArray[np.float64] = padded.reshape(-1, block).max(axis=1)
    return peaks


def _moving(
    values: npt.NDArray[np.float64], half_width: int, reduce: Literal["min", "mean"]
) -> npt.NDArray[np.float64]:
    """Minimum or mean over ``values[i - half_width : i + half_width + 1]``, edges repeated."""
    padded = np.pad(values, half_width, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half_width + 1)
    result: npt.NDArray[np.float64] = windows.min(axis=1) if reduce == "min" else windows.mean(1)
    return result


def _limiter_gain(
    peaks: npt.NDArray[np.float64], ceiling: float, size: int
) -> npt.NDArray[np.float64]:
    """A smooth gain per sample that keeps every block's true peak (``peaks``) under ``ceiling``.

    Each 5 ms block needs a gain that brings its peak to the ceiling. The gain curve is the
    minimum of that need over the hold, then averaged over a shorter window, then interpolated
    between block centres: every sample's gain is at most what its own block needs, and the
    gain glides instead of jumping (no clicks, unlike clipping).
    """
    need = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-12))
    held = _moving(need, _LIMITER_HOLD_BLOCKS, "min")
    gain = _moving(held, _LIMITER_SMOOTH_BLOCKS, "mean")
    centres = np.arange(gain.size) * _BLOCK + _BLOCK / 2
    envelope: npt.NDArray[np.float64] = np.interp(np.arange(size), centres, gain)
    return envelope


def _normalise(body: npt.NDArray[np.float64], ceiling_dbtp: float) -> npt.NDArray[np.float64]:
    """``body`` at ``TARGET_LUFS`` with true peaks at most ``ceiling_dbtp``.

    The loudness is measured with a pause either side, as a meter sees a clip in a track: its
    400 ms blocks that reach into the pauses around a sentence count too (they pass the
    relative gate), so a clip reads quieter in a track than alone. Measured alone, clips would
    come out louder than the tracks made of them. A word shorter than a block gets a little
    more gain than a sentence, which is also how short sounds are heard (as quieter).
    """
    context = round(SAMPLE_RATE * CONTEXT_PAUSE_MS / 1000)
    # Filtering and oversampling are done once: the limiter's gain glides far slower than the
    # K filter responds, so the weighted signal of a limited clip is the weighted signal times
    # that gain, and the peaks of a clip made louder are its peaks made louder.
    power = loudness.k_weighted(np.pad(body, context), SAMPLE_RATE) ** 2
    factor = loudness.TRUE_PEAK_OVERSAMPLING
    peaks = _block_peaks(loudness.oversampled(body, factor), _BLOCK * factor)
    measured = loudness.gated_loudness(power, SAMPLE_RATE)
    if not math.isfinite(measured):
        return body
    ceiling = _db(ceiling_dbtp)

    def gain_curve(gain_db: float) -> npt.NDArray[np.float64]:
        gain = _db(gain_db)
        if peaks.max() * gain <= ceiling:
            return np.full(body.size, gain)
        return gain * _limiter_gain(peaks * gain, ceiling, body.size)

    def level(curve: npt.NDArray[np.float64]) -> float:
        return loudness.gated_loudness(power * np.pad(curve, context) ** 2, SAMPLE_RATE)

    gain_db = first_gain = min(TARGET_LUFS - measured, MAX_GAIN_DB)
    curve = gain_curve(gain_db)
    reached = level(curve)
    slope = 1.0  # LU of loudness per dB of gain: 1 until the limiter takes some away
    for _ in range(LOUDNESS_ROUNDS):
        # The limiter took some loudness: find the gain that makes up for it (secant steps).
        short = TARGET_LUFS - reached
        next_gain = min(gain_db + short / slope, first_gain + MAX_MAKE_UP_DB, MAX_GAIN_DB)
        if abs(short) < LOUDNESS_TOLERANCE_LU or next_gain == gain_db:
            break
        next_curve = gain_curve(next_gain)
        next_reached = level(next_curve)
        slope = min(1.0, max(0.25, (next_reached - reached) / (next_gain - gain_db)))
        gain_db, curve, reached = next_gain, next_curve, next_reached
    return body * curve


def _voiced_bounds(signal: npt.NDArray[np.float64]) -> tuple[int, int] | None:
    """Where ``prepare`` cuts the engine's audio: from one quiet block before the first voiced
    block to one after the last (None: nothing is voiced)."""
    peaks = _block_peaks(signal, _BLOCK)
    loudest = float(peaks.max()) if peaks.size else 0.0
    threshold = max(_db(SILENCE_FLOOR_DBFS), loudest * _db(-TRIM_BELOW_PEAK_DB))
    voiced = np.flatnonzero(peaks > threshold)
    if voiced.size == 0:
        return None
    return max(0, int(voiced[0]) - 1) * _BLOCK, min(signal.size, (int(voiced[-1]) + 2) * _BLOCK)


def prepare(pcm: Pcm, ceiling_dbtp: float = TRUE_PEAK_CEILING_DBTP) -> Pcm:
    """Trim, normalise loudness, keep silent edges and pad to whole frames.

    The result starts and ends with ``EDGE_SILENCE_MS`` of silence, its integrated loudness is
    ``TARGET_LUFS`` (true peaks limited to ``ceiling_dbtp``), and its length is a multiple of
    ``SAMPLES_PER_FRAME``. Sample ``i`` of ``pcm`` is sample ``i + prepared_offset(pcm)`` of
    the result.
    """
    signal = pcm.astype(np.float64) / 32768
    edge = np.zeros(SAMPLE_RATE * EDGE_SILENCE_MS // 1000)
    bounds = _voiced_bounds(signal)
    if bounds is None:
        body = np.zeros(0)
    else:
        # One quiet block of context on each side, faded, so a soft onset is not cut hard.
        start, end = bounds
        body = signal[start:end].copy()
        fade = min(_BLOCK, body.size // 2)
        ramp = np.linspace(0.0, 1.0, fade, endpoint=False)
        body[:fade] *= ramp
        body[body.size - fade :] *= ramp[::-1]
        body = _normalise(body, ceiling_dbtp)
    joined = np.concatenate([edge, body, edge])
    padded = np.zeros(math.ceil(joined.size / SAMPLES_PER_FRAME) * SAMPLES_PER_FRAME)
    padded[: joined.size] = joined
    largest = math.floor(_db(ceiling_dbtp) * 32768)  # rounding must not cross it
    return np.clip(np.round(padded * 32768), -largest, largest).astype(np.int16)


def prepared_offset(pcm: Pcm) -> int:
    """How far ``prepare`` moves the engine's samples: the edge added less the part cut."""
    bounds = _voiced_bounds(pcm.astype(np.float64) / 32768)
    return SAMPLE_RATE * EDGE_SILENCE_MS // 1000 - (bounds[0] if bounds else 0)


WORD_ONSET_BELOW_PEAK_DB: Final = 40.0
"""A 5 ms block of a clip counts as speech for word timings when its peak is within this many
dB of the clip's loudest (quieter blocks are pauses or the tail of a breath)."""


WORD_SNAP_BLOCKS: Final = 12
"""How far (in 5 ms blocks) an engine's word start may be moved onto the end of a pause:
espeak-ng's events and Piper's alignments both land a few blocks off the sound."""
PAUSE_BLOCKS: Final = 6
"""A quiet run at least this long (30 ms) is a pause between words; a shorter one is inside a
word (a stop consonant)."""


def word_times(prepared: Pcm, words: WordSpans, offset: int) -> WordTimes:
    """Each word's (start, end) in ms from the clip's first frame once decoded (the codec's
    delay included, like ``sound_ms``), moved onto the clip's own sound.

    A start near the end of a pause goes to where speech resumes, and a start in silence to the
    next speech, so that a highlight never lights a word during the pause before it. A word
    ends where the first pause near or after the engine's end begins, or, said without a pause
    into the next word, at its last sound before that one starts.
    """
    peaks = _block_peaks(prepared.astype(np.float64) / 32768, _BLOCK)
    loudest = float(peaks.max()) if peaks.size else 0.0
    speech = peaks > loudest * _db(-WORD_ONSET_BELOW_PEAK_DB)
    limit = peaks.size
    edges = np.flatnonzero(np.diff(np.concatenate(([1], speech.astype(np.int8), [1]))))
    pauses = [
        (int(a), int(b))
        for a, b in zip(edges[::2], edges[1::2], strict=True)
        if b - a >= PAUSE_BLOCKS or a == 0 or b == limit
    ]
    resumes = np.array([b for _, b in pauses if b < limit], dtype=np.int64)

    def block(seconds: float) -> int:
        return min(limit, max(0, round((seconds * SAMPLE_RATE + offset) / _BLOCK)))

    starts: list[int] = []
    for start, _ in words:
        floor = starts[-1] if starts else 0
        nominal = max(block(start), floor)
        near = resumes[(resumes >= max(floor, nominal - WORD_SNAP_BLOCKS))]
        near = near[near <= nominal + WORD_SNAP_BLOCKS]
        if near.size:
            nominal = int(near[np.argmin(np.abs(near - nominal))])
        elif nominal < limit and not speech[nominal]:
            later = np.flatnonzero(speech[nominal:])
            nominal += int(later[0]) if later.size else 0
        starts.append(nominal)
    times: list[tuple[float, float]] = []
    for number, (start, (_, end)) in enumerate(zip(starts, words, strict=True)):
        bound = starts[number + 1] if number + 1 < len(starts) else limit
        # A pause well inside the word (a long stop consonant) does not end it.
        after = max(start, block(end) - WORD_SNAP_BLOCKS)
        stop = next((a for a, b in pauses if after < a <= bound and b > a), None)
        if stop is None:
            heard = np.flatnonzero(speech[start:bound])
            stop = start + int(heard[-1]) + 1 if heard.size else min(start + 1, max(bound, start))
        times.append((_block_ms(start), _block_ms(stop)))
    return tuple(times)


def _block_ms(block: int) -> float:
    return round((block * _BLOCK + CODEC_DELAY_SAMPLES) * 1000 / SAMPLE_RATE, 1)


# --- MP3 out --------------------------------------------------------------------------------


def encode_mp3(pcm: Pcm) -> EncodedAudio:
    """Encode clip-rate samples in-process; the result holds audio frames only.

    The first frame of a fresh encoder reuses no earlier bytes (``reservoir_bytes == 0``), so
    frames from separate encodes can follow one another in any order.
    """
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(BITRATE_KBPS)
    encoder.set_in_sample_rate(SAMPLE_RATE)
    encoder.set_out_sample_rate(SAMPLE_RATE)
    encoder.set_channels(1)
    encoder.set_quality(LAME_QUALITY)
    encoder.silence()
    data = bytes(encoder.encode(pcm.astype("<i2").tobytes())) + bytes(encoder.flush())
    return clean_frames(data)


def decoded_true_peak_dbtp(data: bytes) -> float:
    """The true peak of MP3 ``data`` as a player decodes it (``-inf`` for silence)."""
    with io.BytesIO(data) as file:
        signal, _ = soundfile.read(file, dtype="float64")
    peak = loudness.true_peak(np.asarray(signal, dtype=np.float64))
    return 20 * math.log10(peak) if peak > 0 else -math.inf


def _prepare_and_encode(pcm: Pcm) -> tuple[Pcm, EncodedAudio]:
    """``prepare`` and ``encode_mp3``, limited again under a lower ceiling while the decoded
    clip's true peak is over ``ENCODED_TRUE_PEAK_DBTP``."""
    ceiling = TRUE_PEAK_CEILING_DBTP
    prepared = prepare(pcm, ceiling)
    encoded = encode_mp3(prepared)
    for _ in range(PEAK_ROUNDS):
        over = decoded_true_peak_dbtp(encoded.data) - ENCODED_TRUE_PEAK_DBTP
        if over <= 0:
            break
        ceiling -= over + PEAK_MARGIN_DB
        prepared = prepare(pcm, ceiling)
        encoded = encode_mp3(prepared)
    return prepared, encoded


def make_clip_audio(raw: RawAudio, timeout: float = 30.0) -> EncodedAudio:
    """Engine audio in, a finished clip out: decode, trim, normalise, encode."""
    pcm = to_pcm(raw, timeout)
    prepared, encoded = _prepare_and_encode(pcm)
    sounding = np.flatnonzero(prepared)
    if sounding.size == 0:
        return encoded
    start, end = int(sounding[0]), int(sounding[-1]) + 1
    sound_ms = (
        (start + CODEC_DELAY_SAMPLES) * 1000 / SAMPLE_RATE,
        (end + CODEC_DELAY_SAMPLES) * 1000 / SAMPLE_RATE,
    )
    words = None
    if raw.words is not None:
        words = word_times(prepared, raw.words, prepared_offset(pcm))
    return EncodedAudio(encoded.data, encoded.frames, sound_ms, words)


@lru_cache(maxsize=32)
def silence_frames(count: int) -> bytes:
    """``count`` frames of encoded digital silence, encoded once per count."""
    if count < 0:
        raise ValueError("count must not be negative")
    if count == 0:
        return b""
    encoded = encode_mp3(np.zeros(count * SAMPLES_PER_FRAME, dtype=np.int16))
    # The encoder's delay adds frames at the end; a prefix of a stream is still a valid
    # stream, because a frame only ever reuses bytes of frames before it.
    frames = list(iter_frames(encoded.data))
    if len(frames) < count:
        raise Mp3FormatError(f"silence encoded to {len(frames)} frames, {count} wanted")
    return encoded.data[: frames[count - 1].end]
