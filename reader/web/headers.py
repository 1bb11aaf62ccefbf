"""Security headers on every response; a Content-Security-Policy on every HTML page."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        # blob: the player plays a selection's speech, fetched with POST, from a blob URL.
        "media-src 'self' blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ]
)

# FastAPI's interactive API docs load Swagger UI and ReDoc from a CDN with an inline script;
# the strict policy would leave them blank, so these pages keep the browser's defaults.
_DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})


def add_security_headers(headers: MutableHeaders, *, strict: bool = True) -> None:
    """The headers every answer gets (those it set itself stay); ``strict`` adds the policy."""
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if strict and headers.get("content-type", "").startswith("text/html"):
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)


class SecurityHeaders:
    """Pure ASGI middleware: adds the headers without buffering or wrapping the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        strict = scope["path"] not in _DOCS_PATHS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_security_headers(MutableHeaders(scope=message), strict=strict)
            await send(message)

        await self.app(scope, receive, send_with_headers)
