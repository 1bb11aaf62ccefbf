"""The reading view and page JSON straight from the render cache, in front of the framework.

Once a version of a page is rendered, what is left of a request is a dictionary look-up, a few
``stat`` calls and copying bytes; FastAPI's routing, dependencies and middleware would cost
many times that. So, like ``AudioFiles``, this pure ASGI layer answers ``GET`` and ``HEAD`` of
``/pages/{slug}`` and ``/api/pages/{slug}`` itself, with the headers the framework's layers
would add (security headers, request metrics). Everything else goes on to the framework: other
methods, requests with an ``Origin`` (CORS is the framework's), and pages that fail (an unknown
slug, a page that cannot be extracted), whose error answers the framework makes.
"""

from __future__ import annotations

import re

import anyio.to_thread
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reader.errors import ReaderError
from reader.web.conditional import rendered_response
from reader.web.deps import STATE_KEY
from reader.web.headers import add_security_headers
from reader.web.render_cache import Rendered
from reader.web.state import AppState

_ROUTES = (
    (re.compile(r"^/pages/([^/]+)$"), "html", "/pages/{slug}"),
    (re.compile(r"^/api/pages/([^/]+)$"), "json", "/api/pages/{slug}"),
)


class FastPages:
    """Pure ASGI middleware; the routes behind it give the same answers (and the docs)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = _route(scope)
        state = _state(scope) if found is not None else None
        headers = Headers(scope=scope) if state is not None else Headers()
        if found is None or state is None or "origin" in headers:
            await self.app(scope, receive, send)
            return
        kind, slug, template = found
        render = state.rendered.html if kind == "html" else state.rendered.json
        try:
            # In a thread: the first request of a version renders, and even a hit looks at
            # the page's files.
            rendered: Rendered = await anyio.to_thread.run_sync(render, slug)
        except ReaderError:
            await self.app(scope, receive, send)
            return
        response = rendered_response(headers, rendered)
        start: Message = {
            "type": "http.response.start",
            "status": response.status_code,
            "headers": response.raw_headers,
        }
        add_security_headers(MutableHeaders(scope=start))
        body = b"" if scope["method"] == "HEAD" else response.body
        await send(start)
        await send({"type": "http.response.body", "body": body})
        state.metrics.count(template, scope["method"], response.status_code)


def _route(scope: Scope) -> tuple[str, str, str] | None:
    if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
        return None
    path: str = scope["path"]
    for pattern, kind, template in _ROUTES:
        match = pattern.match(path)
        if match:
            return kind, match.group(1), template
    return None


def _state(scope: Scope) -> AppState | None:
    state = (scope.get("state") or {}).get(STATE_KEY)
    return state if isinstance(state, AppState) else None
