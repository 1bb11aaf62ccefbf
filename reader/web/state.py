"""The per-process state of the app, built by its lifespan and handed to routes by ``deps``."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from starlette.templating import Jinja2Templates

from reader.audio.clean import Cleaner
from reader.audio.listen import Listening
from reader.audio.queue import AudioQueue
from reader.audio.upgrade import Upgrader
from reader.backends.ratelimit import RateLimiter
from reader.config import Settings
from reader.content.store import ContentStore
from reader.editor.service import EditorService
from reader.services import Services, build_services
from reader.site.schedule import CrawlSchedule
from reader.speech.engines.choice import EngineChoice
from reader.web.metrics import Metrics
from reader.web.render_cache import RenderCache
from reader.web.rendered import RenderedPages

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class AppState:
    """Services shared by all requests. A new service is one more field here, built in
    ``build_state``, and one more alias in ``deps``."""

    settings: Settings
    services: Services
    queue: AudioQueue
    listening: Listening
    speak_limiter: RateLimiter
    metrics: Metrics
    templates: Jinja2Templates
    editor: EditorService
    upgrader: Upgrader
    crawl: CrawlSchedule
    rendered: RenderedPages
    cleaner: Cleaner

    @property
    def store(self) -> ContentStore:
        return self.services.store

    def close(self) -> None:
        self.crawl.stop()
        self.queue.halt()  # listeners' builds stop between clips while the rest shuts down
        self.services.halt()  # and the batches being spoken and encoded end at once
        self.upgrader.stop()
        self.cleaner.stop()
        self.listening.close()
        self.editor.close()
        self.queue.stop()
        self.services.close()


def build_state(
    settings: Settings, templates: Jinja2Templates, engines: EngineChoice | None = None
) -> AppState:
    """Blocking (it looks at the disk): call it from a worker thread."""
    services = build_services(settings, engines)
    services.engines.warm_up()
    slugs = services.store.slugs()
    if not slugs:
        logger.warning("no pages in %s", settings.pages_dir)
    logger.info("serving %d pages from %s", len(slugs), settings.pages_dir)
    logger.info("backends: %s", services.backends.description)
    queue = AudioQueue(
        services.builder, max_pending=settings.queue_size, workers=settings.queue_workers
    )
    queue.start()
    editor = EditorService.build(settings, services)
    editor.start()
    upgrader = Upgrader(
        services.builder,
        queue,
        services.engines.breaker,
        data_dir=settings.data_dir,
        interval=settings.upgrade_interval,
    )
    upgrader.start()

    def changed(slug: str) -> None:
        if settings.auto_regenerate:
            queue.rebuild(slug)

    crawl = CrawlSchedule(
        services.site,
        url=settings.site_crawl_url,
        interval=settings.site_crawl_interval,
        on_changed=changed,
    )
    crawl.start()
    listening = Listening(services.builder, queue, wait_seconds=settings.synthesis_wait)
    cache = RenderCache(max_bytes=settings.render_cache_mb * 1024 * 1024)
    cleaner = Cleaner(
        settings.data_dir, grace=settings.clean_grace, interval=settings.clean_interval
    )
    cleaner.start()
    return AppState(
        settings=settings,
        services=services,
        queue=queue,
        listening=listening,
        speak_limiter=services.backends.speak_limiter,
        metrics=Metrics(services.clips.stats, queue, cache),
        templates=templates,
        editor=editor,
        upgrader=upgrader,
        crawl=crawl,
        rendered=RenderedPages(
            store=services.store,
            listening=listening,
            templates=templates,
            base_url=settings.base_url,
            cache=cache,
        ),
        cleaner=cleaner,
    )
