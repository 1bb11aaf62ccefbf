"""espeak-ng: the offline Danish voice.

espeak-ng is GPL-3.0 and stays out of reader's process. It speaks in long-lived worker programs
(``_espeak_worker.py``) that load its library once and answer over a pipe; the library also
says where each word starts, so these clips carry word timings.

Without the library, the ``espeak-ng`` command speaks instead (no shell, text on stdin), with no
word timings. Starting it costs about 7 ms (it loads the Danish voice) — more than speaking a
short sentence — so ``synthesize_many`` then speaks many sentences in one process, separated by
long SSML breaks, and cuts the audio at those breaks.
"""

from __future__ import annotations

import ctypes.util
import html
import io
import logging
import os
import shutil
import struct
import subprocess
import sys
import threading
import wave
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from reader.config import Settings
from reader.errors import BuildStopped, EngineError
from reader.speech.engines import RawAudio, WordSpans
from reader.speech.engines._pipe import WorkerPool
from reader.speech.words import word_tokens

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
WORKER = Path(__file__).with_name("_espeak_worker.py")
WORD_EVENT, END_EVENT = 1, 5


def library_available() -> bool:
    """espeak-ng's library is installed (looked up by name; it is never loaded here)."""
    return ctypes.util.find_library("espeak-ng") is not None


class EspeakEngine:
    """Danish speech from espeak-ng; returns WAV (mono, 16 bit, 22050 Hz).

    ``worker`` speaks through the library's worker programs (with word timings) when the
    library is installed; False, or no library, uses the ``espeak-ng`` command.
    """

    def __init__(self, settings: Settings, *, worker: bool = True) -> None:
        self._speed = settings.espeak_speed
        self._timeout = settings.espeak_timeout
        self._version: str | None = None
        self._version_lock = threading.Lock()
        self._children: set[subprocess.Popen[bytes]] = set()
        self._children_lock = threading.Lock()
        self._halted = False
        self._pool = (
            WorkerPool(
                [sys.executable, "-P", str(WORKER), VOICE, str(self._speed)],
                "espeak-ng",
                min(4, os.cpu_count() or 1),
                self._timeout,
            )
            if worker and library_available()
            else None
        )

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
        if self._pool is not None:
            self._pool.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()

    @property
    def times_words(self) -> bool:
        """Its clips say where each word is heard."""
        return self._pool is not None

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
        if self._pool is not None:
            return self._ask(text)
        return RawAudio(data=self._run(text.encode("utf-8"), ssml=False), format="wav")

    def _ask(self, text: str) -> RawAudio:
        assert self._pool is not None
        if self._halted:
            raise BuildStopped(HALTED)
        try:
            header, wav = self._pool.ask({"text": text})
        except EngineError:
            if self._halted:  # stopped half-way: whatever it said is not a whole answer
                raise BuildStopped(HALTED) from None
            raise
        samples = header.get("samples")
        events = header.get("events")
        words = None
        if isinstance(samples, int) and isinstance(events, list):
            words = event_spans(text, events, samples, self._pool_rate(wav))
        return RawAudio(data=wav, format="wav", words=words)

    @staticmethod
    def _pool_rate(wav: bytes) -> int:
        with wave.open(io.BytesIO(wav)) as reader:
            return int(reader.getframerate())

    def synthesize_many(self, texts: Sequence[str]) -> list[RawAudio]:
        """One clip per text: from the worker one by one (it has no start-up cost), else from
        one espeak-ng process, cut at breaks; one process per text when that audio cannot be
        cut into exactly as many pieces."""
        if any(not text.strip() for text in texts):
            raise EngineError("Der er ingen tekst at læse op")
        if self._pool is not None or len(texts) < 2:
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


def event_spans(text: str, events: Sequence[object], samples: int, rate: int) -> WordSpans | None:
    """Each word's (start, end) in seconds from espeak-ng's events.

    espeak-ng says a word starts at a character of the text; a number gives several events
    ("2015" is four spoken words), and now and then an event names a character a word or two
    off. So each word takes, in order, the word event whose character is nearest its own (one
    event per word, the least total distance), and ends where the next word starts or the
    clause ends. None unless there are at least as many word events as words
    (``word_tokens``).
    """
    tokens = word_tokens(text)
    marks: list[tuple[int, int, int]] = []  # (kind, character from 0, sample)
    for event in events:
        if not (isinstance(event, list) and len(event) == 3):
            return None
        if not all(isinstance(v, int) for v in event) or not 0 <= event[2] <= samples:
            return None
        marks.append((event[0], event[1] - 1, event[2]))
    if any(later[2] < earlier[2] for earlier, later in zip(marks, marks[1:], strict=False)):
        return None
    word_marks = [n for n, mark in enumerate(marks) if mark[0] == WORD_EVENT]
    chosen = _choose([marks[n][1] for n in word_marks], [t.start for t in tokens])
    if not tokens or chosen is None:
        return None
    starts = [word_marks[k] for k in chosen]
    spans = []
    for number, first in enumerate(starts):
        following = starts[number + 1] if number + 1 < len(starts) else len(marks)
        ends = [marks[n][2] for n in range(first + 1, following) if marks[n][0] == END_EVENT]
        stop = ends[0] if ends else (marks[following][2] if following < len(marks) else samples)
        spans.append((marks[first][2] / rate, max(marks[first][2], stop) / rate))
    return tuple(spans)


def _choose(positions: Sequence[int], starts: Sequence[int]) -> list[int] | None:
    """Indexes into ``positions``, one per start and increasing, with the least total
    distance between each start and its position (None: fewer positions than starts)."""
    count, options = len(starts), len(positions)
    if count == 0 or options < count:
        return None
    far = float("inf")
    cost = [[far] * options for _ in range(count)]
    back = [[-1] * options for _ in range(count)]
    for j in range(options):
        cost[0][j] = abs(positions[j] - starts[0])
    for i in range(1, count):
        best, best_at = far, -1
        for j in range(i, options):
            if cost[i - 1][j - 1] < best:
                best, best_at = cost[i - 1][j - 1], j - 1
            cost[i][j] = best + abs(positions[j] - starts[i])
            back[i][j] = best_at
    j = min(range(count - 1, options), key=lambda k: cost[count - 1][k])
    chosen = [j]
    for i in range(count - 1, 0, -1):
        j = back[i][j]
        chosen.append(j)
    return chosen[::-1]


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
