"""A network for the fetcher that can only ever reach the CMS on 127.0.0.1.

Whatever address the fetcher asks to connect to is recorded; the connection itself always goes
to the CMS's loopback port, so a test can pretend a name resolves to a public address (and see
that the address actually connected to is checked) without a packet leaving the machine.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import httpcore


class LoopbackOnly(httpcore.NetworkBackend):
    def __init__(self, port: int) -> None:
        self.port = port
        self._inner = httpcore.SyncBackend()
        self._lock = threading.Lock()
        self.asked: list[str] = []

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        with self._lock:
            self.asked.append(host)
        return self._inner.connect_tcp("127.0.0.1", self.port, timeout, local_address)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)
