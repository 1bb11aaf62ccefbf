"""Everything one reader process works with, built from its settings: for the CLI and the web."""

from __future__ import annotations

import os
from dataclasses import dataclass

from reader.audio.build import Builder, LexiconSource
from reader.audio.clips import ClipCache
from reader.audio.manifest import ManifestStore
from reader.audio.tracks import TrackStore
from reader.backends import Backends, build_backends
from reader.config import Settings
from reader.content.store import ContentStore
from reader.site.service import SiteReader
from reader.site.store import SitePages
from reader.speech.engines.choice import EngineChoice, choose_engines


@dataclass(frozen=True, kw_only=True)
class Services:
    settings: Settings
    store: ContentStore
    lexicon: LexiconSource
    engines: EngineChoice
    clips: ClipCache
    tracks: TrackStore
    manifests: ManifestStore
    builder: Builder
    site: SiteReader
    backends: Backends

    def halt(self) -> None:
        """The service stops: the engine calls and clip encodes under way end now, not after
        their batch (what they would have made is not kept; the rest stays cached)."""
        self.clips.halt()
        self.engines.halt()

    def close(self) -> None:
        self.site.close()
        self.clips.close()
        self.engines.close()
        self.backends.close()


def build_services(settings: Settings, engines: EngineChoice | None = None) -> Services:
    """``engines`` replaces the ones the settings name (tests inject a fake engine here)."""
    engines = engines or choose_engines(settings)
    backends = build_backends(settings)
    site_pages = SitePages(settings.data_dir / "site", listed=settings.site_listed)
    store = ContentStore(settings.pages_dir, max_bytes=settings.max_page_bytes, site=site_pages)
    lexicon = LexiconSource(settings.lexicon_path)
    clips = ClipCache(
        settings.data_dir,
        engines.engines,
        engines.breaker,
        decode_timeout=settings.espeak_timeout,
        primary_wait=settings.primary_wait,
        blobs=backends.clips,
        locks=backends.locks,
        lock_wait=settings.synthesis_wait,
    )
    tracks = TrackStore(settings.data_dir, backends.tracks)
    manifests = ManifestStore(settings.data_dir)
    cores = os.cpu_count() or 2
    # espeak-ng and encoding use a core each; one worker more keeps the cores busy while
    # another waits for espeak-ng to start or for a file to reach the disk. Piper is as
    # CPU-bound, in its own processes. gTTS waits on the network, bounded by its own
    # semaphore; twice that many workers keep its slots busy while others decode and encode.
    first = engines.engines[0].name
    if first == "espeak":
        workers = cores + 1
    elif first == "piper":
        workers = max(cores, settings.piper_processes) + 1
    else:
        workers = max(cores, 2 * settings.gtts_concurrency)
    builder = Builder(
        store=store,
        lexicon=lexicon,
        clips=clips,
        tracks=tracks,
        manifests=manifests,
        base_url=settings.base_url,
        workers=workers,
    )
    return Services(
        settings=settings,
        store=store,
        lexicon=lexicon,
        engines=engines,
        clips=clips,
        tracks=tracks,
        manifests=manifests,
        builder=builder,
        site=SiteReader.build(settings, site_pages),
        backends=backends,
    )
