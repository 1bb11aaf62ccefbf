"""Fixtures shared by every test: an isolated environment and a private copy of the content."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from reader.config import Settings

REPO = Path(__file__).resolve().parent.parent
CONTENT = REPO / "content"


# Nothing in the tests may talk to another machine: unless a test points gTTS at its own fake
# endpoint, it goes to a loopback port where nothing listens.
NOWHERE = "http://127.0.0.1:9/batchexecute"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No READER_* variable from the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("READER_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("READER_GTTS_URL", NOWHERE)
    # The content watcher is driven by tests that want it (scan_once), never by a timer.
    monkeypatch.setenv("READER_WATCH_INTERVAL", "0")
    yield


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """A copy of the repository's content/ that a test may change freely."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target


@pytest.fixture
def settings(content_dir: Path, tmp_path: Path) -> Settings:
    return Settings(content_dir=content_dir, data_dir=tmp_path / "var", engine="espeak")
