from __future__ import annotations

import io
import math
import struct
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from reader.audio import codec
from reader.audio.codec import (
    CONTEXT_PAUSE_MS,
    EDGE_SILENCE_MS,
    FRAME_MS,
    SAMPLES_PER_FRAME,
    TARGET_LUFS,
    TRUE_PEAK_CEILING_DBTP,
    Mp3FormatError,
    clean_frames,
    count_frames,
    encode_mp3,
    iter_frames,
    make_clip_audio,
    prepare,
    silence_frames,
    to_pcm,
)
from reader.errors import EngineError
from reader.speech.engines import AudioFormat, RawAudio
from tests.audio.media import (
    Loudness,
    decode,
    decode_errors,
    ebur128,
    peak_db,
    probe_stream,
    write_wav,
)
from tests.fakes.engines import ToneEngine

pytestmark = pytest.mark.slow  # ffmpeg and ffprobe check what is made


def ffmpeg_mp3(path: Path, *options: str, seconds: float = 1.0) -> bytes:
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi"]
        + ["-i", f"sine=frequency=330:duration={seconds}", *options, str(path)],
        check=True,
        timeout=60,
    )
    return path.read_bytes()


def wav_bytes(samples: np.ndarray, rate: int = 22050, channels: int = 1) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.astype("<i2").tobytes())
    return buffer.getvalue()


def tone(seconds: float, amplitude: float, rate: int = 22050) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return np.round(amplitude * 32767 * np.sin(2 * np.pi * 220 * t)).astype(np.int16)


# --- the frame parser ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "version", "layer", "rate", "mono", "bitrate"),
    [
        (["-ar", "44100", "-ac", "2", "-b:a", "128k"], "1", 3, 44100, False, 128),
        (["-ar", "22050", "-ac", "1", "-b:a", "48k"], "2", 3, 22050, True, 48),
        (["-ar", "24000", "-ac", "1", "-b:a", "32k"], "2", 3, 24000, True, 32),
        (["-ar", "8000", "-ac", "1", "-b:a", "16k"], "2.5", 3, 8000, True, 16),
        (
            ["-c:a", "mp2", "-ar", "48000", "-ac", "2", "-b:a", "192k", "-f", "mp2"],
            "1",
            2,
            48000,
            False,
            192,
        ),
    ],
)
def test_parser_reads_every_frame_of_ffmpeg_files(
    tmp_path: Path,
    options: list[str],
    version: str,
    layer: int,
    rate: int,
    mono: bool,
    bitrate: int,
) -> None:
    path = tmp_path / "tone.mp3"
    tags = [] if layer == 2 else ["-write_id3v1", "1", "-metadata", "title=Prøve"]
    data = ffmpeg_mp3(path, *options, *tags)
    frames = list(iter_frames(data))
    audio = [frame for frame in frames if not frame.info_tag]
    id3v1 = 128 if tags else 0

    if tags:
        assert data.startswith(b"ID3") and data[-128:].startswith(b"TAG")
    assert {(f.version, f.layer, f.sample_rate, f.mono, f.bitrate_kbps) for f in audio} == {
        (version, layer, rate, mono, bitrate)
    }
    assert count_frames(data) == int(str(probe_stream(path)["nb_read_packets"]))
    # Frames tile the stream: each starts where the one before ended.
    assert all(a.end == b.offset for a, b in zip(frames, frames[1:], strict=False))
    assert frames[-1].end == len(data) - id3v1


def test_parser_flags_the_info_frame_ffmpeg_writes(tmp_path: Path) -> None:
    data = ffmpeg_mp3(tmp_path / "tone.mp3", "-ar", "22050", "-ac", "1", "-b:a", "48k")
    frames = list(iter_frames(data))

    assert frames[0].info_tag and not any(frame.info_tag for frame in frames[1:])
    assert count_frames(data) == len(frames) - 1


def test_clean_frames_keeps_only_audio_frames_of_the_clip_format(tmp_path: Path) -> None:
    path = tmp_path / "tone.mp3"
    data = ffmpeg_mp3(path, "-ar", "22050", "-ac", "1", "-b:a", "48k")

    cleaned = clean_frames(data)

    assert cleaned.data[:2] == b"\xff\xf3"  # MPEG-2 layer III sync, no ID3 before it
    assert cleaned.frames == count_frames(data)
    assert [f.info_tag for f in iter_frames(cleaned.data)] == [False] * cleaned.frames


