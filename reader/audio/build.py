"""Builds a page's audio: clips for every sentence, section and page tracks, the manifest."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from reader.audio.clips import Clip, ClipCache
from reader.audio.manifest import (
    ClipInfo,
    CueInfo,
    Manifest,
    ManifestStore,
    PageState,
    TrackInfo,
    WordInfo,
    page_state,
)
from reader.audio.tracks import (
    HEADING_PAUSE,
    SECTION_PAUSE,
    SENTENCE_PAUSE,
    Pause,
    TrackItem,
    TrackStore,
    TrackTags,
    assemble,
)
from reader.content.models import Page
from reader.content.sentences import split_sentences
from reader.content.store import ContentStore
from reader.errors import BuildStopped, NothingToSpeak, SectionNotFound
from reader.speech.lexicon import Lexicon, load_lexicon
from reader.speech.normalize import normalize
from reader.speech.script import Line, page_script, script_hash
from reader.speech.words import align

logger = logging.getLogger(__name__)

BATCH_SIZE = 8
"""Sentences per call of a batching engine, about: large enough to spread the engine's
start-up, small enough to keep every core busy and the progress bar moving."""

MEMO_SIZE = 512
"""Section tracks remembered by their clips, so a listener's request does not assemble again."""

Progress = Callable[[int, int], None]
"""Called with (sentences done, sentences in all) as clips become ready."""

Stop = Callable[[], bool]
"""Asked between two clips (and two tracks): True ends the build with ``BuildStopped``."""


@dataclass(frozen=True)
class BuildResult:
    slug: str
    manifest: Manifest
    sentences: int
    synthesised: int
    """Sentences whose clip was made by this build."""
    reused: int
    """Sentences whose clip was already cached (or made once for an identical sentence)."""
    seconds: float
    """Length of the page track."""
    engines: Counter[str]
    """Sentences by the engine that spoke them."""
    skipped: bool = False
    """The page was fresh: nothing was made."""


@dataclass(frozen=True)
class PageStatus:
    slug: str
    title: str
    state: PageState
    manifest: Manifest | None


