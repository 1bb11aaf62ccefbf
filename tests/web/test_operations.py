"""What operators watch: readiness, and Prometheus metrics that move when work is done."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import httpx
import pytest

from reader.config import Settings
from reader.speech.engines.breaker import CircuitBreaker
from reader.speech.engines.choice import EngineChoice
from reader.web.app import create_app
from tests.disks import full_disk, read_only_dir, tmpfs
from tests.fakes.engines import ToneEngine
from tests.web.conftest import client_for
from tests.web.server import reader_server

pytestmark = pytest.mark.anyio

__all__ = ["full_disk", "read_only_dir"]  # fixtures used by name


def metric(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.match(r"^(\w+)(?:\{(.*)\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        found = ",".join(sorted((match.group(2) or "").split(","))) if match.group(2) else ""
        if found == wanted:
            return float(match.group(3))
    raise AssertionError(f"no {name} {labels} in metrics")


async def test_metrics_count_requests_engine_calls_cache_and_synthesis(settings: Settings) -> None:
    engine = ToneEngine(ms_per_char=5)
    app = create_app(settings, engines=EngineChoice((engine,), None))
    async with client_for(app) as client:
        redirect = await client.get("/api/pages/forebyggelsesstrategi/audio")
        await client.get(redirect.headers["location"])
        await client.get("/api/pages/findes-ikke")
        text = (await client.get("/metrics")).text
    route = "/api/pages/{slug}/audio"
    assert metric(text, "reader_http_requests_total", route=route, method="GET", status="307") == 1
    assert (
        metric(
            text,
            "reader_http_requests_total",
            route="/audio/{hash}.mp3",
            method="GET",
            status="200",
        )
        == 1
    )
    assert (
        metric(
            text,
            "reader_http_requests_total",
            route="/api/pages/{slug}",
            method="GET",
            status="404",
        )
        == 1
    )
    assert metric(text, "reader_engine_calls_total", engine="fake") == engine.calls
    assert metric(text, "reader_engine_failures_total", engine="fake") == 0
    assert metric(text, "reader_clip_cache_total", result="miss") == engine.calls
    assert metric(text, "reader_synthesis_seconds_count", engine="fake") == engine.calls
    assert metric(text, "reader_queue_depth") == 0


async def test_unmatched_paths_do_not_become_labels(settings: Settings) -> None:
    app = create_app(settings, engines=EngineChoice((ToneEngine(),), None))
    async with client_for(app) as client:
        for n in range(3):
            await client.get(f"/random/{n}")
        text = (await client.get("/metrics")).text
    assert "/random/" not in text
    assert (
        metric(text, "reader_http_requests_total", route="unmatched", method="GET", status="404")
        == 3
    )


async def test_ready_when_the_data_directory_is_writable_and_an_engine_can_speak(
    settings: Settings,
) -> None:
    app = create_app(settings, engines=EngineChoice((ToneEngine(),), None))
    async with client_for(app) as client:
        answer = await client.get("/readyz")
    assert answer.status_code == 200
    assert answer.json() == {"ready": True, "engines": {"fake": True}, "problems": []}


async def test_not_ready_when_the_data_directory_cannot_be_written(
    settings: Settings, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    blocker.chmod(stat.S_IRUSR)
    broken = settings.model_copy(update={"data_dir": blocker / "var"})
    app = create_app(broken, engines=EngineChoice((ToneEngine(),), None))
    async with client_for(app) as client:
        answer = await client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["ready"] is False
    assert "a-file" in answer.json()["problems"][0]


async def test_not_ready_when_the_data_directory_is_full(
    settings: Settings, full_disk: Path
) -> None:
    app = create_app(
        settings.model_copy(update={"data_dir": full_disk}),
        engines=EngineChoice((ToneEngine(),), None),
    )
    async with client_for(app) as client:
        answer = await client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["ready"] is False
    assert str(full_disk) in answer.json()["problems"][0]


async def test_not_ready_when_free_space_is_under_the_setting(
    settings: Settings, tmp_path: Path
) -> None:
    with tmpfs(tmp_path / "small", size="4m") as mount:
        app = create_app(
            settings.model_copy(update={"data_dir": mount, "min_free_mb": 8}),
            engines=EngineChoice((ToneEngine(),), None),
        )
        async with client_for(app) as client:
            answer = await client.get("/readyz")
    assert answer.status_code == 503
    assert "READER_MIN_FREE_MB is 8" in answer.json()["problems"][0]


async def test_not_ready_when_the_data_directory_is_mounted_read_only(
    settings: Settings, read_only_dir: Path
) -> None:
    app = create_app(
        settings.model_copy(update={"data_dir": read_only_dir}),
        engines=EngineChoice((ToneEngine(),), None),
    )
    async with client_for(app) as client:
        answer = await client.get("/readyz")
    assert answer.status_code == 503
    assert "Read-only file system" in answer.json()["problems"][0]


async def test_not_ready_when_the_only_engine_is_paused(settings: Settings) -> None:
    breaker = CircuitBreaker(failure_threshold=1, reset_after=600)
    breaker.record_failure()
    app = create_app(settings, engines=EngineChoice((ToneEngine(),), breaker))
    async with client_for(app) as client:
        answer: httpx.Response = await client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["engines"] == {"fake": False}


def test_a_listener_on_a_full_disk_gets_503_with_retry_after(
    content_dir: Path, full_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("READER_ENGINE", "espeak")
    with reader_server(content_dir, full_disk) as base_url:
        answer = httpx.get(f"{base_url}/api/pages/forebyggelsesstrategi/audio", timeout=120)
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "60"
    assert "disken er fuld" in answer.json()["error"]["message"]
