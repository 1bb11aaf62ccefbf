"""The clip cache: one MP3 per (engine, voice, settings, spoken text), made at most once.

Clips live in a blob store as ``<2 hex>/<key>.mp3`` with a JSON sidecar (by default files under
``data_dir/clips``, the sidecar ``<key>.json`` next to the MP3). The sidecar is the mark of a
finished clip: a crash before it leaves an MP3 that nobody serves and that the next request
simply makes again. Writes are first-writer-wins, and a lock per key (shared by every replica
when the locks live in Redis) keeps two callers from making the same clip.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from reader.audio.checks import AudioRejected, check_clip, check_raw
from reader.audio.codec import FORMAT_VERSION, frames_to_ms, make_clip_audio
from reader.backends.blobs import BlobStore, FileBlobs
from reader.backends.locks import Held, KeyLocks, LocalLocks
from reader.errors import BuildStopped, EngineError, EngineUnavailable, ReaderError
from reader.speech.engines import BatchEngine, Engine, RawAudio

logger = logging.getLogger(__name__)

URGENT_THREADS = 8
"""Preferred-engine calls made on listeners' behalf at once (more wait for a thread)."""

REJECTED_RETRIES = 1
"""Times the preferred engine is asked again after an answer that fails the checks."""


class Breaker(Protocol):
    """What the cache needs of a circuit breaker guarding the primary engine."""

    def allow(self) -> bool: ...

    def record_success(self) -> None: ...

    def record_failure(self) -> None: ...

    @property
    def state(self) -> str: ...


@dataclass(frozen=True)
class Clip:
    """One cached sentence clip in the clip format."""

    key: str
    path: Path
    frames: int
    engine: str
    degraded: bool
    """Made by a fallback engine while the preferred one was unavailable."""
    synthesized: bool = False
    """Made just now, by this call or by the one it waited for (False: found in the cache)."""
    sound_ms: tuple[float, float] | None = None
    """Where the sentence is heard, in ms from the clip's start (None: the whole clip)."""
    voice: str = ""
    """The engine's voice (``da``, or a Piper model's name)."""
    words: tuple[tuple[float, float], ...] | None = None
    """Where each word of the spoken text is heard, in ms from the clip's start (None: the
    engine cannot tell)."""

    @property
    def duration_ms(self) -> float:
        return frames_to_ms(self.frames)

    @property
    def heard_ms(self) -> tuple[float, float]:
        return self.sound_ms or (0.0, self.duration_ms)


