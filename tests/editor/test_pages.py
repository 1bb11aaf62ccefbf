"""Publishing: validated, atomic, every replaced version kept, rollback in both directions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from reader.config import Settings
from reader.content.store import ContentStore
from reader.editor.errors import NotWritable, VersionNotFound
from reader.editor.pages import PageFiles
from reader.errors import ContentError, PageNotFound, TooManySentences

SLUG = "ny-side"


def html(text: str) -> bytes:
    return (
        f"<html lang='da'><body><main><h1>Ny side</h1><p>{text}</p></main></body></html>".encode()
    )


@pytest.fixture
def store(settings: Settings) -> ContentStore:
    return ContentStore(settings.pages_dir, max_bytes=settings.max_page_bytes)


@pytest.fixture
def files(store: ContentStore, settings: Settings) -> PageFiles:
    return PageFiles(
        store, settings.content_dir / "versions", keep=3, max_sentences=settings.max_page_sentences
    )


def sentences(store: ContentStore, slug: str = SLUG) -> list[str]:
    return [s.text for s in store.load(slug).sentences()]


def test_a_new_page_is_created_and_read_like_any_other(
    files: PageFiles, store: ContentStore
) -> None:
    done = files.publish(SLUG, html("Første udgave."))
    assert done.created and done.changed and done.kept is None
    assert SLUG in store.slugs()
    assert sentences(store) == ["Ny side", "Første udgave."]


def test_publishing_keeps_the_version_it_replaces(files: PageFiles, store: ContentStore) -> None:
    files.publish(SLUG, html("Første udgave."))
    done = files.publish(SLUG, html("Anden udgave."))
    assert not done.created and done.changed
    assert done.kept is not None
    assert [v.id for v in files.versions(SLUG)] == [done.kept.id]
    assert done.kept.bytes == len(html("Første udgave."))
    assert sentences(store)[-1] == "Anden udgave."


def test_the_same_page_sent_again_changes_nothing(files: PageFiles) -> None:
    files.publish(SLUG, html("Første udgave."))
    done = files.publish(SLUG, html("Første udgave."))
    assert not done.changed and done.kept is None
    assert files.versions(SLUG) == []


def test_an_edit_of_the_same_length_at_once_is_seen(files: PageFiles, store: ContentStore) -> None:
    # Same size, written within the file system's timestamp granularity: readers that cache
    # by (mtime, size) must still see the new text.
    files.publish(SLUG, html("Katten sov."))
    assert sentences(store)[-1] == "Katten sov."
    files.publish(SLUG, html("Hunden sov."))
    assert sentences(store)[-1] == "Hunden sov."


def test_rollback_restores_the_previous_version_and_keeps_the_replaced_one(
    files: PageFiles, store: ContentStore
) -> None:
    files.publish(SLUG, html("Første udgave."))
    files.publish(SLUG, html("Anden udgave."))
    page, restored = files.rollback(SLUG)
    assert sentences(store)[-1] == "Første udgave." == page.sentences()[-1].text
    assert len(files.versions(SLUG)) == 2
    files.rollback(SLUG)
    assert sentences(store)[-1] == "Anden udgave."


def test_rollback_to_a_named_version(files: PageFiles, store: ContentStore) -> None:
    for text in ("En.", "To.", "Tre."):
        files.publish(SLUG, html(text))
    oldest = files.versions(SLUG)[-1]
    files.rollback(SLUG, oldest.id)
    assert sentences(store)[-1] == "En."
    with pytest.raises(VersionNotFound):
        files.rollback(SLUG, "20000101T000000000000Z")


def test_rollback_without_an_earlier_version_says_so(files: PageFiles) -> None:
    files.publish(SLUG, html("Eneste udgave."))
    with pytest.raises(VersionNotFound):
        files.rollback(SLUG)


def test_a_deleted_page_comes_back_with_a_rollback(files: PageFiles, store: ContentStore) -> None:
    files.publish(SLUG, html("Første udgave."))
    files.delete(SLUG)
    assert SLUG not in store.slugs()
    with pytest.raises(PageNotFound):
        files.delete(SLUG)
    files.rollback(SLUG)
    assert sentences(store)[-1] == "Første udgave."


def test_only_the_newest_versions_are_kept(files: PageFiles) -> None:
    for number in range(6):
        files.publish(SLUG, html(f"Udgave {number}."))
    kept = files.versions(SLUG)
    assert len(kept) == 3
    assert [v.sequence for v in kept] == [5, 4, 3]


class SettableClock:
    """A wall clock the test can set back, as an operator's NTP fix or a VM restore does."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=1)
        return self.now


