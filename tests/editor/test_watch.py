"""The content watcher: reports pages and the lexicon changed on disk, and nothing else."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reader.config import Settings
from reader.editor.watch import ContentWatcher, DiskChange


@pytest.fixture
def reported() -> list[DiskChange]:
    return []


@pytest.fixture
def watcher(settings: Settings, reported: list[DiskChange]) -> ContentWatcher:
    watching = ContentWatcher(
        settings.pages_dir, settings.lexicon_path, reported.extend, interval=0
    )
    watching.prime()
    return watching


def events(changes: list[DiskChange]) -> list[tuple[str, str, str | None]]:
    return [(c.kind, c.event, c.slug) for c in changes]


def test_nothing_changed_nothing_reported(watcher: ContentWatcher) -> None:
    assert watcher.scan_once() == []


def test_an_edited_page_is_reported_once(
    watcher: ContentWatcher, settings: Settings, reported: list[DiskChange]
) -> None:
    path = settings.pages_dir / "politikker-og-raad.html"
    path.write_text(path.read_text().replace("Integrationsrådet", "Integrationsrådet i dag"))
    assert events(watcher.scan_once()) == [("page", "changed", "politikker-og-raad")]
    assert watcher.scan_once() == []
    assert events(reported) == [("page", "changed", "politikker-og-raad")]


def test_a_file_touched_or_rewritten_with_the_same_bytes_is_no_change(
    watcher: ContentWatcher, settings: Settings
) -> None:
    path = settings.pages_dir / "forebyggelsesstrategi.html"
    path.write_bytes(path.read_bytes())
    os.utime(path, ns=(1, 1))
    assert watcher.scan_once() == []


def test_added_and_removed_pages_are_reported(watcher: ContentWatcher, settings: Settings) -> None:
    (settings.pages_dir / "ny-side.html").write_text("<h1>Ny</h1><p>Tekst.</p>")
    (settings.pages_dir / "forebyggelsesstrategi.html").unlink()
    (settings.pages_dir / "Ikke En Slug.html").write_text("<h1>x</h1>")
    (settings.pages_dir / "noter.txt").write_text("ikke en side")
    assert sorted(events(watcher.scan_once())) == [
        ("page", "added", "ny-side"),
        ("page", "removed", "forebyggelsesstrategi"),
    ]


def test_the_lexicon_is_watched_too(watcher: ContentWatcher, settings: Settings) -> None:
    with settings.lexicon_path.open("a", encoding="utf-8") as handle:
        handle.write("htk = h t k\n")
    assert events(watcher.scan_once()) == [("lexicon", "changed", None)]
    settings.lexicon_path.unlink()
    assert events(watcher.scan_once()) == [("lexicon", "removed", None)]


def test_the_services_own_writes_are_not_reported(
    watcher: ContentWatcher, settings: Settings
) -> None:
    path = settings.pages_dir / "ny-side.html"
    with watcher.writing(path):
        path.write_text("<h1>Ny</h1><p>Tekst.</p>")
    lexicon = settings.lexicon_path
    with watcher.writing(lexicon, path):
        lexicon.write_text("htk = h t k\n", encoding="utf-8")
        path.unlink()
    assert watcher.scan_once() == []


def test_the_thread_is_not_started_when_the_interval_is_zero(watcher: ContentWatcher) -> None:
    watcher.start()
    assert not watcher.running
    watcher.stop()


def test_a_missing_pages_directory_is_nothing_to_watch(tmp_path: Path) -> None:
    watching = ContentWatcher(tmp_path / "pages", tmp_path / "lexicon.txt", print, interval=0)
    watching.prime()
    assert watching.scan_once() == []