def clip_key(engine: Engine, text: str) -> str:
    """The content hash naming a clip: engine identity, spoken text and clip format version."""
    canonical = json.dumps(
        {"engine": engine.name, "identity": engine.identity, "text": text, "v": FORMAT_VERSION},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ClipStatsSnapshot:
    hits: int
    misses: int
    joined: int
    """Calls that waited for the same clip being made by another call."""
    engine_calls: dict[str, int]
    engine_failures: dict[str, int]
    engine_seconds: dict[str, float]
    """Time spent in ``synthesize`` (failed calls: until the failure), by engine."""
    engine_rejections: dict[tuple[str, str], int] = field(default_factory=dict)
    """Answers that failed the checks, by (engine, reason)."""


@dataclass
class ClipStats:
    """Thread-safe counters of the cache, read by the metrics endpoint and the build summary."""

    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _hits: int = 0
    _misses: int = 0
    _joined: int = 0
    _calls: dict[str, int] = field(default_factory=dict)
    _failures: dict[str, int] = field(default_factory=dict)
    _seconds: dict[str, float] = field(default_factory=dict)
    _rejections: dict[tuple[str, str], int] = field(default_factory=dict)
    observers: list[Callable[[str, float, bool], None]] = field(default_factory=list)
    """Called with (engine, seconds, failed) after every engine call (e.g. a histogram)."""

    def hit(self) -> None:
        with self._lock:
            self._hits += 1

    def miss(self) -> None:
        with self._lock:
            self._misses += 1

    def join(self) -> None:
        with self._lock:
            self._joined += 1

    def engine_call(self, engine: str, seconds: float, failed: bool) -> None:
        with self._lock:
            self._calls[engine] = self._calls.get(engine, 0) + 1
            self._seconds[engine] = self._seconds.get(engine, 0.0) + seconds
            if failed:
                self._failures[engine] = self._failures.get(engine, 0) + 1
        for observe in self.observers:
            observe(engine, seconds, failed)

    def rejected(self, engine: str, reason: str) -> None:
        with self._lock:
            self._rejections[engine, reason] = self._rejections.get((engine, reason), 0) + 1

    def snapshot(self) -> ClipStatsSnapshot:
        with self._lock:
            return ClipStatsSnapshot(
                hits=self._hits,
                misses=self._misses,
                joined=self._joined,
                engine_calls=dict(self._calls),
                engine_failures=dict(self._failures),
                engine_seconds=dict(self._seconds),
                engine_rejections=dict(self._rejections),
            )


_Claim = tuple[str, str, Future[Clip]]
"""(text, key, future) of a clip one ``make_many`` call makes."""


class ClipCache:
    """Clips by spoken text, made with the first engine that can, reused ever after.

    ``engines`` is the order of preference: ``[gtts, espeak]`` in auto mode, one engine
    otherwise. ``breaker`` guards the first engine only. A clip made by a later engine is
    *degraded*; it is served until the first engine is allowed again, and then made anew.
    """

    def __init__(
        self,
        data_dir: Path,
        engines: Sequence[Engine],
        breaker: Breaker | None = None,
        decode_timeout: float = 30.0,
        primary_wait: float | None = None,
        *,
        blobs: BlobStore | None = None,
        locks: KeyLocks | None = None,
        lock_wait: float = 30.0,
    ) -> None:
        if not engines:
            raise ValueError("at least one engine is needed")
        self.root = data_dir / "clips"
        self.blobs = blobs or FileBlobs(self.root)
        self.locks = locks or LocalLocks()
        self.lock_wait = lock_wait
        """Longest a caller waits for another holder of a clip's lock before making it too."""
        self.engines = tuple(engines)
        self.breaker = breaker
        self.stats = ClipStats()
        self._decode_timeout = decode_timeout
        self._lock = threading.Lock()
        self._in_flight: dict[str, Future[Clip]] = {}
        self.primary_wait = primary_wait
        """Longest a listener waits for the preferred engine (None: as long as it takes)."""
        self._slow: set[Future[Clip]] = set()
        """Preferred-engine calls that kept a listener waiting too long, until they end."""
        self._stored = 0
        self._halted = threading.Event()
        # Runs the preferred engine for listeners, so that they can stop waiting for it.
        self._urgent = ThreadPoolExecutor(URGENT_THREADS, thread_name_prefix="urgent")

    def close(self) -> None:
        self._urgent.shutdown(wait=False, cancel_futures=True)

    def halt(self) -> None:
        """The service stops: no clip is encoded from here on (the clips of a batch are
        encoded one by one, which takes far longer than speaking them); callers get
        ``BuildStopped``. The clips stored so far stay."""
        self._halted.set()

    def mp3_path(self, key: str) -> Path:
        """Where the clip's MP3 is (or would be) in this process's data directory."""
        return self.root / _name(key)

    def sidecar_path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def primary_ready(self) -> bool:
        """The preferred engine is in use (no breaker, or its breaker is closed)."""
        return self.breaker is None or self.breaker.state == "closed"

    @property
    def stored(self) -> int:
        """Clips this cache has written since it was made: when it has not moved, every
        ``lookup`` answers as it did before (another process sharing the directory aside)."""
        with self._lock:
            return self._stored

    def lookup(self, text: str) -> Clip | None:
        """The clip that ``get_or_make`` would serve without synthesising, if there is one."""
        for rank, engine in enumerate(self.engines):
            clip = self._load(clip_key(engine, text), degraded=rank > 0)
            if clip is not None:
                return clip
        return None

    def renew(self, clips: Iterable[Clip]) -> None:
        """Mark cached clips as just used: the clean-up's grace period starts anew, so a clip a
        build reuses is not removed before the manifest that will point to it is written."""
        for clip in clips:
            try:
                os.utime(clip.path)
            except OSError:
                continue  # gone or on a disk that takes no writes: the build reports it if so

    def get_or_make(self, text: str, *, refresh: bool = False, urgent: bool = False) -> Clip:
        """The clip for ``text``, synthesised if needed; ``EngineUnavailable`` if no engine can.

        Concurrent calls for the same text share one synthesis: the others wait for it and get
        its clip or its exception. ``refresh`` synthesises anew even when a clip is cached (the
        new clip replaces the old one atomically). ``urgent`` (a listener waits) waits at most
        ``primary_wait`` for the preferred engine, then takes the fallback's clip (degraded)
        while the preferred engine's answer, if it comes, is cached for later.
        """
        bounded = urgent and self.primary_wait is not None and len(self.engines) > 1
        if bounded and not refresh:
            found = self._load(clip_key(self.engines[0], text), degraded=False)
            if found is not None:
                self.stats.hit()
                return found
            if self._primary_slow():
                # The preferred engine already kept a listener waiting and has not answered
                # since: do not make the next one wait for it too.
                return self._fallback(text, refresh, ["primary: slow"])
        flight = clip_key(self.engines[0], text)
        with self._lock:
            future = self._in_flight.get(flight)
            leader = future is None
            if future is None:
                future = self._in_flight[flight] = Future()
        if not leader:
            self.stats.join()
        elif bounded:
            self._urgent.submit(self._lead, future, flight, text, refresh)
        else:
            self._lead(future, flight, text, refresh)
        if not bounded:
            return future.result()
        try:
            return future.result(timeout=self.primary_wait)
        except FutureTimeout:
            with self._lock:
                self._slow.add(future)
            logger.warning("preferred engine slower than %g s: fallback", self.primary_wait)
            return self._fallback(text, refresh, ["primary: no answer in time"])

    def _lead(self, future: Future[Clip], flight: str, text: str, refresh: bool) -> None:
        try:
            future.set_result(self._resolve(text, refresh))
        except BaseException as error:  # handed to whoever waits for the clip
            future.set_exception(error)
            if not isinstance(error, Exception):
                raise
        finally:
            with self._lock:
                del self._in_flight[flight]

    def _primary_slow(self) -> bool:
        with self._lock:
            self._slow = {future for future in self._slow if not future.done()}
            return bool(self._slow)

    def _resolve(self, text: str, refresh: bool) -> Clip:
        primary = self.engines[0]
        key = clip_key(primary, text)
        clip = None if refresh else self._load(key, degraded=False)
        if clip is not None:
            self.stats.hit()
            return clip
        with self._exclusive(key):
            # Another replica may have made it while this one waited for the lock.
            clip = None if refresh else self._load(key, degraded=False)
            if clip is not None:
                self.stats.hit()
                return clip
            return self._resolve_held(primary, key, text, refresh)

    def _resolve_held(self, primary: Engine, key: str, text: str, refresh: bool) -> Clip:
        failures: list[str] = []
        if self.breaker is None or self.breaker.allow():
            try:
                clip = self._make_checked(primary, key, text, refresh)
            except EngineError as error:
                failures.append(f"{primary.name}: {error.message}")
                if self.breaker is not None:
                    self.breaker.record_failure()
            else:
                if self.breaker is not None:
                    self.breaker.record_success()
                self.stats.miss()
                return clip
        else:
            failures.append(f"{primary.name}: paused after repeated failures")
        return self._fallback(text, refresh, failures)

    def _fallback(self, text: str, refresh: bool, failures: list[str]) -> Clip:
        """The first fallback engine's clip, cached or made (one synthesis per clip)."""
        for engine in self.engines[1:]:
            key = clip_key(engine, text)
            clip = None if refresh else self._load(key, degraded=True)
            if clip is not None:
                self.stats.hit()
                return clip
            with self._lock:
                future = self._in_flight.get(key)
                leader = future is None
                if future is None:
                    future = self._in_flight[key] = Future()
            if leader:
                self._lead_fallback(future, key, engine, text, refresh)
            try:
                clip = future.result()
            except EngineError as error:
                failures.append(f"{engine.name}: {error.message}")
                continue
            return clip
        # The text may be a citizen's own selection: log its size, never its words.
        logger.warning("no engine could speak %d characters: %s", len(text), "; ".join(failures))
        raise EngineUnavailable("Ingen stemme kan læse teksten op lige nu. Prøv igen senere.")

    def _lead_fallback(
        self, future: Future[Clip], key: str, engine: Engine, text: str, refresh: bool
    ) -> None:
        try:
            with self._exclusive(key):
                clip = None if refresh else self._load(key, degraded=True)
                if clip is None:
                    clip = self._make(engine, key, text, degraded=True, replace=refresh)
                    self.stats.miss()
                else:
                    self.stats.hit()
            future.set_result(clip)
        except BaseException as error:
            future.set_exception(error)
            if not isinstance(error, Exception):
                raise
        finally:
            with self._lock:
                del self._in_flight[key]

    @property
    def batches(self) -> bool:
        """The preferred engine speaks many sentences in one call (``make_many`` pays off)."""
        return isinstance(self.engines[0], BatchEngine) and self.breaker is None

    def make_many(
        self, texts: Sequence[str], *, refresh: bool = False, urgent: bool = False
    ) -> dict[str, Clip]:
        """The clips of ``texts``; those missing are made in one call of a batching engine.

        Keys another call is already making are left to it (and waited for), so a clip is
        still made at most once. Without a batching engine this is ``get_or_make`` per text.
        """
        engine = self.engines[0]
        if not isinstance(engine, BatchEngine) or self.breaker is not None:
            return {text: self.get_or_make(text, refresh=refresh, urgent=urgent) for text in texts}
        # Looked up before taking the lock: the store may be across the network.
        missing = [
            text
            for text in dict.fromkeys(texts)
            if refresh or self._load(clip_key(engine, text), False) is None
        ]
        claimed: list[tuple[str, str, Future[Clip]]] = []
        with self._lock:
            for text in missing:
                key = clip_key(engine, text)
                if key in self._in_flight:
                    continue
                future: Future[Clip] = Future()
                self._in_flight[key] = future
                claimed.append((text, key, future))
        held: list[Held] = []
        try:
            batch, elsewhere = self._lock_batch(claimed, held, refresh)
            if batch:
                self._make_batch(engine, batch, refresh)
            for text, _, future in elsewhere:
                # Another replica holds the lock: wait for its clip (or make it if it gives up).
                try:
                    future.set_result(self._resolve(text, refresh))
                except EngineError as error:
                    future.set_exception(error)
        except ReaderError as error:  # the locks or the store do not answer
            for _, _, future in claimed:
                if not future.done():
                    future.set_exception(error)
            raise
        finally:
            for one in held:
                one.release()
            with self._lock:
                for _, key, future in claimed:
                    if not future.done():
                        future.set_exception(EngineUnavailable("Oplæsningen blev afbrudt."))
                    del self._in_flight[key]
        mine = {text: future for text, _, future in claimed}
        return {
            text: mine[text].result() if text in mine else self.get_or_make(text) for text in texts
        }

    def _lock_batch(
        self, claimed: Sequence[_Claim], held: list[Held], refresh: bool
    ) -> tuple[list[_Claim], list[_Claim]]:
        """The claims this call makes (their locks added to ``held``), and those another
        holder of the lock is making. Claims found made meanwhile are settled here."""
        mine: list[_Claim] = []
        elsewhere: list[_Claim] = []
        for claim in claimed:
            text, key, future = claim
            lock = self.locks.acquire(f"clip:{key}", 0)
            if lock is None:
                elsewhere.append(claim)
                continue
            held.append(lock)
            found = None if refresh else self._load(key, False)
            if found is not None:
                self.stats.hit()
                future.set_result(found)
            else:
                mine.append(claim)
        return mine, elsewhere

    def _make_batch(self, engine: BatchEngine, claimed: Sequence[_Claim], refresh: bool) -> None:
        started = time.perf_counter()
        try:
            raws = engine.synthesize_many([text for text, _, _ in claimed])
        except EngineError:
            self.stats.engine_call(engine.name, time.perf_counter() - started, failed=True)
            # One by one, so each text gets the usual fallback and error handling.
            for text, key, future in claimed:
                try:
                    # The lock of ``key`` is held already.
                    future.set_result(self._resolve_held(engine, key, text, True))
                except EngineError as error:
                    future.set_exception(error)
            return
        share = (time.perf_counter() - started) / len(claimed)
        for (text, key, future), raw in zip(claimed, raws, strict=True):
            try:
                future.set_result(self._store(engine, key, text, raw, False, refresh))
                self.stats.miss()
            except EngineError as error:
                self.stats.engine_call(engine.name, share, failed=True)
                if isinstance(error, AudioRejected):
                    self.stats.rejected(engine.name, error.reason)
                future.set_exception(error)
            else:
                self.stats.engine_call(engine.name, share, failed=False)

    def _make_checked(self, engine: Engine, key: str, text: str, replace: bool) -> Clip:
        """The preferred engine's clip, asked again if its answer fails the checks."""
        for attempt in range(REJECTED_RETRIES + 1):
            try:
                return self._make(engine, key, text, degraded=False, replace=replace)
            except AudioRejected as error:
                if attempt == REJECTED_RETRIES:
                    raise
                logger.warning("%s answer rejected (%s); asking again", engine.name, error.reason)
        raise AssertionError("unreachable")

    def _make(self, engine: Engine, key: str, text: str, *, degraded: bool, replace: bool) -> Clip:
        started = time.perf_counter()
        seconds = 0.0
        try:
            raw = engine.synthesize(text)
            seconds = time.perf_counter() - started
            clip = self._store(engine, key, text, raw, degraded, replace)
        except EngineError as error:
            self.stats.engine_call(engine.name, seconds or time.perf_counter() - started, True)
            if isinstance(error, AudioRejected):
                self.stats.rejected(engine.name, error.reason)
            raise
        self.stats.engine_call(engine.name, seconds, failed=False)
        return clip

    def _store(
        self, engine: Engine, key: str, text: str, raw: RawAudio, degraded: bool, replace: bool
    ) -> Clip:
        if self._halted.is_set():
            raise BuildStopped("Oplæsningen blev afbrudt, fordi tjenesten stopper.")
        check_raw(engine, raw)
        try:
            audio = make_clip_audio(raw, self._decode_timeout)
        except AudioRejected:
            raise
        except EngineError as error:
            raise AudioRejected("undecodable", error.message) from None
        check_clip(engine, text, audio)
        voice = engine.identity.get("voice", "")
        sidecar = {
            "engine": engine.name,
            "voice": voice,
            "degraded": degraded,
            "frames": audio.frames,
            "duration_ms": round(audio.duration_ms, 3),
            "sound_ms": audio.sound_ms,
            "words": audio.words,
            "text_sha": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        }
        ours = json.dumps(sidecar).encode("ascii")
        stored = self.blobs.put(_name(key), audio.data, ours, replace=replace)
        with self._lock:
            self._stored += 1  # ours or another writer's: lookups may answer differently now
        if stored.sidecar != ours:
            # Another writer was first (espeak-ng batches differ by a few bytes from machine
            # to machine): serve the clip that won, with the timings of its own bytes.
            won = self._parse(key, stored.path, stored.sidecar, degraded)
            if won is None:  # what is there is of no use to anybody: ours replaces it
                stored = self.blobs.put(_name(key), audio.data, ours, replace=True)
            else:
                return Clip(
                    won.key,
                    won.path,
                    won.frames,
                    won.engine,
                    degraded,
                    synthesized=True,
                    sound_ms=won.sound_ms,
                    voice=won.voice,
                    words=won.words,
                )
        return Clip(
            key,
            stored.path,
            audio.frames,
            engine.name,
            degraded,
            synthesized=True,
            sound_ms=audio.sound_ms,
            voice=voice,
            words=audio.words,
        )

    def _load(self, key: str, degraded: bool) -> Clip | None:
        """The finished clip ``key``, or None (no sidecar yet, or a sidecar that is unusable)."""
        try:
            blob = self.blobs.get(_name(key), sidecar=True)
        except OSError:
            logger.warning("ignoring unreadable clip %s", key)
            return None
        if blob is None:
            return None
        return self._parse(key, blob.path, blob.sidecar, degraded)

    def _parse(self, key: str, path: Path, sidecar: bytes | None, degraded: bool) -> Clip | None:
        try:
            meta = json.loads(sidecar or b"")
            frames = meta["frames"]
            engine = meta["engine"]
        except (ValueError, KeyError, TypeError):
            logger.warning("ignoring unreadable clip sidecar of %s", key)
            return None
        if not isinstance(frames, int) or frames < 1 or not isinstance(engine, str):
            logger.warning("ignoring clip sidecar with bad fields of %s", key)
            return None
        voice = meta.get("voice")
        return Clip(
            key,
            path,
            frames,
            engine,
            degraded,
            sound_ms=_sound(meta.get("sound_ms")),
            voice=voice if isinstance(voice, str) else "",
            words=_words(meta.get("words")),
        )

    @contextmanager
    def _exclusive(self, key: str) -> Iterator[None]:
        """Holds the lock of clip ``key`` (shared by every replica that shares the locks)."""
        held = self.locks.acquire(f"clip:{key}", self.lock_wait)
        if held is None:
            # Whoever holds it is slow or gone; making the clip too is safe (first writer
            # wins), only wasteful.
            logger.warning("clip %s still locked after %g s: making it too", key, self.lock_wait)
        try:
            yield
        finally:
            if held is not None:
                held.release()


def _name(key: str) -> str:
    return f"{key[:2]}/{key}.mp3"


def _words(value: object) -> tuple[tuple[float, float], ...] | None:
    if not isinstance(value, list):
        return None
    pairs = [_sound(pair) for pair in value]
    return tuple(pair for pair in pairs if pair is not None) if None not in pairs else None


def _sound(value: object) -> tuple[float, float] | None:
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, float | int) for v in value)
    ):
        return (float(value[0]), float(value[1]))
    return None
