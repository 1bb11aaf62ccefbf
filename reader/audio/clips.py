"""The clip cache: one MP3 per (engine, voice, settings, spoken text), made at most once.

Clips live under ``data_dir/clips/<2 hex>/<key>.mp3`` with a sidecar ``<key>.json``. The sidecar
is written after the MP3 and is the mark of a finished clip: a crash in between leaves an MP3
that nobody serves and that the next request simply makes again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from reader._atomic import write_atomic
from reader.audio.checks import AudioRejected, check_clip, check_raw
from reader.audio.codec import FORMAT_VERSION, frames_to_ms, make_clip_audio
from reader.errors import EngineError, EngineUnavailable
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
    ) -> None:
        if not engines:
            raise ValueError("at least one engine is needed")
        self.root = data_dir / "clips"
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
        # Runs the preferred engine for listeners, so that they can stop waiting for it.
        self._urgent = ThreadPoolExecutor(URGENT_THREADS, thread_name_prefix="urgent")

    def close(self) -> None:
        self._urgent.shutdown(wait=False, cancel_futures=True)

    def mp3_path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.mp3"

    def sidecar_path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def primary_ready(self) -> bool:
        """The preferred engine is in use (no breaker, or its breaker is closed)."""
        return self.breaker is None or self.breaker.state == "closed"

    def lookup(self, text: str) -> Clip | None:
        """The clip that ``get_or_make`` would serve without synthesising, if there is one."""
        for rank, engine in enumerate(self.engines):
            clip = self._load(clip_key(engine, text), degraded=rank > 0)
            if clip is not None:
                return clip
        return None

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
        failures: list[str] = []
        if self.breaker is None or self.breaker.allow():
            try:
                clip = self._make_checked(primary, key, text)
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
                self._lead_fallback(future, key, engine, text)
            try:
                clip = future.result()
            except EngineError as error:
                failures.append(f"{engine.name}: {error.message}")
                continue
            return clip
        # The text may be a citizen's own selection: log its size, never its words.
        logger.warning("no engine could speak %d characters: %s", len(text), "; ".join(failures))
        raise EngineUnavailable("Ingen stemme kan læse teksten op lige nu. Prøv igen senere.")

    def _lead_fallback(self, future: Future[Clip], key: str, engine: Engine, text: str) -> None:
        try:
            future.set_result(self._make(engine, key, text, degraded=True))
            self.stats.miss()
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
        claimed: list[tuple[str, str, Future[Clip]]] = []
        with self._lock:
            for text in dict.fromkeys(texts):
                key = clip_key(engine, text)
                if key in self._in_flight or (not refresh and self._load(key, False)):
                    continue
                future: Future[Clip] = Future()
                self._in_flight[key] = future
                claimed.append((text, key, future))
        try:
            if claimed:
                self._make_batch(engine, claimed)
        finally:
            with self._lock:
                for _, key, future in claimed:
                    if not future.done():
                        future.set_exception(EngineUnavailable("Oplæsningen blev afbrudt."))
                    del self._in_flight[key]
        mine = {text: future for text, _, future in claimed}
        return {
            text: mine[text].result() if text in mine else self.get_or_make(text) for text in texts
        }

    def _make_batch(
        self, engine: BatchEngine, claimed: Sequence[tuple[str, str, Future[Clip]]]
    ) -> None:
        started = time.perf_counter()
        try:
            raws = engine.synthesize_many([text for text, _, _ in claimed])
        except EngineError:
            self.stats.engine_call(engine.name, time.perf_counter() - started, failed=True)
            # One by one, so each text gets the usual fallback and error handling.
            for text, _, future in claimed:
                try:
                    future.set_result(self._resolve(text, True))
                except EngineError as error:
                    future.set_exception(error)
            return
        share = (time.perf_counter() - started) / len(claimed)
        for (text, key, future), raw in zip(claimed, raws, strict=True):
            try:
                future.set_result(self._store(engine, key, text, raw, degraded=False))
                self.stats.miss()
            except EngineError as error:
                self.stats.engine_call(engine.name, share, failed=True)
                if isinstance(error, AudioRejected):
                    self.stats.rejected(engine.name, error.reason)
                future.set_exception(error)
            else:
                self.stats.engine_call(engine.name, share, failed=False)

    def _make_checked(self, engine: Engine, key: str, text: str) -> Clip:
        """The preferred engine's clip, asked again if its answer fails the checks."""
        for attempt in range(REJECTED_RETRIES + 1):
            try:
                return self._make(engine, key, text, degraded=False)
            except AudioRejected as error:
                if attempt == REJECTED_RETRIES:
                    raise
                logger.warning("%s answer rejected (%s); asking again", engine.name, error.reason)
        raise AssertionError("unreachable")

    def _make(self, engine: Engine, key: str, text: str, degraded: bool) -> Clip:
        started = time.perf_counter()
        seconds = 0.0
        try:
            raw = engine.synthesize(text)
            seconds = time.perf_counter() - started
            clip = self._store(engine, key, text, raw, degraded)
        except EngineError as error:
            self.stats.engine_call(engine.name, seconds or time.perf_counter() - started, True)
            if isinstance(error, AudioRejected):
                self.stats.rejected(engine.name, error.reason)
            raise
        self.stats.engine_call(engine.name, seconds, failed=False)
        return clip

    def _store(self, engine: Engine, key: str, text: str, raw: RawAudio, degraded: bool) -> Clip:
        check_raw(engine, raw)
        try:
            audio = make_clip_audio(raw, self._decode_timeout)
        except AudioRejected:
            raise
        except EngineError as error:
            raise AudioRejected("undecodable", error.message) from None
        check_clip(engine, text, audio)
        path = self.mp3_path(key)
        write_atomic(path, audio.data)
        voice = engine.identity.get("voice", "")
        sidecar = {
            "engine": engine.name,
            "voice": voice,
            "degraded": degraded,
            "frames": audio.frames,
            "duration_ms": round(audio.duration_ms, 3),
            "sound_ms": audio.sound_ms,
            "text_sha": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        }
        write_atomic(self.sidecar_path(key), json.dumps(sidecar).encode("utf-8"))
        return Clip(
            key,
            path,
            audio.frames,
            engine.name,
            degraded,
            synthesized=True,
            sound_ms=audio.sound_ms,
            voice=voice,
        )

    def _load(self, key: str, degraded: bool) -> Clip | None:
        """The finished clip ``key``, or None (no sidecar yet, or a sidecar that is unusable)."""
        sidecar = self.sidecar_path(key)
        try:
            meta = json.loads(sidecar.read_bytes())
            frames = meta["frames"]
            engine = meta["engine"]
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            logger.warning("ignoring unreadable clip sidecar %s", sidecar)
            return None
        path = self.mp3_path(key)
        if not isinstance(frames, int) or frames < 1 or not isinstance(engine, str):
            logger.warning("ignoring clip sidecar with bad fields %s", sidecar)
            return None
        if not path.is_file():
            logger.warning("clip sidecar %s has no mp3", sidecar)
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
        )


def _sound(value: object) -> tuple[float, float] | None:
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, float | int) for v in value)
    ):
        return (float(value[0]), float(value[1]))
    return None
