"""Clips made in batches by espeak-ng on two replicas at once: each made once, and every
replica's copy of a clip has the bytes that won and the description of those bytes."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from redis import Redis

from reader.audio.clips import ClipCache
from reader.audio.codec import count_frames
from reader.backends.blobs import CachedBlobs, FileBlobs, S3Blobs
from reader.backends.locks import RedisLocks
from reader.config import Settings
from reader.speech.engines.espeak import EspeakEngine
from tests.backends.servers import BUCKET, RedisServer, SeaweedServer

pytestmark = pytest.mark.slow

TEXTS = [f"Sætning nummer {number} om affald og genbrug." for number in range(1, 13)]


def test_batches_on_two_replicas_make_each_clip_once_with_matching_timings(
    tmp_path: Path, redis_server: RedisServer, seaweed: SeaweedServer
) -> None:
    remote = S3Blobs(seaweed.client(), BUCKET, f"{uuid.uuid4().hex}/clips/")
    redis = Redis.from_url(redis_server.url, socket_timeout=5)
    caches = [
        ClipCache(
            tmp_path / name,
            [EspeakEngine(Settings())],
            blobs=CachedBlobs(remote, FileBlobs(tmp_path / name / "clips")),
            locks=RedisLocks(redis),
        )
        for name in "ab"
    ]
    assert all(cache.batches for cache in caches)
    try:
        with ThreadPoolExecutor(len(caches)) as pool:
            results = list(pool.map(lambda cache: cache.make_many(TEXTS), caches))
    finally:
        for cache in caches:
            cache.close()
            cache.locks.close()
    assert sum(cache.stats.snapshot().misses for cache in caches) == len(TEXTS)
    for text in TEXTS:
        one, other = (result[text] for result in results)
        data = one.path.read_bytes()
        assert other.path.read_bytes() == data
        assert one.frames == other.frames == count_frames(data)
