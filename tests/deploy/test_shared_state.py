"""Three ``reader serve`` replicas sharing Redis, SeaweedFS and a content directory: the editors'
jobs and the content watch are one for all of them. A job asked for on one replica is followed
on another and outlives its replica's SIGKILL; a file changed on disk is acted on by one replica
once, and by another once the first is killed.

The tests share one cluster and run in order: each kills at most one more replica."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.deploy.cluster import TOKEN, Cluster, Replica, cluster

pytestmark = pytest.mark.slow

AUTH = {"Authorization": f"Bearer {TOKEN}"}
POLL = 0.1
POLLS = 3000
"""Bounds every wait: a job's lock outlives a killed replica by 20 s, the build takes more."""
WATCH_INTERVAL = "0.5"
LONG_PAGE = "forebyggelsesstrategi"


def small_page(title: str) -> bytes:
    return (
        f'<!doctype html><html lang="da"><head><title>{title}</title></head><body><main>'
        f"<h1>{title}</h1><p>Siden har kun én sætning.</p></main></body></html>\n"
    ).encode()


@pytest.fixture(scope="module")
def three() -> Iterator[Cluster]:
    with cluster(3, watch_interval=WATCH_INTERVAL, auto_regenerate="true") as running:
        yield running


def api(
    replica: Replica, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any
) -> httpx.Response:
    url = f"{replica.base_url}{path}"
    return httpx.request(method, url, headers={**AUTH, **(headers or {})}, timeout=60, **kwargs)


def alive(three: Cluster) -> list[Replica]:
    return [r for r in three.replicas if r.process is not None and r.process.poll() is None]


def entries(replica: Replica, slug: str, action: str) -> list[dict[str, Any]]:
    answer = api(replica, "GET", "/api/audit", params={"target": slug, "limit": 1000})
    assert answer.status_code == 200, answer.text
    return [entry for entry in answer.json() if entry["action"] == action]


def acted_on(replicas: list[Replica], slug: str, action: str) -> dict[int, int]:
    """Audit entries of ``action`` about ``slug``, by replica (each keeps its own log)."""
    return {r.port: n for r in replicas if (n := len(entries(r, slug, action)))}


def wait_for(check: Callable[[], bool], what: str) -> None:
    for _ in range(POLLS):
        if check():
            return
        time.sleep(POLL)
    raise AssertionError(f"never happened: {what}")


def pages_dir(three: Cluster) -> Path:
    return three.root / "content" / "pages"


def write_on_disk(three: Cluster, slug: str, title: str) -> None:
    (pages_dir(three) / f"{slug}.html").write_bytes(small_page(title))


def looked_since(three: Cluster, replicas: list[Replica], mark: str) -> None:
    """Waits until a file written now is acted on: every change before it was looked at."""
    write_on_disk(three, mark, f"Mærke {mark}")
    wait_for(lambda: bool(acted_on(replicas, mark, "page.added_on_disk")), f"{mark} noticed")


def jobs_for(replica: Replica, slug: str) -> list[dict[str, Any]]:
    answer = api(replica, "GET", "/api/jobs")
    assert answer.status_code == 200, answer.text
    return [job for job in answer.json() if job["slug"] == slug]


def test_a_job_started_on_one_replica_is_polled_on_the_others(three: Cluster) -> None:
    a, *others = three.replicas
    asked = api(a, "POST", "/api/pages/politikker-og-raad/regenerate", json={"force": True})
    assert asked.status_code == 202, asked.text
    job = asked.json()
    for other in others:
        seen = api(other, "GET", asked.headers["location"])
        assert seen.status_code == 200, seen.text
        assert seen.json()["id"] == job["id"] and seen.json()["by"] == job["by"]
        assert job["id"] in [listed["id"] for listed in jobs_for(other, job["slug"])]
    b = others[0]
    done = api(b, "GET", asked.headers["location"], params={"wait": 60}).json()
    for _ in range(POLLS):
        if done["state"] not in ("queued", "running"):
            break
        done = api(b, "GET", asked.headers["location"], params={"wait": 60}).json()
    assert done["state"] == "done" and done["synthesised"] > 0
    assert done["done"] == done["total"] > 0
    assert api(a, "GET", asked.headers["location"]).json() == done


