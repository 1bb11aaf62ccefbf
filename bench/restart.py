"""A restart in the middle of a long regeneration job: how soon ``reader serve`` exits after
SIGTERM while the job runs, against the same service stopped with nothing to do; and how soon,
after ``kill -9``, a restarted service has the interrupted job running again, against the
start-up of a service with nothing to take up.

Docker sends SIGTERM and kills after 10 s, so a service that does not stop within a few
seconds loses what its running job was doing (the job is then taken up only as a crash). Each
run is a fresh ``reader serve`` (espeak-ng) on an empty data directory and a generated page of
a few hundred sentences, whose regeneration is asked for through the editors' API and followed
until some but not all of its sentences are done.
"""

from __future__ import annotations

import http.client
import json
import secrets
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench._proc import BenchError
from bench._result import Result, interleave, median
from bench._servers import HOST, Server, reader_serve_process
from bench.corpus import copy_content, large_page

NAME = "restart"
SECTIONS = 40
"""Sections of the generated page (ten sentences each): a job of a minute or so."""
STOP_TARGET = 5.0
"""Most seconds from SIGTERM to exit: "within a few seconds", well inside Docker's 10 s."""
RESUME_MARGIN = 1.0
"""Most seconds the interrupted job may come after a start-up with nothing to take up."""
EXIT_WAIT = 60.0
POLL = 0.02
PROGRESS_WAIT = 300.0
TOKEN = secrets.token_hex(16)
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ENV = {"READER_ADMIN_TOKEN": f"bench:{TOKEN}"}


