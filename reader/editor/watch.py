"""Notices pages and the lexicon changed on disk (by an editor's text editor, a deploy, a sync)
without any dependency: a thread looks at the files every few seconds.

A file counts as changed when its content does: its stamp (inode, mtime, size) says when to look,
its SHA-256 says whether it really changed, so a ``touch`` or a copy of the same bytes is no
change. The service's own writes happen inside ``writing``, so they are not reported again.

The digests last seen are kept in a ``ContentBaseline``: this process's own, or, with replicas
sharing the content directory, one shared by all of them, where only the replica holding the
lead looks. A replica's own write then goes into the shared digests too, so no other replica
reports it as a change made on disk.
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

from reader.backends.baseline import ContentBaseline, Known, LocalBaseline
from reader.content.slugs import SLUG_RE
from reader.errors import ReaderError

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


_LEXICON = "lexicon"
_PAGE = "page:"


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
        baseline: ContentBaseline | None = None,
    ) -> None:
        self.pages_dir = pages_dir
        self.lexicon_path = lexicon_path
        self.on_changes = on_changes
        self.interval = interval
        self.baseline: ContentBaseline = baseline if baseline is not None else LocalBaseline()
        self._seen: dict[Path, _Seen] = {}  # when this process last hashed each file
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def prime(self) -> None:
        """Take the files as they are now as the starting point (reports nothing), if this
        process leads or no digests are kept: a replica starting while another leads leaves
        the shared digests to it, or it would swallow a change the leader has yet to see. A
        shared baseline that cannot be reached is left as it is: the start goes on."""
        try:
            leads = self.baseline.leads()
            with self.baseline.hold() as known:
                if leads or known.lost:
                    self._take_stock(known)
        except ReaderError as error:
            logger.warning("content files not taken stock of: %s", error.message)

    def leads(self) -> bool:
        """Whether this process is the one that acts on changes made on disk."""
        return self.baseline.leads()

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

        No look happens meanwhile (on any replica sharing the baseline), so none can catch the
        write half way and report it.
        """
        with self.baseline.hold() as known:
            try:
                yield
            finally:
                for path in paths:
                    if not self._remember(known, path):
                        known.digests.pop(self._name(path), None)

    def scan_once(self) -> list[DiskChange]:
        """Look once, if this process leads; report and return what changed since the last
        look (by any replica)."""
        if not self.baseline.leads():
            return []
        changes: list[DiskChange] = []
        with self.baseline.hold() as known:
            if known.lost:
                logger.warning("the content files' digests were lost: taking stock anew")
                self._take_stock(known)
                return []
            digests = known.digests
            present = {self._name(path): path for path in self._files()}
            for name, path in sorted(present.items()):
                digest = self._digest(path)
                if digest is None:
                    continue  # removed while looking: the next look reports it
                before = digests.get(name)
                digests[name] = digest
                if before is None:
                    changes.append(self._change("added", path))
                elif before != digest:
                    changes.append(self._change("changed", path))
            for name in sorted(set(digests) - set(present)):
                del digests[name]
                changes.append(self._change("removed", self._path(name)))
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

    def _digest(self, path: Path) -> str | None:
        """The file's SHA-256, read again only when its stamp changed."""
        stamp = _stamp(path)
        seen = self._seen.get(path)
        if stamp is not None and seen is not None and seen.stamp == stamp:
            return seen.digest
        digest = _digest(path) if stamp is not None else None
        if stamp is None or digest is None:
            self._seen.pop(path, None)
            return None
        self._seen[path] = _Seen(stamp, digest)
        return digest

    def _take_stock(self, known: Known) -> None:
        known.digests.clear()
        known.lost = False
        for path in self._files():
            self._remember(known, path)

    def _remember(self, known: Known, path: Path) -> bool:
        digest = self._digest(path)
        if digest is None:
            return False
        known.digests[self._name(path)] = digest
        return True

    def _name(self, path: Path) -> str:
        """The file's name in the baseline: the same on every replica, wherever the content
        directory is mounted."""
        return _LEXICON if path == self.lexicon_path else _PAGE + path.name

    def _path(self, name: str) -> Path:
        return self.lexicon_path if name == _LEXICON else self.pages_dir / name[len(_PAGE) :]

    def _change(self, event: ChangeEvent, path: Path) -> DiskChange:
        if path == self.lexicon_path:
            return DiskChange("lexicon", event, path)
        return DiskChange("page", event, path, slug=path.stem)
