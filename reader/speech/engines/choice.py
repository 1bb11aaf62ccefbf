"""Which engines a setting means, in order of preference, and the breaker guarding the first."""

from __future__ import annotations

from dataclasses import dataclass

from reader.config import Settings
from reader.speech.engines import Engine
from reader.speech.engines.breaker import CircuitBreaker
from reader.speech.engines.espeak import EspeakEngine

BREAKER_FAILURES = 3


@dataclass(frozen=True)
class EngineChoice:
    engines: tuple[Engine, ...]
    """The preferred engine first; a clip made by a later one is degraded."""
    breaker: CircuitBreaker | None
    """Skips the first engine for a while after repeated failures (``auto`` only)."""

    def close(self) -> None:
        for engine in self.engines:
            close = getattr(engine, "close", None)
            if callable(close):
                close()


def choose_engines(settings: Settings) -> EngineChoice:
    if settings.engine == "espeak":
        return EngineChoice((EspeakEngine(settings),), None)
    # Imported only when used: gTTS and requests cost an offline build ~40 ms of start-up.
    from reader.speech.engines.gtts import GttsEngine

    if settings.engine == "gtts":
        return EngineChoice((GttsEngine(settings),), None)
    return EngineChoice(
        (GttsEngine(settings), EspeakEngine(settings)),
        CircuitBreaker(failure_threshold=BREAKER_FAILURES, reset_after=settings.breaker_reset),
    )
