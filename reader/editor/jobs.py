"""Regeneration jobs: editors ask for new audio and follow its progress by a job id.

Jobs run one at a time in a worker thread of their own (a build already makes its clips in
parallel), first come, first served; a job asked for again while it waits is not queued twice.
A build that fails leaves the page's previous audio in place; the job says why.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field

from reader.audio.build import Builder
from reader.audio.manifest import PageState
from reader.editor.errors import JobNotFound
from reader.errors import Busy, ReaderError, SectionNotFound, storage_failure

logger = logging.getLogger(__name__)

JobState = Literal["queued", "running", "done", "failed"]
JobKind = Literal["page", "section", "stale"]


class PageOutcome(BaseModel):
    """What a job did to one page."""

    slug: str
    sentences: int = 0
    synthesised: int = Field(default=0, description="Sentences spoken anew (engine calls)")
    reused: int = Field(default=0, description="Sentences whose clip was cached")
    skipped: bool = Field(default=False, description="The audio was current: nothing was made")
    error: str | None = None


class JobView(BaseModel):
    """A job as the API shows it."""

    id: str
    kind: JobKind
    slug: str | None
    section: str | None
    force: bool
    by: str
    state: JobState
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    done: int = Field(description="Sentences done so far")
    total: int = Field(description="Sentences in all (0 until the job starts)")
    synthesised: int
    reused: int
    pages: list[PageOutcome]
    error: str | None = Field(description="Why the job failed; the old audio stays in place")


@dataclass(eq=False)
class _Job:
    id: str
    kind: JobKind
    slug: str | None
    section: str | None
    force: bool
    by: str
    states: frozenset[PageState]
    created_at: dt.datetime
    state: JobState = "queued"
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    done: int = 0
    total: int = 0
    targets: tuple[str, ...] = ()
    pages: list[PageOutcome] = field(default_factory=list)
    error: str | None = None
    future: Future[JobView] = field(default_factory=Future)

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running")

    def view(self) -> JobView:
        return JobView(
            id=self.id,
            kind=self.kind,
            slug=self.slug,
            section=self.section,
            force=self.force,
            by=self.by,
            state=self.state,
            created_at=self.created_at,
            started_at=self.started_at,
            finished_at=self.finished_at,
            done=self.done,
            total=self.total,
            synthesised=sum(p.synthesised for p in self.pages),
            reused=sum(p.reused for p in self.pages),
            pages=list(self.pages),
            error=self.error,
        )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class JobRunner:
    """Regeneration jobs and the thread that runs them."""

    def __init__(
        self,
        builder: Builder,
        *,
        max_waiting: int = 100,
        keep: int = 200,
        on_finish: Callable[[JobView], None] | None = None,
    ) -> None:
        self.builder = builder
        self.max_waiting = max_waiting
        self.keep = keep
        self.on_finish = on_finish
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, _Job] = OrderedDict()
        self._outcomes: dict[str, PageOutcome] = {}
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="editor-jobs", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Let the running job finish; jobs still waiting fail with "stopped"."""
        self._stopping.set()
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=60)
            self._thread = None
        with self._lock:
            waiting = [job for job in self._jobs.values() if job.state == "queued"]
        for job in waiting:
            self._finish(job, "Tjenesten blev stoppet, før jobbet nåede at gå i gang.")

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

    def _submit(
        self,
        kind: JobKind,
        slug: str | None,
        section: str | None,
        force: bool,
        by: str,
        states: frozenset[PageState],
    ) -> JobView:
        with self._lock:
            for job in self._jobs.values():
                same = (job.kind, job.slug, job.section, job.force, job.states)
                if job.state == "queued" and same == (kind, slug, section, force, states):
                    return job.view()
            if sum(job.state == "queued" for job in self._jobs.values()) >= self.max_waiting:
                raise Busy("Der venter allerede mange job. Prøv igen om lidt.", retry_after=30)
            job = _Job(secrets.token_hex(8), kind, slug, section, force, by, states, _now())
            self._jobs[job.id] = job
            self._forget_old()
            view = job.view()
        self._queue.put(job.id)
        return view

    # --- looking -------------------------------------------------------------------------------

    def get(self, job_id: str) -> JobView:
        with self._lock:
            return self._job(job_id).view()

    def future(self, job_id: str) -> Future[JobView]:
        """Resolves with the job's final view when it is done or has failed."""
        with self._lock:
            return self._job(job_id).future

    def recent(self, limit: int = 20) -> list[JobView]:
        with self._lock:
            return [job.view() for job in reversed(self._jobs.values())][:limit]

    def active_for(self, slug: str) -> JobView | None:
        """The job making or about to make this page's audio, if any."""
        with self._lock:
            for job in self._jobs.values():
                if job.active and (job.slug == slug or slug in job.targets):
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
        finished = [job.id for job in self._jobs.values() if not job.active]
        for job_id in finished[: max(0, len(self._jobs) - self.keep)]:
            del self._jobs[job_id]

    # --- running -------------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            job_id = self._queue.get()
            if job_id is None or self._stopping.is_set():
                return
            with self._lock:
                job = self._jobs.get(job_id)
                if job is None or job.state != "queued":
                    continue
                job.state = "running"
                job.started_at = _now()
            try:
                self._run(job)
            except Exception as error:  # never lose the worker thread
                logger.exception("job %s failed", job.id)
                disk = storage_failure(error) if isinstance(error, OSError) else None
                self._finish(
                    job, disk.message if disk else f"Uventet fejl ({type(error).__name__})"
                )
            else:
                failed = [p for p in job.pages if p.error]
                reason = "; ".join(f"{p.slug}: {p.error}" for p in failed) if failed else None
                self._finish(job, reason)

    def _run(self, job: _Job) -> None:
        if job.kind == "stale":
            targets = self._stale_pages(job.states)
        else:
            assert job.slug is not None
            targets = [job.slug]
        sizes = {}
        for slug in targets:
            try:
                sizes[slug] = len(self.builder.script(slug)[1])
            except ReaderError as error:
                self._record(job, PageOutcome(slug=slug, error=error.message))
        with self._lock:
            job.targets = tuple(sizes)
            job.total = sum(sizes.values())
        offset = 0
        for slug, size in sizes.items():
            self._record(job, self._build(job, slug, offset))
            offset += size
            with self._lock:
                job.done = offset

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
                job.done = offset + done

        made_first = 0
        try:
            if job.section is not None:
                # The section the editor cares about first, so it is ready soonest; the page
                # build after it reuses its clips.
                _, lines = self.builder.script(slug)
                texts = {line.spoken for line in lines if line.section_id == job.section}
                made_first = sum(self.builder.clips.lookup(text) is None for text in texts)
                self.builder.section_track(slug, job.section, make=True)
            result = self.builder.build(slug, force=job.force, progress=progress)
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
            job.pages.append(outcome)
            self._outcomes[outcome.slug] = outcome

    def _finish(self, job: _Job, error: str | None) -> None:
        with self._lock:
            job.state = "failed" if error else "done"
            job.error = error
            job.finished_at = _now()
            view = job.view()
        if self.on_finish is not None:
            try:
                self.on_finish(view)
            except Exception:
                logger.exception("after job %s", job.id)
        if not job.future.done():  # a waiter gave up; the future may have been cancelled
            job.future.set_result(view)
