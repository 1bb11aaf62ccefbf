"""Site pages on disk under ``<data>/site``: the extracted page, and how its fetch went.

``pages/<slug>.json`` holds the page and changes only when its text does, so the builder and
the reading view keep the same ``Page`` while a site is revalidated; ``state/<slug>.json`` is
written on every fetch; ``alias/<slug>.json`` says which page an address redirects to.
"""

from __future__ import annotations

import threading
from pathlib import Path

from pydantic import BaseModel

from reader._atomic import write_atomic
from reader.content.models import Page
from reader.content.slugs import SITE_SLUG_RE
from reader.content.store import PageVersion
from reader.errors import PageNotFound


class StoredPage(BaseModel):
    url: str
    sha256: str
    """Of the body the page was extracted from: the same body again is not extracted again."""
    page: Page


class FetchState(BaseModel):
    """The last fetch of one address, for revalidation and for editors."""

    url: str
    checked_at: float
    """When the site last answered for this page (200 or 304), Unix time."""
    fetched_at: float | None = None
    """When the page's text was last taken from the site."""
    status: int | None = None
    """The last HTTP status, or the status reader answered with when the fetch failed."""
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    """Why the last fetch failed; the copy held is then served, marked stale."""
    tried_at: float | None = None


class Alias(BaseModel):
    target: str
    checked_at: float


class SitePages:
    """The ``PageSource`` of site pages. Safe to use from several threads."""

    def __init__(self, root: Path, *, listed: bool) -> None:
        self.root = root
        self._listed = listed
        self._lock = threading.Lock()
        self._pages: dict[str, tuple[tuple[int, int], StoredPage]] = {}

    @property
    def listed(self) -> bool:
        return self._listed

    def slugs(self) -> list[str]:
        folder = self.root / "pages"
        if not folder.is_dir():
            return []
        return sorted(
            path.stem for path in folder.glob("*.json") if SITE_SLUG_RE.fullmatch(path.stem)
        )

    def load(self, slug: str) -> Page:
        stored = self.stored(slug)
        if stored is None:
            raise PageNotFound(f"Siden {slug!r} findes ikke")
        return stored.page

    def version(self, slug: str) -> PageVersion:
        """The page with the digest of the body it was extracted from."""
        stored = self.stored(slug)
        if stored is None:
            raise PageNotFound(f"Siden {slug!r} findes ikke")
        return PageVersion(stored.page, stored.sha256)

    def stored(self, slug: str) -> StoredPage | None:
        path = self._path("pages", slug)
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            known = self._pages.get(slug)
        if known is not None and known[0] == stamp:
            return known[1]
        stored = StoredPage.model_validate_json(path.read_bytes())
        with self._lock:
            self._pages[slug] = (stamp, stored)
        return stored

    def save_page(self, slug: str, stored: StoredPage) -> None:
        write_atomic(self._path("pages", slug), stored.model_dump_json().encode())

    def state(self, slug: str) -> FetchState | None:
        path = self._path("state", slug)
        try:
            return FetchState.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            return None

    def save_state(self, slug: str, state: FetchState) -> None:
        write_atomic(self._path("state", slug), state.model_dump_json().encode())

    def alias(self, slug: str) -> Alias | None:
        try:
            return Alias.model_validate_json(self._path("alias", slug).read_bytes())
        except FileNotFoundError:
            return None

    def save_alias(self, slug: str, alias: Alias) -> None:
        write_atomic(self._path("alias", slug), alias.model_dump_json().encode())

    def _path(self, kind: str, slug: str) -> Path:
        if not SITE_SLUG_RE.fullmatch(slug):
            raise PageNotFound(f"Siden {slug[:80]!r} findes ikke")
        return self.root / kind / f"{slug}.json"
