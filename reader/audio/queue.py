"""Synthesis on demand: a bounded queue of section and page jobs run by worker threads.

A listener who asks for audio that is not made yet gets the section they asked for first; the
rest of the page follows in reading order. Jobs for the same thing are shared. When more jobs
wait than the queue holds, new ones are refused with ``Busy`` instead of using up memory.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Literal

from reader.audio.build import Builder
from reader.errors import Busy

logger = logging.getLogger(__name__)

URGENT = 0
"""A listener is waiting for this."""
AHEAD = 1
"""Made ahead of a listener: the rest of a page they started."""

PREFETCH_DELAY = 0.3
"""Seconds between a listener's section being made and the rest of its page being queued."""

BACKGROUND = 2
"""Upgrades of degraded audio: after anything a listener may want."""

STOP = 9
"""After everything else: a worker that takes it ends."""

JobKind = Literal["section", "page", "stop"]


@dataclass(order=True)
class _Job:
    priority: int
    sequence: int
    kind: JobKind = field(compare=False)
    slug: str = field(compare=False)
    section_id: str = field(compare=False, default="")
    future: Future[object] = field(compare=False, default_factory=Future)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.slug, self.section_id)


class AudioQueue:
    """Runs section and page builds in ``workers`` threads; at most ``max_pending`` wait."""

    def __init__(self, builder: Builder, *, max_pending: int = 64, workers: int = 1) -> None:
        self.builder = builder
        self.max_pending = max_pending
        self.workers = workers
        self._queue: queue.PriorityQueue[_Job] = queue.PriorityQueue()
        self._jobs: dict[tuple[str, str, str], _Job] = {}
        self._lock = threading.Lock()
        self._sequence = itertools.count()
        self._threads: list[threading.Thread] = []
        self._running = 0
        self.on_depth: Callable[[int], None] | None = None
        self._timers: list[threading.Timer] = []
        self._stopped = False
        self._halt = threading.Event()
        """Set when the queue stops: running builds end between two clips."""

    @property
    def depth(self) -> int:
        """Jobs waiting or running."""
        with self._lock:
            return len(self._jobs)

    def start(self) -> None:
        for index in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"audio-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def halt(self) -> None:
        """Ask running builds to stop between two clips, without waiting for them."""
        self._halt.set()

    def stop(self) -> None:
        """Running builds stop between two clips (their clips stay cached); the workers end."""
        self._halt.set()
        with self._lock:
            self._stopped = True
            timers, self._timers = self._timers, []
        for timer in timers:
            timer.cancel()
        for _ in self._threads:
            self._queue.put(_Job(STOP, next(self._sequence), "stop", ""))
        for thread in self._threads:
            thread.join(timeout=30)
        self._threads.clear()

    def section(self, slug: str, section_id: str) -> Future[object]:
        """A job making the section's track (its result), queued ahead of everything else; the
        rest of the page follows it."""
        future = self._submit("section", slug, section_id, URGENT)
        future.add_done_callback(lambda _: self._prefetch_later(slug))
        return future

    def page(self, slug: str) -> Future[object]:
        """A job building the whole page (a ``BuildResult``), ahead of work done in advance."""
        return self._submit("page", slug, "", URGENT)

    def _prefetch_later(self, slug: str) -> None:
        """The rest of the page, queued a moment after the listener's section is made: until
        its first bytes are on their way, the section's listener should have every core."""
        timer = threading.Timer(PREFETCH_DELAY, self.prefetch, args=(slug,))
        timer.daemon = True
        with self._lock:
            if self._stopped:
                return
            self._timers = [t for t in self._timers if t.is_alive()] + [timer]
        timer.start()

    def rebuild(self, slug: str) -> None:
        """Queue a build of the whole page behind anything a listener waits for, unless full."""
        try:
            self._submit("page", slug, "", AHEAD)
        except Busy:
            logger.info("queue full: %s is rebuilt later", slug)

    def upgrade(self, slug: str) -> Future[object]:
        """A build of the whole page behind everything else (``Busy`` if the queue is full)."""
        return self._submit("page", slug, "", BACKGROUND)

    def prefetch(self, slug: str) -> None:
        """Queue every section of the page in reading order, then the whole page, unless full."""
        page = self.builder.store.load(slug)
        try:
            for section in page.sections:
                self._submit("section", slug, section.id, AHEAD)
            self._submit("page", slug, "", AHEAD)
        except Busy:
            logger.info("queue full: %s is made when a listener asks for it", slug)

    def _submit(self, kind: JobKind, slug: str, section_id: str, priority: int) -> Future[object]:
        with self._lock:
            existing = self._jobs.get((kind, slug, section_id))
            if existing is not None:
                if priority < existing.priority and not existing.future.running():
                    # Asked for by a listener now: queue it again in front; whichever copy a
                    # worker takes first runs, the other finds the job done and is skipped.
                    existing.priority = priority
                    self._queue.put(
                        _Job(
                            priority, next(self._sequence), kind, slug, section_id, existing.future
                        )
                    )
                return existing.future
            if len(self._jobs) >= self.max_pending:
                raise Busy(
                    "Der venter allerede mange oplæsninger. Prøv igen om lidt.", retry_after=5
                )
            job = _Job(priority, next(self._sequence), kind, slug, section_id)
            self._jobs[job.key] = job
            depth = len(self._jobs)
        self._queue.put(job)
        if self.on_depth:
            self.on_depth(depth)
        return job.future

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if job.kind == "stop":
                return
            with self._lock:
                # A job asked for again by a listener sits in the queue twice: whichever copy
                # comes first runs it; the other finds it running or done and is skipped.
                if job.future.running() or job.future.done():
                    continue
                if not job.future.set_running_or_notify_cancel():
                    continue  # cancelled
            outcome: object = None
            failure: BaseException | None = None
            try:
                # A listener waits for an urgent job: it may not wait long for the main voice.
                urgent = job.priority == URGENT
                if job.kind == "section":
                    outcome = self.builder.section_track(
                        job.slug, job.section_id, make=True, urgent=urgent, stop=self._halt.is_set
                    )
                else:
                    outcome = self.builder.build(job.slug, urgent=urgent, stop=self._halt.is_set)
            except BaseException as error:  # handed to whoever waits for the job
                failure = error
            # Forgotten before it is answered: whoever asks again after hearing the answer
            # gets a new job, never this finished one.
            with self._lock:
                if self._jobs.get(job.key) is not None and self._jobs[job.key].future is job.future:
                    del self._jobs[job.key]
                depth = len(self._jobs)
            if failure is not None:
                job.future.set_exception(failure)
            else:
                job.future.set_result(outcome)
            if self.on_depth:
                self.on_depth(depth)