def test_clean_frames_rejects_another_format(tmp_path: Path) -> None:
    data = ffmpeg_mp3(tmp_path / "tone.mp3", "-ar", "44100", "-b:a", "128k")
    with pytest.raises(Mp3FormatError, match="not the clip format"):
        clean_frames(data)


def test_lameenc_output_is_clean_clip_format_frames() -> None:
    encoded = encode_mp3(np.zeros(SAMPLES_PER_FRAME * 40, dtype=np.int16))
    frames = list(iter_frames(encoded.data))

    assert len(frames) == encoded.frames >= 40
    assert all(frame.in_clip_format and not frame.info_tag for frame in frames)
    assert {frame.length for frame in frames} <= {156, 157}
    # A fresh encoder's first frame borrows nothing, so clips may follow each other freely.
    assert frames[0].reservoir_bytes == 0


def _one_frame() -> bytes:
    data = silence_frames(1)
    assert len(list(iter_frames(data))) == 1  # too short for ffmpeg to recognise as MP3
    return data


@pytest.mark.parametrize(
    ("garbage", "message"),
    [
        (b"\x00" * 500, "no frame sync"),
        (bytes(range(256)) * 3, "no frame sync"),
        (b"\xff\xe9\x90\x00" + b"\x00" * 400, "reserved MPEG version"),  # version bits 01
        (b"\xff\xf1\x90\x00" + b"\x00" * 400, "reserved MPEG version"),  # layer bits 00
        (b"\xff\xf3\x00\xc4" + b"\x00" * 400, "free-format"),
        (b"\xff\xf3\xf0\xc4" + b"\x00" * 400, "bad bitrate"),
        (b"\xff\xf3\x6c\xc4" + b"\x00" * 400, "reserved sample rate"),
        (b"\xff\xf3\x60\xc6" + b"\x00" * 400, "reserved emphasis"),
        (b"\xff\xf3", "truncated frame header"),
        (b"ID3\x03\x00\x00\x00\x00\x00\x80", "bad ID3v2 size"),
    ],
)
def test_parser_rejects_garbage(garbage: bytes, message: str) -> None:
    with pytest.raises(Mp3FormatError, match=message):
        list(iter_frames(garbage))


def test_parser_rejects_a_truncated_frame_and_junk_between_frames() -> None:
    frame = _one_frame()
    with pytest.raises(Mp3FormatError, match="truncated frame at byte 156"):
        list(iter_frames(frame + frame[:100]))
    with pytest.raises(Mp3FormatError, match=f"no frame sync at byte {len(frame)}"):
        list(iter_frames(frame + b"junk" + frame))


def test_parser_skips_id3v2_tags_and_reads_nothing_from_empty_data() -> None:
    tag = b"ID3\x03\x00\x00\x00\x00\x00\x0a" + b"\x00" * 10
    assert list(iter_frames(b"")) == []
    assert [f.offset for f in iter_frames(tag + _one_frame())] == [len(tag)]
    with pytest.raises(Mp3FormatError, match="past the end"):
        list(iter_frames(tag[:-3]))


# --- decoding engine audio ----------------------------------------------------------------


def test_wav_with_placeholder_sizes_is_read_to_its_real_end() -> None:
    samples = tone(0.5, 0.5)
    data = bytearray(wav_bytes(samples))
    struct.pack_into("<I", data, 4, 0x7FFFF024)
    struct.pack_into("<I", data, 40, 0x7FFFF000)  # what espeak-ng writes into a pipe

    pcm = to_pcm(RawAudio(bytes(data), "wav"))

    assert np.array_equal(pcm, samples)


def test_wav_at_another_rate_or_with_two_channels_becomes_mono_22050() -> None:
    at_44k = to_pcm(RawAudio(wav_bytes(tone(1.0, 0.5, rate=44100), rate=44100), "wav"))
    stereo = to_pcm(RawAudio(wav_bytes(np.repeat(tone(1.0, 0.5), 2), channels=2), "wav"))

    assert abs(at_44k.size - 22050) <= 64
    assert np.array_equal(stereo, tone(1.0, 0.5))


