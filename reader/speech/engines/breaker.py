"""A circuit breaker: stop calling an engine for a while after it has failed several times."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Literal

BreakerState = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    """Closed until ``failure_threshold`` consecutive failures, then open for ``reset_after`` s.

    While open, ``allow()`` answers False. Once ``reset_after`` seconds have passed, the breaker
    is half-open and lets one trial call through; its success closes the breaker, its failure
    opens it again for another ``reset_after`` seconds. A trial that never reports back (its
    caller crashed) does not block the breaker forever: after ``reset_after`` another trial may go.
    """

    def __init__(
        self,
        failure_threshold: int = 3,
        reset_after: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if reset_after < 0:
            raise ValueError("reset_after must not be negative")
        self.failure_threshold = failure_threshold
        self.reset_after = reset_after
        self._clock = clock
        self._lock = threading.Lock()
        self._state: BreakerState = "closed"
        self._failures = 0
        self._since = 0.0  # when the breaker opened, or when the half-open trial started

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return self._state

    @property
    def consecutive_failures(self) -> int:
        with self._lock:
            return self._failures

    def retry_in(self) -> float:
        """Seconds until a call would be let through (0: now); changes nothing."""
        with self._lock:
            if self._state == "closed":
                return 0.0
            return max(0.0, self.reset_after - (self._clock() - self._since))

    def allow(self) -> bool:
        """Whether a call may go to the engine now (when half-open: this caller is the trial)."""
        with self._lock:
            if self._state == "closed":
                return True
            now = self._clock()
            if now - self._since < self.reset_after:
                return False
            self._state = "half_open"
            self._since = now
            return True

    def record_success(self) -> None:
        with self._lock:
            self._state = "closed"
            self._failures = 0

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._state == "half_open" or self._failures >= self.failure_threshold:
                self._state = "open"
                self._since = self._clock()
