"""The app under test, served the way uvicorn serves it: lifespan first, then its state in
every request's scope."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reader.config import Settings
from reader.web.app import create_app


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@asynccontextmanager
async def lifespan_running(app: ASGIApp) -> AsyncIterator[ASGIApp]:
    """Drive the ASGI lifespan protocol around the block, as a server does."""
    state: dict[str, Any] = {}
    scope: Scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": state}
    to_app, app_inbox = anyio.create_memory_object_stream[Message](1)
    app_outbox, from_app = anyio.create_memory_object_stream[Message](1)

    async def run_lifespan() -> None:
        async with app_inbox, app_outbox:
            await app(scope, app_inbox.receive, app_outbox.send)

    async def with_state(request: Scope, receive: Receive, send: Send) -> None:
        await app({**request, "state": dict(state)}, receive, send)

    async with anyio.create_task_group() as tasks, to_app, from_app:
        tasks.start_soon(run_lifespan)
        await to_app.send({"type": "lifespan.startup"})
        answer = await from_app.receive()
        assert answer["type"] == "lifespan.startup.complete", answer
        try:
            yield with_state
        finally:
            await to_app.send({"type": "lifespan.shutdown"})
            answer = await from_app.receive()
            assert answer["type"] == "lifespan.shutdown.complete", answer


@asynccontextmanager
async def client_for(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with lifespan_running(app) as served:
        transport = httpx.ASGITransport(app=served)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as client:
        yield client
