"""Notices pages and the lexicon changed on disk (by an editor's text editor, a deploy, a sync)
without any dependency: a thread looks at the files every few seconds.

A file counts as changed when its content does: its stamp (inode, mtime, size) says when to look,
its SHA-256 says whether it really changed, so a ``touch`` or a copy of the same bytes is no
change. The service's own writes happen inside ``writing``, so they are not reported again.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from reader.content.slugs import SLUG_RE

logger = logging.getLogger(__name__)

ChangeKind = Literal["page", "lexicon"]
ChangeEvent = Literal["added", "changed", "removed"]


@dataclass(frozen=True)
class DiskChange:
    kind: ChangeKind
    event: ChangeEvent
    path: Path
    slug: str | None = None
    """The page's slug (None for the lexicon)."""


@dataclass(frozen=True)
class _Seen:
    stamp: tuple[int, int, int]
    digest: str


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


class ContentWatcher:
    """Looks at ``pages_dir/*.html`` and the lexicon; reports what changed to ``on_changes``."""

    def __init__(
        self,
        pages_dir: Path,
        lexicon_path: Path,
        on_changes: Callable[[list[DiskChange]], None],
        *,
        interval: float,
    ) -> None:
        self.pages_dir = pages_dir
        self.lexicon_path = lexicon_path
        self.on_changes = on_changes
        self.interval = interval
        self._known: dict[Path, _Seen] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def prime(self) -> None:
        """Take the files as they are now as the starting point (reports nothing)."""
        with self._lock:
            self._known = {}
            for path in self._files():
                self._remember(path)

    def start(self) -> None:
        """Scan every ``interval`` seconds in a thread (not at all when it is 0)."""
        if self.interval > 0 and self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="content-watch", daemon=True)
            self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    @contextmanager
    def writing(self, *paths: Path) -> Iterator[None]:
        """Around the service's own writes of ``paths``: they are not changes made on disk.

        No look happens meanwhile, so none can catch the write half way and report it.
        """
        with self._lock:
            try:
                yield
            finally:
                for path in paths:
                    if not self._remember(path):
                        self._known.pop(path, None)

    def scan_once(self) -> list[DiskChange]:
        """Look once; report and return what changed since the last look."""
        changes: list[DiskChange] = []
        with self._lock:
            present = set(self._files())
            for path in sorted(present):
                seen = self._known.get(path)
                stamp = _stamp(path)
                if stamp is None:
                    continue  # removed while looking: the next look reports it
                if seen is not None and seen.stamp == stamp:
                    continue
                digest = _digest(path)
                if digest is None:
                    continue
                self._known[path] = _Seen(stamp, digest)
                if seen is None:
                    changes.append(self._change("added", path))
                elif seen.digest != digest:
                    changes.append(self._change("changed", path))
            for path in sorted(set(self._known) - present):
                del self._known[path]
                changes.append(self._change("removed", path))
        if changes:
            self.on_changes(changes)
        return changes

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.scan_once()
            except Exception:  # keep watching: the next look may succeed
                logger.exception("looking for changed content failed")

    def _files(self) -> list[Path]:
        files = []
        if self.pages_dir.is_dir():
            files = [
                path
                for path in self.pages_dir.glob("*.html")
                if SLUG_RE.fullmatch(path.stem) and path.is_file()
            ]
        if self.lexicon_path.is_file():
            files.append(self.lexicon_path)
        return files

    def _remember(self, path: Path) -> bool:
        stamp = _stamp(path)
        digest = _digest(path) if stamp is not None else None
        if stamp is None or digest is None:
            return False
        self._known[path] = _Seen(stamp, digest)
        return True

    def _change(self, event: ChangeEvent, path: Path) -> DiskChange:
        if path == self.lexicon_path:
            return DiskChange("lexicon", event, path)
        return DiskChange("page", event, path, slug=path.stem)
