"""How soon another replica takes over from one killed with SIGKILL: the lead of the content watch
(a page file written right after the kill is acted on by a survivor), and an editor's job the
killed replica was running (a survivor runs it again).

Three ``reader serve`` replicas (espeak-ng) share one Redis, one SeaweedFS and a content
directory, as in the tests (``tests/deploy/cluster.py``), watching the content every
``WATCH_INTERVAL`` seconds. Each round: a page file is written and timed until a replica acts on
it (the reference: the lead in place); that replica, the leader, is killed and another file
written at once, timed until a survivor acts on it; then a forced regeneration of a long page
is asked for, its replica killed half way, and the time until a survivor runs it again is
taken. The killed replicas are started again before the next round. Each time is judged
against the bound the design gives: the lock's time to live plus one look (or one sweep).
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from bench._proc import BenchError
from bench._result import Result, median, progress
from reader.backends.baseline import lead_ttl
from reader.config import Settings
from reader.editor.jobs import SWEEP_EVERY
from tests.deploy.cluster import TOKEN, Cluster, Replica, cluster

NAME = "takeover"
WATCH_INTERVAL = 0.5
JOB_LOCK_TTL = 20.0
"""``RedisLocks``' time to live: a killed replica's job lock lasts at most this long."""
LONG_PAGE = "forebyggelsesstrategi"
POLL = 0.02
WAIT = 300.0
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _api(replica: Replica, method: str, path: str, **kwargs: Any) -> Any:
    answer = httpx.request(method, f"{replica.base_url}{path}", headers=AUTH, timeout=60, **kwargs)
    if answer.status_code >= 300:
        raise BenchError(f"{method} {path} answered {answer.status_code}: {answer.text[:200]}")
    return answer.json()


def _alive(setup: Cluster) -> list[Replica]:
    return [r for r in setup.replicas if r.process is not None and r.process.poll() is None]


def _acted_on(replicas: list[Replica], slug: str) -> Replica | None:
    for replica in replicas:
        try:
            found = _api(replica, "GET", "/api/audit", params={"target": slug})
        except httpx.TransportError:
            continue
        if any(entry["action"] == "page.added_on_disk" for entry in found):
            return replica
    return None


def _noticed(setup: Cluster, replicas: list[Replica], slug: str) -> tuple[float, Replica]:
    """Seconds from writing a new page file to a replica's audit entry for it."""
    path = setup.root / "content" / "pages" / f"{slug}.html"
    path.write_text(
        f'<!doctype html><html lang="da"><head><title>{slug}</title></head><body><main>'
        f"<h1>{slug}</h1><p>En sætning.</p></main></body></html>\n"
    )
    start = time.monotonic()
    while time.monotonic() - start < WAIT:
        replica = _acted_on(replicas, slug)
        if replica is not None:
            return time.monotonic() - start, replica
        time.sleep(POLL)
    raise BenchError(f"no replica acted on {slug} within {WAIT:.0f} s")


def _job_taken_up(setup: Cluster) -> float:
    """Seconds from SIGKILL of the replica running a job to a survivor running it again."""
    runner, *survivors = _alive(setup)
    job = _api(runner, "POST", f"/api/pages/{LONG_PAGE}/regenerate", json={"force": True})
    location = f"/api/jobs/{job['id']}"
    start = time.monotonic()
    while time.monotonic() - start < WAIT:
        seen = _api(survivors[0], "GET", location)
        if seen["state"] == "running" and 0 < seen["done"] < seen["total"]:
            break
        time.sleep(POLL)
    else:
        raise BenchError("the job never got half way")
    runner.kill()
    killed = time.monotonic()
    interruptions = seen["interruptions"]
    while time.monotonic() - killed < WAIT:
        seen = _api(survivors[0], "GET", location)
        if seen["interruptions"] > interruptions and seen["state"] == "running":
            taken = time.monotonic() - killed
            break
        time.sleep(POLL)
    else:
        raise BenchError("no survivor took the job up")
    for survivor in survivors:  # the rest of the build is not measured
        httpx.post(f"{survivor.base_url}{location}/cancel", headers=AUTH, timeout=60)
    return taken


def _restart(setup: Cluster) -> None:
    for replica in setup.replicas:
        if replica not in _alive(setup):
            replica.stop()
            replica.start(setup.env)
            replica.wait_until_healthy()


def run(repeat: int) -> Result:
    timeout = Settings().backend_timeout
    lead_bound = lead_ttl(WATCH_INTERVAL, timeout) + WATCH_INTERVAL
    job_bound = JOB_LOCK_TTL + SWEEP_EVERY
    samples: dict[str, list[float]] = {"notice": [], "lead": [], "job": []}
    with cluster(3, watch_interval=str(WATCH_INTERVAL)) as setup:
        for index in range(repeat):
            progress(f"{NAME}: run {index + 1} of {repeat}")
            notice, leader = _noticed(setup, setup.replicas, f"maerke-{index}")
            samples["notice"].append(notice)
            leader.kill()
            took, _ = _noticed(setup, _alive(setup), f"efter-lederen-{index}")
            samples["lead"].append(took)
            samples["job"].append(_job_taken_up(setup))
            _restart(setup)
    lead, job = median(samples["lead"]), median(samples["job"])
    ratio = max(lead / lead_bound, job / job_bound)
    return Result(
        name=NAME,
        ours=lead,
        reference=median(samples["notice"]),
        unit="s",
        ratio=ratio,
        target="each takeover / its bound <= 1",
        meets=ratio <= 1,
        details=[
            f"3 replicas sharing Redis, SeaweedFS and content/, watching every "
            f"{WATCH_INTERVAL} s; ours = SIGKILL of the leader to a survivor's audit entry for "
            f"a page file written right after (bound: lead TTL {lead_ttl(WATCH_INTERVAL, timeout)}"
            f" s + one look = {lead_bound} s); reference = the same with the leader alive; "
            f"every sample: {', '.join(f'{value:.2f}' for value in samples['lead'])} s",
            f"a forced regeneration of {LONG_PAGE} killed half way with its replica: running "
            f"again on a survivor after {job:.1f} s (median; bound: job lock TTL "
            f"{JOB_LOCK_TTL:.0f} s + one sweep {SWEEP_EVERY:.0f} s = {job_bound:.0f} s); every "
            f"sample: {', '.join(f'{value:.1f}' for value in samples['job'])} s",
        ],
        samples=samples,
    )
