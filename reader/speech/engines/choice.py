"""Which engines a setting means, in order of preference, and the breaker guarding the first."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from reader.config import Settings
from reader.errors import ReaderError
from reader.speech.engines import Engine
from reader.speech.engines.breaker import CircuitBreaker
from reader.speech.engines.espeak import EspeakEngine
from reader.speech.voices import installed_model, model_path

BREAKER_FAILURES = 3


class EngineSettingError(ReaderError):
    """``READER_ENGINE`` names an engine that cannot run here."""

    status_code = 503
    title = "Stemmen mangler"


@dataclass(frozen=True)
class EngineChoice:
    engines: tuple[Engine, ...]
    """The preferred engine first; a clip made by a later one is degraded."""
    breaker: CircuitBreaker | None
    """Skips the first engine for a while after repeated failures (when there is a fallback)."""

    def warm_up(self) -> None:
        """Let engines that keep a model loaded load it now, in the background."""
        for engine in self.engines:
            warm_up = getattr(engine, "warm_up", None)
            if callable(warm_up):
                warm_up()

    def halt(self) -> None:
        """Stop what the engines are doing now (the service stops), for those that can."""
        for engine in self.engines:
            halt = getattr(engine, "halt", None)
            if callable(halt):
                halt()

    def close(self) -> None:
        for engine in self.engines:
            close = getattr(engine, "close", None)
            if callable(close):
                close()


def piper_installed() -> bool:
    """Whether the Piper package can be found (it is never imported by this process)."""
    return importlib.util.find_spec("piper") is not None


def engine_names(settings: Settings) -> tuple[str, ...]:
    """The engines ``READER_ENGINE`` means here, in order of preference."""
    if settings.engine_names:
        return settings.engine_names
    if piper_installed() and installed_model(settings) is not None:
        return ("piper", "gtts", "espeak")
    return ("gtts", "espeak")


def choose_engines(settings: Settings) -> EngineChoice:
    engines: list[Engine] = []
    for name in engine_names(settings):
        if name == "espeak":
            engines.append(EspeakEngine(settings))
        elif name == "gtts":
            # Imported only when used: gTTS and requests cost an offline build ~40 ms.
            from reader.speech.engines.gtts import GttsEngine

            engines.append(GttsEngine(settings))
        else:
            from reader.speech.engines.piper import PiperEngine

            model = installed_model(settings)
            if model is None:
                raise EngineSettingError(
                    f"READER_ENGINE nævner piper, men stemmen {model_path(settings)} er ikke "
                    "installeret: kør reader voices install eller sæt READER_PIPER_VOICE"
                )
            engines.append(PiperEngine(settings, model))
    breaker = None
    if len(engines) > 1:
        breaker = CircuitBreaker(
            failure_threshold=BREAKER_FAILURES, reset_after=settings.breaker_reset
        )
    return EngineChoice(tuple(engines), breaker)
