"""``create_app(settings)``: the whole web service, built from its settings and nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

import reader
from reader.config import Settings
from reader.speech.engines.choice import EngineChoice
from reader.web import admin, api, audio, editor, embed, feed, health, pages, site
from reader.web.assets import Assets, VersionedStaticFiles
from reader.web.audio_files import AudioFiles
from reader.web.body_limit import DEFAULT_BODY_BYTES, BodyLimit, body_limits
from reader.web.compression import Compression
from reader.web.cors import ScopedCORS
from reader.web.deps import STATE_KEY
from reader.web.errors import install_error_handler
from reader.web.fast_pages import FastPages
from reader.web.headers import SecurityHeaders
from reader.web.methods import Methods
from reader.web.metrics import RequestMetrics, count_audio
from reader.web.state import AppState, build_state
from reader.web.templating import make_templates


class ReaderApp(FastAPI):
    """FastAPI with a door in front of all its layers: a page's reading view and JSON, once
    rendered, are answered there (``FastPages``), before FastAPI's own wrappers run."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.fast_pages = FastPages()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and await self.fast_pages.answer(scope, send):
            return
        await super().__call__(scope, receive, send)


def create_app(settings: Settings, *, engines: EngineChoice | None = None) -> FastAPI:
    """The whole service. ``engines`` replaces the ones the settings name (tests)."""
    assets = Assets()
    templates = make_templates(assets)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, AppState]]:
        await run_in_threadpool(assets.load)
        state = await run_in_threadpool(build_state, settings, templates, engines)
        try:
            yield {STATE_KEY: state}
        finally:
            await run_in_threadpool(state.close)

    app = ReaderApp(
        title="reader",
        summary="Høje-Taastrup Kommune's policy pages, read aloud in Danish",
        version=reader.__version__,
        lifespan=lifespan,
    )
    # Innermost: gzip for text made per request, inside Methods so HEAD gets the GET's headers.
    app.add_middleware(Compression)
    # Next to it: HEAD and OPTIONS for every route, and full Allow headers.
    app.add_middleware(Methods, router=app.router)
    # Inside the security headers and the metrics, so that a refused body is answered and
    # counted like any other failure.
    app.add_middleware(BodyLimit, rules=body_limits(settings), default=DEFAULT_BODY_BYTES)
    app.add_middleware(SecurityHeaders)
    install_error_handler(app)
    app.mount("/static", VersionedStaticFiles(assets), name="static")
    app.include_router(pages.router)
    app.include_router(site.router)  # before api: /api/pages/lookup is not a page's slug
    app.include_router(api.router)
    app.include_router(health.router)
    app.include_router(audio.router)
    app.include_router(editor.router)
    app.include_router(site.editor_router)
    app.include_router(admin.router)
    app.include_router(embed.router)
    app.include_router(feed.router)
    if settings.allowed_origins:
        app.add_middleware(ScopedCORS, allowed_origins=settings.allowed_origins)
    app.add_middleware(RequestMetrics)
    # Outermost, so a request for audio bytes passes through nothing else.
    app.add_middleware(
        AudioFiles,
        read=_read_track,
        allowed_origins=settings.allowed_origins,
        cache_bytes=settings.audio_cache_mb * 1024 * 1024,
        on_response=count_audio,
    )
    return app


def _read_track(scope: Scope, digest: str) -> bytes | None:
    """A track's bytes from the tracks of the app's state (blocking: run it in a thread)."""
    state: AppState = scope["state"][STATE_KEY]
    return state.services.tracks.read(digest)
