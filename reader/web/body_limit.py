"""Every request body is bounded by the route it is sent to, before anything reads it.

A ``Content-Length`` over the limit is answered 413 at once: the body is never read, and the
connection is closed so that the server does not go on to read and discard it either. A body
without a length (chunked) is counted as the route reads it, and refused the moment it passes
the limit. The refusal is the same answer as every other failure (JSON under ``/api``, a Danish
page elsewhere), made by the one error handler.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reader.config import Settings
from reader.errors import BodyTooLarge
from reader.web.errors import handle_error

DEFAULT_BODY_BYTES = 64 * 1024
"""Routes not named in ``body_limits`` take small JSON (rollback, regenerate, lexicon entries)."""

# The longest JSON spelling of one character is a surrogate pair, "\ud83d\ude00": 12 bytes.
SPEAK_BYTES_PER_CHAR = 12
# Room for the braces, the key, whitespace a client adds and anything else a body may carry.
BODY_SLACK_BYTES = 4096


@dataclass(frozen=True, slots=True)
class BodyRule:
    """Bodies sent with ``method`` to a path that ``path`` matches may be ``limit`` bytes."""

    method: str
    path: re.Pattern[str]
    limit: int


def body_limits(settings: Settings) -> list[BodyRule]:
    """The routes that take more than ``DEFAULT_BODY_BYTES``, with limits from the settings."""
    speak = settings.speak_max_chars * SPEAK_BYTES_PER_CHAR + BODY_SLACK_BYTES
    # A page is raw HTML: the route itself says when it is over READER_MAX_PAGE_BYTES.
    page = settings.max_page_bytes + BODY_SLACK_BYTES
    return [
        BodyRule("POST", re.compile(r"/api/speak"), speak),
        BodyRule("PUT", re.compile(r"/api/pages/[^/]+"), page),
    ]


class _Overflow(Exception):
    """Raised into whatever reads the body once it has passed the limit."""


class BodyLimit:
    """Pure ASGI middleware: refuses a body over its route's limit with 413, unread."""

    def __init__(self, app: ASGIApp, *, rules: Sequence[BodyRule], default: int) -> None:
        self.app = app
        self.rules = tuple(rules)
        self.default = default

    def limit_for(self, method: str, path: str) -> int:
        for rule in self.rules:
            if rule.method == method and rule.path.fullmatch(path):
                return rule.limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length: int | None = None
        chunked = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = int(value) if value.isdigit() else None
            elif name == b"transfer-encoding":
                chunked = True
        if length is None and not chunked:  # no body at all (GET, HEAD, DELETE …)
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["method"], scope["path"])
        if length is not None and length > limit:
            await _refuse(scope, receive, send, length, limit)
            return
        await self._counted(scope, receive, send, limit)

    async def _counted(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        received = 0
        overflowed = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, overflowed
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    overflowed = True
                    raise _Overflow
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            # Whatever the route made of the cut-off body (FastAPI answers 400), the answer is 413.
            if overflowed and not started:
                return
            started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except _Overflow:
            if started:
                raise
        if overflowed and not started:
            await _refuse(scope, receive, send, None, limit)


async def _refuse(
    scope: Scope, receive: Receive, send: Send, length: int | None, limit: int
) -> None:
    if length is None:
        message = (
            f"Forespørgslens indhold fylder mere end {limit} bytes, som er det mest, "
            "der tages imod her."
        )
    else:
        message = (
            f"Forespørgslens indhold fylder {length} bytes; der tages højst imod {limit} bytes her."
        )
    response = await handle_error(Request(scope), BodyTooLarge(message))
    # The rest of the body is not wanted: closing the connection spares reading it.
    response.headers["Connection"] = "close"
    await response(scope, receive, send)
