"""espeak-ng: the offline Danish voice, run as a subprocess (no shell, text on stdin).

Starting espeak-ng costs about 7 ms (it loads the Danish voice) — more than speaking a short
sentence — so ``synthesize_many`` speaks many sentences in one process, separated by long
SSML breaks, and cuts the audio at those breaks.
"""

from __future__ import annotations

import html
import io
import logging
import shutil
import struct
import subprocess
import threading
import wave
from collections.abc import Sequence

import numpy as np

from reader.config import Settings
from reader.errors import BuildStopped, EngineError
from reader.speech.engines import RawAudio

logger = logging.getLogger(__name__)

BINARY = "espeak-ng"
VOICE = "da"

BREAK_MS = 1500
"""Silence put between sentences spoken in one process."""
CUT_MS = 1000
"""A quiet run this long is a break between sentences: espeak-ng's own pauses inside a Danish
sentence stay under half a second at any speed we allow."""
KEEP_MS = 150
"""Silence kept on each side of a cut, like the edges of a sentence spoken alone."""
QUIET = 64
"""Samples below this (of 32767) count as silence when looking for the breaks."""
LETTERS_PER_WPM = 0.093
"""Letters heard per second for each word a minute: measured on the pages, 14.9/s at 160."""
HALTED = "Oplæsningen blev afbrudt, fordi tjenesten stopper."