def test_a_page_put_on_one_replica_is_audited_once_and_served_by_the_others(
    three: Cluster,
) -> None:
    a, *others = three.replicas
    slug = "ny-side-om-genbrug"
    put = api(
        a,
        "PUT",
        f"/api/pages/{slug}",
        content=small_page("Ny side om genbrug"),
        headers={**AUTH, "Content-Type": "text/html"},
    )
    assert put.status_code == 201, put.text
    for other in others:
        page = httpx.get(f"{other.base_url}/pages/{slug}", timeout=60)
        assert page.status_code == 200 and "Siden har kun én sætning." in page.text
    looked_since(three, three.replicas, "maerke-efter-put")
    assert acted_on(three.replicas, slug, "page.published") == {a.port: 1}
    for action in ("page.added_on_disk", "page.changed_on_disk"):
        assert acted_on(three.replicas, slug, action) == {}


def leader(three: Cluster) -> Replica:
    """The replica that acted on the last change made on disk."""
    (port,) = acted_on(three.replicas, "maerke-efter-put", "page.added_on_disk")
    return next(r for r in three.replicas if r.port == port)


def test_a_file_changed_on_disk_is_acted_on_once_across_the_replicas(three: Cluster) -> None:
    slug = "side-lagt-paa-disken"
    write_on_disk(three, slug, "Side lagt på disken")
    looked_since(three, three.replicas, "maerke-efter-disk")
    assert sum(acted_on(three.replicas, slug, "page.added_on_disk").values()) == 1
    # One job gave it audio, whichever replica is asked.
    for replica in three.replicas:
        assert len(jobs_for(replica, slug)) == 1
    path = pages_dir(three) / f"{slug}.html"
    path.write_bytes(path.read_bytes().replace(b"kun", b"nu kun"))
    looked_since(three, three.replicas, "maerke-efter-aendring")
    assert sum(acted_on(three.replicas, slug, "page.changed_on_disk").values()) == 1
    assert len(jobs_for(three.replicas[0], slug)) == 2


def test_another_replica_takes_the_lead_when_the_leader_is_killed(three: Cluster) -> None:
    dead = leader(three)
    dead.kill()
    survivors = alive(three)
    assert len(survivors) == 2
    slug = "side-efter-lederen"
    write_on_disk(three, slug, "Side efter lederen")
    wait_for(
        lambda: bool(acted_on(survivors, slug, "page.added_on_disk")), "a survivor took the lead"
    )
    looked_since(three, survivors, "maerke-efter-lederen")
    assert sum(acted_on(survivors, slug, "page.added_on_disk").values()) == 1


def test_a_job_whose_replica_is_killed_stays_readable_and_is_taken_up_once(
    three: Cluster,
) -> None:
    runner, reader = alive(three)
    asked = api(runner, "POST", f"/api/pages/{LONG_PAGE}/regenerate", json={"force": True})
    assert asked.status_code == 202, asked.text
    location = asked.headers["location"]

    def half_way() -> bool:
        seen = api(reader, "GET", location).json()
        assert seen["state"] in ("queued", "running"), seen
        return seen["state"] == "running" and 0 < seen["done"] < seen["total"]

    wait_for(half_way, "the job is half way")
    runner.kill()
    seen = api(reader, "GET", location)
    assert seen.status_code == 200 and seen.json()["state"] == "running"

    def ended() -> bool:
        return api(reader, "GET", location).json()["state"] not in ("queued", "running")

    wait_for(ended, "the job ended on the replica left")
    done = api(reader, "GET", location).json()
    assert done["state"] == "done" and done["interruptions"] == 1
    assert done["done"] == done["total"]
    assert len(entries(reader, LONG_PAGE, "audio.resumed")) == 1
