"""The editors' jobs in a real Redis shared by two replicas (two sets of services in this
process, each with its own data directory): a job is read on the replica that did not run it,
and a job left unfinished is taken up by exactly one replica."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import pytest
from pydantic import SecretStr

from reader.backends import build_backends
from reader.backends._redis import connect
from reader.backends.locks import RedisLocks
from reader.config import Settings
from reader.editor.jobs import JobRunner, JobView
from reader.editor.jobstore import JobRecord, RedisJobStore
from reader.errors import BackendUnavailable
from reader.services import Services, build_services
from tests.backends.servers import RedisServer
from tests.editor.apps import FOREBYG, POLITIK, engines, fast_engine
from tests.fakes.engines import ToneEngine

pytestmark = pytest.mark.slow

POLLS = 2000
POLL = 0.05


def replica_settings(settings: Settings, redis: RedisServer, name: str) -> Settings:
    return settings.model_copy(
        update={
            "data_dir": settings.data_dir.parent / name,
            "redis_url": SecretStr(redis.url),
            "backend_timeout": 2,
        }
    )


@pytest.fixture
def two(settings: Settings, redis_server: RedisServer) -> Iterator[list[Services]]:
    with ExitStack() as stack:
        built = []
        for name in ("a", "b"):
            services = build_services(
                replica_settings(settings, redis_server, name), engines(fast_engine())
            )
            stack.callback(services.close)
            built.append(services)
        yield built


def runner(services: Services) -> JobRunner:
    return JobRunner(services.builder, store=services.backends.jobs, locks=services.backends.locks)


def crashed_record(job_id: str = "0123456789abcdef") -> JobRecord:
    """A job whose replica was killed while running it: its record still says so."""
    return JobRecord(
        id=job_id,
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


def wait_for(runner: JobRunner, job_id: str) -> JobView:
    return runner.future(job_id).result(timeout=POLLS * POLL)


def test_redis_is_where_the_jobs_are_kept_when_it_is_set(
    settings: Settings, redis_server: RedisServer
) -> None:
    shared = build_backends(replica_settings(settings, redis_server, "a"))
    alone = build_backends(settings)
    try:
        assert isinstance(shared.jobs, RedisJobStore) and shared.jobs.shared
        assert not alone.jobs.shared
    finally:
        shared.close()
        alone.close()


def test_a_job_run_on_one_replica_is_followed_on_the_other(two: list[Services]) -> None:
    a, b = runner(two[0]), runner(two[1])
    a.start()
    b.start()
    try:
        gate = threading.Event()
        engine = two[0].engines.engines[0]
        assert isinstance(engine, ToneEngine)
        engine.gate = gate  # the job waits in its first clip until the other replica looked
        asked = a.submit_page(POLITIK, by="anna")
        seen = None
        for _ in range(POLLS):
            seen = b.get(asked.id)
            if seen.state == "running" and seen.total > 0:
                break
            threading.Event().wait(POLL)
        assert seen is not None and seen.state == "running" and seen.total > 0
        assert seen.id in [job.id for job in b.recent()]
        assert b.active_for(POLITIK) is not None
        following = b.future(asked.id)
        gate.set()
        done = wait_for(a, asked.id)
        assert done.state == "done" and done.synthesised > 0
        assert following.result(timeout=POLLS * POLL) == done
        assert b.get(asked.id) == done
        assert b.recent()[0] == done
    finally:
        a.stop()
        b.stop()


def test_two_replicas_starting_at_once_take_up_an_unfinished_job_once(
    two: list[Services],
) -> None:
    store = two[0].backends.jobs
    crashed = crashed_record()
    store.save(crashed)
    runners = [runner(services) for services in two]
    barrier = threading.Barrier(len(runners))

    def start(one: JobRunner) -> list[JobView]:
        barrier.wait(timeout=60)
        return one.start()

    try:
        with ThreadPoolExecutor(len(runners)) as pool:
            resumed = list(pool.map(start, runners))
        assert sorted(len(views) for views in resumed) == [0, 1]
        taker = runners[0] if resumed[0] else runners[1]
        other = runners[1] if taker is runners[0] else runners[0]
        finished = wait_for(taker, crashed.id)
        assert finished.state == "done" and finished.interruptions == 1
        assert other.get(crashed.id) == finished
    finally:
        for one in runners:
            one.stop()
    kept = store.find(crashed.id)
    assert kept is not None and kept.state == "done"


def test_a_job_whose_replica_died_is_taken_up_by_another_once_its_lock_expires(
    two: list[Services], redis_server: RedisServer
) -> None:
    store = two[0].backends.jobs
    crashed = crashed_record()
    store.save(crashed)
    # The replica that ran it held its lock; it died, so nothing renews the lock any more.
    client = connect(redis_server.url, 2)
    dead = RedisLocks(client, ttl=1)
    assert dead.acquire(f"job:{crashed.id}", wait=0) is not None
    dead.close()
    client.close()
    b = runner(two[1])
    taken: list[JobView] = []
    b.on_resume = taken.append
    try:
        assert b.start() == []  # still held when it started
        seen = b.get(crashed.id)
        for _ in range(POLLS):
            seen = b.get(crashed.id)
            if seen.state == "done":
                break
            threading.Event().wait(POLL)
        assert seen.state == "done" and seen.interruptions == 1
        assert [view.id for view in taken] == [crashed.id]
    finally:
        b.stop()


def test_without_redis_the_jobs_say_so_and_a_replica_still_starts(
    two: list[Services], redis_server: RedisServer
) -> None:
    redis_server.stop()
    b = runner(two[1])
    assert b.start() == []
    try:
        for ask in (
            lambda: b.get("0123456789abcdef"),
            lambda: b.submit_page(POLITIK, by="anna"),
            b.recent,
        ):
            with pytest.raises(BackendUnavailable) as refused:
                ask()
            assert refused.value.status_code == 503 and refused.value.retry_after
            assert "Redis" in refused.value.message
        assert b.active_for(POLITIK) is None  # the page list is still shown
    finally:
        b.stop()


def test_the_shared_store_keeps_a_bounded_number_of_finished_jobs(
    redis_server: RedisServer,
) -> None:
    keep = 3
    client = connect(redis_server.url, 2)
    store = RedisJobStore(client, keep=keep)
    start = dt.datetime.now(dt.UTC)
    unfinished = crashed_record("f" * 16).model_copy(update={"created_at": start})
    store.save(unfinished)
    finished = [
        crashed_record(f"{n:016x}").model_copy(
            update={"state": "done", "created_at": start + dt.timedelta(seconds=n + 1)}
        )
        for n in range(2 * keep)
    ]
    for record in finished:
        store.save(record)
    kept = [record.id for record in store.load()]
    client.close()
    assert kept == [unfinished.id] + [record.id for record in finished[-keep + 1 :]]
