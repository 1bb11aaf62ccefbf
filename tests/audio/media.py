"""Independent checks of audio files with ffmpeg/ffprobe and numpy."""

from __future__ import annotations

import json
import re
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

RATE = 22050
FRAME_MS = 576 * 1000 / RATE


def decode_errors(path: Path) -> str:
    """What ffmpeg complains about while decoding the whole file (empty: nothing)."""
    done = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "null", "-"],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stderr.decode("utf-8", "replace")


def probe(path: Path) -> dict[str, object]:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-count_packets", "-show_format", "-show_streams"]
        + ["-of", "json", str(path)],
        capture_output=True,
        timeout=120,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def probe_duration_ms(path: Path) -> float:
    info = probe(path)
    audio_format = info["format"]
    assert isinstance(audio_format, dict)
    return float(audio_format["duration"]) * 1000


def probe_stream(path: Path) -> dict[str, object]:
    streams = probe(path)["streams"]
    assert isinstance(streams, list) and len(streams) == 1
    stream: dict[str, object] = streams[0]
    return stream


@dataclass(frozen=True)
class Loudness:
    """What ffmpeg's EBU R 128 meter says of a file."""

    integrated_lufs: float
    true_peak_dbtp: float


def ebur128(path: Path) -> Loudness:
    """Integrated loudness and true peak, as ``ffmpeg -af ebur128=peak=true`` sums them up."""
    done = subprocess.run(
        ["ffmpeg", "-nostdin", "-nostats", "-i", str(path)]
        + ["-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True,
        timeout=120,
        check=True,
    )
    report = done.stderr.decode("utf-8", "replace")
    summary = report[report.rindex("Summary:") :]
    integrated = re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary)
    peak = re.search(r"True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS", summary)
    assert integrated and peak, summary
    return Loudness(float(integrated.group(1)), float(peak.group(1)))


def write_wav(path: Path, signal: npt.NDArray[np.float64]) -> Path:
    """``signal`` (floats in [-1, 1]) as 16-bit mono WAV at 22050 Hz."""
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(np.round(signal * 32768).astype("<i2").tobytes())
    return path


def decode(path: Path) -> npt.NDArray[np.float64]:
    """The decoded audio as floats in [-1, 1], mono, 22050 Hz."""
    done = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path)]
        + ["-f", "s16le", "-ac", "1", "-ar", str(RATE), "-"],
        capture_output=True,
        timeout=120,
        check=True,
    )
    return np.frombuffer(done.stdout, dtype="<i2").astype(np.float64) / 32768


def speech_rms_db(signal: npt.NDArray[np.float64]) -> float:
    """RMS in dBFS of the 20 ms windows within 30 dB of the loudest one."""
    window = RATE // 50
    count = signal.size // window
    power = (signal[: count * window].reshape(count, window) ** 2).mean(axis=1)
    loud = power[power >= power.max() / 1000]
    return float(10 * np.log10(loud.mean()))


def peak_db(signal: npt.NDArray[np.float64]) -> float:
    return float(20 * np.log10(np.abs(signal).max()))
