"""Dependencies of the routes, as ``Annotated`` aliases: ``def route(store: StoreDep)``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.templating import Jinja2Templates

from reader.audio.listen import Listening
from reader.config import Settings
from reader.content.slugs import check_slug
from reader.content.store import ContentStore
from reader.editor.service import EditorService
from reader.web.rendered import RenderedPages
from reader.web.state import AppState

STATE_KEY = "reader"


def find_state(request: Request) -> AppState | None:
    state = getattr(request.state, STATE_KEY, None)
    return state if isinstance(state, AppState) else None


async def _state(request: Request) -> AppState:
    state = find_state(request)
    if state is None:
        raise RuntimeError("the app's lifespan has not run: serve it with lifespan events on")
    return state


StateDep = Annotated[AppState, Depends(_state)]


async def _settings(state: StateDep) -> Settings:
    return state.settings


async def _store(state: StateDep) -> ContentStore:
    return state.store


async def _templates(state: StateDep) -> Jinja2Templates:
    return state.templates


async def _listening(state: StateDep) -> Listening:
    return state.listening


async def _editor(state: StateDep) -> EditorService:
    return state.editor


async def _rendered(state: StateDep) -> RenderedPages:
    return state.rendered


async def _slug(slug: str) -> str:
    return check_slug(slug)


SettingsDep = Annotated[Settings, Depends(_settings)]
StoreDep = Annotated[ContentStore, Depends(_store)]
TemplatesDep = Annotated[Jinja2Templates, Depends(_templates)]
ListeningDep = Annotated[Listening, Depends(_listening)]
EditorDep = Annotated[EditorService, Depends(_editor)]
RenderedDep = Annotated[RenderedPages, Depends(_rendered)]
SlugDep = Annotated[str, Depends(_slug)]
"""A page slug from the path, checked against the slug rules (an invalid one is a 404)."""
