"""espeak-ng: the offline Danish voice, run as a subprocess for each sentence."""

from __future__ import annotations

import logging
import shutil
import struct
import subprocess
import threading

from reader.config import Settings
from reader.errors import EngineError
from reader.speech.engines import RawAudio

logger = logging.getLogger(__name__)

BINARY = "espeak-ng"
VOICE = "da"


class EspeakEngine:
    """Danish speech from espeak-ng; returns WAV (mono, 16 bit, 22050 Hz)."""

    def __init__(self, settings: Settings) -> None:
        self._speed = settings.espeak_speed
        self._timeout = settings.espeak_timeout
        self._version: str | None = None
        self._version_lock = threading.Lock()

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
        # The text goes on stdin (never argv), so text such as "--help" is spoken, not parsed.
        command = [BINARY, "-v", VOICE, "-s", str(self._speed), "-b", "1", "--stdin", "--stdout"]
        try:
            done = subprocess.run(
                command,
                input=text.encode("utf-8"),
                capture_output=True,
                timeout=self._timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise EngineError(f"espeak-ng svarede ikke inden for {self._timeout:g} s") from None
        except OSError as error:
            raise EngineError(f"espeak-ng kunne ikke startes: {error.strerror}") from None
        if done.returncode != 0:
            raise EngineError(f"espeak-ng fejlede ({done.returncode}): {_first_line(done.stderr)}")
        try:
            data = fix_wav_sizes(done.stdout)
        except ValueError as error:
            raise EngineError(f"espeak-ng gav ugyldig lyd: {error}") from None
        return RawAudio(data=data, format="wav")


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
