"""(a) ``reader build`` of all content from an empty cache against the floor: one espeak-ng
process over the same spoken text piped into one ffmpeg MP3 encode."""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path

from bench._proc import BenchError, BuildSummary, reader_build
from bench._result import Result, interleave, median
from bench.corpus import CONTENT
from reader.audio.codec import BITRATE_KBPS, LAME_QUALITY, SAMPLE_RATE
from reader.config import Settings
from reader.services import build_services
from reader.speech.engines.espeak import BINARY, VOICE

NAME = "build-floor"
TARGET = 1.3


def spoken_text(content_dir: Path) -> tuple[str, int]:
    """Every page's script lines, as spoken, one per line; and the espeak-ng speed to use."""
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(content_dir=content_dir, data_dir=Path(data), engine="espeak")
        services = build_services(settings)
        try:
            lines = [
                line.spoken
                for slug in services.store.slugs()
                for line in services.builder.script(slug)[1]
            ]
        finally:
            services.close()
    return "\n".join(lines), settings.espeak_speed


def floor(text: str, speed: int, output: Path) -> float:
    """Seconds for espeak-ng | ffmpeg to turn ``text`` into one MP3 in the clips' format."""
    espeak_command = [BINARY, "-v", VOICE, "-s", str(speed), "-b", "1", "--stdin", "--stdout"]
    ffmpeg_command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"]
    ffmpeg_command += ["-f", "wav", "-i", "pipe:0", "-ac", "1", "-ar", str(SAMPLE_RATE)]
    ffmpeg_command += ["-c:a", "libmp3lame", "-b:a", f"{BITRATE_KBPS}k"]
    ffmpeg_command += ["-compression_level", str(LAME_QUALITY), "-f", "mp3", str(output)]
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        espeak = subprocess.Popen(
            espeak_command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors
        )
        ffmpeg = subprocess.Popen(ffmpeg_command, stdin=espeak.stdout, stderr=errors)
        assert espeak.stdin is not None and espeak.stdout is not None
        espeak.stdout.close()  # ffmpeg holds the read end now
        espeak.stdin.write(text.encode("utf-8"))
        espeak.stdin.close()
        codes = espeak.wait(), ffmpeg.wait()
        seconds = time.perf_counter() - started
        if codes != (0, 0) or not output.is_file():
            errors.seek(0)
            raise BenchError(f"espeak-ng | ffmpeg failed {codes}: {errors.read()[-300:]!r}")
    return seconds


def run(repeat: int) -> Result:
    text, speed = spoken_text(CONTENT)
    summaries: list[BuildSummary] = []

    def ours() -> float:
        with tempfile.TemporaryDirectory() as data:
            done, summary = reader_build(CONTENT, Path(data))
        summaries.append(summary)
        return done.seconds

    def reference() -> float:
        with tempfile.TemporaryDirectory() as out:
            return floor(text, speed, Path(out) / "floor.mp3")

    mine, theirs = interleave(repeat, ours, reference, name=NAME)
    ratio = median(mine) / median(theirs)
    summary = summaries[-1]
    return Result(
        name=NAME,
        ours=median(mine),
        reference=median(theirs),
        unit="s",
        ratio=ratio,
        target=f"ours/floor <= {TARGET}",
        meets=ratio <= TARGET,
        details=[
            f"{summary.pages} pages, {summary.sentences} sentences, {summary.synthesised} clips "
            f"synthesised, {summary.audio_seconds:.1f} s of audio; floor: {len(text)} characters "
            f"in one espeak-ng (-s {speed}) | ffmpeg libmp3lame {BITRATE_KBPS} kbit/s CBR"
        ],
        samples={"ours": mine, "reference": theirs},
    )