def test_gtts_like_mp3_is_decoded_and_resampled(tmp_path: Path) -> None:
    raw = ToneEngine(audio_format="mp3").synthesize("x" * 20)  # 1.2 s of tone, 24 kHz MP3
    pcm = to_pcm(raw)
    assert pcm.dtype == np.int16
    assert 1.3 * 22050 < pcm.size < 1.6 * 22050  # 1.2 s + margins + encoder padding


@pytest.mark.parametrize("audio_format", ["mp3", "wav"])
def test_audio_that_is_not_audio_is_an_engine_error(audio_format: AudioFormat) -> None:
    with pytest.raises(EngineError):
        to_pcm(RawAudio(b"<html>rate limited</html>" * 20, audio_format))


def test_a_wav_without_samples_is_an_engine_error() -> None:
    with pytest.raises(EngineError):
        to_pcm(RawAudio(wav_bytes(np.zeros(0, dtype=np.int16)), "wav"))


# --- clip preparation ---------------------------------------------------------------------


def test_prepare_trims_to_silent_edges_and_whole_frames() -> None:
    pcm = np.concatenate([np.zeros(22050), tone(1.0, 0.5), np.zeros(11025)]).astype(np.int16)
    prepared = prepare(pcm)
    edge = 22050 * EDGE_SILENCE_MS // 1000

    assert prepared.size % SAMPLES_PER_FRAME == 0
    assert prepared.size < 1.2 * 22050  # 1.5 s of silence went
    assert not prepared[:edge].any()
    assert np.abs(prepared[edge : edge + 300]).max() > 0  # the tone starts right after
    voiced = np.flatnonzero(prepared)
    assert prepared.size - voiced[-1] - 1 >= edge


TRACK_TRUE_PEAK_DBTP = -1.0
"""What a track's true peak must stay under, as ffmpeg's meter measures it after decoding."""


def in_a_track(tmp_path: Path, prepared: np.ndarray) -> Loudness:
    """ffmpeg's measure of prepared samples with the pause a track puts either side."""
    pause = np.zeros(round(22050 * CONTEXT_PAUSE_MS / 1000))
    signal = np.concatenate([pause, prepared.astype(np.float64) / 32768, pause])
    return ebur128(write_wav(tmp_path / "prepared.wav", signal))


@pytest.mark.parametrize("amplitude", [0.01, 0.3, 0.9])
def test_prepare_sets_the_loudness_with_true_peaks_under_the_ceiling(
    tmp_path: Path, amplitude: float
) -> None:
    prepared = prepare(tone(1.0, amplitude))
    measured = in_a_track(tmp_path, prepared)

    assert peak_db(prepared.astype(np.float64) / 32768) <= TRUE_PEAK_CEILING_DBTP
    assert measured.true_peak_dbtp <= TRACK_TRUE_PEAK_DBTP
    # The meter's 400 ms blocks fall a little differently on 30 ms edges and whole frames.
    assert measured.integrated_lufs == pytest.approx(TARGET_LUFS, abs=0.5)


def test_prepare_limits_peaks_that_the_gain_would_push_over_the_ceiling(tmp_path: Path) -> None:
    clicks = tone(1.0, 0.05)
    clicks[::2205] = 32000  # a crest factor of 29 dB: the clicks need far less gain

    prepared = prepare(clicks)
    measured = in_a_track(tmp_path, prepared)

    assert peak_db(prepared.astype(np.float64) / 32768) <= TRUE_PEAK_CEILING_DBTP
    assert measured.true_peak_dbtp <= TRACK_TRUE_PEAK_DBTP
    # The gain makes up for what limiting took from the milliseconds around each click.
    assert measured.integrated_lufs == pytest.approx(TARGET_LUFS, abs=0.5)


