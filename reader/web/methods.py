"""HEAD for every GET route, OPTIONS for every route, and ``Allow`` headers that name every
method a path really has.

FastAPI declares routes one method at a time, so on its own it answers HEAD with 405 and a 405
with the methods of the first route whose path matched (``/api/pages/x``: ``Allow: GET``, though
PUT and DELETE exist). This one layer in front of the router looks at all routes of a path at
once, so no route has to declare HEAD or OPTIONS itself.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The order RFC 9110 lists them in, which is also the order people expect to read them.
_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# A method no route declares: a route that takes it takes every method.
_ANY = "X-READER-ANY"
_PROBES = (*(m for m in _ORDER if m != "HEAD"), _ANY)


def allow_header(methods: set[str]) -> str:
    """``methods`` plus HEAD (with GET) and OPTIONS, in the usual order."""
    methods = set(methods) | {"OPTIONS"}
    if "GET" in methods:
        methods.add("HEAD")
    known = [method for method in _ORDER if method in methods]
    return ", ".join(known + sorted(methods - set(_ORDER)))


class Methods:
    """Pure ASGI middleware between the framework's middleware and ``router``.

    HEAD is answered as GET without the body (a path without GET is then a 405, and an unknown
    path a 404, as for GET). A route's methods are looked up only for OPTIONS and 405 answers:
    by asking each route whether it would take the request with another method, which is the
    one question every kind of route (included routers too) answers the same way.
    """

    def __init__(self, app: ASGIApp, *, router: Router) -> None:
        self.app = app
        self.router = router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method == "OPTIONS":
            methods = self.methods(scope)
            if methods and "OPTIONS" not in methods:
                await _no_content(send, allow_header(methods))
                return
        if method == "HEAD":
            scope = {**scope, "method": "GET"}
            send = _headers_only(send)
        await self.app(scope, receive, self._full_allow(scope, send))

    def methods(self, scope: Scope) -> set[str] | None:
        """The methods some route takes at this path; None when any method is taken (a mount)."""
        found = {method for method in _PROBES if self._takes(scope, method)}
        return None if _ANY in found else found

    def _takes(self, scope: Scope, method: str) -> bool:
        for route in self.router.routes:
            match, _ = route.matches({**scope, "method": method})
            if match is Match.FULL:
                return True
        return False

    def _full_allow(self, scope: Scope, send: Send) -> Send:
        async def send_with_allow(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                methods = self.methods(scope)
                if methods:
                    MutableHeaders(scope=message)["Allow"] = allow_header(methods)
            await send(message)

        return send_with_allow


def _headers_only(send: Send) -> Send:
    """The answer's status and headers (Content-Length included), without its body."""
    done = False

    async def send_headers(message: Message) -> None:
        nonlocal done
        if message["type"] != "http.response.body":
            await send(message)
        elif not done:
            done = True
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    return send_headers


async def _no_content(send: Send, allow: str) -> None:
    headers = [(b"allow", allow.encode()), (b"content-length", b"0")]
    await send({"type": "http.response.start", "status": 204, "headers": headers})
    await send({"type": "http.response.body", "body": b""})
