"""Redis and SeaweedFS for the tests of the shared backends, and settings that use them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from reader.config import Settings
from tests.backends.servers import ACCESS_KEY, BUCKET, SECRET_KEY, RedisServer, SeaweedServer


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedServer]:
    """One store for a module's tests (it takes a second or two to start); each test writes
    under a prefix of its own."""
    server = SeaweedServer(tmp_path_factory.mktemp("weed"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def shared(settings: Settings, redis: RedisServer, store: SeaweedServer, name: str) -> Settings:
    """``settings`` of one replica (its own data directory ``name``) sharing Redis and the
    store with every other replica made from the same ``settings``."""
    return Settings(
        content_dir=settings.content_dir,
        data_dir=settings.data_dir.parent / name,
        engine=settings.engine,
        redis_url=SecretStr(redis.url),
        storage_url=settings.storage_url,
        s3_endpoint=store.endpoint,
        s3_access_key_id=SecretStr(ACCESS_KEY),
        s3_secret_access_key=SecretStr(SECRET_KEY),
        backend_timeout=2,
        speak_per_minute=settings.speak_per_minute,
        audio_cache_mb=settings.audio_cache_mb,
    )


@pytest.fixture
def site(settings: Settings) -> Settings:
    """The settings every replica of a test starts from: a store prefix of the test's own."""
    return settings.model_copy(update={"storage_url": f"s3://{BUCKET}/{uuid.uuid4().hex}"})
