"""Latency of ``GET /api/pages/{slug}`` under 50 connections while the same service builds audio
for a corpus of pages, next to the same load on the same service with nothing being built.

No target: the numbers are reported. The build is asked for the way listeners ask for pages
nobody has heard yet, ``GET /api/pages/{slug}/audio`` for one page after another from
``BUILDERS`` threads, so it runs in the service's own queue workers (``READER_QUEUE_WORKERS``)
with espeak-ng, while wrk loads a page whose audio is already built.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench._proc import BenchError
from bench._result import Result, median, progress
from bench._servers import Server, reader_serve
from bench._wrk import CONNECTIONS, DURATION, NO_TARGET, THREADS, Load, checked, wrk
from bench.corpus import CONTENT, load_pages, synthetic_corpus, written_text
from reader.config import Settings
from reader.services import build_services

NAME = "build-latency"
PAGES = 60
"""Synthetic pages to build in each run: more than the build gets through while wrk runs."""
BUILDERS = 2
"""Threads asking for pages' audio, one page at a time each."""
HEAD_START = 1.0
"""Seconds the build runs before wrk starts, so the load meets a build in full swing."""


@dataclass
class Build:
    """Pages asked for one after another by ``BUILDERS`` threads until stopped or done."""

    server: Server
    pending: list[str]
    done: list[tuple[float, str]] = field(default_factory=list)
    """(time.perf_counter() when its audio was ready, slug)."""
    busy: int = 0
    failures: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _next(self) -> str | None:
        with self.lock:
            if self.stop.is_set() or not self.pending:
                return None
            self.busy += 1
            return self.pending.pop(0)

    def work(self) -> None:
        while (slug := self._next()) is not None:
            try:
                status = self.server.get(f"/api/pages/{slug}/audio")[0]
            except OSError as error:
                status, reason = 0, str(error)
            else:
                reason = f"status {status}"
            with self.lock:
                self.busy -= 1
                if status == 307:
                    self.done.append((time.perf_counter(), slug))
                else:
                    self.failures.append(f"{slug}: {reason}")

    def running(self) -> bool:
        with self.lock:
            return self.busy > 0 or bool(self.pending)


@contextmanager
def building(server: Server, slugs: list[str]) -> Iterator[Build]:
    build = Build(server, list(slugs))
    threads = [
        threading.Thread(target=build.work, name=f"bench-build-{index}", daemon=True)
        for index in range(BUILDERS)
    ]
    for thread in threads:
        thread.start()
    try:
        yield build
    finally:
        build.stop.set()
        for thread in threads:  # each ends when the page it waits for is built
            thread.join()


@dataclass(frozen=True)
class Sample:
    idle: Load
    busy: Load
    pages_built: int
    """Pages whose build ended while wrk ran."""


def _measure(server: Server, url: str, slugs: list[str], build_first: bool) -> Sample:
    def idle() -> Load:
        return checked(wrk(url, latency=True), "the page API with no build running")

    def busy() -> tuple[Load, int]:
        with building(server, slugs) as build:
            time.sleep(HEAD_START)
            started = time.perf_counter()
            load = checked(wrk(url, latency=True), "the page API during a build")
            ended = time.perf_counter()
            still = build.running()
            if build.failures:
                raise BenchError(f"the build failed: {'; '.join(build.failures[:3])}")
        if not still:
            raise BenchError(f"the build ended before the load did: raise PAGES ({PAGES})")
        return load, sum(1 for at, _ in build.done if started <= at <= ended)

    if build_first:
        during, pages = busy()
        return Sample(idle(), during, pages)
    quiet = idle()
    during, pages = busy()
    return Sample(quiet, during, pages)


def _facts(label: str, loads: list[Load]) -> str:
    parts = [
        f"p{which} {median([load.percentile(which) for load in loads]):.1f} ms"
        for which in (50, 90, 99)
    ]
    rate = median([load.per_second for load in loads])
    return f"{label}: {', '.join(parts)}, {rate:.0f} req/s"


def run(repeat: int) -> Result:
    page = max(load_pages(CONTENT), key=lambda page: len(written_text(page)))
    samples: list[Sample] = []
    with tempfile.TemporaryDirectory() as scratch:
        content = synthetic_corpus(Path(scratch) / "content", PAGES)
        for source in (CONTENT / "pages").glob("*.html"):
            shutil.copy(source, content / "pages" / source.name)
        slugs = sorted(path.stem for path in (content / "pages").glob("politik-*.html"))
        for index in range(repeat):
            progress(f"{NAME}: run {index + 1} of {repeat}")
            data = Path(scratch) / f"data-{index}"
            # The page under load has its audio; the corpus has none.
            settings = Settings(content_dir=content, data_dir=data, engine="espeak")
            services = build_services(settings)
            try:
                services.builder.build(page.slug)
            finally:
                services.close()
            with reader_serve(content, data) as server:
                path = f"/api/pages/{page.slug}"
                if server.get(path)[0] != 200:
                    raise BenchError(f"GET {path} did not answer 200")
                samples.append(_measure(server, server.url(path), slugs, index % 2 == 1))
    busy = [sample.busy for sample in samples]
    idle = [sample.idle for sample in samples]
    ours = median([load.percentile(99) for load in busy])
    reference = median([load.percentile(99) for load in idle])
    return Result(
        name=NAME,
        ours=ours,
        reference=reference,
        unit="ms",
        ratio=ours / reference,
        target=NO_TARGET,
        meets=True,
        details=[
            f"p99 of GET /api/pages/{page.slug} (built) during a build / with none; wrk -t "
            f"{THREADS} -c {CONNECTIONS} -d {DURATION}s --latency",
            _facts("during the build", busy),
            _facts("no build", idle),
            f"build: {BUILDERS} threads asking GET /api/pages/{{slug}}/audio of a {PAGES}-page "
            f"synthetic corpus (espeak-ng); pages built while wrk ran: "
            f"{sorted(sample.pages_built for sample in samples)}",
        ],
        samples={
            "ours": [load.percentile(99) for load in busy],
            "reference": [load.percentile(99) for load in idle],
            "ours_p50": [load.percentile(50) for load in busy],
            "reference_p50": [load.percentile(50) for load in idle],
            "ours_per_second": [load.per_second for load in busy],
            "reference_per_second": [load.per_second for load in idle],
        },
    )
