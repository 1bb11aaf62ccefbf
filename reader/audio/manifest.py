"""Per-page manifests: what a page's audio was made from, so staleness needs no synthesis."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ValidationError

from reader._atomic import write_atomic
from reader.content.slugs import check_slug

PageState = Literal["fresh", "stale", "missing", "degraded"]


class WordInfo(BaseModel):
    """Where one written word of a sentence is heard in a track."""

    text: str
    start_ms: int
    end_ms: int


class CueInfo(BaseModel):
    """Where one sentence is heard in a track, and the sentence as written."""

    id: str
    start_ms: int
    end_ms: int
    text: str
    word_timings: bool = False
    """Its engine said where the words are (Piper, espeak-ng); False: gTTS, which does not."""
    words: list[WordInfo] = []


class TrackInfo(BaseModel):
    """One assembled MP3: a section's or the whole page's."""

    id: str
    hash: str
    duration_ms: int
    cues: list[CueInfo]


class ClipInfo(BaseModel):
    sentence_id: str
    key: str
    engine: str
    degraded: bool
    voice: str = ""


class Manifest(BaseModel):
    slug: str
    script_hash: str
    built_at: dt.datetime
    page: TrackInfo
    sections: list[TrackInfo]
    clips: list[ClipInfo]

    @property
    def degraded(self) -> bool:
        return any(clip.degraded for clip in self.clips)

    @property
    def engines(self) -> list[str]:
        return sorted({clip.engine for clip in self.clips})

    @property
    def voices(self) -> list[str]:
        """Each engine with its voice, e.g. ``piper (da_DK-talesyntese-medium)``."""
        return sorted(
            {f"{clip.engine} ({clip.voice})" if clip.voice else clip.engine for clip in self.clips}
        )

    def section(self, section_id: str) -> TrackInfo | None:
        return next((s for s in self.sections if s.id == section_id), None)


class ManifestStore:
    """``data_dir/manifests/<slug>.json``, written atomically after the audio it points to."""

    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir / "manifests"
        self._lock = threading.Lock()
        self._memo: dict[str, tuple[tuple[int, int, int], Manifest]] = {}

    def path(self, slug: str) -> Path:
        return self.root / f"{check_slug(slug)}.json"

    def load(self, slug: str) -> Manifest | None:
        """The page's manifest, parsed again only when its file changes."""
        path = self.path(slug)
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        with self._lock:
            known = self._memo.get(slug)
        if known is not None and known[0] == stamp:
            return known[1]
        try:
            manifest = Manifest.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            return None
        except ValidationError:
            # A manifest from an older format or a damaged disk: treat the page as not built.
            return None
        with self._lock:
            self._memo[slug] = (stamp, manifest)
        return manifest

    def save(self, manifest: Manifest) -> None:
        write_atomic(self.path(manifest.slug), manifest.model_dump_json(indent=1).encode())

    def delete(self, slug: str) -> None:
        self.path(slug).unlink(missing_ok=True)


def page_state(manifest: Manifest | None, script_hash: str) -> PageState:
    if manifest is None:
        return "missing"
    if manifest.script_hash != script_hash:
        return "stale"
    return "degraded" if manifest.degraded else "fresh"