class LexiconSource:
    """The editors' lexicon, read again only when its file changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._lexicon = Lexicon(())

    def get(self) -> Lexicon:
        try:
            stat = self.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            stamp = (0, 0)
        with self._lock:
            if stamp != self._stamp:
                self._lexicon = load_lexicon(self.path)
                self._stamp = stamp
            return self._lexicon


class Builder:
    """Turns a page into cached audio. Safe to use from several threads at once."""

    def __init__(
        self,
        *,
        store: ContentStore,
        lexicon: LexiconSource,
        clips: ClipCache,
        tracks: TrackStore,
        manifests: ManifestStore,
        base_url: str,
        workers: int,
    ) -> None:
        self.store = store
        self.lexicon = lexicon
        self.clips = clips
        self.tracks = tracks
        self.manifests = manifests
        self.base_url = base_url
        self.workers = max(1, workers)
        self._memo_lock = threading.Lock()
        self._memo: dict[tuple[object, ...], TrackInfo] = {}
        self._scripts: dict[str, tuple[Page, Lexicon, list[Line]]] = {}
        self._hashes: dict[int, tuple[Sequence[Line], str]] = {}
        self._voice = json.dumps(
            {"engine": clips.engines[0].name, "identity": clips.engines[0].identity},
            sort_keys=True,
        )

    def script(self, slug: str) -> tuple[Page, list[Line]]:
        """The page and its spoken script, normalised again only when page or lexicon change."""
        page = self.store.load(slug)
        lexicon = self.lexicon.get()
        with self._memo_lock:
            known = self._scripts.get(slug)
        if known is not None and known[0] is page and known[1] is lexicon:
            return page, known[2]
        lines = page_script(page, lexicon)
        with self._memo_lock:
            self._scripts[slug] = (page, lexicon, lines)
        return page, lines

    def audio_hash(self, lines: Sequence[Line]) -> str:
        """What a page's audio depends on: its script and the preferred voice.

        Remembered for the script object ``script()`` hands out, so answering "is this page
        fresh?" on every request does not hash the whole script again.
        """
        with self._memo_lock:
            known = self._hashes.get(id(lines))
        if known is not None and known[0] is lines:
            return known[1]
        digest = hashlib.sha256(f"{script_hash(list(lines))}\n{self._voice}".encode()).hexdigest()
        with self._memo_lock:
            if len(self._hashes) >= MEMO_SIZE:
                self._hashes.pop(next(iter(self._hashes)))
            self._hashes[id(lines)] = (lines, digest)
        return digest

    def section_plan(self, slug: str, section_id: str) -> tuple[TrackTags, list[Line]]:
        """What a section's track is made of: its tags and its lines in reading order."""
        page, lines = self.script(slug)
        section = page.section(section_id)
        if section is None:
            raise SectionNotFound(f"Afsnittet {section_id!r} findes ikke på siden {slug!r}")
        return self._tags(page, section.heading), [
            line for line in lines if line.section_id == section_id
        ]

    def _tags(self, page: Page, heading: str) -> TrackTags:
        url = f"{self.base_url}/pages/{page.slug}"
        return TrackTags(title=f"{page.title}: {heading}", url=url, date=page.updated)

    def section_track(
        self,
        slug: str,
        section_id: str,
        *,
        make: bool,
        urgent: bool = False,
        stop: Stop | None = None,
    ) -> TrackInfo | None:
        """The current audio of one section, assembled from its clips.

        With ``make``, missing clips are synthesised first; without, None unless every clip is
        cached. Assembly is cheap and its result content-addressed, so the track equals the one
        a full build of the page makes.
        """
        tags, section_lines = self.section_plan(slug, section_id)
        return self._section_track(
            section_id, tags, section_lines, make=make, urgent=urgent, stop=stop
        )

    def ready_sections(self, slug: str) -> list[tuple[str, TrackInfo | None]]:
        """Every section's track, if all its clips are cached (``section_track`` without
        making anything), with the page's lines sorted by section once, not once a section."""
        page, lines = self.script(slug)
        by_section: dict[str, list[Line]] = {}
        for line in lines:
            by_section.setdefault(line.section_id, []).append(line)
        return [
            (
                section.id,
                self._section_track(
                    section.id,
                    self._tags(page, section.heading),
                    by_section.get(section.id, []),
                    make=False,
                ),
            )
            for section in page.sections
        ]

    def _section_track(
        self,
        section_id: str,
        tags: TrackTags,
        section_lines: list[Line],
        *,
        make: bool,
        urgent: bool = False,
        stop: Stop | None = None,
    ) -> TrackInfo | None:
        if make:
            clips = self._make_clips(
                section_lines, force=False, progress=None, urgent=urgent, stop=stop
            )
        else:
            clips = {}
            for line in section_lines:
                clip = clips.get(line.spoken) or self.clips.lookup(line.spoken)
                if clip is None:
                    return None
                clips[line.spoken] = clip
        memo_key = (
            tags,
            tuple((line.sentence_id, clips[line.spoken].key) for line in section_lines),
        )
        with self._memo_lock:
            info = self._memo.get(memo_key)
        if info is not None and self.tracks.exists(info.hash):
            return info
        items, item_lines = _section_items(section_lines, clips)
        info = self._store_track(section_id, items, item_lines, tags)
        with self._memo_lock:
            if len(self._memo) >= MEMO_SIZE:
                self._memo.pop(next(iter(self._memo)))
            self._memo[memo_key] = info
        return info

    def status(self, slug: str) -> PageStatus:
        page, lines = self.script(slug)
        manifest = self.manifests.load(slug)
        state = page_state(manifest, self.audio_hash(lines))
        return PageStatus(slug, page.title, state, manifest)

    def build(
        self,
        slug: str,
        *,
        force: bool = False,
        progress: Progress | None = None,
        urgent: bool = False,
        stop: Stop | None = None,
    ) -> BuildResult:
        """Make what is missing and point the manifest at the new tracks, atomically.

        A failure (no engine answers), or ``stop`` answering True, leaves the previous manifest
        and audio in place; the clips made until then stay cached for the next build.
        """
        page, lines = self.script(slug)
        audio_hash = self.audio_hash(lines)
        previous = self.manifests.load(slug)
        if not force and page_state(previous, audio_hash) == "fresh" and previous is not None:
            if progress:
                progress(len(lines), len(lines))
            return self._result(slug, previous, lines, {}, skipped=True)
        clips = self._make_clips(lines, force=force, progress=progress, urgent=urgent, stop=stop)
        self.clips.renew(clip for clip in clips.values() if not clip.synthesized)
        degraded = [line for line in lines if clips[line.spoken].degraded]
        if degraded and not urgent and self.clips.primary_ready():
            # The preferred voice answered again during this build (its breaker let one trial
            # through while the other clips fell back): upgrade the rest now, not next time.
            clips.update(self._make_clips(degraded, force=False, progress=None, stop=stop))
        manifest = self._assemble(page, lines, clips, audio_hash, stop=stop)
        self.manifests.save(manifest)
        return self._result(slug, manifest, lines, clips)

    def _make_clips(
        self,
        lines: Sequence[Line],
        *,
        force: bool,
        progress: Progress | None,
        urgent: bool = False,
        stop: Stop | None = None,
    ) -> dict[str, Clip]:
        wanted = Counter(line.spoken for line in lines)
        texts = list(wanted)
        # A batching engine (espeak-ng) speaks a few sentences per call; others one each.
        # In reading order, so that a listener hearing a section as it is made gets its first
        # sentences first; a short section is split so that every worker gets a share.
        size = min(BATCH_SIZE, -(-len(texts) // self.workers)) if self.clips.batches else 1
        batches = [texts[i : i + size] for i in range(0, len(texts), size)]
        done = 0
        clips: dict[str, Clip] = {}
        with ThreadPoolExecutor(self.workers, thread_name_prefix="build") as pool:
            pending: set[Future[dict[str, Clip]]] = {
                pool.submit(self.clips.make_many, batch, refresh=force, urgent=urgent)
                for batch in batches
            }
            try:
                while pending:
                    # As each batch is ready, not once at the end: the progress moves, and a
                    # stop is heard between two batches.
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in finished:
                        made = future.result()  # a failed batch ends the build
                        clips.update(made)
                        done += sum(wanted[text] for text in made)
                    if progress:
                        progress(done, len(lines))
                    if pending and stop is not None and stop():
                        raise BuildStopped
            finally:
                for future in pending:
                    future.cancel()  # the batches already being spoken finish and are cached
        return clips

    def _assemble(
        self,
        page: Page,
        lines: Sequence[Line],
        clips: dict[str, Clip],
        audio_hash: str,
        *,
        stop: Stop | None = None,
    ) -> Manifest:
        url = f"{self.base_url}/pages/{page.slug}"
        by_section: dict[str, list[Line]] = {}
        for line in lines:
            by_section.setdefault(line.section_id, []).append(line)

        section_infos: list[TrackInfo] = []
        page_items: list[TrackItem] = []
        page_lines: list[Line | None] = []
        for section in page.sections:
            section_lines = by_section.get(section.id, [])
            if not section_lines:
                continue
            if stop is not None and stop():
                raise BuildStopped  # encoding a long page takes a while: stop between tracks
            items, item_lines = _section_items(section_lines, clips)
            tags = TrackTags(title=f"{page.title}: {section.heading}", url=url, date=page.updated)
            section_infos.append(self._store_track(section.id, items, item_lines, tags))
            if page_items:
                page_items.append(SECTION_PAUSE)
                page_lines.append(None)
            page_items.extend(items)
            page_lines.extend(item_lines)
        page_tags = TrackTags(title=page.title, url=url, date=page.updated)
        page_info = self._store_track(page.slug, page_items, page_lines, page_tags)
        return Manifest(
            slug=page.slug,
            script_hash=audio_hash,
            built_at=dt.datetime.now(dt.UTC),
            page=page_info,
            sections=section_infos,
            clips=[
                ClipInfo(
                    sentence_id=line.sentence_id,
                    key=clips[line.spoken].key,
                    engine=clips[line.spoken].engine,
                    degraded=clips[line.spoken].degraded,
                    voice=clips[line.spoken].voice,
                )
                for line in lines
            ],
        )

    def _store_track(
        self,
        track_id: str,
        items: Sequence[TrackItem],
        item_lines: Sequence[Line | None],
        tags: TrackTags,
    ) -> TrackInfo:
        track = assemble(items, tags)
        digest = self.tracks.put(track)
        # A cue spans what is heard of its clip, so the highlight moves with the voice. The
        # decoder's delay may carry a clip's last sounds a few ms into the pause after it.
        cues = []
        for item, line, span in zip(items, item_lines, track.spans, strict=True):
            if line is None or isinstance(item, Pause):
                continue
            heard_start, heard_end = item.heard_ms
            start_ms = round(span.start_ms + heard_start)
            end_ms = min(round(span.start_ms + heard_end), track.duration_ms)
            words = _cue_words(line, item, span.start_ms, (start_ms, end_ms))
            cues.append(
                CueInfo(
                    id=line.sentence_id,
                    start_ms=start_ms,
                    end_ms=end_ms,
                    text=line.text,
                    word_timings=words is not None,
                    words=words or [],
                )
            )
        return TrackInfo(id=track_id, hash=digest, duration_ms=track.duration_ms, cues=cues)

    def _result(
        self,
        slug: str,
        manifest: Manifest,
        lines: Sequence[Line],
        clips: dict[str, Clip],
        *,
        skipped: bool = False,
    ) -> BuildResult:
        made = {text for text, clip in clips.items() if clip.synthesized}
        synthesised = len(made)
        engines = Counter(info.engine for info in manifest.clips)
        return BuildResult(
            slug=slug,
            manifest=manifest,
            sentences=len(lines),
            synthesised=synthesised,
            reused=len(lines) - synthesised,
            seconds=manifest.page.duration_ms / 1000,
            engines=engines,
            skipped=skipped,
        )


def _section_items(
    lines: Sequence[Line], clips: dict[str, Clip]
) -> tuple[list[TrackItem], list[Line | None]]:
    """A section's clips with pauses: longer after the heading, short between sentences."""
    items: list[TrackItem] = []
    item_lines: list[Line | None] = []
    for index, line in enumerate(lines):
        pause = pause_before(lines, index)
        if pause is not None:
            items.append(pause)
            item_lines.append(None)
        items.append(clips[line.spoken])
        item_lines.append(line)
    return items, item_lines


def pause_before(lines: Sequence[Line], index: int) -> Pause | None:
    """Silence before a section's line: none first, longer after the heading."""
    if index == 0:
        return None
    return HEADING_PAUSE if lines[index - 1].is_heading else SENTENCE_PAUSE


def speak_text(builder: Builder, text: str, *, title: str = "Oplæsning") -> tuple[bytes, int]:
    """One-off speech of free text, sentence by sentence through the clip cache.

    Returns the MP3 and its length in ms. Identical sentences are cached like any page's.
    """
    lexicon = builder.lexicon.get()
    spoken = [normalize(sentence, lexicon=lexicon) for sentence in split_sentences(text)]
    spoken = [s for s in spoken if s.strip()]
    if not spoken:
        raise NothingToSpeak
    items: list[TrackItem] = []
    for index, sentence in enumerate(spoken):
        if index:
            items.append(SENTENCE_PAUSE)
        items.append(builder.clips.get_or_make(sentence, urgent=True))
    track = assemble(items, TrackTags(title=title, url=builder.base_url))
    return track.data, track.duration_ms


def _cue_words(
    line: Line, clip: Clip, clip_start_ms: int, cue: tuple[int, int]
) -> list[WordInfo] | None:
    """The written words of ``line`` and where the track says them, from its clip's word
    times, inside the sentence's cue (None: the clip's engine does not tell)."""
    if clip.words is None:
        return None
    aligned = align(line.text, line.spoken, clip.words)
    if aligned is None:
        return None
    low, high = cue

    def inside(ms: float) -> int:
        return min(max(round(clip_start_ms + ms), low), high)

    return [WordInfo(text=text, start_ms=inside(a), end_ms=inside(b)) for text, a, b in aligned]
