"""An editor service over a private copy of the content, speaking with a fast fake voice."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reader.config import Settings
from reader.editor.service import EditorService
from tests.editor.apps import editor_settings, fast_engine, running_editor
from tests.fakes.engines import ToneEngine


@pytest.fixture
def engine() -> ToneEngine:
    return fast_engine()


@pytest.fixture
def esettings(settings: Settings) -> Settings:
    return editor_settings(settings)


@pytest.fixture
def editor(esettings: Settings, engine: ToneEngine) -> Iterator[EditorService]:
    with running_editor(esettings, engine) as service:
        yield service