class EspeakEngine:
    """Danish speech from espeak-ng; returns WAV (mono, 16 bit, 22050 Hz)."""

    def __init__(self, settings: Settings) -> None:
        self._speed = settings.espeak_speed
        self._timeout = settings.espeak_timeout
        self._version: str | None = None
        self._version_lock = threading.Lock()
        self._children: set[subprocess.Popen[bytes]] = set()
        self._children_lock = threading.Lock()
        self._halted = False

    @property
    def name(self) -> str:
        return "espeak"

    @property
    def identity(self) -> dict[str, str]:
        return {
            "engine": "espeak",
            "voice": VOICE,
            "speed": str(self._speed),
            "version": self.version(),
        }

    @property
    def letters_per_second(self) -> float:
        return self._speed * LETTERS_PER_WPM

    @property
    def sample_rates(self) -> tuple[int, ...] | None:
        return None  # WAV: the decoder checks it

    def halt(self) -> None:
        """Stop every espeak-ng process now (the service stops): the calls waiting for them,
        and any call after this, raise ``BuildStopped``. Nothing they would have made is kept."""
        with self._children_lock:
            self._halted = True
            running = list(self._children)
        for process in running:
            process.terminate()

    @staticmethod
    def available() -> bool:
        return shutil.which(BINARY) is not None

    def version(self) -> str:
        """The first line of ``espeak-ng --version`` without its data path, read once.

        Until the binary answers, ``unknown`` is returned and the next call asks again.
        """
        with self._version_lock:
            if self._version is None:
                try:
                    done = subprocess.run(
                        [BINARY, "--version"],
                        capture_output=True,
                        timeout=self._timeout,
                        check=True,
                    )
                except (OSError, subprocess.SubprocessError):
                    logger.warning("espeak-ng --version failed", exc_info=True)
                    return "unknown"
                first = done.stdout.decode("utf-8", "replace").strip().splitlines()
                # "eSpeak NG text-to-speech: 1.51  Data at: /usr/lib/...": where the data is
                # installed does not change the sound, so it stays out of the clip key.
                self._version = first[0].split("Data at:")[0].strip() if first else "unknown"
            return self._version

    def synthesize(self, text: str) -> RawAudio:
        if not text.strip():
            raise EngineError("Der er ingen tekst at læse op")
        return RawAudio(data=self._run(text.encode("utf-8"), ssml=False), format="wav")

    def synthesize_many(self, texts: Sequence[str]) -> list[RawAudio]:
        """One clip per text, from one espeak-ng process; falls back to one process per text
        when the audio cannot be cut into exactly as many pieces."""
        if any(not text.strip() for text in texts):
            raise EngineError("Der er ingen tekst at læse op")
        if len(texts) < 2:
            return [self.synthesize(text) for text in texts]
        pause = f'<break time="{BREAK_MS}ms"/>'
        ssml = "<speak>" + pause.join(html.escape(t, quote=False) for t in texts) + "</speak>"
        pieces = split_at_breaks(self._run(ssml.encode("utf-8"), ssml=True), len(texts))
        if pieces is None:
            logger.info("espeak-ng batch of %d did not split cleanly; one by one", len(texts))
            return [self.synthesize(text) for text in texts]
        return [RawAudio(data=piece, format="wav") for piece in pieces]

    def _run(self, text: bytes, *, ssml: bool) -> bytes:
        # The text goes on stdin (never argv), so text such as "--help" is spoken, not parsed.
        command = [BINARY, "-v", VOICE, "-s", str(self._speed), "-b", "1", "--stdin", "--stdout"]
        if ssml:
            command.insert(-2, "-m")
        with self._children_lock:
            if self._halted:
                raise BuildStopped(HALTED)
            try:
                process = subprocess.Popen(
                    command,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                )
            except OSError as error:
                raise EngineError(f"espeak-ng kunne ikke startes: {error.strerror}") from None
            self._children.add(process)
        try:
            stdout, stderr = process.communicate(text, timeout=self._timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise EngineError(f"espeak-ng svarede ikke inden for {self._timeout:g} s") from None
        finally:
            with self._children_lock:
                self._children.discard(process)
        if self._halted:  # terminated half-way: whatever it wrote is not a whole answer
            raise BuildStopped(HALTED)
        if process.returncode != 0:
            raise EngineError(f"espeak-ng fejlede ({process.returncode}): {_first_line(stderr)}")
        try:
            return fix_wav_sizes(stdout)
        except ValueError as error:
            raise EngineError(f"espeak-ng gav ugyldig lyd: {error}") from None


def split_at_breaks(wav: bytes, count: int) -> list[bytes] | None:
    """Cut a WAV at its ``count - 1`` longest quiet runs of at least ``CUT_MS``; None unless
    there are exactly that many such runs."""
    with wave.open(io.BytesIO(wav)) as reader:
        rate, width, channels = reader.getframerate(), reader.getsampwidth(), reader.getnchannels()
        samples = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2")
    if width != 2 or channels != 1:
        return None
    quiet = np.abs(samples.astype(np.int32)) < QUIET
    edges = np.flatnonzero(np.diff(np.concatenate(([0], quiet.astype(np.int8), [0]))))
    starts, ends = edges[::2], edges[1::2]
    long_runs = [
        (int(a), int(b))
        for a, b in zip(starts, ends, strict=True)
        if b - a >= rate * CUT_MS // 1000 and a > 0 and b < samples.size
    ]
    if len(long_runs) != count - 1:
        return None
    keep = rate * KEEP_MS // 1000
    starts_at = [0, *[b - keep for _, b in long_runs]]
    ends_at = [*[a + keep for a, _ in long_runs], samples.size]
    pieces = []
    for start, end in zip(starts_at, ends_at, strict=True):
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as writer:
            writer.setnchannels(1)
            writer.setsampwidth(2)
            writer.setframerate(rate)
            writer.writeframes(samples[start:end].tobytes())
        pieces.append(buffer.getvalue())
    return pieces


def _first_line(stderr: bytes) -> str:
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[0] if lines else "ingen fejlbesked"


def fix_wav_sizes(data: bytes) -> bytes:
    """Write the real RIFF and data chunk sizes into a WAV whose header has placeholders.

    espeak-ng writing to a pipe cannot seek back to fill in the sizes, so it leaves 0x7ffff...
    there; the data chunk is the last chunk and runs to the end of the stream.
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a RIFF/WAVE stream")
    position = 12
    while position + 8 <= len(data):
        chunk_id = data[position : position + 4]
        if chunk_id == b"data":
            size = len(data) - position - 8
            if size < 2:
                raise ValueError("no audio samples")
            fixed = bytearray(data[: len(data) - size % 2])  # drop half a 16-bit sample, if any
            struct.pack_into("<I", fixed, 4, len(fixed) - 8)
            struct.pack_into("<I", fixed, position + 4, size - size % 2)
            return bytes(fixed)
        (chunk_size,) = struct.unpack_from("<I", data, position + 4)
        position += 8 + chunk_size + chunk_size % 2
    raise ValueError("no data chunk")
