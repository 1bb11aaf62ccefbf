"""Reading a site's page by its address: fetch when needed, revalidate, extract what changed.

A page is fetched when reader has no copy or its copy is older than ``READER_SITE_TTL``; a
copy is revalidated with ``If-None-Match`` / ``If-Modified-Since``, so an unchanged page
costs one short answer (304) and no extraction. When the site cannot be reached, a copy
reader holds keeps being served and is marked stale.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import reader
from reader.config import Settings
from reader.content.extract import extract_page
from reader.errors import ReaderError
from reader.site.fetch import Fetched, Fetcher, FetchPolicy
from reader.site.store import Alias, FetchState, SitePages, StoredPage
from reader.site.urls import normalise_origin, slug_of

logger = logging.getLogger(__name__)

Change = Literal["new", "changed", "unchanged"]


@dataclass(frozen=True, slots=True)
class Lookup:
    """What a lookup found: the page's slug and whether its copy could be brought up to date."""

    slug: str
    url: str
    change: Change | None
    """What the fetch found; None when the copy held was young enough to use unasked."""
    stale: bool = False
    reason: str | None = None
    """Why the copy is stale: the failure of the fetch, in Danish."""


@dataclass
class SiteStats:
    """Counts since start, for tests, benchmarks and editors."""

    requests: int = 0
    not_modified: int = 0
    extractions: int = 0


class SiteReader:
    """The service behind ``/api/pages/lookup`` and ``reader import``. Thread-safe."""

    def __init__(
        self,
        settings: Settings,
        pages: SitePages,
        fetcher: Fetcher,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.pages = pages
        self.fetcher = fetcher
        self.stats = SiteStats()
        self._clock = clock
        self._lock = threading.Lock()
        self._busy: dict[str, threading.Lock] = {}

    @classmethod
    def build(
        cls, settings: Settings, pages: SitePages, fetcher: Fetcher | None = None
    ) -> SiteReader:
        return cls(settings, pages, fetcher or Fetcher(policy_of(settings)))

    @property
    def enabled(self) -> bool:
        return bool(self.settings.site_origins)

    def close(self) -> None:
        self.fetcher.close()

    def lookup(self, url: str) -> Lookup:
        """The page at ``url``, fetched first when reader has none or an old one."""
        normal = self.fetcher.check(url)
        slug = self._followed(slug_of(normal))
        with self._page_lock(slug):
            state = self.pages.state(slug)
            if (
                state is not None
                and self.pages.stored(slug) is not None
                and self._clock() - state.checked_at < self.settings.site_ttl
            ):
                return Lookup(slug, state.url, None, stale=state.error is not None)
            return self._refresh(normal, slug, state, force=False)

    def refresh(
        self,
        url: str,
        *,
        force: bool = False,
        pace: float = 0.0,
        fetched: Fetched | None = None,
    ) -> Lookup:
        """Revalidate the page at ``url`` now (``force``: fetch it whole, extract it anew).

        ``fetched`` is an answer for ``url`` already in hand (a crawl that asked what it is).
        """
        normal = self.fetcher.check(url)
        slug = slug_of(normal)
        with self._page_lock(slug):
            state = self.pages.state(slug)
            return self._refresh(normal, slug, state, force=force, pace=pace, fetched=fetched)

    def refresh_slug(self, slug: str, *, force: bool = False) -> Lookup:
        """Revalidate a site page reader holds, by its slug (editors)."""
        stored = self.pages.stored(slug)
        if stored is None:
            self.pages.load(slug)  # raises PageNotFound
            raise AssertionError("unreachable")
        return self.refresh(stored.url, force=force)

    def _followed(self, slug: str) -> str:
        alias = self.pages.alias(slug)
        if alias is not None and self._clock() - alias.checked_at < self.settings.site_ttl:
            return alias.target
        return slug

    def _refresh(
        self,
        url: str,
        slug: str,
        state: FetchState | None,
        *,
        force: bool,
        pace: float = 0.0,
        fetched: Fetched | None = None,
    ) -> Lookup:
        held = self.pages.stored(slug)
        conditional = held is not None and state is not None and not force
        now = self._clock()
        with self._lock:
            self.stats.requests += 1
        try:
            fetched = fetched or self.fetcher.get(
                url,
                etag=state.etag if conditional and state else None,
                last_modified=state.last_modified if conditional and state else None,
                pace=pace,
            )
        except ReaderError as error:
            if held is None:
                raise
            logger.warning("serving the copy held of %s: %s", url, error.message)
            failed = (state or FetchState(url=url, checked_at=0.0)).model_copy(
                update={"status": error.status_code, "error": error.message, "tried_at": now}
            )
            self.pages.save_state(slug, failed)
            return Lookup(slug, url, None, stale=True, reason=error.message)
        if fetched.url != url:
            target = slug_of(fetched.url)
            self.pages.save_alias(slug, Alias(target=target, checked_at=now))
            slug, url = target, fetched.url
            held = self.pages.stored(slug)
        fresh = FetchState(
            url=url,
            checked_at=now,
            fetched_at=state.fetched_at if state else None,
            status=fetched.status,
            etag=fetched.etag or (state.etag if state and fetched.status == 304 else None),
            last_modified=fetched.last_modified
            or (state.last_modified if state and fetched.status == 304 else None),
            tried_at=now,
        )
        if fetched.status == 304 and held is not None:
            with self._lock:
                self.stats.not_modified += 1
            self.pages.save_state(slug, fresh)
            return Lookup(slug, url, "unchanged")
        digest = hashlib.sha256(fetched.body).hexdigest()
        if held is not None and held.sha256 == digest and not force:
            self.pages.save_state(slug, fresh)
            return Lookup(slug, url, "unchanged")
        try:
            page = extract_page(
                fetched.body,
                slug=slug,
                source=url,
                max_bytes=self.settings.max_page_bytes,
                region=self.settings.site_region,
                skip_classes=self.settings.site_skip_classes,
            )
        except ReaderError as error:
            if held is None:
                raise
            self.pages.save_state(
                slug, fresh.model_copy(update={"status": error.status_code, "error": error.message})
            )
            return Lookup(slug, url, None, stale=True, reason=error.message)
        with self._lock:
            self.stats.extractions += 1
        change: Change = "new" if held is None else "changed"
        if held is None or held.page != page:
            self.pages.save_page(slug, StoredPage(url=url, sha256=digest, page=page))
        else:
            change = "unchanged"  # another body, the same text (a date in a comment, a token)
            self.pages.save_page(slug, held.model_copy(update={"sha256": digest}))
        self.pages.save_state(slug, fresh.model_copy(update={"fetched_at": now}))
        return Lookup(slug, url, change)

    def _page_lock(self, slug: str) -> threading.Lock:
        with self._lock:
            lock = self._busy.get(slug)
            if lock is None:
                lock = self._busy[slug] = threading.Lock()
            return lock


def policy_of(settings: Settings) -> FetchPolicy:
    return FetchPolicy(
        origins=frozenset(normalise_origin(origin) for origin in settings.site_origins),
        allow_private=settings.site_allow_private,
        timeout=settings.site_timeout,
        max_bytes=settings.max_page_bytes,
        concurrency=settings.site_concurrency,
        user_agent=f"reader/{reader.__version__} (+{settings.base_url})",
        keep_query=frozenset(settings.site_keep_query),
    )
