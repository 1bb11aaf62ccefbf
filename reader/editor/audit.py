"""The audit log: who changed or regenerated what, and when.

One JSON object per line in ``data_dir/audit.jsonl``. Entries are only ever appended: each line
is written with a single ``write`` to a file opened with ``O_APPEND`` and synced, so a crash can
at worst cut off the last line, which readers skip. (Rewriting the file atomically for every
entry, as other files are written, would cost time in proportion to the whole log.)

Replicas sharing the data directory (an NFS mount) append to the same file: each append holds
an exclusive ``fcntl`` lock on it, since ``O_APPEND`` is not atomic across NFS clients, and
the look at the last byte, the write and the cut-back after a short write must not interleave
with another process's.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import logging
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, JsonValue, ValidationError

from reader.errors import ReaderError, StorageFailed, storage_failure

logger = logging.getLogger(__name__)

AuditAction = Literal[
    "page.published",
    "page.deleted",
    "page.rolled_back",
    "page.added_on_disk",
    "page.changed_on_disk",
    "page.removed_on_disk",
    "lexicon.added",
    "lexicon.changed",
    "lexicon.deleted",
    "lexicon.changed_on_disk",
    "audio.requested",
    "audio.done",
    "audio.failed",
    "audio.cancelled",
    "audio.interrupted",
    "audio.resumed",
    "audio.stale_on_start",
]

ON_DISK = "disk"
"""Who made a change found on disk: whoever edited the file, unknown to the service."""

_CHUNK = 64 * 1024
_ROOM = 256 * 1024
"""Free bytes the data directory needs before a change is made: its entry, with room to spare."""


def _failure(error: OSError) -> ReaderError:
    """A disk problem is the service's, never the editor's request's: 503, not 400."""
    return storage_failure(error) or StorageFailed(
        f"Ændringen kan ikke skrives i loggen: {error.strerror or error}. Prøv igen om lidt; "
        "driften skal rette datamappen (READER_DATA_DIR)."
    )


class AuditEntry(BaseModel):
    at: dt.datetime
    who: str = Field(description="The token's label, or 'disk' for a file changed on disk")
    action: AuditAction
    target: str = Field(description="A page slug, 'lexicon', or '*' for every page")
    summary: str = Field(description="What happened, in Danish, for the admin page")
    details: dict[str, JsonValue] = Field(default_factory=dict)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class AuditLog:
    """Append-only; safe to use from several threads (and processes) at once."""

    def __init__(self, path: Path, *, clock: Callable[[], dt.datetime] = _now) -> None:
        self.path = path
        self._clock = clock
        self._lock = threading.Lock()

    def record(
        self,
        who: str,
        action: AuditAction,
        target: str,
        summary: str,
        details: dict[str, JsonValue] | None = None,
    ) -> AuditEntry:
        entry = AuditEntry(
            at=self._clock(),
            who=who,
            action=action,
            target=target,
            summary=summary,
            details=details or {},
        )
        line = entry.model_dump_json().encode("utf-8") + b"\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._append(line)
            except OSError as error:
                if error.errno != errno.ENOSPC or not self._release_reserve():
                    raise
                # The disk filled between the check and this entry: the change it records has
                # been made, so the entry goes into the room kept for it.
                logger.warning("audit: the data directory is full; used the reserved room")
                self._append(line)
        logger.info("audit: %s %s %s", who, action, target)
        return entry

    def _append(self, line: bytes) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            # Released by the close below, or by the kernel if this process dies meanwhile.
            fcntl.lockf(fd, fcntl.LOCK_EX)
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                line = b"\n" + line  # after a line cut off by a crash: start a new one
            try:
                written = os.write(fd, line)
                if written != len(line):
                    raise OSError(errno.ENOSPC, "short write", str(self.path))
                os.fsync(fd)
            except OSError:
                os.ftruncate(fd, size)  # a full disk: leave no half line behind
                raise
        finally:
            os.close(fd)

    @property
    def _reserve(self) -> Path:
        return self.path.with_name(self.path.name + ".reserve")

    def _keep_reserve(self) -> None:
        """Hold ``_ROOM`` bytes of the disk in a file of their own, given up only to write an
        entry the disk has no other room for."""
        try:
            if self._reserve.stat().st_size >= _ROOM:
                return
        except FileNotFoundError:
            pass
        fd = os.open(self._reserve, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            os.posix_fallocate(fd, 0, _ROOM)
        finally:
            os.close(fd)

    def _release_reserve(self) -> bool:
        try:
            self._reserve.unlink()
        except FileNotFoundError:
            return False
        return True

    def check_room(self) -> None:
        """Refuse a change before it is made when its audit entry could not be written after it
        (a full or read-only data directory): a change is either made and audited, or neither.

        Room for the entry is also set aside in a file of its own, so that a disk that fills
        while the change is being made still takes the entry that records it."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            stats = os.statvfs(self.path.parent)
        except OSError as error:
            raise _failure(error) from None
        if stats.f_flag & os.ST_RDONLY:
            raise _failure(OSError(errno.EROFS, "read-only", str(self.path)))
        if stats.f_bavail * stats.f_frsize < _ROOM:
            raise _failure(OSError(errno.ENOSPC, "no space", str(self.path)))
        try:
            with self._lock:
                self._keep_reserve()
        except OSError as error:
            raise _failure(error) from None

    def recent(self, limit: int = 100, *, target: str | None = None) -> list[AuditEntry]:
        """The newest ``limit`` entries (about ``target`` only, if given), newest first."""
        found: list[AuditEntry] = []
        for raw in self._lines_backwards():
            try:
                entry = AuditEntry.model_validate_json(raw)
            except ValidationError:
                continue  # a line cut off by a crash, or not written by this service
            if target is None or entry.target == target:
                found.append(entry)
                if len(found) >= limit:
                    break
        return found

    def _lines_backwards(self) -> Iterator[bytes]:
        """The file's lines from the last to the first, reading only as much as is needed."""
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            return
        with handle:
            position = handle.seek(0, os.SEEK_END)
            rest = b""
            while position > 0:
                step = min(_CHUNK, position)
                position -= step
                handle.seek(position)
                block = handle.read(step) + rest
                lines = block.split(b"\n")
                rest = lines[0]
                for line in reversed(lines[1:]):
                    if line.strip():
                        yield line
            if rest.strip():
                yield rest
