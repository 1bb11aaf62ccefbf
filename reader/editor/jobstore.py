"""Where regeneration jobs are kept, so a job outlives the process that ran it.

``JobStore`` is the seam: the runner only saves and loads ``JobRecord``s. Files under the data
directory are the embedded default; a store shared by several machines (Redis) implements the
same three methods.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, Field, ValidationError

from reader._atomic import write_atomic
from reader.audio.manifest import PageState

logger = logging.getLogger(__name__)

JobState = Literal["queued", "running", "done", "failed", "cancelled", "interrupted"]
JobKind = Literal["page", "section", "stale"]

ACTIVE_STATES: frozenset[JobState] = frozenset({"queued", "running"})
UNFINISHED_STATES: frozenset[JobState] = ACTIVE_STATES | {"interrupted"}
"""States of a job that is to run (again): an interrupted one is taken up at the next start."""

_JOB_ID = re.compile(r"[0-9a-f]{16}")


class PageOutcome(BaseModel):
    """What a job did to one page."""

    slug: str
    sentences: int = 0
    synthesised: int = Field(default=0, description="Sentences spoken anew (engine calls)")
    reused: int = Field(default=0, description="Sentences whose clip was cached")
    skipped: bool = Field(default=False, description="The audio was current: nothing was made")
    error: str | None = None


class JobRecord(BaseModel):
    """A job as it is kept: what it asks for and how far it got."""

    id: str
    kind: JobKind
    slug: str | None
    section: str | None
    force: bool
    by: str
    states: list[PageState] = Field(default_factory=list)
    state: JobState = "queued"
    created_at: dt.datetime
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    done: int = 0
    total: int = 0
    targets: list[str] = Field(default_factory=list)
    pages: list[PageOutcome] = Field(default_factory=list)
    error: str | None = None
    interruptions: int = 0


class JobStore(Protocol):
    """Keeps job records; safe to call from several threads."""

    def save(self, record: JobRecord) -> None:
        """Keep the record, replacing an earlier one with the same id."""

    def load(self) -> list[JobRecord]:
        """Every kept record, oldest first."""

    def delete(self, job_id: str) -> None:
        """Forget the record (no error if there is none)."""


class MemoryJobStore:
    """Records in this process only: gone with it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, JobRecord] = {}

    def save(self, record: JobRecord) -> None:
        with self._lock:
            self._records[record.id] = record.model_copy(deep=True)

    def load(self) -> list[JobRecord]:
        with self._lock:
            records = [record.model_copy(deep=True) for record in self._records.values()]
        return sorted(records, key=lambda record: record.created_at)

    def delete(self, job_id: str) -> None:
        with self._lock:
            self._records.pop(job_id, None)


class FileJobStore:
    """``data_dir/jobs/<id>.json``, each written atomically."""

    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir / "jobs"

    def path(self, job_id: str) -> Path:
        if not _JOB_ID.fullmatch(job_id):
            raise ValueError(f"not a job id: {job_id[:40]!r}")
        return self.root / f"{job_id}.json"

    def save(self, record: JobRecord) -> None:
        write_atomic(self.path(record.id), record.model_dump_json(indent=1).encode())

    def load(self) -> list[JobRecord]:
        records = []
        for path in sorted(self.root.glob("*.json")):
            try:
                records.append(JobRecord.model_validate_json(path.read_bytes()))
            except FileNotFoundError:
                continue  # forgotten while looking
            except ValidationError:
                # Another format, or a damaged disk: one bad file does not hide the others.
                logger.warning("skipping unreadable job file %s", path.name)
        return sorted(records, key=lambda record: record.created_at)

    def delete(self, job_id: str) -> None:
        self.path(job_id).unlink(missing_ok=True)
