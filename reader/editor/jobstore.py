"""Where regeneration jobs are kept, so a job outlives the process that ran it.

``JobStore`` is the seam: the runner only saves and loads ``JobRecord``s. Files under the data
directory are the embedded default; ``RedisJobStore`` is shared by every replica, so a job
started on one is followed on any other (``shared`` says which kind a store is).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from pydantic import BaseModel, Field, ValidationError

from reader._atomic import write_atomic
from reader.audio.manifest import PageState
from reader.backends._redis import unavailable

if TYPE_CHECKING:
    from redis import Redis

logger = logging.getLogger(__name__)

JobState = Literal["queued", "running", "done", "failed", "cancelled", "interrupted"]
JobKind = Literal["page", "section", "stale"]

ACTIVE_STATES: frozenset[JobState] = frozenset({"queued", "running"})
UNFINISHED_STATES: frozenset[JobState] = ACTIVE_STATES | {"interrupted"}
"""States of a job that is to run (again): an interrupted one is taken up at the next start."""

KEEP = 200
"""Finished jobs kept: older ones are forgotten (unfinished ones never are)."""

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
    """Keeps job records; safe to call from several threads.

    A store that does not answer raises ``OSError`` (a disk) or ``BackendUnavailable`` (Redis).
    """

    @property
    def shared(self) -> bool:
        """Other processes save here too: a record may belong to a job run elsewhere."""
        ...

    def save(self, record: JobRecord) -> None:
        """Keep the record, replacing an earlier one with the same id."""

    def load(self) -> list[JobRecord]:
        """Every kept record, oldest first."""

    def find(self, job_id: str) -> JobRecord | None:
        """The record of one job, if it is kept."""

    def delete(self, job_id: str) -> None:
        """Forget the record (no error if there is none)."""


class MemoryJobStore:
    """Records in this process only: gone with it."""

    shared = False

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

    def find(self, job_id: str) -> JobRecord | None:
        with self._lock:
            record = self._records.get(job_id)
            return record.model_copy(deep=True) if record is not None else None

    def delete(self, job_id: str) -> None:
        with self._lock:
            self._records.pop(job_id, None)


class FileJobStore:
    """``data_dir/jobs/<id>.json``, each written atomically. One process's own: a data directory
    is never shared without Redis (start-up refuses several workers without it)."""

    shared = False

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

    def find(self, job_id: str) -> JobRecord | None:
        if not _JOB_ID.fullmatch(job_id):
            return None
        try:
            return JobRecord.model_validate_json(self.path(job_id).read_bytes())
        except FileNotFoundError:
            return None
        except ValidationError:
            logger.warning("skipping unreadable job file %s.json", job_id)
            return None

    def delete(self, job_id: str) -> None:
        self.path(job_id).unlink(missing_ok=True)


class RedisJobStore:
    """Every replica's jobs in Redis: a hash of id → record (JSON), and a sorted set of the ids
    by when they were made, for the order and for forgetting the oldest finished ones.

    Every call waits at most the client's timeout; a Redis that does not answer is
    ``BackendUnavailable`` (503 with Retry-After).
    """

    shared = True

    def __init__(self, client: Redis, *, keep: int = KEEP, prefix: str = "reader:jobs:") -> None:
        self.client = client
        self.keep = keep
        self._records = prefix + "records"
        self._order = prefix + "order"

    def save(self, record: JobRecord) -> None:
        from redis.exceptions import RedisError

        try:
            with self.client.pipeline() as pipe:
                pipe.hset(self._records, record.id, record.model_dump_json())
                pipe.zadd(self._order, {record.id: record.created_at.timestamp()})
                pipe.zcard(self._order)
                *_, count = pipe.execute()
            if count > self.keep:
                self._forget_oldest(count - self.keep)
        except RedisError as error:
            raise unavailable(error) from None

    def _forget_oldest(self, excess: int) -> None:
        """Forget up to ``excess`` of the oldest finished jobs. Several replicas may do this at
        once: each forgets what it finds finished, and forgetting twice is harmless."""
        # Unfinished jobs are skipped, so look a little further than the excess.
        ids = self.client.zrange(self._order, 0, 2 * excess + 9)
        oldest = [raw.decode() if isinstance(raw, bytes) else str(raw) for raw in ids]
        raws = self.client.hmget(self._records, oldest) if oldest else []
        finished = []
        for job_id, raw in zip(oldest, raws, strict=True):
            record = _record(raw)
            if record is None or record.state not in UNFINISHED_STATES:
                finished.append(job_id)
            if len(finished) >= excess:
                break
        if finished:
            with self.client.pipeline() as pipe:
                pipe.hdel(self._records, *finished)
                pipe.zrem(self._order, *finished)
                pipe.execute()

    def load(self) -> list[JobRecord]:
        from redis.exceptions import RedisError

        try:
            raws = self.client.hgetall(self._records)
        except RedisError as error:
            raise unavailable(error) from None
        records = [record for raw in raws.values() if (record := _record(raw)) is not None]
        return sorted(records, key=lambda record: record.created_at)

    def find(self, job_id: str) -> JobRecord | None:
        from redis.exceptions import RedisError

        if not _JOB_ID.fullmatch(job_id):
            return None
        try:
            raw = self.client.hget(self._records, job_id)
        except RedisError as error:
            raise unavailable(error) from None
        return _record(raw)

    def delete(self, job_id: str) -> None:
        from redis.exceptions import RedisError

        try:
            with self.client.pipeline() as pipe:
                pipe.hdel(self._records, job_id)
                pipe.zrem(self._order, job_id)
                pipe.execute()
        except RedisError as error:
            raise unavailable(error) from None


def _record(raw: bytes | str | None) -> JobRecord | None:
    if raw is None:
        return None
    try:
        return JobRecord.model_validate_json(raw)
    except ValidationError:
        # Written by another version of reader: it does not hide the others.
        logger.warning("skipping an unreadable job record in redis")
        return None
