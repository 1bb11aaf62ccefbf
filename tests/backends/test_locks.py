"""Locks per key: one holder at a time; a Redis lock lives while its holder works and frees
itself when the holder is gone."""

from __future__ import annotations

import time

import pytest
from redis import Redis

from reader.backends.locks import LocalLocks, RedisLocks
from reader.errors import BackendUnavailable
from tests.backends.servers import RedisServer

pytestmark = pytest.mark.slow

TTL = 0.6


def client(server: RedisServer) -> Redis:
    return Redis.from_url(server.url, socket_timeout=2, socket_connect_timeout=2)


def test_a_local_lock_has_one_holder_and_is_free_once_released() -> None:
    locks = LocalLocks()
    held = locks.acquire("clip:a", 0)
    assert held is not None
    assert locks.acquire("clip:a", 0) is None
    assert locks.acquire("clip:b", 0) is not None
    held.release()
    assert locks.acquire("clip:a", 0) is not None


def test_a_redis_lock_is_shared_by_every_process_using_that_redis(
    redis_server: RedisServer,
) -> None:
    one, other = RedisLocks(client(redis_server), ttl=TTL), RedisLocks(client(redis_server))
    try:
        held = one.acquire("clip:a", 0)
        assert held is not None
        assert other.acquire("clip:a", 0) is None
        held.release()
        assert other.acquire("clip:a", 0) is not None
    finally:
        one.close()
        other.close()


def test_a_redis_lock_is_renewed_while_held(redis_server: RedisServer) -> None:
    holder, other = RedisLocks(client(redis_server), ttl=TTL), RedisLocks(client(redis_server))
    try:
        held = holder.acquire("clip:a", 0)
        assert held is not None
        time.sleep(3 * TTL)  # the holder works longer than the lock would live unrenewed
        assert other.acquire("clip:a", 0) is None
        held.release()
    finally:
        holder.close()
        other.close()


def test_the_lock_of_a_holder_that_died_frees_itself(redis_server: RedisServer) -> None:
    dying, other = RedisLocks(client(redis_server), ttl=TTL), RedisLocks(client(redis_server))
    try:
        assert dying.acquire("clip:a", 0) is not None
        dying.close()  # no more renewals, no release: as if its process was killed
        assert other.acquire("clip:a", 0) is None
        assert other.acquire("clip:a", 30) is not None
    finally:
        other.close()


def test_a_lock_without_redis_is_a_clear_503(redis_server: RedisServer) -> None:
    locks = RedisLocks(client(redis_server), ttl=TTL)
    redis_server.stop()
    with pytest.raises(BackendUnavailable) as caught:
        locks.acquire("clip:a", 0)
    assert caught.value.status_code == 503 and caught.value.retry_after
    assert "Redis" in caught.value.message
