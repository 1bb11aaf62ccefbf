"""CORS for the addresses other sites use (the API, the embed routes, oEmbed), and only those."""

from __future__ import annotations

from collections.abc import Collection

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

SHARED_PREFIXES = ("/api/", "/embed", "/oembed")
"""Paths a page on an allowed origin may read from a browser. ``/audio`` answers CORS itself."""


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
        self.cors = CORSMiddleware(
            app,
            allow_origins=list(allowed_origins),
            allow_methods=["GET", "HEAD"],
            allow_credentials=False,
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefixes):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
