"""Tracks: clips and pauses joined frame by frame (never re-encoded), tagged, stored by hash.

A track is an ID3v2.3 tag, an Info frame (the frame count, so players know the duration before
reading the file) and then the audio frames of its clips and pauses.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from mutagen.id3 import ID3, TCON, TDAT, TIT2, TLAN, TPE1, TPUB, TYER, WOAS, Encoding

from reader.audio.clips import Clip
from reader.audio.codec import (
    BITRATE_KBPS,
    SAMPLE_RATE,
    Mp3FormatError,
    frames_to_ms,
    info_frame,
    ms_to_frames,
    silence_frames,
)
from reader.backends.blobs import BlobStore, FileBlobs

PUBLISHER = "Høje-Taastrup Kommune"

# Bytes in a clip-format frame without and with its padding byte (156 and 157).
_FRAME_BYTES = (
    72 * BITRATE_KBPS * 1000 // SAMPLE_RATE,
    72 * BITRATE_KBPS * 1000 // SAMPLE_RATE + 1,
)


@dataclass(frozen=True)
class Pause:
    """Silence between clips, a whole number of frames long."""

    frames: int

    @classmethod
    def of_ms(cls, ms: float) -> Pause:
        return cls(ms_to_frames(ms))

    @property
    def duration_ms(self) -> float:
        return frames_to_ms(self.frames)


SENTENCE_PAUSE = Pause.of_ms(350)
"""Between two sentences of one section."""
HEADING_PAUSE = Pause.of_ms(700)
"""After a heading, before the section's first sentence."""
SECTION_PAUSE = Pause.of_ms(1000)
"""Between the last sentence of a section and the next heading."""

TrackItem = Clip | Pause


@dataclass(frozen=True)
class TrackTags:
    """What the ID3 tag of a track says."""

    title: str
    url: str
    """The page the track reads (WOAS: official audio source webpage)."""
    date: date | None = None
    artist: str = PUBLISHER
    language: str = "dan"
    genre: str = "Speech"


@dataclass(frozen=True)
class Span:
    """Where one item of a track is, in milliseconds from the start of the audio."""

    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class Track:
    """An assembled MP3 and where each of its items starts and ends."""

    data: bytes
    frames: int
    spans: tuple[Span, ...]

    @property
    def duration_ms(self) -> int:
        return round(frames_to_ms(self.frames))

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def id3_tag(tags: TrackTags) -> bytes:
    """An ID3v2.3 tag (the version every player reads) without padding.

    v2.3 has no TDRC: its date is TYER (year) and TDAT (day and month), both plain digits. A
    track's date has no time of day, so there is no TIME frame.
    """
    tag = ID3()
    tag.add(TIT2(encoding=Encoding.UTF16, text=[tags.title]))
    tag.add(TPE1(encoding=Encoding.UTF16, text=[tags.artist]))
    tag.add(TPUB(encoding=Encoding.UTF16, text=[PUBLISHER]))
    tag.add(WOAS(url=tags.url))
    if tags.date is not None:
        tag.add(TYER(encoding=Encoding.LATIN1, text=[f"{tags.date.year:04d}"]))
        tag.add(TDAT(encoding=Encoding.LATIN1, text=[f"{tags.date.day:02d}{tags.date.month:02d}"]))
    tag.add(TLAN(encoding=Encoding.UTF16, text=[tags.language]))
    tag.add(TCON(encoding=Encoding.UTF16, text=[tags.genre]))
    buffer = io.BytesIO()
    tag.save(buffer, v2_version=3, padding=lambda info: 0)
    return buffer.getvalue()


def _clip_frames(clip: Clip) -> bytes:
    data = clip.path.read_bytes()
    low, high = _FRAME_BYTES
    if not clip.frames * low <= len(data) <= clip.frames * high:
        raise Mp3FormatError(f"clip {clip.key} has {len(data)} bytes, not {clip.frames} frames")
    return data


def item_bytes(item: TrackItem) -> bytes:
    """The frames an item adds to a track: a clip's, or encoded silence."""
    return silence_frames(item.frames) if isinstance(item, Pause) else _clip_frames(item)


def assemble(items: Sequence[TrackItem], tags: TrackTags | None = None) -> Track:
    """Join clips and pauses into one MP3, with each item's span exact to the frame.

    Spans are rounded from exact frame positions (not summed from rounded durations), so they
    never drift; they are times in the audio, after the ID3 tag and the Info frame (which
    players do not play).
    """
    audio: list[bytes] = []
    spans: list[Span] = []
    position = 0
    for item in items:
        audio.append(item_bytes(item))
        start = position
        position += item.frames
        spans.append(Span(round(frames_to_ms(start)), round(frames_to_ms(position))))
    info = info_frame(position, sum(len(part) for part in audio))
    head = [id3_tag(tags), info] if tags is not None else [info]
    return Track(b"".join(head + audio), position, tuple(spans))


_HASH = re.compile(r"[0-9a-f]{32}")


class TrackStore:
    """Immutable, content-addressed tracks named ``<first 32 hex of sha256>.mp3``: by default
    files under ``data_dir/audio``, else in ``blobs`` (with a local copy there)."""

    def __init__(self, data_dir: Path, blobs: BlobStore | None = None) -> None:
        self.root = data_dir / "audio"
        self.blobs = blobs or FileBlobs(self.root)

    def put(self, track: Track) -> str:
        """Store ``track`` (once: the same bytes have the same name) and return its hash."""
        digest = track.sha256[:32]
        stored = self.blobs.put(self._name(digest), track.data)
        try:
            # Used again: the clean-up's grace period starts anew, so the file is not removed
            # before the manifest that will point to it is written.
            os.utime(stored.path)
        except OSError:
            pass  # gone meanwhile, or a disk that takes no writes: the track is served as it is
        return digest

    def path(self, digest: str) -> Path:
        """Where the track is (or would be) in this process's data directory; ``ValueError``
        for anything that is not a track hash."""
        return self.root / self._name(digest)

    def read(self, digest: str) -> bytes | None:
        """The track's bytes, or None when there is no such track."""
        blob = self.blobs.get(self._name(digest))
        if blob is None:
            return None
        try:
            return blob.path.read_bytes()
        except FileNotFoundError:  # the local copy was just let go: read it anew
            blob = self.blobs.get(self._name(digest))
            return blob.path.read_bytes() if blob is not None else None

    def size(self, digest: str) -> int | None:
        return self.blobs.size(self._name(digest))

    def exists(self, digest: str) -> bool:
        return self.size(digest) is not None

    @staticmethod
    def _name(digest: str) -> str:
        if not _HASH.fullmatch(digest):
            raise ValueError(f"not a track hash: {digest!r}")
        return f"{digest}.mp3"
