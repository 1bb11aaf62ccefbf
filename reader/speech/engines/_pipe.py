"""Long-lived speech programs spoken to over a pipe: the Piper and espeak-ng library workers.

Both engines embed GPL-3.0 code; reader is MIT. reader's process never loads it: each worker is
a separate program that loads its voice once and answers one request at a time.

Protocol, one request at a time:
  stdout, once, when the voice is loaded: ``{"ready": true, "sample_rate": R}\\n``
  stdin:  one JSON object per line
  stdout: ``{"ok": true, "samples": N, ...}\\n`` followed by N mono 16-bit little-endian
          samples, or ``{"ok": false, "error": "..."}\\n``.
"""

from __future__ import annotations

import io
import json
import os
import select
import subprocess
import threading
import time
import wave
import weakref
from collections.abc import Sequence

from reader.errors import EngineError

LOAD_TIMEOUT = 120.0
"""Seconds a new worker may take to load its voice (more than enough for a medium voice)."""


class PipeWorker:
    """One worker process and the bytes it has sent that were not read yet."""

    def __init__(self, process: subprocess.Popen[bytes], label: str) -> None:
        self._process = process
        self._buffer = bytearray()
        self._label = label
        self.sample_rate = 0
        # A worker nobody holds any more (an engine that was never closed) is stopped too.
        self._stop = weakref.finalize(self, _end, process)

    @classmethod
    def start(cls, command: Sequence[str], label: str) -> PipeWorker:
        try:
            process = subprocess.Popen(list(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        except OSError as error:
            raise EngineError(f"{label} kunne ikke startes: {error.strerror}") from None
        worker = cls(process, label)
        try:
            ready = worker._header(time.monotonic() + LOAD_TIMEOUT)
            rate = ready.get("sample_rate")
            if ready.get("ready") is not True or not isinstance(rate, int) or rate < 8000:
                raise EngineError(f"{label} startede ikke rigtigt")
        except EngineError:
            worker.stop()
            raise
        worker.sample_rate = rate
        return worker

    def alive(self) -> bool:
        return self._process.poll() is None

    def ask(self, request: dict[str, object], timeout: float) -> tuple[dict[str, object], bytes]:
        """The answer's header and its samples as a WAV; ``EngineError`` on any failure."""
        deadline = time.monotonic() + timeout
        line = json.dumps(request, ensure_ascii=False).encode("utf-8") + b"\n"
        stdin = self._process.stdin
        assert stdin is not None
        try:
            stdin.write(line)
            stdin.flush()
        except OSError:
            raise EngineError(f"{self._label} holdt op med at svare") from None
        header = self._header(deadline)
        if header.get("ok") is not True:
            problem = str(header.get("error", "ukendt fejl"))[:200]
            raise EngineError(f"{self._label} fejlede: {problem}")
        samples = header.get("samples")
        if not isinstance(samples, int) or samples < 1:
            raise EngineError(f"{self._label} gav ingen lyd")
        pcm = self._read(samples * 2, deadline)
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as writer:
            writer.setnchannels(1)
            writer.setsampwidth(2)
            writer.setframerate(self.sample_rate)
            writer.writeframes(pcm)
        return header, buffer.getvalue()

    def stop(self) -> None:
        self._stop()

    def _header(self, deadline: float) -> dict[str, object]:
        while b"\n" not in self._buffer:
            self._fill(deadline)
        line, _, rest = bytes(self._buffer).partition(b"\n")
        self._buffer = bytearray(rest)
        try:
            header = json.loads(line)
        except ValueError:
            raise EngineError(f"{self._label} svarede uforståeligt") from None
        if not isinstance(header, dict):
            raise EngineError(f"{self._label} svarede uforståeligt")
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
        try:
            ready = select.select([stdout], [], [], max(0.0, left))[0] if left > 0 else []
        except (OSError, ValueError):  # closed by ``stop`` from another thread
            raise EngineError(f"{self._label} holdt op med at svare") from None
        if not ready:
            raise EngineError(f"{self._label} svarede ikke i tide")
        chunk = os.read(stdout.fileno(), 1 << 16)
        if not chunk:
            raise EngineError(f"{self._label} holdt op med at svare")
        self._buffer += chunk


def _end(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait()
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            stream.close()


class WorkerPool:
    """At most ``size`` workers answering at once; idle ones are kept for the next call, one
    that fails is stopped, and the next call starts a new one."""

    def __init__(self, command: Sequence[str], label: str, size: int, timeout: float) -> None:
        self._command = tuple(command)
        self._label = label
        self._timeout = timeout
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._idle: list[PipeWorker] = []
        self._busy: set[PipeWorker] = set()
        self._closed = False
        self.started = 0
        """Workers started so far (one per voice load)."""

    def ask(self, request: dict[str, object]) -> tuple[dict[str, object], bytes]:
        if not self._slots.acquire(timeout=self._timeout):
            raise EngineError(f"{self._label} var optaget i mere end {self._timeout:g} s")
        try:
            worker = self._take()
            try:
                answer = worker.ask(request, self._timeout)
            except EngineError:
                self._drop(worker)
                raise
            self._give_back(worker)
            return answer
        finally:
            self._slots.release()

    def warm(self) -> None:
        """Start one worker unless one is answering already (its voice is loaded then)."""
        if not self._slots.acquire(blocking=False):
            return
        try:
            self._give_back(self._take())
        finally:
            self._slots.release()

    def close(self) -> None:
        """Stop every worker now: idle ones and those answering (their callers get an
        ``EngineError``); no call after this starts one."""
        with self._lock:
            self._closed = True
            workers = [*self._idle, *self._busy]
            self._idle = []
        for worker in workers:
            worker.stop()

    @property
    def closed(self) -> bool:
        return self._closed

    def _take(self) -> PipeWorker:
        with self._lock:
            if self._closed:
                raise EngineError(f"{self._label} er lukket ned")
            while self._idle:
                worker = self._idle.pop()
                if worker.alive():
                    self._busy.add(worker)
                    return worker
                worker.stop()
            self.started += 1
        worker = PipeWorker.start(self._command, self._label)
        with self._lock:
            closed = self._closed
            if not closed:
                self._busy.add(worker)
        if closed:
            worker.stop()
            raise EngineError(f"{self._label} er lukket ned")
        return worker

    def _drop(self, worker: PipeWorker) -> None:
        with self._lock:
            self._busy.discard(worker)
        worker.stop()

    def _give_back(self, worker: PipeWorker) -> None:
        with self._lock:
            self._busy.discard(worker)
            if not self._closed:
                self._idle.append(worker)
                return
        worker.stop()
