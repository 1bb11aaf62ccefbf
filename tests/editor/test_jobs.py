"""Regeneration jobs: progress and counts, only what changed, failures that keep the old audio."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from reader.config import Settings
from reader.editor.errors import JobFinished
from reader.editor.jobs import JobRunner, JobView
from reader.editor.jobstore import FileJobStore, JobRecord
from reader.errors import EngineError, SectionNotFound
from reader.services import Services, build_services
from reader.speech.engines import RawAudio
from tests.content.builders import long_page_html
from tests.disks import full_disk
from tests.editor.apps import FOREBYG, POLITIK, engines
from tests.fakes.engines import ToneEngine

__all__ = ["full_disk"]  # a fixture used by name


@pytest.fixture
def services(settings: Settings, engine: ToneEngine) -> Iterator[Services]:
    built = build_services(settings, engines(engine))
    yield built
    built.close()


@pytest.fixture
def finished_views() -> list[JobView]:
    return []


@pytest.fixture
def runner(services: Services, finished_views: list[JobView]) -> Iterator[JobRunner]:
    jobs = JobRunner(services.builder, on_finish=finished_views.append)
    jobs.start()
    yield jobs
    jobs.stop()


def wait(runner: JobRunner, job: JobView) -> JobView:
    return runner.future(job.id).result(timeout=120)


def test_a_page_job_makes_every_sentence_once_and_reports_its_progress(
    runner: JobRunner, services: Services, engine: ToneEngine, finished_views: list[JobView]
) -> None:
    job = runner.submit_page(POLITIK, by="anna")
    assert job.state == "queued" and job.by == "anna"
    done = wait(runner, job)
    _, lines = services.builder.script(POLITIK)
    assert done.state == "done" and done.error is None
    assert done.done == done.total == len(lines)
    assert done.synthesised == engine.calls == len({line.spoken for line in lines})
    assert done.synthesised + done.reused == len(lines)
    assert services.builder.status(POLITIK).state == "fresh"
    assert finished_views == [done]
    assert runner.outcome_for(POLITIK) == done.pages[0]


def test_a_second_job_for_a_fresh_page_makes_nothing(runner: JobRunner, engine: ToneEngine) -> None:
    wait(runner, runner.submit_page(POLITIK, by="anna"))
    calls = engine.calls
    again = wait(runner, runner.submit_page(POLITIK, by="anna"))
    assert again.pages[0].skipped and again.synthesised == 0
    assert engine.calls == calls


def test_a_forced_job_speaks_everything_anew(runner: JobRunner, engine: ToneEngine) -> None:
    first = wait(runner, runner.submit_page(POLITIK, by="anna"))
    forced = wait(runner, runner.submit_page(POLITIK, by="anna", force=True))
    assert forced.synthesised == first.synthesised
    assert engine.calls == 2 * first.synthesised


def test_a_failed_job_says_why_and_leaves_the_old_audio_in_place(
    runner: JobRunner, services: Services, engine: ToneEngine, settings: Settings
) -> None:
    wait(runner, runner.submit_page(POLITIK, by="anna"))
    before = services.manifests.load(POLITIK)
    assert before is not None
    path = settings.pages_dir / f"{POLITIK}.html"
    path.write_text(path.read_text().replace("Integrationsrådet", "Integrationsrådet nu"))
    engine.fail = True
    failed = wait(runner, runner.submit_page(POLITIK, by="anna"))
    assert failed.state == "failed"
    assert failed.error is not None and POLITIK in failed.error
    assert services.manifests.load(POLITIK) == before
    assert services.tracks.exists(before.page.hash)
    assert services.builder.status(POLITIK).state == "stale"


def test_the_stale_job_builds_only_the_stale_pages(
    runner: JobRunner, services: Services, settings: Settings
) -> None:
    for slug in (POLITIK, FOREBYG):
        wait(runner, runner.submit_page(slug, by="anna"))
    path = settings.pages_dir / f"{FOREBYG}.html"
    path.write_text(path.read_text().replace("Heldigvis trives", "Heldigvis trives i dag"))
    done = wait(runner, runner.submit_stale(by="bo"))
    assert [page.slug for page in done.pages] == [FOREBYG]
    assert done.synthesised == 1
    assert services.builder.status(FOREBYG).state == "fresh"


def test_a_section_job_makes_that_section_and_then_the_page(
    runner: JobRunner, services: Services
) -> None:
    done = wait(runner, runner.submit_page(POLITIK, by="anna", section="integrationsraadet"))
    assert done.kind == "section" and done.state == "done"
    assert services.builder.status(POLITIK).state == "fresh"
    with pytest.raises(SectionNotFound):
        runner.submit_page(POLITIK, by="anna", section="findes-ikke")


def test_a_job_asked_for_again_while_it_waits_is_queued_once(
    services: Services, settings: Settings
) -> None:
    gate = threading.Event()
    held = build_services(settings, engines(ToneEngine(ms_per_char=2, gate=gate)))
    jobs = JobRunner(held.builder)
    jobs.start()
    try:
        running = jobs.submit_page(POLITIK, by="anna")  # holds the worker at the gate
        first = jobs.submit_page(FOREBYG, by="anna")
        second = jobs.submit_page(FOREBYG, by="bo")
        assert first.id == second.id
        assert jobs.active_for(FOREBYG) is not None
        gate.set()
        assert wait(jobs, running).state == "done"
        assert wait(jobs, first).state == "done"
        assert jobs.active_for(FOREBYG) is None
    finally:
        gate.set()
        jobs.stop()
        held.close()


def test_jobs_still_waiting_when_the_service_stops_are_interrupted_with_a_reason(
    services: Services,
) -> None:
    jobs = JobRunner(services.builder)  # never started: every job is still waiting
    waiting = jobs.submit_page(FOREBYG, by="anna")
    jobs.stop()
    stopped = jobs.future(waiting.id).result(timeout=0)
    assert stopped.state == "interrupted" and stopped.interruptions == 1
    assert stopped.error is not None and "stoppet" in stopped.error


def test_a_job_on_a_full_disk_says_the_disk_is_full(
    settings: Settings, engine: ToneEngine, full_disk: Path
) -> None:
    services = build_services(settings.model_copy(update={"data_dir": full_disk}), engines(engine))
    jobs = JobRunner(services.builder, on_finish=lambda view: None)
    jobs.start()
    try:
        done = wait(jobs, jobs.submit_page(POLITIK, by="anna"))
    finally:
        jobs.stop()
        services.close()
    assert done.error is not None and "disken er fuld" in done.error


class HoldsWord(ToneEngine):
    """Speaks at once every text without ``word``; holds those with it until ``released``."""

    def __init__(self, word: str) -> None:
        super().__init__(ms_per_char=2)
        self.word = word
        self.released = threading.Event()
        self.holding = threading.Event()
        """Set once a text is being held."""

    def synthesize(self, text: str) -> RawAudio:
        if self.word in text:
            self.holding.set()
        if self.word in text and not self.released.wait(timeout=60):
            raise EngineError("held too long")
        return super().synthesize(text)


LONG = "lang-side"


@pytest.fixture
def held(settings: Settings) -> Iterator[tuple[Services, HoldsWord]]:
    (settings.pages_dir / f"{LONG}.html").write_text(
        long_page_html(60, word="venteregel"), encoding="utf-8"
    )
    engine = HoldsWord("venteregel")
    built = build_services(settings, engines(engine))
    yield built, engine
    engine.released.set()
    built.close()


def test_a_cancelled_job_stops_between_clips_keeps_them_and_leaves_the_audio_alone(
    held: tuple[Services, HoldsWord],
) -> None:
    services, engine = held
    jobs = JobRunner(services.builder)
    jobs.start()
    try:
        job = jobs.submit_page(LONG, by="anna")
        assert engine.holding.wait(timeout=60)
        asked = jobs.cancel(job.id)
        assert asked.state == "running"  # it stops once the clips being made are done
        engine.released.set()
        cancelled = wait(jobs, job)
    finally:
        jobs.stop()
    assert cancelled.state == "cancelled" and cancelled.error is not None
    assert 0 < cancelled.done < cancelled.total
    _, lines = services.builder.script(LONG)
    kept = [line for line in lines if services.builder.clips.lookup(line.spoken) is not None]
    assert 0 < len(kept) < len(lines)
    assert services.builder.status(LONG).state == "missing"
    with pytest.raises(JobFinished):
        jobs.cancel(job.id)


def test_a_waiting_job_is_cancelled_at_once_and_a_finished_one_cannot_be(
    services: Services,
) -> None:
    jobs = JobRunner(services.builder)  # not started: the job waits
    waiting = jobs.submit_page(FOREBYG, by="anna")
    assert jobs.cancel(waiting.id).state == "cancelled"
    jobs.start()
    try:
        done = wait(jobs, jobs.submit_page(POLITIK, by="anna"))
        with pytest.raises(JobFinished):
            jobs.cancel(done.id)
        assert jobs.get(waiting.id).state == "cancelled"
    finally:
        jobs.stop()


def test_a_small_page_job_finishes_while_a_long_page_job_runs(
    held: tuple[Services, HoldsWord],
) -> None:
    services, engine = held
    jobs = JobRunner(services.builder, workers=2)
    jobs.start()
    try:
        long_job = jobs.submit_page(LONG, by="anna")
        assert engine.holding.wait(timeout=60)
        small = wait(jobs, jobs.submit_page(POLITIK, by="bo"))
        assert small.state == "done"
        assert jobs.get(long_job.id).state == "running"
        engine.released.set()
        assert wait(jobs, long_job).state == "done"
    finally:
        engine.released.set()
        jobs.stop()


def test_a_second_job_for_a_page_being_built_waits_queued_and_a_small_page_goes_first(
    held: tuple[Services, HoldsWord],
) -> None:
    services, engine = held
    _, lines = services.builder.script(LONG)
    last_section = lines[-1].section_id
    assert last_section is not None
    jobs = JobRunner(services.builder, workers=2)
    jobs.start()
    try:
        first = jobs.submit_page(LONG, by="anna")
        assert engine.holding.wait(timeout=60)
        forced = jobs.submit_page(LONG, by="bo", force=True)
        section = jobs.submit_page(LONG, by="bo", section=last_section)
        # The second worker has passed both over (it took the small page after them).
        small = wait(jobs, jobs.submit_page(POLITIK, by="bo"))
        assert small.state == "done"
        assert jobs.get(first.id).state == "running"
        assert jobs.get(forced.id).state == jobs.get(section.id).state == "queued"
        assert jobs.submit_page(LONG, by="cy", force=True).id == forced.id  # still one job
        assert jobs.cancel(section.id).state == "cancelled"
        engine.released.set()
        assert wait(jobs, first).state == "done"
        done = wait(jobs, forced)
        assert done.state == "done" and done.synthesised == len({line.spoken for line in lines})
        assert jobs.get(section.id).state == "cancelled"  # a cancelled held job never runs
        assert jobs.get(section.id).started_at is None
    finally:
        engine.released.set()
        jobs.stop()


def test_jobs_are_kept_in_the_data_directory_and_taken_up_again_after_a_crash(
    services: Services, settings: Settings
) -> None:
    store = FileJobStore(settings.data_dir)
    first = JobRunner(services.builder, store=store)
    first.start()
    try:
        done = wait(first, first.submit_page(POLITIK, by="anna"))
    finally:
        first.stop()
    # A job the process was running when it was killed: its file still says so.
    crashed = JobRecord(
        id="0123456789abcdef",
        kind="page",
        slug=FOREBYG,
        section=None,
        force=False,
        by="bo",
        state="running",
        created_at=dt.datetime.now(dt.UTC),
        done=3,
        total=40,
    )
    store.save(crashed)
    second = JobRunner(services.builder, store=FileJobStore(settings.data_dir))
    resumed = second.start()
    try:
        assert [job.id for job in resumed] == [crashed.id]
        assert resumed[0].interruptions == 1 and resumed[0].done == 0
        assert second.get(done.id) == done
        assert second.outcome_for(POLITIK) == done.pages[0]
        assert second.future(done.id).result(timeout=0) == done
        finished = wait(second, resumed[0])
    finally:
        second.stop()
    assert finished.state == "done" and finished.interruptions == 1
    assert finished.done == finished.total > 0
    assert services.builder.status(FOREBYG).state == "fresh"
    kept = {record.id: record for record in FileJobStore(settings.data_dir).load()}
    assert kept[crashed.id].state == "done" and kept[done.id].state == "done"
