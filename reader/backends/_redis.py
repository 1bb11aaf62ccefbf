"""The Redis client every distributed backend shares: bounded waits on every call."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from reader.errors import BackendUnavailable

if TYPE_CHECKING:
    from redis import Redis

logger = logging.getLogger(__name__)


def connect(url: str, timeout: float) -> Redis:
    """A client for ``url``; it connects on first use, so a Redis that is down does not stop
    start-up (cached audio and the reading view need no Redis)."""
    from redis import Redis

    return Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        health_check_interval=30,
        retry_on_timeout=False,
    )


def unavailable(error: Exception) -> BackendUnavailable:
    """What a listener or editor is told when Redis does not answer (the cause is logged)."""
    # The error names host and port, never the password of the URL.
    logger.warning("redis does not answer: %s", error)
    return BackendUnavailable(
        "Tjenestens fælles register (Redis) svarer ikke lige nu. Lyd, der allerede er lavet, "
        "kan stadig høres; prøv igen om lidt."
    )