def test_a_clock_set_back_a_day_still_keeps_the_newest_version(
    store: ContentStore, settings: Settings
) -> None:
    clock = SettableClock()
    files = PageFiles(
        store,
        settings.content_dir / "versions",
        keep=3,
        max_sentences=settings.max_page_sentences,
        clock=clock,
    )
    for number in range(5):
        files.publish(SLUG, html(f"Udgave {number}."))
    clock.now -= dt.timedelta(days=1)
    done = files.publish(SLUG, html("Udgave 5."))
    assert done.kept is not None
    kept = files.versions(SLUG)
    assert [v.id for v in kept][0] == done.kept.id
    assert len(kept) == 3
    files.rollback(SLUG)
    assert sentences(store)[-1] == "Udgave 4."


def test_versions_named_by_time_alone_are_read_as_older_than_numbered_ones(
    files: PageFiles, settings: Settings
) -> None:
    folder = settings.content_dir / "versions" / SLUG
    folder.mkdir(parents=True)
    (folder / "20991231T235959000000Z.html").write_bytes(html("Gammel udgave."))
    files.publish(SLUG, html("Første udgave."))
    files.publish(SLUG, html("Anden udgave."))
    kept = files.versions(SLUG)
    assert [v.sequence for v in kept] == [1, 0]
    assert kept[1].id == "20991231T235959000000Z"
    assert kept[1].saved_at == dt.datetime(2099, 12, 31, 23, 59, 59, tzinfo=dt.UTC)


def test_a_page_that_cannot_be_read_is_refused_and_nothing_changes(
    files: PageFiles, settings: Settings
) -> None:
    files.publish(SLUG, html("Første udgave."))
    before = (settings.pages_dir / f"{SLUG}.html").read_bytes()
    with pytest.raises(ContentError):
        files.publish(SLUG, b"<html><body><script>x()</script></body></html>")
    assert (settings.pages_dir / f"{SLUG}.html").read_bytes() == before
    assert files.versions(SLUG) == []


def many(count: int) -> bytes:
    """A page of ``count`` sentences: the heading and ``count - 1`` paragraphs."""
    paragraphs = "".join(f"<p>Sætning nummer {number}.</p>" for number in range(1, count))
    return f"<html lang='da'><body><main><h1>Ny side</h1>{paragraphs}</main></body></html>".encode()


def test_a_page_at_the_sentence_limit_is_published(store: ContentStore, settings: Settings) -> None:
    files = PageFiles(store, settings.content_dir / "versions", keep=3, max_sentences=4)
    files.publish(SLUG, many(4))
    assert len(sentences(store)) == 4


def test_a_page_over_the_sentence_limit_is_refused_and_nothing_changes(
    store: ContentStore, settings: Settings
) -> None:
    files = PageFiles(store, settings.content_dir / "versions", keep=3, max_sentences=4)
    files.publish(SLUG, html("Første udgave."))
    before = (settings.pages_dir / f"{SLUG}.html").read_bytes()
    with pytest.raises(TooManySentences) as caught:
        files.publish(SLUG, many(5))
    assert caught.value.status_code == 422
    assert "5 sætninger" in caught.value.message and "højst udgives 4" in caught.value.message
    assert "READER_MAX_PAGE_SENTENCES" in caught.value.message
    assert (settings.pages_dir / f"{SLUG}.html").read_bytes() == before
    assert files.versions(SLUG) == []


def test_a_rollback_to_a_version_over_the_sentence_limit_is_refused(
    store: ContentStore, settings: Settings
) -> None:
    roomy = PageFiles(store, settings.content_dir / "versions", keep=3, max_sentences=10)
    roomy.publish(SLUG, many(6))
    roomy.publish(SLUG, html("Kort udgave."))
    strict = PageFiles(store, settings.content_dir / "versions", keep=3, max_sentences=4)
    with pytest.raises(TooManySentences):
        strict.rollback(SLUG)
    assert sentences(store) == ["Ny side", "Kort udgave."]


def test_no_temporary_file_is_left_behind(files: PageFiles, settings: Settings) -> None:
    files.publish(SLUG, html("En."))
    files.publish(SLUG, html("To."))
    leftovers = [p for p in Path(settings.content_dir).rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_a_content_directory_that_cannot_be_written_is_a_clear_503(
    store: ContentStore, settings: Settings
) -> None:
    blocked = settings.content_dir / "blocked"
    blocked.write_text("a file where the versions directory should be")
    files = PageFiles(store, blocked, keep=3, max_sentences=settings.max_page_sentences)
    with pytest.raises(NotWritable) as caught:
        files.publish("politikker-og-raad", html("En ny udgave."))
    assert caught.value.status_code == 503
    assert "READER_CONTENT_DIR" in caught.value.message
