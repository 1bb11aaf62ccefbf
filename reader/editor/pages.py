"""Publishing pages: validated, written atomically, the previous version kept for rolling back.

The current page is ``content/pages/<slug>.html``; earlier versions are kept as
``content/versions/<slug>/<sequence>-<UTC time>.html``, at most ``keep`` of them. They are
ordered by the sequence number, one more than the highest kept, never by the time: a clock set
back would otherwise sort the copy just kept as the oldest and delete it. Versions named by the
time alone (kept before the sequence number) still count, as older than any numbered one.
Publishing, deleting and rolling back each keep the file they replace, so no step loses a
version: rolling back twice returns to where it started.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from reader._atomic import write_atomic
from reader.content.extract import extract_page
from reader.content.models import Page
from reader.content.slugs import check_slug
from reader.content.store import ContentStore
from reader.editor.errors import NotWritable, VersionNotFound
from reader.errors import ContentError, PageNotFound, TooManySentences

logger = logging.getLogger(__name__)

VERSION_FORMAT = "%Y%m%dT%H%M%S%fZ"
_VERSION_ID = re.compile(r"^(?:(?P<seq>\d{8})-)?(?P<at>\d{8}T\d{12}Z)$")


class Version(BaseModel):
    """A kept earlier version of a page."""

    id: str
    saved_at: dt.datetime
    bytes: int
    sequence: int = 0
    """Orders the versions: higher is newer (0 for a version named by its time alone)."""


@dataclass(frozen=True)
class Published:
    page: Page
    created: bool
    """There was no page with this slug before."""
    changed: bool
    """The bytes differ from the page as it was (False: the same page was sent again)."""
    kept: Version | None
    """The version this one replaced, now kept."""


def validate_page(slug: str, data: bytes, *, max_bytes: int, max_sentences: int) -> Page:
    """The page ``data`` extracts to; ``ContentError`` (422, 413 when too large) says why not."""
    page = extract_page(data, slug=slug, source=f"{slug}.html", max_bytes=max_bytes)
    count = len(page.sentences())
    if not page.sections or not count:
        raise ContentError(f"{slug}.html: the page has no section with text to read")
    if count > max_sentences:
        raise TooManySentences(
            f"Siden har {count} sætninger; der kan højst udgives {max_sentences} sætninger "
            "på én side (READER_MAX_PAGE_SENTENCES). Del siden op i flere sider."
        )
    return page


def touch_after(path: Path, previous_ns: int | None) -> None:
    """Give a just-written file a modification time unlike the one it replaced.

    Readers notice changes by (mtime, size); a file rewritten with the same size within the
    file system's timestamp granularity (milliseconds) would otherwise look unchanged.
    """
    stamp = time.time_ns()
    if previous_ns is not None and stamp <= previous_ns:
        stamp = previous_ns + 1
    os.utime(path, ns=(stamp, stamp))


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class PageFiles:
    """The page files as editors change them. One writer at a time within the process."""

    def __init__(
        self,
        store: ContentStore,
        versions_dir: Path,
        *,
        keep: int,
        max_sentences: int,
        clock: Callable[[], dt.datetime] = _utc_now,
    ) -> None:
        self.store = store
        self.versions_dir = versions_dir
        self.keep = keep
        self.max_sentences = max_sentences
        self._clock = clock
        self._lock = threading.Lock()

    def publish(self, slug: str, data: bytes) -> Published:
        page = validate_page(
            check_slug(slug), data, max_bytes=self.store.max_bytes, max_sentences=self.max_sentences
        )
        path = self.store.path(slug)
        with self._lock, _writable(slug):
            old = _read(path)
            if old == data:
                return Published(page, created=False, changed=False, kept=None)
            kept = self._keep(slug, old) if old is not None else None
            self._write(path, data)
        return Published(page, created=old is None, changed=True, kept=kept)

    def delete(self, slug: str) -> Version:
        """Remove the page; its last version is kept, so a rollback brings it back."""
        path = self.store.path(slug)
        with self._lock, _writable(slug):
            old = _read(path)
            if old is None:
                raise PageNotFound(f"Siden {slug!r} findes ikke")
            kept = self._keep(slug, old)
            path.unlink()
        return kept

    def versions(self, slug: str) -> list[Version]:
        """Kept versions, newest first."""
        folder = self.versions_dir / check_slug(slug)
        if not folder.is_dir():
            return []
        found = []
        for file in folder.glob("*.html"):
            if _VERSION_ID.fullmatch(file.stem):
                found.append(_version(file))
        return sorted(found, key=lambda v: (v.sequence, v.saved_at, v.id), reverse=True)

    def rollback(self, slug: str, version_id: str | None = None) -> tuple[Page, Version]:
        """Make a kept version the page again (by default the newest that differs from it).

        Returns the restored page and the version it came from; the replaced page is kept.
        """
        path = self.store.path(slug)
        with self._lock, _writable(slug):
            current = _read(path)
            chosen = self._choose(slug, version_id, current)
            data = self._version_path(slug, chosen.id).read_bytes()
            page = validate_page(
                slug, data, max_bytes=self.store.max_bytes, max_sentences=self.max_sentences
            )
            if current is not None:
                self._keep(slug, current)
            self._write(path, data)
        return page, chosen

    def _choose(self, slug: str, version_id: str | None, current: bytes | None) -> Version:
        kept = self.versions(slug)
        if version_id is not None:
            for version in kept:
                if version.id == version_id:
                    return version
            raise VersionNotFound(f"Siden {slug!r} har ingen version {version_id[:40]!r}")
        for version in kept:
            if self._version_path(slug, version.id).read_bytes() != current:
                return version
        raise VersionNotFound(f"Siden {slug!r} har ingen tidligere version at gå tilbage til")

    def _version_path(self, slug: str, version_id: str) -> Path:
        return self.versions_dir / check_slug(slug) / f"{version_id}.html"

    def _keep(self, slug: str, data: bytes) -> Version:
        kept = self.versions(slug)
        sequence = (kept[0].sequence if kept else 0) + 1
        version_id = f"{sequence:08d}-{self._clock().strftime(VERSION_FORMAT)}"
        target = self._version_path(slug, version_id)
        write_atomic(target, data)
        for old in self.versions(slug)[self.keep :]:
            self._version_path(slug, old.id).unlink(missing_ok=True)
        return _version(target)

    def _write(self, path: Path, data: bytes) -> None:
        try:
            previous: int | None = path.stat().st_mtime_ns
        except FileNotFoundError:
            previous = None
        write_atomic(path, data)
        touch_after(path, previous)


@contextmanager
def _writable(slug: str) -> Iterator[None]:
    """A failed write (read-only mount, wrong owner, full disk) is the operator's to fix: say so
    instead of failing with a 500."""
    try:
        yield
    except OSError as error:
        logger.warning("cannot write page %s: %s", slug, error)
        raise NotWritable(f"Siden {slug!r}", error) from None


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _version(path: Path) -> Version:
    match = _VERSION_ID.fullmatch(path.stem)
    assert match is not None  # only files whose names match are listed
    saved = dt.datetime.strptime(match["at"], VERSION_FORMAT).replace(tzinfo=dt.UTC)
    sequence = int(match["seq"] or 0)
    return Version(id=path.stem, saved_at=saved, bytes=path.stat().st_size, sequence=sequence)
