"""Work that survives a restart: ``reader serve`` killed, stopped and started again, with its
jobs, over real HTTP and the offline voice."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from typing import Any

import httpx
import pytest

from reader.config import Settings
from reader.services import build_services
from tests.content.builders import long_page_html
from tests.editor.apps import ADMIN_TOKEN, AUTH, FOREBYG, POLITIK
from tests.web.server import Served, reader_process

pytestmark = pytest.mark.slow

LONG = "lang-side"
SERVE_ENV = {"READER_ENGINE": "espeak", "READER_ADMIN_TOKEN": ADMIN_TOKEN}
POLLS = 1200
POLL = 0.05
EXIT_WAIT = 30
"""Seconds a stopped service may take to exit (it stops its jobs between two clips)."""


@pytest.fixture
def long_page(settings: Settings) -> str:
    (settings.pages_dir / f"{LONG}.html").write_text(long_page_html(150), encoding="utf-8")
    return LONG


def client(served: Served) -> httpx.Client:
    return httpx.Client(base_url=served.base_url, headers=AUTH, timeout=90)


def regenerate(http: httpx.Client, slug: str, *, force: bool = False) -> str:
    answer = http.post(f"/api/pages/{slug}/regenerate", json={"force": force})
    assert answer.status_code == 202, answer.text
    job_id: str = answer.json()["id"]
    return job_id


def seen_in_progress(http: httpx.Client, job_id: str) -> dict[str, Any]:
    """Poll the job until some but not all of its sentences are done; that view."""
    for _ in range(POLLS):
        job: dict[str, Any] = http.get(f"/api/jobs/{job_id}").json()
        if job["state"] == "running" and 0 < job["done"] < job["total"]:
            return job
        assert job["state"] in ("queued", "running"), job
        time.sleep(POLL)
    raise AssertionError(f"job {job_id} was never seen in progress")


def finished(http: httpx.Client, job_id: str) -> dict[str, Any]:
    for _ in range(20):
        job: dict[str, Any] = http.get(f"/api/jobs/{job_id}", params={"wait": 30}).json()
        if job["state"] not in ("queued", "running"):
            return job
    raise AssertionError(f"job {job_id} did not end")


def job_file(settings: Settings, job_id: str) -> dict[str, Any]:
    kept: dict[str, Any] = json.loads((settings.data_dir / "jobs" / f"{job_id}.json").read_text())
    return kept


def clip_files(settings: Settings) -> int:
    return sum(1 for _ in (settings.data_dir / "clips").glob("*/*.mp3"))


def test_a_job_still_answers_after_kill_9_and_is_taken_up_again(
    settings: Settings, long_page: str
) -> None:
    with reader_process(settings.content_dir, settings.data_dir, SERVE_ENV) as served:
        with client(served) as http:
            job_id = regenerate(http, long_page)
            moving = seen_in_progress(http, job_id)
        served.process.kill()
        served.process.wait(timeout=EXIT_WAIT)
    assert job_file(settings, job_id)["state"] == "running"  # nobody could say otherwise
    with reader_process(settings.content_dir, settings.data_dir, SERVE_ENV) as served:
        with client(served) as http:
            again = http.get(f"/api/jobs/{job_id}")
            assert again.status_code == 200
            assert again.json()["interruptions"] == 1
            assert again.json()["state"] in ("queued", "running")
            done = finished(http, job_id)
            assert done["state"] == "done" and done["done"] == done["total"] == moving["total"]
            assert done["reused"] > 0  # the clips made before the kill
            audit = http.get("/api/audit", params={"target": long_page}).json()
            assert "audio.resumed" in [entry["action"] for entry in audit]
            status = {row["slug"]: row["audio"] for row in http.get("/api/status").json()}
            assert status[long_page] == "fresh"


def test_sigterm_during_a_long_job_exits_soon_keeps_the_clips_and_the_job_resumes(
    settings: Settings, long_page: str
) -> None:
    with reader_process(settings.content_dir, settings.data_dir, SERVE_ENV) as served:
        with client(served) as http:
            job_id = regenerate(http, long_page)
            seen_in_progress(http, job_id)
        served.process.send_signal(signal.SIGTERM)
        try:
            served.process.wait(timeout=EXIT_WAIT)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"reader serve still runs {EXIT_WAIT} s after SIGTERM") from None
    kept = job_file(settings, job_id)
    assert kept["state"] == "interrupted" and kept["interruptions"] == 1
    assert 0 < kept["done"] < kept["total"]
    made_before = clip_files(settings)
    assert made_before > 0
    assert not (settings.data_dir / "manifests" / f"{long_page}.json").exists()
    with reader_process(settings.content_dir, settings.data_dir, SERVE_ENV) as served:
        with client(served) as http:
            done = finished(http, job_id)
    assert done["state"] == "done" and done["interruptions"] == 1
    assert done["reused"] >= made_before  # nothing made before the stop was made again
    assert done["synthesised"] + done["reused"] == done["total"]


def test_an_editor_cancels_a_running_job_and_a_small_page_is_not_held_up_meanwhile(
    settings: Settings, long_page: str
) -> None:
    with (
        reader_process(settings.content_dir, settings.data_dir, SERVE_ENV) as served,
        client(served) as http,
    ):
        long_job = regenerate(http, long_page)
        seen_in_progress(http, long_job)
        small = finished(http, regenerate(http, FOREBYG))
        assert small["state"] == "done"
        assert http.get(f"/api/jobs/{long_job}").json()["state"] == "running"

        assert (
            http.post(f"/api/jobs/{long_job}/cancel", headers={"Authorization": ""}).status_code
            == 401
        )
        cancelled = http.post(f"/api/jobs/{long_job}/cancel")
        assert cancelled.status_code in (200, 202), cancelled.text
        ended = finished(http, long_job)
        assert ended["state"] == "cancelled" and ended["done"] < ended["total"]
        again = http.post(f"/api/jobs/{long_job}/cancel")
        assert again.status_code == 409 and "slut" in again.json()["error"]["message"]
        assert http.post(f"/api/jobs/{small['id']}/cancel").status_code == 409
        assert http.post("/api/jobs/0000000000000000/cancel").status_code == 404
        status = {row["slug"]: row["audio"] for row in http.get("/api/status").json()}
        assert status[long_page] == "missing"  # the old audio (none) stays
        audit = http.get("/api/audit", params={"target": long_page}).json()
        assert audit[0]["action"] == "audio.cancelled" and audit[0]["who"] == "anna"


def state(http: httpx.Client, job_id: str) -> str:
    job_state: str = http.get(f"/api/jobs/{job_id}").json()["state"]
    return job_state


def test_a_long_page_with_two_jobs_leaves_a_worker_for_a_small_page(
    settings: Settings, long_page: str
) -> None:
    with (
        reader_process(settings.content_dir, settings.data_dir, SERVE_ENV) as served,
        client(served) as http,
    ):
        page_job = regenerate(http, long_page)
        seen_in_progress(http, page_job)
        forced = regenerate(http, long_page, force=True)
        small = finished(http, regenerate(http, FOREBYG))
        assert small["state"] == "done"
        # The long page keeps one worker; its second job waits for the first, still queued.
        assert state(http, page_job) == "running"
        assert state(http, forced) == "queued"

        assert http.post(f"/api/jobs/{page_job}/cancel").status_code in (200, 202)
        assert finished(http, page_job)["state"] == "cancelled"
        seen_in_progress(http, forced)  # taken up once the first job is over, not lost
        assert http.post(f"/api/jobs/{forced}/cancel").status_code in (200, 202)
        assert finished(http, forced)["state"] == "cancelled"


def changed_on_disk(settings: Settings) -> None:
    """Build the seed pages' audio, then change one page as an editor's text editor would."""
    services = build_services(settings)
    try:
        for slug in (POLITIK, FOREBYG):
            services.builder.build(slug)
    finally:
        services.close()
    path = settings.pages_dir / f"{POLITIK}.html"
    text = path.read_text(encoding="utf-8")
    changed = text.replace(
        "</h1>", "</h1><p>Denne sætning kom til, mens tjenesten var stoppet.</p>", 1
    )
    assert changed != text
    path.write_text(changed, encoding="utf-8")


def test_a_page_changed_while_the_service_was_stopped_is_rebuilt_at_start(
    settings: Settings,
) -> None:
    changed_on_disk(settings)
    with reader_process(settings.content_dir, settings.data_dir, SERVE_ENV) as served:
        with client(served) as http:
            jobs = [job for job in http.get("/api/jobs").json() if job["slug"] == POLITIK]
            assert len(jobs) == 1 and jobs[0]["by"] == "disk"
            assert finished(http, jobs[0]["id"])["state"] == "done"
            status = {row["slug"]: row["audio"] for row in http.get("/api/status").json()}
            assert status == {POLITIK: "fresh", FOREBYG: "fresh"}
            noted = http.get("/api/audit", params={"target": POLITIK}).json()
            assert "audio.stale_on_start" in [entry["action"] for entry in noted]


def test_without_automatic_regeneration_a_page_changed_while_stopped_is_only_marked(
    settings: Settings,
) -> None:
    changed_on_disk(settings)
    env = {**SERVE_ENV, "READER_AUTO_REGENERATE": "false"}
    with reader_process(settings.content_dir, settings.data_dir, env) as served:
        with client(served) as http:
            assert http.get("/api/jobs").json() == []
            status = {row["slug"]: row["audio"] for row in http.get("/api/status").json()}
            assert status == {POLITIK: "stale", FOREBYG: "fresh"}
            noted = http.get("/api/audit", params={"target": POLITIK}).json()
            assert noted[0]["action"] == "audio.stale_on_start"
    assert not (settings.data_dir / "jobs").exists() or not list(
        (settings.data_dir / "jobs").iterdir()
    )
