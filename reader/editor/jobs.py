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

A job belongs to the process that holds its lock (``job:<id>`` in ``KeyLocks``) from the moment
it is asked for until it ends. With a store shared by several replicas, any replica answers for
any job (read from the store), and a job whose replica died (its lock expired) is taken up by
exactly one other replica, the one that gets its lock.
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
from reader.backends.locks import Held, KeyLocks, LocalLocks
from reader.editor.errors import JobFinished, JobNotFound
from reader.editor.jobstore import (
    ACTIVE_STATES,
    KEEP,
    UNFINISHED_STATES,
    JobKind,
    JobRecord,
    JobState,
    JobStore,
    MemoryJobStore,
    PageOutcome,
)
from reader.errors import (
    BackendUnavailable,
    BuildStopped,
    Busy,
    ReaderError,
    SectionNotFound,
    storage_failure,
)

logger = logging.getLogger(__name__)

__all__ = ["JobKind", "JobRunner", "JobState", "JobView", "PageOutcome"]

SAVE_EVERY = 0.5
"""Seconds between two saves of a running job's progress: often enough to follow, rarely
enough that the disk does not notice."""

SWEEP_EVERY = 5.0
"""Seconds between two looks, with a shared store, for jobs whose replica died (their lock
expired): such a job is taken up within the lock's time to live and this."""

ELSEWHERE_FRESH = 1.0
"""Seconds the records of other replicas' jobs are reused for, within one page list."""

