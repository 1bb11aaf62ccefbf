"""Regeneration jobs: progress and counts, only what changed, failures that keep the old audio."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from reader.config import Settings
from reader.editor.jobs import JobRunner, JobView
from reader.errors import SectionNotFound
from reader.services import Services, build_services
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


def test_jobs_still_waiting_when_the_service_stops_fail_with_a_reason(
    services: Services,
) -> None:
    jobs = JobRunner(services.builder)  # never started: every job is still waiting
    waiting = jobs.submit_page(FOREBYG, by="anna")
    jobs.stop()
    stopped = jobs.future(waiting.id).result(timeout=0)
    assert stopped.state == "failed"
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
