"""One holder at a time per key: threads of this process, or processes on several machines.

The distributed lock lives in Redis with a time to live, renewed by a keeper thread while its
holder works, so a holder that dies (SIGKILL, machine gone) frees its keys within ``ttl``
seconds. A lock is a guard against double work, not the guard of correctness: what it protects
is written first-writer-wins, so a holder that outlived its lock does no harm.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Protocol

from reader.backends._redis import unavailable

if TYPE_CHECKING:
    from redis import Redis
    from redis.lock import Lock as RedisLock

logger = logging.getLogger(__name__)


class Held(Protocol):
    """A lock taken by ``KeyLocks.acquire``."""

    def release(self) -> None: ...


class KeyLocks(Protocol):
    """Locks named by a key."""

    def acquire(self, key: str, wait: float) -> Held | None:
        """The lock of ``key``, waiting up to ``wait`` seconds for its holder; None if still held.

        ``BackendUnavailable`` when the place the locks live does not answer."""
        ...

    def close(self) -> None: ...


class _LocalHeld:
    def __init__(self, locks: LocalLocks, key: str, lock: threading.Lock) -> None:
        self._locks = locks
        self._key = key
        self._lock = lock

    def release(self) -> None:
        self._lock.release()
        self._locks._forget(self._key)


class LocalLocks:
    """Locks of this process: a ``threading.Lock`` per key, kept while someone wants it."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    def acquire(self, key: str, wait: float) -> Held | None:
        with self._guard:
            lock, users = self._locks.get(key, (threading.Lock(), 0))
            self._locks[key] = (lock, users + 1)
        if lock.acquire(timeout=wait) if wait > 0 else lock.acquire(blocking=False):
            return _LocalHeld(self, key, lock)
        self._forget(key)
        return None

    def _forget(self, key: str) -> None:
        with self._guard:
            lock, users = self._locks[key]
            if users > 1:
                self._locks[key] = (lock, users - 1)
            else:
                del self._locks[key]

    def close(self) -> None:
        pass


class _RedisHeld:
    def __init__(self, locks: RedisLocks, lock: RedisLock) -> None:
        self._locks = locks
        self.lock = lock

    def release(self) -> None:
        from redis.exceptions import LockError, RedisError

        self._locks._untrack(self)
        try:
            self.lock.release()
        except LockError:
            # It expired while held (the holder was slow): another may hold it now.
            logger.warning("lock %s had expired before its release", _printable(self.lock.name))
        except RedisError as error:
            # It expires by itself; nothing waits for this release to succeed.
            logger.warning("could not release lock %s: %s", _printable(self.lock.name), error)


class RedisLocks:
    """Locks in Redis, each living ``ttl`` seconds unless renewed; renewed every ``ttl / 3``."""

    def __init__(self, client: Redis, *, ttl: float = 20.0, prefix: str = "reader:lock:") -> None:
        self.client = client
        self.ttl = ttl
        self.prefix = prefix
        self._held: set[_RedisHeld] = set()
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._keeper: threading.Thread | None = None

    def acquire(self, key: str, wait: float) -> Held | None:
        from redis.exceptions import RedisError

        lock = self.client.lock(
            self.prefix + key,
            timeout=self.ttl,
            sleep=0.05,
            blocking=wait > 0,
            blocking_timeout=wait if wait > 0 else None,
            thread_local=False,
        )
        try:
            if not lock.acquire():
                return None
        except RedisError as error:
            raise unavailable(error) from None
        held = _RedisHeld(self, lock)
        with self._guard:
            self._held.add(held)
            if self._keeper is None:
                self._keeper = threading.Thread(target=self._keep, name="locks", daemon=True)
                self._keeper.start()
        return held

    def _untrack(self, held: _RedisHeld) -> None:
        with self._guard:
            self._held.discard(held)

    def _keep(self) -> None:
        from redis.exceptions import LockError, RedisError

        while not self._stop.wait(self.ttl / 3):
            with self._guard:
                held = list(self._held)
            for one in held:
                try:
                    one.lock.reacquire()
                except LockError:
                    logger.warning("lock %s was lost while held", _printable(one.lock.name))
                    self._untrack(one)
                except RedisError as error:
                    logger.warning("could not renew lock %s: %s", _printable(one.lock.name), error)

    def close(self) -> None:
        self._stop.set()
        if self._keeper is not None:
            self._keeper.join(timeout=5)


def _printable(name: object) -> str:
    return name.decode(errors="replace") if isinstance(name, bytes) else str(name)
