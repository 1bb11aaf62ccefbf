"""How ``reader serve`` runs the app under uvicorn, with limits on what one client may hold.

uvicorn picks httptools when it is installed (``uvicorn[standard]``, so always here), and
httptools takes request headers of any size for as long as a client cares to send them: its
``h11_max_incomplete_event_size`` only binds the pure-Python h11 parser, and its keep-alive
timer is reset by every byte, so a client trickling one byte a second holds a connection (and a
file descriptor) for ever. ``BoundedHttpProtocol`` adds the two missing limits on top of the
httptools protocol: a request's headers must fit in ``READER_MAX_HEADER_BYTES`` (else 431 and
the connection is closed) and arrive within ``READER_HEADER_TIMEOUT`` seconds (else it is
closed). The time counts from the moment the connection opens, or on a kept-alive connection
from the first byte of the next request (at the earliest, the end of the previous answer):
until then it is idle, which uvicorn's keep-alive timeout bounds.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, ClassVar

import uvicorn
from fastapi import FastAPI
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from reader.config import Settings
from reader.web.errors import printable

logger = logging.getLogger(__name__)

_TOO_LARGE = "Forespørgslens hoveder fylder mere end {limit} bytes.".format


class BoundedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a size and a time limit on each request's headers."""

    max_header_bytes: ClassVar[int] = 32768
    header_timeout: ClassVar[float] = 10.0

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        # Bytes of the request whose headers are being read; none is between its headers and
        # the end of its body.
        self._reading_headers = True
        self._header_bytes = 0
        self._header_deadline: asyncio.TimerHandle | None = None
        self._deadline_on_next_byte = False
        # Whether the parser is inside a request (from its first byte to the end of its body).
        self._in_request = False

    @classmethod
    def with_limits(
        cls, *, max_header_bytes: int, header_timeout: float
    ) -> type[HttpToolsProtocol]:
        """A subclass with these limits: uvicorn makes one protocol per connection from a class."""
        limits = {"max_header_bytes": max_header_bytes, "header_timeout": header_timeout}
        return type(cls.__name__, (cls,), limits)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.transport.is_closing():
            return
        if self._deadline_on_next_byte:
            self._deadline_on_next_byte = False
            self._start_header_deadline()
        # Headers are fed to the parser no further than the limit: httptools keeps a header it
        # has not seen the end of in memory, however long it grows.
        while data and self._reading_headers:
            room = self.max_header_bytes - self._header_bytes
            if room <= 0:
                self._refuse_headers()
                return
            head, data = data[:room], data[room:]
            self._header_bytes += len(head)
            super().data_received(head)
            if self.transport.is_closing():
                return
        if data:
            super().data_received(data)

    def on_message_begin(self) -> None:
        self._in_request = True
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._reading_headers = False
        self._cancel_header_deadline()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_request = False
        super().on_message_complete()
        # Whatever comes next on this connection is the next request's headers.
        self._reading_headers = True
        self._header_bytes = 0

    def on_response_complete(self) -> None:
        # A request already queued behind this one has its headers; any other must send them.
        waiting = bool(self.pipeline)
        super().on_response_complete()
        if waiting or self.transport.is_closing():
            return
        if self._reading_headers and self._in_request:
            # The next request began while this one was answered; no later byte may come.
            self._start_header_deadline()
        else:
            self._deadline_on_next_byte = True

    def _start_header_deadline(self) -> None:
        self._cancel_header_deadline()
        self._header_deadline = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _cancel_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if self.cycle is not None and not self.cycle.response_complete:
            return  # a request is being answered: its headers came in time
        if not self.transport.is_closing():
            logger.debug("closing a connection that sent no complete request headers in time")
            self.transport.close()

    def _refuse_headers(self) -> None:
        logger.info("refusing request headers over %d bytes", self.max_header_bytes)
        body = _TOO_LARGE(limit=self.max_header_bytes).encode()
        head = [b"HTTP/1.1 431 Request Header Fields Too Large\r\n"]
        head += [
            name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers
        ]
        head += [
            b"content-type: text/plain; charset=utf-8\r\n",
            b"content-length: " + str(len(body)).encode() + b"\r\n",
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        self.transport.close()


SHUTDOWN_GRACE = 5
"""Seconds uvicorn waits for open connections after SIGTERM before it closes them."""


class WorkerHttpProtocol(BoundedHttpProtocol):
    """The protocol of each process of ``reader serve --workers N``. uvicorn imports it by
    name in every process it starts (a class made at run time cannot be sent there), and
    ``app_from_environment`` gives it that process's limits."""


def app_from_environment() -> FastAPI:
    """The app of one process of ``reader serve --workers N``, from the environment's settings
    (uvicorn calls it in each process it starts)."""
    from reader.web.app import create_app

    settings = Settings()
    WorkerHttpProtocol.max_header_bytes = settings.max_header_bytes
    WorkerHttpProtocol.header_timeout = settings.header_timeout
    escape_access_log()  # this process's loggers were set up by uvicorn just before
    return create_app(settings)


def _common(settings: Settings, access_log: bool) -> dict[str, Any]:
    # Behind nginx on the same machine, X-Forwarded-For names the client (per-client limits);
    # uvicorn trusts it only from 127.0.0.1.
    # The access log is off unless asked for: it costs a third of the audio throughput, and
    # nginx in front (deploy/nginx.conf) is the place to log requests.
    return {
        "proxy_headers": True,
        "access_log": access_log,
        "timeout_keep_alive": settings.keep_alive_timeout,
        # Beyond it, uvicorn answers 503 to new requests instead of taking more work on.
        "limit_concurrency": settings.max_connections,
        # On SIGTERM, open connections (a long poll of a job, a stream) get this long to end;
        # then the jobs stop, the clips being spoken or encoded are dropped, and the process exits.
        "timeout_graceful_shutdown": SHUTDOWN_GRACE,
    }


def server_config(
    app: FastAPI,
    settings: Settings,
    *,
    host: str,
    port: int,
    access_log: bool = False,
    log_level: str = "info",
) -> uvicorn.Config:
    """The uvicorn configuration ``reader serve`` runs ``app`` with."""
    protocol = BoundedHttpProtocol.with_limits(
        max_header_bytes=settings.max_header_bytes, header_timeout=settings.header_timeout
    )
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        http=protocol,
        **_common(settings, access_log),
    )
    escape_access_log()  # Config has just set up uvicorn's loggers
    return config


def workers_config(
    settings: Settings, *, host: str, port: int, workers: int, access_log: bool = False
) -> uvicorn.Config:
    """The uvicorn configuration of ``reader serve --workers N``: N processes on one socket,
    each building its own app from the environment."""
    config = uvicorn.Config(
        f"{__name__}:app_from_environment",
        factory=True,
        workers=workers,
        log_level="info",
        host=host,
        port=port,
        http=f"{__name__}:WorkerHttpProtocol",
        **_common(settings, access_log),
    )
    escape_access_log()  # Config has just set up uvicorn's loggers
    return config


def escape_access_log() -> None:
    """The access log names what clients sent: its arguments are written printable."""
    access_logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(one, PrintableArguments) for one in access_logger.filters):
        access_logger.addFilter(PrintableArguments())


class PrintableArguments(logging.Filter):
    """Writes control characters in a record's text arguments as ``\\xNN``.

    The access log line holds the request target and the client's address as the client
    sent them (a forwarded address included): a raw ESC or CSI byte there would reach an
    operator's terminal as a command, and a line break would forge a log line.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                printable(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True
