"""The per-process state of the app, built by its lifespan and handed to routes by ``deps``."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from starlette.templating import Jinja2Templates

from reader.config import Settings
from reader.content.store import ContentStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class AppState:
    """Services shared by all requests. A new service is one more field here, built in
    ``build_state``, and one more alias in ``deps``."""

    settings: Settings
    store: ContentStore
    templates: Jinja2Templates


def build_state(settings: Settings, templates: Jinja2Templates) -> AppState:
    """Blocking (it looks at the disk): call it from a worker thread."""
    store = ContentStore(settings.pages_dir, max_bytes=settings.max_page_bytes)
    slugs = store.slugs()
    if not slugs:
        logger.warning("no pages in %s", settings.pages_dir)
    logger.info("serving %d pages from %s", len(slugs), settings.pages_dir)
    return AppState(settings=settings, store=store, templates=templates)