FOLLOW_FOR = 60.0
"""Seconds a job run by another replica is followed for a waiting request at most."""

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
    held: Held | None = None
    """The job's lock while it is to run here."""

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
        keep: int = KEEP,
        locks: KeyLocks | None = None,
        on_finish: Callable[[JobView], None] | None = None,
        on_resume: Callable[[JobView], None] | None = None,
    ) -> None:
        self.builder = builder
        self.store: JobStore = store if store is not None else MemoryJobStore()
        self.locks: KeyLocks = locks if locks is not None else LocalLocks()
        self.workers = max(1, workers)
        self.max_waiting = max_waiting
        self.keep = keep
        self.on_finish = on_finish
        self.on_resume = on_resume
        """Told of each job taken up while running (those taken up by ``start`` it returns)."""
        self._lock = threading.Lock()
        self._save_lock = threading.Lock()
        self._jobs: OrderedDict[str, _Job] = OrderedDict()
        self._outcomes: dict[str, PageOutcome] = {}
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._building: set[str] = set()  # pages a worker is building now
        self._held: dict[str, list[str]] = {}  # jobs waiting for their page's running job
        self._sweeper: threading.Thread | None = None
        self._elsewhere_cache: tuple[float, list[JobRecord]] = (-ELSEWHERE_FRESH, [])

    def start(self) -> list[JobView]:
        """Take up the kept jobs, then start the workers. Blocking: it reads the store.

        Jobs that were waiting or running when the service stopped (however it stopped) are
        marked interrupted and queued again, oldest first; they are returned. With a shared
        store, only the jobs whose lock is free (no replica runs them) are taken up, now or
        later by a thread that looks again every ``SWEEP_EVERY`` seconds.
        """
        try:
            records = self.store.load()
        except BackendUnavailable:
            # Redis down at start-up: cached audio is served all the same; the sweeper takes
            # the jobs up once it answers again.
            records = []
        resumed = self._take_up(records, finished=True)
        if not self._threads:
            self._stopping.clear()
            for index in range(self.workers):
                thread = threading.Thread(
                    target=self._work, name=f"editor-jobs-{index}", daemon=True
                )
                thread.start()
                self._threads.append(thread)
            if self.store.shared:
                self._sweeper = threading.Thread(target=self._sweep, name="jobs-sweep", daemon=True)
                self._sweeper.start()
        return resumed

    def _take_up(self, records: list[JobRecord], *, finished: bool) -> list[JobView]:
        """Queue again the unfinished jobs among ``records`` that no one else holds; with
        ``finished``, keep the finished ones too, for the list and the pages' last outcome."""
        resumed = []
        for record in records:
            with self._lock:
                if record.id in self._jobs:
                    continue
            if record.state not in UNFINISHED_STATES:
                if finished:
                    kept = _Job(record)
                    kept.future.set_result(kept.view())
                    with self._lock:
                        self._jobs.setdefault(record.id, kept)
                        for outcome in record.pages:  # what the last finished job did, kept
                            self._outcomes[outcome.slug] = outcome
                continue
            job = self._claim(record)
            if job is None:
                continue
            record = job.record
            if record.state in ACTIVE_STATES:  # the process died without a word
                record.interruptions += 1
            record.state = "queued"
            record.started_at = None
            record.error = None
            record.done = 0
            record.pages = []
            resumed.append(job)
        with self._lock:
            self._forget_old()
        for job in resumed:
            logger.info("job %s was interrupted: queued again", job.id)
            self._save(job)
            self._queue.put(job.id)
        return [job.view() for job in resumed]

    def _claim(self, record: JobRecord) -> _Job | None:
        """The unfinished job as this process's own, or None when another process holds it (or
        it ended while it was being claimed)."""
        try:
            held = self.locks.acquire(_lock_key(record.id), wait=0)
            if held is None:
                return None
            fresh = self.store.find(record.id) if self.store.shared else record
        except (BackendUnavailable, OSError) as error:
            logger.warning("cannot take up job %s now: %s", record.id, error)
            return None
        if fresh is None or fresh.state not in UNFINISHED_STATES:
            held.release()  # it ended between the look and the lock
            return None
        job = _Job(fresh, held=held)
        with self._lock:
            if record.id in self._jobs:  # a sweep and the start looked at once
                held.release()
                return None
            self._jobs[record.id] = job
        return job

    def _sweep(self) -> None:
        while not self._stopping.wait(SWEEP_EVERY):
            try:
                records = self.store.load()
            except (BackendUnavailable, OSError):
                continue  # logged where it failed; the next look may succeed
            try:
                for view in self._take_up(records, finished=False):
                    if self.on_resume is not None:
                        self.on_resume(view)
            except Exception:  # keep looking: the next look may succeed
                logger.exception("taking up jobs failed")

    def stop(self) -> None:
        """Stop the running jobs between two clips; they and the jobs still waiting are
        marked interrupted, to be taken up at the next start."""
        self._stopping.set()
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout=60)
        self._threads.clear()
        if self._sweeper is not None:
            self._sweeper.join(timeout=30)
            self._sweeper = None
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
        job_id = secrets.token_hex(8)
        # Taken before the job exists anywhere, so no other replica ever sees it unheld.
        held = self.locks.acquire(_lock_key(job_id), wait=0)
        if held is None:  # a new random id is never held; refuse rather than run it twice
            raise Busy("Jobbet kunne ikke oprettes. Prøv igen om lidt.", retry_after=1)
        with self._lock:
            waiting = None
            for job in self._jobs.values():
                record = job.record
                same = (record.kind, record.slug, record.section, record.force)
                if record.state == "queued" and (*same, frozenset(record.states)) == wanted:
                    waiting = job.view()
                    break
            queued = sum(job.record.state == "queued" for job in self._jobs.values())
            if waiting is None and queued < self.max_waiting:
                record = JobRecord(
                    id=job_id,
                    kind=kind,
                    slug=slug,
                    section=section,
                    force=force,
                    by=by,
                    states=sorted(states),
                    created_at=_now(),
                )
                job = _Job(record, held=held)
                self._jobs[job.id] = job
                self._forget_old()
                view = job.view()
        if waiting is not None:
            held.release()
            return waiting
        if queued >= self.max_waiting:
            held.release()
            raise Busy("Der venter allerede mange job. Prøv igen om lidt.", retry_after=30)
        self._save(job)
        self._queue.put(job.id)
        return view

    # --- looking -------------------------------------------------------------------------------

    def get(self, job_id: str) -> JobView:
        """The job as it is now, wherever it runs. Blocking: it may read the store."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                return job.view()
        record = self.store.find(job_id) if self.store.shared else None
        if record is None:
            raise JobNotFound(f"Der er intet job {job_id[:40]!r}")
        return _Job(record).view()

    def future(self, job_id: str) -> Future[JobView]:
        """Resolves with the job's final view when it is over (done, failed, cancelled or
        interrupted). A job run by another replica is followed in the store for up to
        ``FOLLOW_FOR`` seconds."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                return job.future
        view = self.get(job_id)
        future: Future[JobView] = Future()
        if view.state not in UNFINISHED_STATES:
            future.set_result(view)
        else:
            threading.Thread(
                target=self._follow, args=(job_id, future), name="jobs-follow", daemon=True
            ).start()
        return future

    def _follow(self, job_id: str, future: Future[JobView]) -> None:
        for _ in range(int(FOLLOW_FOR / SAVE_EVERY)):
            if future.done() or self._stopping.wait(SAVE_EVERY):
                return
            try:
                view = self.get(job_id)
            except ReaderError:
                continue  # forgotten, or Redis away for a moment: look again
            if view.state not in UNFINISHED_STATES and not future.done():
                future.set_result(view)
                return

    def recent(self, limit: int = 20) -> list[JobView]:
        """The newest jobs, newest first: every replica's with a shared store."""
        with self._lock:
            views = {job.id: job.view() for job in self._jobs.values()}
        if self.store.shared:
            for record in self.store.load():
                views.setdefault(record.id, _Job(record).view())
        newest = sorted(views.values(), key=lambda view: view.created_at, reverse=True)
        return newest[:limit]

    def active_for(self, slug: str) -> JobView | None:
        """The job making or about to make this page's audio, if any (here first, then, with a
        shared store, on another replica)."""
        with self._lock:
            for job in self._jobs.values():
                if job.active and (job.record.slug == slug or slug in job.record.targets):
                    return job.view()
        for record in self._elsewhere():
            if record.state in ACTIVE_STATES and (record.slug == slug or slug in record.targets):
                return _Job(record).view()
        return None

    def _elsewhere(self) -> list[JobRecord]:
        """The shared store's records of jobs not run here, read at most once a second (a
        page list asks for every page); none when Redis does not answer."""
        if not self.store.shared:
            return []
        now = time.monotonic()
        with self._lock:
            read_at, records = self._elsewhere_cache
            if now - read_at < ELSEWHERE_FRESH:
                return records
        try:
            loaded = self.store.load()
        except BackendUnavailable:
            loaded = []
        with self._lock:
            records = [record for record in loaded if record.id not in self._jobs]
            self._elsewhere_cache = (now, records)
        return records

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
            except (OSError, BackendUnavailable):
                logger.warning("could not forget job %s", job_id)

    def _save(self, job: _Job) -> None:
        """Keep the job as it is now. A disk (or Redis) that refuses does not stop the job."""
        with self._save_lock:
            with self._lock:
                record = job.record.model_copy(deep=True)
                job.saved_at = time.monotonic()
            try:
                self.store.save(record)
            except (OSError, BackendUnavailable) as error:
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
            held, job.held = job.held, None
        self._save(job)
        if held is not None:  # after the save: whoever takes the lock next sees the end
            held.release()
        if self.on_finish is not None:
            try:
                self.on_finish(view)
            except Exception:
                logger.exception("after job %s", job.id)
        if not job.future.done():  # a waiter gave up; the future may have been cancelled
            job.future.set_result(view)


def _lock_key(job_id: str) -> str:
    return f"job:{job_id}"
