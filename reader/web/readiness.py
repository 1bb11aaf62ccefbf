"""Whether this instance can do its work: write audio, and make it with some engine."""

from __future__ import annotations

import os
import shutil
import tempfile

from reader.config import Settings
from reader.services import Services
from reader.speech.engines.espeak import EspeakEngine
from reader.web.schemas import Readiness

_PROBE = b"\0" * 4096
"""Written for real: on a full disk a new empty file still fits, its first block does not."""


def data_dir_writable(settings: Settings) -> str | None:
    """None when the data directory takes a small write and has room to spare, else why not."""
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        fd, path = tempfile.mkstemp(prefix=".ready.", dir=settings.data_dir)
        try:
            os.write(fd, _PROBE)
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(path)
        usage = shutil.disk_usage(settings.data_dir)
    except OSError as error:
        return f"{settings.data_dir}: {error.strerror or error}"
    free_mb = usage.free // (1024 * 1024)
    if free_mb < settings.min_free_mb:
        return (
            f"{settings.data_dir}: only {free_mb} MB free, READER_MIN_FREE_MB is "
            f"{settings.min_free_mb}"
        )
    return None


def engines_available(services: Services) -> dict[str, bool]:
    """An engine counts as available unless we know it cannot answer: espeak-ng's binary is
    missing, or gTTS's circuit breaker is open after repeated failures."""
    choice = services.engines
    available: dict[str, bool] = {}
    for rank, engine in enumerate(choice.engines):
        if isinstance(engine, EspeakEngine):
            available[engine.name] = EspeakEngine.available()
        elif rank == 0 and choice.breaker is not None:
            available[engine.name] = choice.breaker.state != "open"
        else:
            available[engine.name] = True
    return available


def check_readiness(settings: Settings, services: Services) -> Readiness:
    problem = data_dir_writable(settings)
    engines = engines_available(services)
    problems = [problem] if problem else []
    if not any(engines.values()):
        problems.append("no engine can speak: " + ", ".join(engines))
    return Readiness(ready=not problems, engines=engines, problems=problems)
