"""Piper: a self-hosted neural Danish voice, spoken by long-lived worker processes.

``piper-tts`` is GPL-3.0 (and embeds espeak-ng); reader is MIT. reader's process never imports
it: each worker is a separate program (``_piper_worker.py``) that loads the model once and
speaks one sentence at a time over a pipe, the way espeak-ng already runs as its own program.
Loading a medium model takes about 0.7 s, so a worker lives as long as the engine; one that
does not answer within ``piper_timeout`` is stopped, and the next call starts a new one.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import select
import subprocess
import sys
import threading
import time
import wave
from pathlib import Path

from reader.config import Settings
from reader.errors import EngineError
from reader.speech.engines import RawAudio

logger = logging.getLogger(__name__)

WORKER = Path(__file__).with_name("_piper_worker.py")
LOAD_TIMEOUT = 120.0
"""Seconds a new worker may take to load its model (more than enough for a medium voice)."""


class PiperEngine:
    """Danish speech from a Piper voice model; returns WAV (mono, 16 bit, the model's rate).

    At most ``piper_processes`` sentences are spoken at once, each by its own worker; further
    callers wait for a worker to be free (up to ``piper_timeout``).
    """

    def __init__(self, settings: Settings, model: Path) -> None:
        self.model = model
        self._timeout = settings.piper_timeout
        self._slots = threading.BoundedSemaphore(settings.piper_processes)
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._closed = False
        self._digest: str | None = None
        self.started = 0
        """Workers started so far (one per model load)."""

    @property
    def name(self) -> str:
        return "piper"

    @property
    def identity(self) -> dict[str, str]:
        return {"engine": "piper", "voice": self.voice, "model": self.model_digest()}

    @property
    def voice(self) -> str:
        return self.model.name.removesuffix(".onnx")

    def model_digest(self) -> str:
        """The model file's SHA-256 (its first 16 hex digits), read once: a new model under
        the same name never serves the old one's clips."""
        with self._lock:
            if self._digest is None:
                digest = hashlib.sha256()
                try:
                    with self.model.open("rb") as handle:
                        while block := handle.read(1 << 20):
                            digest.update(block)
                except OSError as error:
                    raise EngineError(f"Piper-stemmen kan ikke læses: {error.strerror}") from None
                self._digest = digest.hexdigest()[:16]
            return self._digest

    def synthesize(self, text: str) -> RawAudio:
        if not text.strip():
            raise EngineError("Der er ingen tekst at læse op")
        if not self._slots.acquire(timeout=self._timeout):
            raise EngineError(f"Piper var optaget i mere end {self._timeout:g} s")
        try:
            worker = self._take()
            try:
                audio = worker.speak(text, self._timeout)
            except EngineError:
                worker.stop()
                raise
            self._give_back(worker)
            return RawAudio(data=audio, format="wav")
        finally:
            self._slots.release()

    def warm_up(self) -> threading.Thread:
        """Start one worker and read the model's digest in the background, so that the first
        listener does not wait for the model to load."""
        thread = threading.Thread(target=self._warm, name="piper-warm-up", daemon=True)
        thread.start()
        return thread

    def _warm(self) -> None:
        if not self._slots.acquire(blocking=False):
            return  # a sentence is being spoken already: its worker is warm
        try:
            self.model_digest()
            self._give_back(self._take())
        except EngineError as error:
            logger.warning("Piper could not be started ahead: %s", error.message)
        finally:
            self._slots.release()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()

    def _take(self) -> _Worker:
        with self._lock:
            if self._closed:
                raise EngineError("Piper er lukket ned")
            while self._idle:
                worker = self._idle.pop()
                if worker.alive():
                    return worker
                worker.stop()
            self.started += 1
        return _Worker.start(self.model)

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            if not self._closed:
                self._idle.append(worker)
                return
        worker.stop()


class _Worker:
    """One worker process and the bytes it has sent that were not read yet."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process
        self._buffer = bytearray()
        self.sample_rate = 0

    @classmethod
    def start(cls, model: Path) -> _Worker:
        # -P: the worker's folder is not put on sys.path, so this module never shadows piper.
        try:
            process = subprocess.Popen(
                [sys.executable, "-P", str(WORKER), str(model)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        except OSError as error:
            raise EngineError(f"Piper kunne ikke startes: {error.strerror}") from None
        worker = cls(process)
        try:
            ready = worker._header(time.monotonic() + LOAD_TIMEOUT)
            rate = ready.get("sample_rate")
            if ready.get("ready") is not True or not isinstance(rate, int) or rate < 8000:
                raise EngineError("Piper startede ikke rigtigt")
        except EngineError:
            worker.stop()
            raise
        worker.sample_rate = rate
        return worker

    def alive(self) -> bool:
        return self._process.poll() is None

    def speak(self, text: str, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        request = json.dumps({"text": text}, ensure_ascii=False).encode("utf-8") + b"\n"
        stdin = self._process.stdin
        assert stdin is not None
        try:
            stdin.write(request)
            stdin.flush()
        except OSError:
            raise EngineError("Piper holdt op med at svare") from None
        header = self._header(deadline)
        if header.get("ok") is not True:
            raise EngineError(f"Piper fejlede: {str(header.get('error', 'ukendt fejl'))[:200]}")
        samples = header.get("samples")
        if not isinstance(samples, int) or samples < 1:
            raise EngineError("Piper gav ingen lyd")
        pcm = self._read(samples * 2, deadline)
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as writer:
            writer.setnchannels(1)
            writer.setsampwidth(2)
            writer.setframerate(self.sample_rate)
            writer.writeframes(pcm)
        return buffer.getvalue()

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                stream.close()

    def _header(self, deadline: float) -> dict[str, object]:
        while b"\n" not in self._buffer:
            self._fill(deadline)
        line, _, rest = bytes(self._buffer).partition(b"\n")
        self._buffer = bytearray(rest)
        try:
            header = json.loads(line)
        except ValueError:
            raise EngineError("Piper svarede uforståeligt") from None
        if not isinstance(header, dict):
            raise EngineError("Piper svarede uforståeligt")
        return header

    def _read(self, size: int, deadline: float) -> bytes:
        while len(self._buffer) < size:
            self._fill(deadline)
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def _fill(self, deadline: float) -> None:
        stdout = self._process.stdout
        assert stdout is not None
        left = deadline - time.monotonic()
        ready = select.select([stdout], [], [], max(0.0, left))[0] if left > 0 else []
        if not ready:
            raise EngineError("Piper svarede ikke i tide")
        chunk = os.read(stdout.fileno(), 1 << 16)
        if not chunk:
            raise EngineError("Piper holdt op med at svare")
        self._buffer += chunk
