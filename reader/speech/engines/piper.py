"""Piper: a self-hosted neural Danish voice, spoken by long-lived worker processes.

``piper-tts`` is GPL-3.0 (and embeds espeak-ng); reader is MIT. reader's process never imports
it: each worker is a separate program (``_piper_worker.py``) that loads the model once and
speaks one sentence at a time over a pipe, the way espeak-ng already runs as its own program.
Loading a medium model takes about 0.7 s, so a worker lives as long as the engine; one that
does not answer within ``piper_timeout`` is stopped, and the next call starts a new one.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import threading
from pathlib import Path

from reader.config import Settings
from reader.errors import EngineError
from reader.speech.engines import RawAudio, word_spans
from reader.speech.engines._pipe import WorkerPool

logger = logging.getLogger(__name__)

WORKER = Path(__file__).with_name("_piper_worker.py")


class PiperEngine:
    """Danish speech from a Piper voice model; returns WAV (mono, 16 bit, the model's rate) and
    where each word is heard.

    At most ``piper_processes`` sentences are spoken at once, each by its own worker; further
    callers wait for a worker to be free (up to ``piper_timeout``).
    """

    def __init__(self, settings: Settings, model: Path) -> None:
        self.model = model
        # -P: the worker's folder is not put on sys.path, so this module never shadows piper.
        self._pool = WorkerPool(
            [sys.executable, "-P", str(WORKER), str(model)],
            "Piper",
            settings.piper_processes,
            settings.piper_timeout,
        )
        self._lock = threading.Lock()
        self._digest: str | None = None

    @property
    def started(self) -> int:
        """Workers started so far (one per model load)."""
        return self._pool.started

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
        header, wav = self._pool.ask({"text": text})
        return RawAudio(data=wav, format="wav", words=word_spans(header.get("words"), text))

    def warm_up(self) -> threading.Thread:
        """Start one worker and read the model's digest in the background, so that the first
        listener does not wait for the model to load."""
        thread = threading.Thread(target=self._warm, name="piper-warm-up", daemon=True)
        thread.start()
        return thread

    def _warm(self) -> None:
        try:
            self.model_digest()
            self._pool.warm()
        except EngineError as error:
            logger.warning("Piper could not be started ahead: %s", error.message)

    def close(self) -> None:
        self._pool.close()
