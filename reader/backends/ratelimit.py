"""Requests per client and minute: a token bucket in memory, or a moving window in Redis."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from reader.backends._redis import unavailable
from reader.errors import TooManyRequests

if TYPE_CHECKING:
    from limits.strategies import RateLimiter as LimitsStrategy

MAX_CLIENTS = 10_000


class RateLimiter(Protocol):
    """Counts one request of a client, or refuses it."""

    def check(self, client: str) -> None:
        """``TooManyRequests`` with Retry-After when ``client`` is over its limit;
        ``BackendUnavailable`` when the counts cannot be read. Blocking: call it in a thread."""
        ...


def _refused(wait: int) -> TooManyRequests:
    return TooManyRequests(
        f"For mange oplæsninger på kort tid. Prøv igen om {wait} sekunder.", max(wait, 1)
    )


class MemoryRateLimiter:
    """``per_minute`` requests a minute per client, in bursts of up to ``per_minute``, in this
    process (a bounded number of clients remembered)."""

    def __init__(self, *, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(per_minute)
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        """Take one token for ``client``; ``TooManyRequests`` with Retry-After when none is left."""
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.pop(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens < 1.0:
                self._buckets[client] = (tokens, now)
                raise _refused(math.ceil((1.0 - tokens) / self.rate))
            self._buckets[client] = (tokens - 1.0, now)
            while len(self._buckets) > MAX_CLIENTS:
                self._buckets.popitem(last=False)


class RedisRateLimiter:
    """``per_minute`` requests per client in any 60 seconds, counted in Redis, so the limit
    holds however many replicas the client's requests are spread over."""

    def __init__(self, url: str, *, per_minute: int, timeout: float) -> None:
        from limits import RateLimitItemPerMinute
        from limits.storage import RedisStorage
        from limits.strategies import MovingWindowRateLimiter

        self.item = RateLimitItemPerMinute(per_minute)
        storage = RedisStorage(
            url,
            wrap_exceptions=True,
            key_prefix="reader:speak",
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
        )
        self._strategy: LimitsStrategy = MovingWindowRateLimiter(storage)

    def check(self, client: str) -> None:
        from limits.errors import StorageError

        try:
            if self._strategy.hit(self.item, client):
                return
            reset = self._strategy.get_window_stats(self.item, client).reset_time
        except StorageError as error:
            raise unavailable(error.storage_error) from None
        raise _refused(math.ceil(reset - time.time()))
