"""Two replicas (two apps with their own data directories) sharing one Redis and one store."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack, contextmanager
from urllib.parse import urlsplit

import anyio
import httpx
import pytest
from pydantic import SecretStr
from redis import Redis

from reader.config import Settings
from reader.speech.engines.choice import EngineChoice
from reader.web.app import create_app
from tests.backends.conftest import shared
from tests.backends.servers import BUCKET, RedisServer, SeaweedServer
from tests.fakes.engines import ToneEngine
from tests.web.conftest import client_for
from tests.web.live import http_request, serve_in_thread

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

POLLS = 400
SENTENCE = "Kommunen læser siden højt for alle borgere."


async def replicas(
    stack: AsyncExitStack, settings: list[Settings], engine: ToneEngine
) -> list[httpx.AsyncClient]:
    return [
        await stack.enter_async_context(
            client_for(create_app(one, engines=EngineChoice((engine,), None)))
        )
        for one in settings
    ]


async def test_the_speak_limit_holds_across_replicas_sharing_redis(
    site: Settings, redis_server: RedisServer
) -> None:
    limit = 3
    one, other = (
        site.model_copy(
            update={
                "data_dir": site.data_dir.parent / name,
                "redis_url": SecretStr(redis_server.url),
                "storage_url": None,
                "speak_per_minute": limit,
            }
        )
        for name in ("a", "b")
    )
    async with AsyncExitStack() as stack:
        a, b = await replicas(stack, [one, other], ToneEngine())
        answers = [
            await (a if n % 2 == 0 else b).post("/api/speak", json={"text": SENTENCE})
            for n in range(limit)
        ]
        assert [answer.status_code for answer in answers] == [200] * limit
        refused = await b.post("/api/speak", json={"text": SENTENCE})
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert (await a.post("/api/speak", json={"text": SENTENCE})).status_code == 429


def lock_attempts(redis: Redis) -> int:
    """Lock acquisitions tried so far (a redis-py lock is taken with SET NX)."""
    stats = redis.info("commandstats")
    calls = stats.get("cmdstat_set", {}).get("calls", 0)
    assert isinstance(calls, int)
    return calls


async def wait_until(check: Callable[[], bool], what: str) -> None:
    for _ in range(POLLS):
        if check():
            return
        await anyio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


async def test_concurrent_replicas_synthesise_a_clip_once_and_serve_the_same_bytes(
    site: Settings, redis_server: RedisServer, seaweed: SeaweedServer
) -> None:
    gate = threading.Event()
    engine = ToneEngine(gate=gate)
    redis = Redis.from_url(redis_server.url, socket_timeout=5)
    async with AsyncExitStack() as stack:
        a, b = await replicas(
            stack, [shared(site, redis_server, seaweed, name) for name in "ab"], engine
        )
        async with anyio.create_task_group() as tasks:
            answers: dict[str, httpx.Response] = {}

            async def speak(name: str, client: httpx.AsyncClient) -> None:
                answers[name] = await client.post("/api/speak", json={"text": SENTENCE})

            try:
                tasks.start_soon(speak, "a", a)
                await wait_until(lambda: engine.calls == 1, "replica a asks the engine")
                before = lock_attempts(redis)
                tasks.start_soon(speak, "b", b)
                # b waits for a's lock (trying again and again) instead of asking the engine.
                await wait_until(lambda: lock_attempts(redis) >= before + 2, "b waits")
                assert engine.calls == 1
            finally:
                gate.set()
        assert answers["a"].status_code == answers["b"].status_code == 200
        assert answers["a"].content == answers["b"].content
        assert engine.calls == 1


@contextmanager
def served(settings: Settings) -> Iterator[tuple[str, int]]:
    with serve_in_thread(create_app(settings, engines=EngineChoice((ToneEngine(),), None))) as url:
        host, port = url.removeprefix("http://").split(":")
        yield host, int(port)


DIGEST = "fedcba9876543210fedcba9876543210"
BODY = bytes(range(256)) * 40


def put_track(store: SeaweedServer, settings: Settings, digest: str, body: bytes) -> None:
    """A track another replica stored: only in the object store, in no local directory."""
    store.client().put_object(
        Bucket=BUCKET, Key=f"{settings.s3_prefix}audio/{digest}.mp3", Body=body
    )


@pytest.mark.parametrize(
    ("method", "headers", "status", "body", "expected"),
    [
        ("GET", {}, 200, BODY, {"content-length": str(len(BODY))}),
        ("GET", {"Range": "bytes=10-19"}, 206, BODY[10:20], {"content-range": "bytes 10-19/10240"}),
        (
            "GET",
            {"Range": "bytes=-5"},
            206,
            BODY[-5:],
            {"content-range": "bytes 10235-10239/10240"},
        ),
        ("GET", {"Range": "bytes=99999-"}, 416, b"", {"content-range": "bytes */10240"}),
        ("GET", {"If-None-Match": f'"{DIGEST}"'}, 304, b"", {"etag": f'"{DIGEST}"'}),
        ("HEAD", {}, 200, b"", {"content-length": str(len(BODY))}),
        (
            "GET",
            {"Origin": "https://www.htk.dk"},
            200,
            BODY,
            {"access-control-allow-origin": "https://www.htk.dk"},
        ),
    ],
)
def test_audio_from_the_store_keeps_its_http(
    site: Settings,
    redis_server: RedisServer,
    seaweed: SeaweedServer,
    method: str,
    headers: dict[str, str],
    status: int,
    body: bytes,
    expected: dict[str, str],
) -> None:
    settings = shared(site, redis_server, seaweed, "a").model_copy(
        update={"allowed_origins": ["https://www.htk.dk"]}
    )
    put_track(seaweed, settings, DIGEST, BODY)
    with served(settings) as server:
        got, answer, content = http_request(server, method, f"/audio/{DIGEST}.mp3", headers)
    assert (got, content) == (status, body)
    assert {name: answer.get(name) for name in expected} == expected
    assert answer["cache-control"] == "public, max-age=31536000, immutable"


def test_a_track_made_by_one_replica_is_served_by_another(
    site: Settings, redis_server: RedisServer, seaweed: SeaweedServer
) -> None:
    one, other = (shared(site, redis_server, seaweed, name) for name in "ab")
    with served(one) as a:
        status, headers, _ = http_request(a, "GET", "/api/pages/politikker-og-raad/audio")
    assert status == 307
    path = urlsplit(headers["location"]).path
    with served(other) as b:
        status, _, data = http_request(b, "GET", path)
    assert status == 200 and data[:3] == b"ID3"
    assert data == (one.data_dir / "audio" / path.rsplit("/", 1)[1]).read_bytes()
