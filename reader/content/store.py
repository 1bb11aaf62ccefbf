"""The page files under ``content/pages``: listing, slug rules, and extraction cached by mtime.

Pages read from an allowed site by their address come from a second source with the same
model; everything after extraction asks this store and does not know which source answered.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from reader.content.extract import extract_page
from reader.content.models import Page
from reader.content.slugs import RESERVED_SLUGS, SLUG_RE, check_content_slug, is_site_slug
from reader.errors import PageNotFound, PageTooLarge

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PageVersion:
    """A page and the SHA-256 of the bytes it was extracted from (its file, or a site's body)."""

    page: Page
    digest: str


class PageSource(Protocol):
    """Pages that live somewhere else than ``content/`` (a site read by address)."""

    @property
    def listed(self) -> bool:
        """Whether the index, the page list and the feed show these pages."""
        ...

    def slugs(self) -> list[str]: ...

    def load(self, slug: str) -> Page: ...

    def version(self, slug: str) -> PageVersion: ...


class ContentStore:
    """Reads pages from a directory; a page is extracted again only when its file changes."""

    def __init__(self, pages_dir: Path, *, max_bytes: int, site: PageSource | None = None) -> None:
        self.pages_dir = pages_dir
        self.max_bytes = max_bytes
        self.site = site
        self._cache: dict[str, tuple[tuple[int, int], PageVersion]] = {}
        self._lock = threading.Lock()
        self._warned: set[str] = set()

    def path(self, slug: str) -> Path:
        return self.pages_dir / f"{check_content_slug(slug)}.html"

    def slugs(self) -> list[str]:
        """Every page of both sources: what is built, upgraded and shown to editors."""
        return self.content_slugs() + (self.site.slugs() if self.site else [])

    def listed_slugs(self) -> list[str]:
        """The pages the index, the page list and the feed show."""
        listed = self.site is not None and self.site.listed
        return self.slugs() if listed else self.content_slugs()

    def content_slugs(self) -> list[str]:
        if not self.pages_dir.is_dir():
            return []
        found = sorted(
            p.stem
            for p in self.pages_dir.glob("*.html")
            if p.is_file() and SLUG_RE.fullmatch(p.stem)
        )
        for slug in RESERVED_SLUGS.intersection(found) - self._warned:
            # Its address is a route of reader's own: the page could never be reached.
            logger.warning(
                "%s/%s.html is not read: %r is a reserved name", self.pages_dir, slug, slug
            )
            self._warned.add(slug)
        return [slug for slug in found if slug not in RESERVED_SLUGS]

    def load(self, slug: str) -> Page:
        return self.version(slug).page

    def version(self, slug: str) -> PageVersion:
        """The page with the digest of its file: one look at the disk, so the two always match
        (what is rendered from the page may be cached under the digest)."""
        if is_site_slug(slug):
            if self.site is None:
                raise PageNotFound(f"Siden {slug!r} findes ikke")
            return self.site.version(slug)
        path = self.path(slug)
        try:
            stat = path.stat()
        except FileNotFoundError:
            raise PageNotFound(f"Siden {slug!r} findes ikke") from None
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            cached = self._cache.get(slug)
        if cached and cached[0] == stamp:
            return cached[1]
        if stat.st_size > self.max_bytes:
            raise PageTooLarge(
                f"{path.name}: {stat.st_size} bytes is over the limit of {self.max_bytes} bytes"
            )
        data = path.read_bytes()
        page = extract_page(data, slug=slug, source=path.name, max_bytes=self.max_bytes)
        version = PageVersion(page, hashlib.sha256(data).hexdigest())
        with self._lock:
            self._cache[slug] = (stamp, version)
        return version

    def pages(self) -> list[Page]:
        return [self.load(slug) for slug in self.slugs()]
