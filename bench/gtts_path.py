"""(c) Our gTTS path against the gTTS library used as a naive integration would use it, both
talking to the fake Google endpoint with the same latency per request."""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import gtts.tts
from gtts import gTTS

from bench._proc import BenchError
from bench._result import Result, interleave, median, progress
from bench.corpus import CONTENT, load_pages, written_text
from reader.config import Settings
from reader.services import build_services
from reader.speech.engines.gtts import GttsEngine
from tests.fakes.google import FakeGoogle, Reply, espeak_mp3

NAME = "gtts-path"
TARGET = 3.0
LATENCY = 0.2
"""Seconds the fake takes to answer each request: Google's time, not ours."""


class CachedVoice:
    """The fake's speech, made once per text: after a warm-up run, every request costs the
    fake its latency and nothing else, so neither side pays for the fake's own espeak-ng."""

    def __init__(self) -> None:
        self._cache: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def __call__(self, text: str) -> bytes:
        with self._lock:
            cached = self._cache.get(text)
        if cached is None:
            cached = espeak_mp3(text)
            with self._lock:
                self._cache[text] = cached
        return cached


@dataclass(frozen=True)
class Side:
    seconds: float
    requests: int
    """Requests the fake received."""
    max_in_flight: int
    """Most requests the fake had in flight at once."""
    engine_in_flight_max: int = 0
    """Most requests in flight as our engine counted them (0 for the reference)."""


def ours(content_dir: Path, slug: str, voice: CachedVoice) -> tuple[Side, int]:
    """Our build of one page with gTTS, in-process; and the concurrency it was configured with."""
    with (
        FakeGoogle(speech=voice, default=Reply(latency=LATENCY)) as google,
        tempfile.TemporaryDirectory() as data,
    ):
        settings = Settings(
            content_dir=content_dir, data_dir=Path(data), engine="gtts", gtts_url=google.url
        )
        services = build_services(settings)
        try:
            started = time.perf_counter()
            result = services.builder.build(slug)
            seconds = time.perf_counter() - started
        finally:
            services.close()
        if set(result.engines) != {"gtts"}:
            raise BenchError(f"the gTTS build used {dict(result.engines)}")
        engine = services.engines.engines[0]
        counted = engine.in_flight_max if isinstance(engine, GttsEngine) else 0
        side = Side(seconds, google.requests, google.max_in_flight, counted)
        return side, settings.gtts_concurrency


@contextmanager
def library_pointed_at(url: str) -> Iterator[None]:
    """Send the gTTS library's requests to ``url``: it builds its address in
    ``gtts.tts._translate_url`` (2.5.x), which is swapped for the time of the reference run."""
    original = gtts.tts._translate_url
    gtts.tts._translate_url = lambda tld="com", path="": url
    try:
        yield
    finally:
        gtts.tts._translate_url = original


def reference(text: str, voice: CachedVoice) -> Side:
    """``gTTS(text, lang="da").save(path)``: the library's defaults, as documented."""
    with (
        FakeGoogle(speech=voice, default=Reply(latency=LATENCY)) as google,
        tempfile.TemporaryDirectory() as out,
        library_pointed_at(google.url),
    ):
        started = time.perf_counter()
        gTTS(text, lang="da").save(str(Path(out) / "page.mp3"))
        seconds = time.perf_counter() - started
        return Side(seconds, google.requests, google.max_in_flight)


def run(repeat: int) -> Result:
    # The library passes urllib's proxies on every request: keep loopback traffic direct.
    os.environ["no_proxy"] = os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    page = max(load_pages(CONTENT), key=lambda page: len(written_text(page)))
    text = written_text(page)
    voice = CachedVoice()
    progress(f"{NAME}: warm-up of the fake's speech cache (not timed)")
    _, concurrency = ours(CONTENT, page.slug, voice)
    reference(text, voice)

    mine, theirs = interleave(
        repeat,
        lambda: ours(CONTENT, page.slug, voice)[0],
        lambda: reference(text, voice),
        name=NAME,
    )
    speed_up = median([side.seconds for side in theirs]) / median([side.seconds for side in mine])
    in_flight = max(side.max_in_flight for side in mine)
    counted = max(side.engine_in_flight_max for side in mine)
    within = in_flight <= concurrency and counted <= concurrency
    busy = [side.requests * LATENCY / (side.seconds * concurrency) for side in mine]
    utilisation = median(busy)
    return Result(
        name=NAME,
        ours=median([side.seconds for side in mine]),
        reference=median([side.seconds for side in theirs]),
        unit="s",
        ratio=speed_up,
        target=f"library/ours >= {TARGET}x, <= {concurrency} in flight",
        meets=speed_up >= TARGET and within,
        details=[
            f"page {page.slug!r} ({len(text)} characters), fake latency {LATENCY * 1000:.0f} ms",
            f"requests: ours {sorted({side.requests for side in mine})}, "
            f"library {sorted({side.requests for side in theirs})}; our slots were busy "
            f"{utilisation:.0%} of the build (requests x latency / (time x concurrency))",
            f"most in flight during our runs: {in_flight} at the fake, {counted} counted by the "
            f"engine; concurrency setting {concurrency}" + ("" if within else " -- EXCEEDED"),
        ],
        samples={
            "ours": [side.seconds for side in mine],
            "reference": [side.seconds for side in theirs],
            "ours_max_in_flight": [float(side.max_in_flight) for side in mine],
        },
    )
