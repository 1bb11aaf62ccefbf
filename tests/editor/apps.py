"""Editor set-ups shared by the editor and web tests: tokens, settings, a fast fake voice."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from reader.config import Settings
from reader.editor.jobs import JobView
from reader.editor.service import EditorService
from reader.services import Services, build_services
from reader.speech.engines.choice import EngineChoice
from tests.fakes.engines import ToneEngine

TOKEN = "anna-token-0123456789"
OTHER_TOKEN = "bo-token-9876543210"
ADMIN_TOKEN = f"anna:{TOKEN},bo:{OTHER_TOKEN}"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

POLITIK = "politikker-og-raad"
FOREBYG = "forebyggelsesstrategi"
SEEDS = [FOREBYG, POLITIK]

ONE_WORD = {"written": "integrationsråd", "spoken": "integrations-råd"}
"""A one-word lexicon change: "Integrationsråd" is said in one sentence of the seed pages."""
ONE_WORD_SENTENCE = "Integrationsråd, der vejleder"


def editor_settings(settings: Settings, **changes: Any) -> Settings:
    """The test settings with editors enabled and no watcher thread (tests scan themselves)."""
    values: dict[str, Any] = {
        "content_dir": settings.content_dir,
        "data_dir": settings.data_dir,
        "engine": "espeak",
        "admin_token": ADMIN_TOKEN,
        "watch_interval": 0,
        **changes,
    }
    return Settings(**values)


def fast_engine() -> ToneEngine:
    return ToneEngine(ms_per_char=2)


def engines(engine: ToneEngine) -> EngineChoice:
    return EngineChoice((engine,), None)


@contextmanager
def running_editor(settings: Settings, engine: ToneEngine) -> Iterator[EditorService]:
    services: Services = build_services(settings, engines(engine))
    editor = EditorService.build(settings, services)
    editor.start()
    try:
        yield editor
    finally:
        editor.close()
        services.close()


def finished(editor: EditorService, job: JobView) -> JobView:
    """The job's final state (jobs run in the editor's own thread)."""
    return editor.jobs.future(job.id).result(timeout=120)