@pytest.mark.parametrize("ms", [60, 150, 390])
def test_a_clip_shorter_than_a_loudness_block_is_made_as_loud(tmp_path: Path, ms: int) -> None:
    measured = in_a_track(tmp_path, prepare(tone(ms / 1000, 0.05)))

    # Too short for a meter's block on its own (ffmpeg reads it as silence), it is measured
    # with the pauses around it, like a one-word heading in a track.
    assert measured.true_peak_dbtp <= TRACK_TRUE_PEAK_DBTP
    assert measured.integrated_lufs == pytest.approx(TARGET_LUFS, abs=1.0)


def test_prepare_of_silence_is_silence() -> None:
    prepared = prepare(np.zeros(5000, dtype=np.int16))
    assert prepared.size % SAMPLES_PER_FRAME == 0 and prepared.size > 0
    assert not prepared.any()


def test_clip_duration_is_frame_count_times_frame_length(tmp_path: Path) -> None:
    clip = make_clip_audio(ToneEngine().synthesize("Ti ord her."))
    path = tmp_path / "clip.mp3"
    path.write_bytes(clip.data)

    assert decode_errors(path) == ""
    assert decode(path).size == clip.frames * SAMPLES_PER_FRAME
    assert clip.duration_ms == pytest.approx(clip.frames * FRAME_MS)


def clip_loudness(tmp_path: Path, name: str, raw: RawAudio) -> float:
    """ffmpeg's measure of a clip between two sentence pauses, as in a track."""
    pause = silence_frames(codec.ms_to_frames(CONTEXT_PAUSE_MS))
    path = tmp_path / f"{name}.mp3"
    path.write_bytes(pause + make_clip_audio(raw).data + pause)
    assert decode_errors(path) == ""
    measured = ebur128(path)
    assert measured.true_peak_dbtp <= TRACK_TRUE_PEAK_DBTP
    return measured.integrated_lufs


def test_quiet_and_loud_engines_come_out_equally_loud(tmp_path: Path) -> None:
    text = "En sætning af passende længde."
    quiet = clip_loudness(tmp_path, "quiet", ToneEngine(amplitude=0.02).synthesize(text))
    loud = clip_loudness(tmp_path, "loud", ToneEngine(amplitude=0.95).synthesize(text))
    mp3 = ToneEngine(amplitude=0.6, audio_format="mp3").synthesize(text)
    from_mp3 = clip_loudness(tmp_path, "mp3", mp3)

    assert abs(quiet - loud) < 1.0
    assert abs(quiet - from_mp3) < 1.0
    assert quiet == pytest.approx(TARGET_LUFS, abs=1.0)


def test_espeak_and_tone_clips_come_out_equally_loud(tmp_path: Path) -> None:
    espeak = pytest.importorskip("reader.speech.engines.espeak")
    from reader.config import Settings

    text = "Kommunen har vedtaget en ny politik for grønne områder og bæredygtighed."
    speech = espeak.EspeakEngine(Settings()).synthesize(text)
    spoken = clip_loudness(tmp_path, "espeak", speech)
    toned = clip_loudness(tmp_path, "tone", ToneEngine(amplitude=0.1).synthesize(text))

    assert abs(spoken - toned) < 1.0
    assert spoken == pytest.approx(TARGET_LUFS, abs=1.0)


# --- silence --------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 13, 38])
def test_silence_frames_are_that_many_silent_frames(tmp_path: Path, count: int) -> None:
    data = silence_frames(count)
    path = tmp_path / "silence.mp3"
    path.write_bytes(data)

    assert count_frames(data) == count
    assert silence_frames(count) is data  # encoded once
    assert decode_errors(path) == ""
    decoded = decode(path)
    assert decoded.size == count * SAMPLES_PER_FRAME
    assert np.abs(decoded).max() < 1e-3


def test_silence_of_zero_frames_is_empty_and_negative_is_refused() -> None:
    assert silence_frames(0) == b""
    with pytest.raises(ValueError):
        silence_frames(-1)


def test_ms_to_frames_rounds_to_the_nearest_frame() -> None:
    assert codec.ms_to_frames(350) == round(350 / FRAME_MS) == 13
    assert codec.ms_to_frames(0) == 0
    assert math.isclose(codec.frames_to_ms(22050 // 576 * 0 + 25), 25 * FRAME_MS)
