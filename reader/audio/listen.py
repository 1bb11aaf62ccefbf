"""What a listener gets: the page's tracks as they stand, and tracks made on demand.

A built page is served from its manifest. A stale page keeps its old audio until the new build
is done (nobody is cut off mid-sentence) and is rebuilt in the background. A page never built
is made section by section as listeners ask, the section asked for first.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

from reader.audio.build import Builder, BuildResult, pause_before
from reader.audio.manifest import CueInfo, Manifest, PageState, TrackInfo
from reader.audio.queue import AudioQueue
from reader.audio.tracks import id3_tag, item_bytes
from reader.errors import Busy, SectionNotFound

STREAM_THREADS = 8
"""Threads waiting for clips on behalf of streaming listeners (they mostly wait)."""


@dataclass(frozen=True)
class TrackView:
    """One track as the API describes it; ``track`` is None until it is made."""

    id: str
    track: TrackInfo | None
    degraded: bool

    @property
    def ready(self) -> bool:
        return self.track is not None

    @property
    def cues(self) -> list[CueInfo]:
        return self.track.cues if self.track else []


@dataclass(frozen=True)
class PageAudio:
    state: PageState
    page: TrackView
    sections: list[TrackView]


class Listening:
    """Answers listeners without ever blocking on synthesis longer than ``wait_seconds``."""

    def __init__(self, builder: Builder, queue: AudioQueue, *, wait_seconds: float) -> None:
        self.builder = builder
        self.queue = queue
        self.wait_seconds = wait_seconds
        # Streams wait here for their clips, never in the web server's own thread pool.
        self._streams = ThreadPoolExecutor(STREAM_THREADS, thread_name_prefix="stream")

    def close(self) -> None:
        self._streams.shutdown(wait=False, cancel_futures=True)

    async def stream_section(self, slug: str, section_id: str) -> AsyncIterator[bytes]:
        """A section's track sent as it is made, clip by clip in reading order.

        The bytes are those of the track the queued job stores (same tag, clips and pauses)
        except its Info frame, which holds the frame count and cannot be known before the last
        clip is made. Players do not play an Info frame, so both sound the same and every cue
        is at the same time in both. A listener on a page nobody has heard hears its first
        sentence as soon as that one clip is made. Clips are shared with the job: each is
        still made once.
        """
        loop = asyncio.get_running_loop()
        tags, lines = await loop.run_in_executor(
            self._streams, self.builder.section_plan, slug, section_id
        )
        yield id3_tag(tags)
        for index, line in enumerate(lines):
            pause = pause_before(lines, index)
            # urgent: the first sound comes within the primary wait, whatever Google does.
            clip = await loop.run_in_executor(
                self._streams, partial(self.builder.clips.get_or_make, line.spoken, urgent=True)
            )
            frames = await loop.run_in_executor(self._streams, item_bytes, clip)
            yield (item_bytes(pause) if pause else b"") + frames

    def audio_key(self, slug: str) -> tuple[str, ...]:
        """What ``page_audio`` answers from, in a few strings, without looking at any clip.

        Equal keys mean equal answers: a built page is its manifest (each build writes a new
        one, with its own time and tracks); a page not built yet changes only as clips are
        made, which the clip cache counts. Clips made by another process sharing the data
        directory show once this process makes one or the page's manifest is written. Starts a
        stale page's rebuild, as ``page_audio`` does.
        """
        status = self.builder.status(slug)
        manifest = status.manifest
        if manifest is None:
            return (status.state, str(self.builder.clips.stored))
        if status.state == "stale":
            self.queue.rebuild(slug)
        built = manifest.built_at.isoformat()
        return (status.state, manifest.script_hash, built, manifest.page.hash)

    def page_audio(self, slug: str) -> PageAudio:
        """The state of a page's audio; makes nothing (except a stale page, in the background)."""
        status = self.builder.status(slug)
        manifest = status.manifest
        if manifest is not None:
            if status.state == "stale":
                self.queue.rebuild(slug)
            return PageAudio(
                state=status.state,
                page=TrackView(slug, manifest.page, manifest.degraded),
                sections=[
                    TrackView(info.id, info, _degraded(manifest, info))
                    for info in manifest.sections
                ],
            )
        sections = [
            TrackView(section_id, track, False)
            for section_id, track in self.builder.ready_sections(slug)
        ]
        return PageAudio(state="missing", page=TrackView(slug, None, False), sections=sections)

    def page_track(self, slug: str) -> TrackInfo | Future[object]:
        """The page's track, or the job making it (``await_track`` waits for it)."""
        manifest = self._current_manifest(slug)
        if manifest is not None:
            return manifest.page
        return self.queue.page(slug)

    def section_track(self, slug: str, section_id: str) -> TrackInfo | Future[object]:
        """The section's track, or the job making it (``await_track`` waits for it)."""
        manifest = self._current_manifest(slug)
        if manifest is not None:
            info = manifest.section(section_id)
            if info is not None:
                return info
        page, _ = self.builder.script(slug)
        if page.section(section_id) is None:
            raise SectionNotFound(f"Afsnittet {section_id!r} findes ikke på siden {slug!r}")
        ready = self.builder.section_track(slug, section_id, make=False)
        return ready if ready is not None else self.queue.section(slug, section_id)

    async def await_track(self, found: TrackInfo | Future[object]) -> TrackInfo:
        """Waits on the event loop, not in a thread, so many waiting listeners cost no threads.

        A listener who gives up (timeout) leaves the job running for the next one.
        """
        if isinstance(found, TrackInfo):
            return found
        try:
            result = await asyncio.wait_for(
                asyncio.shield(asyncio.wrap_future(found)), self.wait_seconds
            )
        except TimeoutError:
            raise Busy(
                "Oplæsningen er ikke klar endnu. Prøv igen om lidt.", retry_after=2
            ) from None
        if isinstance(result, BuildResult):
            return result.manifest.page
        assert isinstance(result, TrackInfo)
        return result

    def _current_manifest(self, slug: str) -> Manifest | None:
        status = self.builder.status(slug)
        if status.state == "stale":
            self.queue.rebuild(slug)
        return status.manifest


def _degraded(manifest: Manifest, section: TrackInfo) -> bool:
    ids = {cue.id for cue in section.cues}
    return any(clip.degraded for clip in manifest.clips if clip.sentence_id in ids)
