from __future__ import annotations

import threading

import pytest

from reader.speech.engines.breaker import CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def state(breaker: CircuitBreaker) -> str:
    return breaker.state


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def breaker(clock: Clock) -> CircuitBreaker:
    return CircuitBreaker(failure_threshold=3, reset_after=60.0, clock=clock)


def test_it_starts_closed_and_lets_calls_through(breaker: CircuitBreaker) -> None:
    assert state(breaker) == "closed" and breaker.allow()


def test_it_opens_after_the_threshold_of_consecutive_failures(breaker: CircuitBreaker) -> None:
    breaker.record_failure()
    breaker.record_failure()
    assert state(breaker) == "closed" and breaker.allow()
    breaker.record_failure()
    assert state(breaker) == "open" and not breaker.allow()


def test_a_success_resets_the_count_of_failures(breaker: CircuitBreaker) -> None:
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    breaker.record_failure()
    assert state(breaker) == "closed" and breaker.consecutive_failures == 2


def test_after_reset_after_one_trial_goes_through_and_its_success_closes(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    for _ in range(3):
        breaker.record_failure()
    clock.now += 59.9
    assert not breaker.allow()
    clock.now += 0.1
    assert breaker.allow()
    assert state(breaker) == "half_open"
    assert not breaker.allow()  # only one trial at a time
    breaker.record_success()
    assert state(breaker) == "closed" and breaker.allow() and breaker.allow()


def test_a_failed_trial_opens_the_breaker_for_another_period(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    for _ in range(3):
        breaker.record_failure()
    clock.now += 60
    assert breaker.allow()
    breaker.record_failure()
    assert state(breaker) == "open" and not breaker.allow()
    clock.now += 30
    assert not breaker.allow()
    clock.now += 30
    assert breaker.allow()


def test_a_trial_that_never_reports_back_does_not_block_forever(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    for _ in range(3):
        breaker.record_failure()
    clock.now += 60
    assert breaker.allow()
    clock.now += 60
    assert breaker.allow()


def test_only_one_of_many_threads_gets_the_trial(breaker: CircuitBreaker, clock: Clock) -> None:
    for _ in range(3):
        breaker.record_failure()
    clock.now += 60
    start = threading.Barrier(16)
    allowed: list[bool] = []

    def ask() -> None:
        start.wait()
        allowed.append(breaker.allow())

    threads = [threading.Thread(target=ask) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 1


@pytest.mark.parametrize(
    ("threshold", "reset_after"), [(0, 60.0), (3, -1.0)], ids=["no-threshold", "negative-reset"]
)
def test_nonsense_settings_are_rejected(threshold: int, reset_after: float) -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(failure_threshold=threshold, reset_after=reset_after)
