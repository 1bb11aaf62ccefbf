"""The reading view and page JSON straight from the render cache, in front of the framework.

Once a version of a page is rendered, what is left of a request is a look at the page's files
(is the kept version still the current one?) and sending bytes kept in memory. FastAPI's
layers (its error and telemetry wrappers, routing, dependencies, the project's middleware)
would cost several times that, so ``ReaderApp`` asks this door first: it answers ``GET`` and
``HEAD`` of ``/pages/{slug}`` and ``/api/pages/{slug}`` itself, with the header lines the
framework's route and layers would give (made once per kept answer), and counts the request as
``RequestMetrics`` would. Everything else goes on to the framework: other methods, requests with
an ``Origin`` (CORS is the framework's) or a body (its limits apply), and pages that fail (an
unknown slug, a page that cannot be extracted), whose error answers the framework makes.

The look at the files runs in a worker thread (a file system may be slow), and that hop is
what a request costs most. So requests for the same page share it: a request joins the look-up
that is waiting to start, never one already running, so each answer still comes from a look
made after its request arrived. Under load that is one hop per page per look-up, not one per
request; a lone request makes its own. Requests that shared a look-up count as one hit of the
render cache, as requests that waited for the same render count as one render.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import anyio.to_thread
from starlette.datastructures import MutableHeaders
from starlette.types import Message, Scope, Send

from reader.web.conditional import choose, variant_response
from reader.web.deps import STATE_KEY
from reader.web.headers import add_security_headers
from reader.web.render_cache import Rendered
from reader.web.state import AppState

_ROUTES = (
    (re.compile(r"/pages/([^/]+)"), "html", "/pages/{slug}"),
    (re.compile(r"/api/pages/([^/]+)"), "json", "/api/pages/{slug}"),
)
_PREFIXES = ("/pages/", "/api/pages/")
# A request with one of these is the framework's: CORS, or a body its limits must see.
_DECLINED = frozenset({b"origin", b"transfer-encoding"})


class FastPages:
    """The door in front of the framework (``ReaderApp`` calls ``answer`` first)."""

    def __init__(self) -> None:
        self._lookups = SharedLookups()

    async def answer(self, scope: Scope, send: Send) -> bool:
        """Answers the request and says True, or says False and leaves it to the framework."""
        method = scope["method"]
        path: str = scope["path"]
        if (method != "GET" and method != "HEAD") or not path.startswith(_PREFIXES):
            return False
        found = _route(path)
        state = _state(scope)
        if found is None or state is None:
            return False
        accept_encoding: str | None = None
        if_none_match: str | None = None
        for name, value in scope["headers"]:
            if name == b"accept-encoding":
                if accept_encoding is None:
                    accept_encoding = value.decode("latin-1")
            elif name == b"if-none-match":
                if if_none_match is None:
                    if_none_match = value.decode("latin-1")
            elif name in _DECLINED or (name == b"content-length" and value != b"0"):
                return False
        kind, slug, template = found
        render = state.rendered.html if kind == "html" else state.rendered.json
        try:
            rendered = await self._lookups.get((kind, slug), lambda: render(slug))
        except Exception:  # the framework answers it: its error answer, or what it makes of it
            return False
        packed, unchanged = choose(rendered, accept_encoding, if_none_match)
        status = 304 if unchanged else 200
        start: Message = {
            "type": "http.response.start",
            "status": status,
            "headers": _header_lines(rendered, packed, unchanged),
        }
        body = b""
        if not unchanged and method == "GET":
            body = rendered.gzip if packed and rendered.gzip is not None else rendered.body
        await send(start)
        await send({"type": "http.response.body", "body": body})
        state.metrics.count(template, method, status)
        return True


def _header_lines(rendered: Rendered, packed: bool, unchanged: bool) -> list[tuple[bytes, bytes]]:
    """The framework's header lines for this answer, made by its own code the first time."""
    key = (packed and rendered.gzip is not None, unchanged)
    lines = rendered.header_lines.get(key)
    if lines is None:
        response = variant_response(rendered, packed=key[0], unchanged=unchanged)
        made: Message = {"type": "http.response.start", "headers": response.raw_headers}
        add_security_headers(MutableHeaders(scope=made))
        lines = rendered.header_lines[key] = list(made["headers"])
    return lines


def _route(path: str) -> tuple[str, str, str] | None:
    for pattern, kind, template in _ROUTES:
        match = pattern.fullmatch(path)
        if match:
            return kind, match.group(1), template
    return None


def _state(scope: Scope) -> AppState | None:
    state = (scope.get("state") or {}).get(STATE_KEY)
    return state if isinstance(state, AppState) else None


@dataclass
class _Batch:
    look: Callable[[], Rendered]
    waiters: list[asyncio.Future[Rendered]] = field(default_factory=list)


class SharedLookups:
    """Blocking look-ups run in a worker thread, one at a time per key, shared by every request
    that arrived before it started. Event loop only (not thread-safe)."""

    def __init__(self) -> None:
        self._waiting: dict[tuple[str, str], _Batch] = {}
        self._running: set[tuple[str, str]] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def get(self, key: tuple[str, str], look: Callable[[], Rendered]) -> Rendered:
        """What ``look`` returns (or raises), from a call that started after this one.

        A look-up starts at the loop's next turn, not at once: the requests whose bytes came in
        the same turn of the loop (under load, many) then share it."""
        batch = self._waiting.get(key)
        if batch is None:
            batch = self._waiting[key] = _Batch(look)
            if key not in self._running:
                self._running.add(key)
                asyncio.get_running_loop().call_soon(self._start, key)
        waiter: asyncio.Future[Rendered] = asyncio.get_running_loop().create_future()
        batch.waiters.append(waiter)
        return await waiter

    def _start(self, key: tuple[str, str]) -> None:
        batch = self._waiting.pop(key)
        task = asyncio.get_running_loop().create_task(self._run(key, batch))
        self._tasks.add(task)  # held until done: the loop keeps only a weak reference
        task.add_done_callback(self._tasks.discard)

    async def _run(self, key: tuple[str, str], batch: _Batch) -> None:
        try:
            found = await anyio.to_thread.run_sync(batch.look)
        except BaseException as error:
            for waiter in batch.waiters:
                if not waiter.done():
                    waiter.set_exception(error if isinstance(error, Exception) else _Stopped())
            if not isinstance(error, Exception):
                raise
        else:
            for waiter in batch.waiters:
                if not waiter.done():
                    waiter.set_result(found)
        finally:
            if key in self._waiting:
                self._start(key)
            else:
                self._running.discard(key)


class _Stopped(Exception):
    """The look-up was cancelled (the server is stopping): the framework answers instead."""
