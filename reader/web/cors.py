"""CORS for the addresses other sites use (the API, the embed routes, oEmbed), and only those."""

from __future__ import annotations

from collections.abc import Collection

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

SHARED_PREFIXES = ("/api/", "/embed", "/oembed")
"""Paths a page on an allowed origin may read from a browser. ``/audio`` answers CORS itself."""
SPEAK_PATH = "/api/speak"


class ScopedCORS:
    """Starlette's CORS handling for paths under ``prefixes``; every other path passes by.

    Only ``allowed_origins`` get an ``Access-Control-Allow-Origin``; nobody gets credentials.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        allowed_origins: Collection[str],
        prefixes: tuple[str, ...] = SHARED_PREFIXES,
    ) -> None:
        self.app = app
        self.prefixes = prefixes
        # Range: a player's fetch() of an audio redirect may send one that is not safelisted.
        self.cors = _cors(app, allowed_origins, methods=["GET", "HEAD"], headers=["Range"])
        # The one route other sites may POST to; its JSON body needs a preflight.
        self.speak = _cors(app, allowed_origins, methods=["POST"], headers=["Content-Type"])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == SPEAK_PATH:
            await self.speak(scope, receive, send)
        elif scope["type"] == "http" and scope["path"].startswith(self.prefixes):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def _cors(
    app: ASGIApp, origins: Collection[str], *, methods: list[str], headers: list[str]
) -> CORSMiddleware:
    return CORSMiddleware(
        app,
        allow_origins=list(origins),
        allow_methods=methods,
        allow_headers=headers,
        allow_credentials=False,
        max_age=600,
    )
