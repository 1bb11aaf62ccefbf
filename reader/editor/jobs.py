"""Regeneration jobs: editors ask for new audio and follow its progress by a job id.

Jobs run first come, first served on a few worker threads of their own (a build already makes
its clips in parallel; more than one worker keeps one long page from holding up every other
page). A page is built by one worker at a time: a second job for a page being built waits,
still queued, until the first is over, so one huge page with several jobs never takes every
worker. A job asked for again while it waits is not queued twice. A build that fails leaves the
page's previous audio in place; the job says why.

Every job is kept in a ``JobStore``. A job the service stopped during (or before) is marked
``interrupted`` and taken up again at the next start, under the same id; the clips it made are
cached, so it goes on where it was. A job can be cancelled: it stops between two clips.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection
from concurrent.futures import Future
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from reader.audio.build import Builder
from reader.audio.manifest import PageState
from reader.editor.errors import JobFinished, JobNotFound
from reader.editor.jobstore import (
    ACTIVE_STATES,
    UNFINISHED_STATES,
    JobKind,
    JobRecord,
    JobState,
    JobStore,
    MemoryJobStore,
    PageOutcome,
)
from reader.errors import BuildStopped, Busy, ReaderError, SectionNotFound, storage_failure

logger = logging.getLogger(__name__)

__all__ = ["JobKind", "JobRunner", "JobState", "JobView", "PageOutcome"]

SAVE_EVERY = 0.5
"""Seconds between two saves of a running job's progress: often enough to follow, rarely
enough that the disk does not notice."""

STOPPED = "Tjenesten blev stoppet, før jobbet blev færdigt; det tages op igen ved næste start."
CANCELLED = "Jobbet blev annulleret; den gamle lyd spilles stadig."


class JobView(BaseModel):
    """A job as the API shows it."""

    id: str
    kind: JobKind
    slug: str | None
    section: str | None
    force: bool
    by: str
    state: JobState = Field(
        description="queued, running, done, failed, cancelled, or interrupted (the service "
        "stopped; it is taken up again at the next start)"
    )
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    done: int = Field(description="Sentences done so far")
    total: int = Field(description="Sentences in all (0 until the job starts)")
    synthesised: int
    reused: int
    pages: list[PageOutcome]
    error: str | None = Field(description="Why the job failed; the old audio stays in place")
    interruptions: int = Field(description="Times the service stopped while the job was to run")


@dataclass(eq=False)
class _Job:
    record: JobRecord
    future: Future[JobView] = field(default_factory=Future)
    cancel: threading.Event = field(default_factory=threading.Event)
    saved_at: float = 0.0

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def active(self) -> bool:
        return self.record.state in ACTIVE_STATES

    def view(self) -> JobView:
        record = self.record
        return JobView(
            id=record.id,
            kind=record.kind,
            slug=record.slug,
            section=record.section,
            force=record.force,
            by=record.by,
            state=record.state,
            created_at=record.created_at,
            started_at=record.started_at,
            finished_at=record.finished_at,
            done=record.done,
            total=record.total,
            synthesised=sum(p.synthesised for p in record.pages),
            reused=sum(p.reused for p in record.pages),
            pages=list(record.pages),
            error=record.error,
            interruptions=record.interruptions,
        )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class JobRunner:
    """Regeneration jobs, the threads that run them, and the store that keeps them."""

    def __init__(
        self,
        builder: Builder,
        *,
        store: JobStore | None = None,
        workers: int = 1,
        max_waiting: int = 100,
        keep: int = 200,
        on_finish: Callable[[JobView], None] | None = None,
    ) -> None:
        self.builder = builder
        self.store: JobStore = store if store is not None else MemoryJobStore()
        self.workers = max(1, workers)
        self.max_waiting = max_waiting
        self.keep = keep
        self.on_finish = on_finish
        self._lock = threading.Lock()
        self._save_lock = threading.Lock()
        self._jobs: OrderedDict[str, _Job] = OrderedDict()
        self._outcomes: dict[str, PageOutcome] = {}
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._building: set[str] = set()  # pages a worker is building now
        self._held: dict[str, list[str]] = {}  # jobs waiting for their page's running job

    def start(self) -> list[JobView]:
        """Take up the kept jobs, then start the workers. Blocking: it reads the store.

        Jobs that were waiting or running when the service stopped (however it stopped) are
        marked interrupted and queued again, oldest first; they are returned.
        """
        resumed = []
        with self._lock:
            for record in self.store.load():
                if record.id in self._jobs:
                    continue
                job = _Job(record)
                self._jobs[record.id] = job
                if record.state in UNFINISHED_STATES:
                    resumed.append(job)
                else:
                    job.future.set_result(job.view())
                    for outcome in record.pages:  # what the last finished job did, kept
                        self._outcomes[outcome.slug] = outcome
            for job in resumed:
                record = job.record
                if record.state in ACTIVE_STATES:  # the process died without a word
                    record.interruptions += 1
                record.state = "queued"
                record.started_at = None
                record.error = None
                record.done = 0
                record.pages = []
            self._forget_old()
        for job in resumed:
            logger.info("job %s was interrupted: queued again", job.id)
            self._save(job)
            self._queue.put(job.id)
        if not self._threads:
            self._stopping.clear()
            for index in range(self.workers):
                thread = threading.Thread(
                    target=self._work, name=f"editor-jobs-{index}", daemon=True
                )
                thread.start()
                self._threads.append(thread)
        return [job.view() for job in resumed]

    def stop(self) -> None:
        """Stop the running jobs between two clips; they and the jobs still waiting are
        marked interrupted, to be taken up at the next start."""
        self._stopping.set()
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout=60)
        self._threads.clear()
        with self._lock:
            waiting = [job for job in self._jobs.values() if job.record.state == "queued"]
        for job in waiting:
            self._finish(job, "interrupted", STOPPED)

    # --- asking --------------------------------------------------------------------------------

    def submit_page(
        self, slug: str, *, by: str, section: str | None = None, force: bool = False
    ) -> JobView:
        """Queue a build of the page (``section`` first). Blocking: it reads the page."""
        page, _ = self.builder.script(slug)
        if section is not None and page.section(section) is None:
            raise SectionNotFound(f"Afsnittet {section!r} findes ikke på siden {slug!r}")
        kind: JobKind = "section" if section is not None else "page"
        return self._submit(kind, slug, section, force, by, frozenset())

    def submit_stale(
        self, *, by: str, states: Collection[PageState] = frozenset({"stale"})
    ) -> JobView:
        """Queue a build of every page whose audio is in one of ``states`` when the job runs."""
        return self._submit("stale", None, None, False, by, frozenset(states))

    def cancel(self, job_id: str) -> JobView:
        """Cancel a waiting job at once, a running one between two clips (``JobFinished`` if
        it is over). The page keeps its previous audio; clips made so far stay cached."""
        with self._lock:
            job = self._job(job_id)
            state = job.record.state
            if state not in ACTIVE_STATES:
                raise JobFinished(f"Jobbet {job_id!r} er allerede slut ({state}).")
            job.cancel.set()
        if state == "queued":
            self._finish(job, "cancelled", CANCELLED)
        return self.get(job_id)

    def _submit(
        self,
        kind: JobKind,
        slug: str | None,
        section: str | None,
        force: bool,
        by: str,
        states: frozenset[PageState],
    ) -> JobView:
        wanted = (kind, slug, section, force, states)
        with self._lock:
            for job in self._jobs.values():
                record = job.record
                same = (record.kind, record.slug, record.section, record.force)
                if record.state == "queued" and (*same, frozenset(record.states)) == wanted:
                    return job.view()
            if sum(job.record.state == "queued" for job in self._jobs.values()) >= self.max_waiting:
                raise Busy("Der venter allerede mange job. Prøv igen om lidt.", retry_after=30)
            record = JobRecord(
                id=secrets.token_hex(8),
                kind=kind,
                slug=slug,
                section=section,
                force=force,
                by=by,
                states=sorted(states),
                created_at=_now(),
            )
            job = _Job(record)
            self._jobs[job.id] = job
            self._forget_old()
            view = job.view()
        self._save(job)
        self._queue.put(job.id)
        return view

    # --- looking -------------------------------------------------------------------------------

    def get(self, job_id: str) -> JobView:
        with self._lock:
            return self._job(job_id).view()

    def future(self, job_id: str) -> Future[JobView]:
        """Resolves with the job's final view when it is over (done, failed, cancelled or
        interrupted)."""
        with self._lock:
            return self._job(job_id).future

    def recent(self, limit: int = 20) -> list[JobView]:
        with self._lock:
            return [job.view() for job in reversed(self._jobs.values())][:limit]

    def active_for(self, slug: str) -> JobView | None:
        """The job making or about to make this page's audio, if any."""
        with self._lock:
            for job in self._jobs.values():
                if job.active and (job.record.slug == slug or slug in job.record.targets):
                    return job.view()
        return None

    def outcome_for(self, slug: str) -> PageOutcome | None:
        """What the last finished job did to this page."""
        with self._lock:
            return self._outcomes.get(slug)

    def _job(self, job_id: str) -> _Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise JobNotFound(f"Der er intet job {job_id[:40]!r}")
        return job

    def _forget_old(self) -> None:
        finished = [
            job.id for job in self._jobs.values() if job.record.state not in UNFINISHED_STATES
        ]
        for job_id in finished[: max(0, len(self._jobs) - self.keep)]:
            del self._jobs[job_id]
            try:
                self.store.delete(job_id)
            except OSError:
                logger.warning("could not forget job %s", job_id)

    def _save(self, job: _Job) -> None:
        """Keep the job as it is now. A disk that refuses does not stop the job."""
        with self._save_lock:
            with self._lock:
                record = job.record.model_copy(deep=True)
                job.saved_at = time.monotonic()
            try:
                self.store.save(record)
            except OSError as error:
                logger.warning("could not keep job %s: %s", job.id, error)

    # --- running -------------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            job_id = self._queue.get()
            if job_id is None or self._stopping.is_set():
                return
            with self._lock:
                job = self._jobs.get(job_id)
                if job is None or job.record.state != "queued":
                    continue
                page = job.record.slug
                if page is not None and page in self._building:
                    # One worker per page: a second job for a page being built waits for the
                    # first, so one huge page never takes every worker from the other pages.
                    self._held.setdefault(page, []).append(job_id)
                    continue
                if page is not None:
                    self._building.add(page)
                job.record.state = "running"
                job.record.started_at = _now()
            try:
                self._save(job)
                self._run_one(job)
            finally:
                if page is not None:
                    self._release(page)

    def _release(self, page: str) -> None:
        """The page's build is over: queue again, in their order, the jobs held for it (a held
        job stayed ``queued``; one cancelled meanwhile is skipped when it comes up)."""
        with self._lock:
            self._building.discard(page)
            held = self._held.pop(page, [])
        for waiting in held:
            self._queue.put(waiting)

    def _run_one(self, job: _Job) -> None:
        try:
            self._run(job)
        except BuildStopped:
            if job.cancel.is_set():
                self._finish(job, "cancelled", CANCELLED)
            else:
                self._finish(job, "interrupted", STOPPED)
        except Exception as error:  # never lose the worker thread
            logger.exception("job %s failed", job.id)
            disk = storage_failure(error) if isinstance(error, OSError) else None
            self._finish(
                job,
                "failed",
                disk.message if disk else f"Uventet fejl ({type(error).__name__})",
            )
        else:
            failed = [p for p in job.record.pages if p.error]
            reason = "; ".join(f"{p.slug}: {p.error}" for p in failed) if failed else None
            self._finish(job, "failed" if reason else "done", reason)

    def _stopped(self, job: _Job) -> bool:
        return self._stopping.is_set() or job.cancel.is_set()

    def _run(self, job: _Job) -> None:
        record = job.record
        if record.kind == "stale":
            targets = self._stale_pages(frozenset(record.states))
        else:
            assert record.slug is not None
            targets = [record.slug]
        sizes = {}
        for slug in targets:
            try:
                sizes[slug] = len(self.builder.script(slug)[1])
            except ReaderError as error:
                self._record(job, PageOutcome(slug=slug, error=error.message))
        with self._lock:
            record.targets = list(sizes)
            record.total = sum(sizes.values())
        self._save(job)
        offset = 0
        for slug, size in sizes.items():
            if self._stopped(job):
                raise BuildStopped
            self._record(job, self._build(job, slug, offset))
            offset += size
            with self._lock:
                record.done = offset
            self._save(job)

    def _stale_pages(self, states: frozenset[PageState]) -> list[str]:
        found = []
        for slug in self.builder.store.slugs():
            try:
                if self.builder.status(slug).state in states:
                    found.append(slug)
            except ReaderError:
                continue  # a page that cannot be read has no audio to regenerate
        return found

    def _build(self, job: _Job, slug: str, offset: int) -> PageOutcome:
        def progress(done: int, total: int) -> None:
            with self._lock:
                job.record.done = offset + done
                due = time.monotonic() - job.saved_at >= SAVE_EVERY
            if due:
                self._save(job)

        def stop() -> bool:
            return self._stopped(job)

        section = job.record.section
        made_first = 0
        try:
            if section is not None:
                # The section the editor cares about first, so it is ready soonest; the page
                # build after it reuses its clips.
                _, lines = self.builder.script(slug)
                texts = {line.spoken for line in lines if line.section_id == section}
                made_first = sum(self.builder.clips.lookup(text) is None for text in texts)
                self.builder.section_track(slug, section, make=True, stop=stop)
            result = self.builder.build(slug, force=job.record.force, progress=progress, stop=stop)
        except BuildStopped:
            raise
        except ReaderError as error:
            return PageOutcome(slug=slug, error=error.message)
        synthesised = result.synthesised + made_first
        return PageOutcome(
            slug=slug,
            sentences=result.sentences,
            synthesised=synthesised,
            reused=result.sentences - synthesised,
            skipped=result.skipped and not made_first,
        )

    def _record(self, job: _Job, outcome: PageOutcome) -> None:
        with self._lock:
            job.record.pages.append(outcome)
            self._outcomes[outcome.slug] = outcome

    def _finish(self, job: _Job, state: JobState, error: str | None) -> None:
        with self._lock:
            if job.record.state not in ACTIVE_STATES:
                return  # cancelled while it waited, and taken off the queue since
            job.record.state = state
            job.record.error = error
            job.record.finished_at = _now()
            if state == "interrupted":
                job.record.interruptions += 1
            view = job.view()
        self._save(job)
        if self.on_finish is not None:
            try:
                self.on_finish(view)
            except Exception:
                logger.exception("after job %s", job.id)
        if not job.future.done():  # a waiter gave up; the future may have been cancelled
            job.future.set_result(view)
