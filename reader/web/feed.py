"""``/feed.xml``: the pages as an RSS 2.0 podcast, one episode per page with its MP3."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from reader.audio.manifest import TrackInfo
from reader.content.models import Page
from reader.errors import ReaderError
from reader.web.catalog import readable_pages
from reader.web.deps import StateDep
from reader.web.schemas import audio_path, page_path
from reader.web.state import AppState

logger = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

FEED_CACHE = "public, max-age=300"
DESCRIPTION_CHARS = 400


@dataclass(frozen=True, slots=True)
class Episode:
    """One page as a podcast episode: its text and its current page track."""

    page: Page
    track: TrackInfo
    size: int
    built_at: dt.datetime

    @property
    def published(self) -> str:
        """RFC 822, from when the page's audio was made: a new recording is a new date.

        The page's "Opdateret" date would stay put while the episode's MP3 changes under it.
        """
        return format_datetime(self.built_at.astimezone(dt.UTC))

    @property
    def duration(self) -> str:
        seconds = round(self.track.duration_ms / 1000)
        return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"

    @property
    def description(self) -> str:
        return summary(self.page)


def summary(page: Page) -> str:
    """The page's opening paragraphs, shortened at a word; the title when there are none."""
    texts = [
        block.text
        for section in page.sections[:2]
        for block in section.blocks
        if block.kind == "paragraph"
    ]
    text = " ".join(texts).strip()
    if not text:
        return page.title
    if len(text) <= DESCRIPTION_CHARS:
        return text
    return text[:DESCRIPTION_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + " …"


def episodes(state: AppState) -> list[Episode]:
    """Blocking. Pages whose audio is made; the others are queued, to join the feed soon."""
    found: list[Episode] = []
    for page in readable_pages(state.store):
        try:
            status = state.services.builder.status(page.slug)
        except ReaderError as error:
            logger.warning("left out of the feed: %s", error.message)
            continue
        if status.state in ("missing", "stale"):
            state.queue.rebuild(page.slug)
        manifest = status.manifest
        if manifest is None:
            continue
        size = state.services.tracks.size(manifest.page.hash)
        if size is None:
            continue
        found.append(Episode(page, manifest.page, size, manifest.built_at))
    return found


@router.get("/feed.xml")
def feed(request: Request, state: StateDep) -> Response:
    base_url = state.settings.base_url
    items = episodes(state)
    built = max((item.built_at for item in items), default=None)
    body = state.templates.get_template("feed.xml").render(
        base_url=base_url,
        episodes=items,
        page_path=page_path,
        audio_path=audio_path,
        last_build=format_datetime(built) if built is not None else None,
    )
    data = body.encode()
    # Podcast apps poll the feed; a validator lets them skip the download when nothing changed.
    headers = {"Cache-Control": FEED_CACHE, "ETag": f'"{hashlib.sha256(data).hexdigest()[:32]}"'}
    if built is not None:
        headers["Last-Modified"] = format_datetime(built.astimezone(dt.UTC), usegmt=True)
    if _not_modified(request, headers["ETag"], built):
        return Response(status_code=304, headers=headers)
    return Response(data, media_type="application/rss+xml; charset=utf-8", headers=headers)


def _not_modified(request: Request, etag: str, built: dt.datetime | None) -> bool:
    """RFC 9110 13.1: If-None-Match wins over If-Modified-Since when both are sent."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return etag in tags or "*" in tags
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since is None or built is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        return False
    return built.replace(microsecond=0) <= since
