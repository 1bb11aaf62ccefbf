"""The on-demand queue: shared jobs, listeners first, bounded, and workers that survive."""

from __future__ import annotations

import threading

import pytest

from reader.audio.manifest import TrackInfo
from reader.audio.queue import AudioQueue
from reader.config import Settings
from reader.errors import Busy
from reader.services import Services, build_services
from reader.speech.engines.choice import EngineChoice
from tests.fakes.engines import ToneEngine

SLUG = "forebyggelsesstrategi"


@pytest.fixture
def gate() -> threading.Event:
    return threading.Event()


@pytest.fixture
def services(settings: Settings, gate: threading.Event) -> Services:
    return build_services(settings, EngineChoice((ToneEngine(ms_per_char=5, gate=gate),), None))


def section_ids(services: Services) -> list[str]:
    return [section.id for section in services.store.load(SLUG).sections]


def test_the_same_job_asked_twice_is_one_job(services: Services, gate: threading.Event) -> None:
    queue = AudioQueue(services.builder, workers=1)
    first, *_ = section_ids(services)
    a = queue.section(SLUG, first)
    b = queue.section(SLUG, first)
    assert a is b
    queue.start()
    gate.set()
    assert isinstance(a.result(timeout=60), TrackInfo)
    queue.stop()


def test_a_job_moved_ahead_runs_once_and_the_worker_lives_on(
    services: Services, gate: threading.Event
) -> None:
    queue = AudioQueue(services.builder, workers=1)
    ids = section_ids(services)
    queue.prefetch(SLUG)  # every section queued ahead of time
    urgent = queue.section(SLUG, ids[-1])  # the last one now wanted: queued again in front
    queue.start()
    gate.set()
    assert isinstance(urgent.result(timeout=60), TrackInfo)
    # The copy left behind is skipped without harm: the worker still takes new work.
    assert queue.page(SLUG).result(timeout=60) is not None
    queue.stop()
    assert queue.depth == 0


def test_a_full_queue_refuses_new_jobs_with_busy(services: Services) -> None:
    queue = AudioQueue(services.builder, max_pending=2, workers=1)
    ids = section_ids(services)
    queue.section(SLUG, ids[0])
    queue.section(SLUG, ids[1])
    with pytest.raises(Busy) as refused:
        queue.section(SLUG, ids[2])
    assert refused.value.retry_after and refused.value.status_code == 503
    assert queue.depth == 2


def test_a_failed_job_reports_its_error_and_is_forgotten(
    services: Services, gate: threading.Event, settings: Settings
) -> None:
    engine = services.clips.engines[0]
    assert isinstance(engine, ToneEngine)
    engine.fail = True
    gate.set()
    queue = AudioQueue(services.builder, workers=1)
    queue.start()
    first = section_ids(services)[0]
    with pytest.raises(Exception, match="stemme"):
        queue.section(SLUG, first).result(timeout=60)
    engine.fail = False
    assert isinstance(queue.section(SLUG, first).result(timeout=60), TrackInfo)
    queue.stop()


def test_the_rest_of_the_page_follows_a_listeners_section(
    services: Services, gate: threading.Event
) -> None:
    gate.set()
    queue = AudioQueue(services.builder, workers=1)
    queue.start()
    first, *others = section_ids(services)
    queue.section(SLUG, first).result(timeout=60)
    for _ in range(600):  # polled, not timed: the page is queued a moment later and made
        if services.builder.status(SLUG).state == "fresh":
            break
        threading.Event().wait(0.05)
    assert services.builder.status(SLUG).state == "fresh"
    assert all(services.builder.section_track(SLUG, s, make=False) for s in others)
    queue.stop()