def _call(server: Server, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    connection = http.client.HTTPConnection(HOST, server.port, timeout=60)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        headers = {**AUTH, "Content-Type": "application/json"}
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        data = response.read()
        if response.status >= 300:
            raise BenchError(f"{method} {path} answered {response.status}: {data[:200]!r}")
        return json.loads(data)
    finally:
        connection.close()


def _job(server: Server, job_id: str) -> dict[str, Any]:
    job: dict[str, Any] = _call(server, "GET", f"/api/jobs/{job_id}")
    return job


def _in_progress(server: Server, slug: str) -> dict[str, Any]:
    """Ask for the page's audio anew; return the job once some but not all of it is done."""
    job_id: str = _call(server, "POST", f"/api/pages/{slug}/regenerate", {})["id"]
    deadline = time.monotonic() + PROGRESS_WAIT
    while time.monotonic() < deadline:
        job = _job(server, job_id)
        if job["state"] == "running" and 0 < job["done"] < job["total"]:
            return job
        if job["state"] not in ("queued", "running"):
            raise BenchError(f"the job for {slug!r} ended before it was seen running: {job}")
        time.sleep(POLL)
    raise BenchError(f"the job for {slug!r} was not seen in progress in {PROGRESS_WAIT:.0f} s")


def _kept(data_dir: Path, job_id: str) -> dict[str, Any]:
    kept: dict[str, Any] = json.loads((data_dir / "jobs" / f"{job_id}.json").read_text())
    return kept


def _exit_after(process: subprocess.Popen[bytes], signal_number: int) -> float:
    started = time.perf_counter()
    process.send_signal(signal_number)
    try:
        process.wait(timeout=EXIT_WAIT)
    except subprocess.TimeoutExpired:
        raise BenchError(f"reader serve still ran {EXIT_WAIT:.0f} s after the signal") from None
    return time.perf_counter() - started


@dataclass(frozen=True)
class Stop:
    seconds: float
    returncode: int
    done: int
    total: int


@contextmanager
def _data() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as data:
        yield Path(data)


def _stop_during_job(content: Path, slug: str) -> Stop:
    with _data() as data, reader_serve_process(content, data, env=ENV) as (server, process):
        job = _in_progress(server, slug)
        seconds = _exit_after(process, signal.SIGTERM)
        kept = _kept(data, job["id"])
        if kept["state"] != "interrupted":
            raise BenchError(f"after SIGTERM the job was kept as {kept['state']!r}")
        return Stop(seconds, process.returncode, kept["done"], kept["total"])


def _stop_idle(content: Path) -> Stop:
    with _data() as data, reader_serve_process(content, data, env=ENV) as (_, process):
        seconds = _exit_after(process, signal.SIGTERM)
        return Stop(seconds, process.returncode, 0, 0)


@dataclass(frozen=True)
class Resume:
    answering: float
    """Seconds from starting the process to /healthz answering."""
    running: float
    """Seconds from starting the process to the job seen running again (0 for the reference)."""
    interruptions: int


def _resume_after_kill(content: Path, slug: str) -> Resume:
    with _data() as data:
        with reader_serve_process(content, data, env=ENV) as (server, process):
            job_id: str = _in_progress(server, slug)["id"]
            _exit_after(process, signal.SIGKILL)
        started = time.perf_counter()
        with reader_serve_process(content, data, env=ENV) as (server, _):
            answering = time.perf_counter() - started
            deadline = time.monotonic() + PROGRESS_WAIT
            while time.monotonic() < deadline:
                job = _job(server, job_id)
                if job["state"] == "running":
                    return Resume(answering, time.perf_counter() - started, job["interruptions"])
                if job["state"] != "queued":
                    raise BenchError(f"the interrupted job was not taken up again: {job}")
                time.sleep(POLL)
    raise BenchError(f"the interrupted job did not run again within {PROGRESS_WAIT:.0f} s")


def _start_idle(content: Path) -> Resume:
    with _data() as data:
        started = time.perf_counter()
        with reader_serve_process(content, data, env=ENV):
            return Resume(time.perf_counter() - started, 0.0, 0)


def _stop_result(content: Path, slug: str, repeat: int) -> Result:
    mine, theirs = interleave(
        repeat,
        lambda: _stop_during_job(content, slug),
        lambda: _stop_idle(content),
        name=f"{NAME} (SIGTERM)",
    )
    ours = median([side.seconds for side in mine])
    reference = median([side.seconds for side in theirs])
    codes = sorted({side.returncode for side in mine + theirs})
    return Result(
        name=f"{NAME}: SIGTERM to exit during a job",
        ours=ours,
        reference=reference,
        unit="s",
        ratio=ours / reference,
        target=f"ours <= {STOP_TARGET:.0f} s",
        meets=ours <= STOP_TARGET,
        details=[
            f"page {slug!r}: the job stopped at "
            + ", ".join(f"{side.done}/{side.total}" for side in mine)
            + " sentences and was kept as interrupted; reference: the same service with no "
            f"job; exit statuses {codes}",
        ],
        samples={
            "ours": [side.seconds for side in mine],
            "reference": [side.seconds for side in theirs],
        },
    )


def _resume_result(content: Path, slug: str, repeat: int) -> Result:
    mine, theirs = interleave(
        repeat,
        lambda: _resume_after_kill(content, slug),
        lambda: _start_idle(content),
        name=f"{NAME} (kill -9)",
    )
    ours = median([side.running for side in mine])
    reference = median([side.answering for side in theirs])
    answering = median([side.answering for side in mine])
    return Result(
        name=f"{NAME}: kill -9, start to the job running again",
        ours=ours,
        reference=reference,
        unit="s",
        ratio=ours / reference,
        target=f"ours - start-up alone <= {RESUME_MARGIN:.0f} s",
        meets=ours - reference <= RESUME_MARGIN,
        details=[
            f"from starting the second `reader serve` to GET /api/jobs/{{id}} saying running "
            f"(polled every {POLL * 1000:.0f} ms); that service answered /healthz after "
            f"{answering:.3f} s (median); reference: a start on an empty data directory to "
            f"/healthz; interruptions counted {sorted({side.interruptions for side in mine})}",
        ],
        samples={
            "ours": [side.running for side in mine],
            "reference": [side.answering for side in theirs],
        },
    )


def run(repeat: int) -> list[Result]:
    with tempfile.TemporaryDirectory() as scratch:
        content = copy_content(Path(scratch) / "content")
        slug = large_page(content, SECTIONS)
        steps: list[Callable[[Path, str, int], Result]] = [_stop_result, _resume_result]
        return [step(content, slug, repeat) for step in steps]
