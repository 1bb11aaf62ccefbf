"""Degraded pages made again with the preferred voice, in the background, one at a time.

Audio spoken by the fallback while gTTS was away is upgraded once gTTS answers again, without
hammering an endpoint that is just recovering: one page at a time, only when the breaker would
let a call through, and with a doubling pause after every attempt that did not help. What it
is doing is written to ``data_dir/upgrade.json`` for ``reader status`` and the admin page.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from pathlib import Path

from reader._atomic import write_atomic
from reader.audio.build import Builder
from reader.audio.queue import AudioQueue
from reader.errors import ReaderError
from reader.speech.engines.breaker import CircuitBreaker

logger = logging.getLogger(__name__)

PAUSE_BETWEEN_PAGES = 1.0
"""Seconds between two pages upgraded one after the other: a recovering endpoint gets air."""
BACKOFF_CAP = 600.0
"""Longest pause after attempts that failed in a row."""


def status_path(data_dir: Path) -> Path:
    return data_dir / "upgrade.json"


def read_status(data_dir: Path) -> dict[str, object] | None:
    """What the upgrade of ``reader serve`` last wrote, if anything."""
    try:
        found = json.loads(status_path(data_dir).read_bytes())
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


class Upgrader:
    """A thread that rebuilds degraded pages once the preferred engine answers again."""

    def __init__(
        self,
        builder: Builder,
        queue: AudioQueue,
        breaker: CircuitBreaker | None,
        *,
        data_dir: Path,
        interval: float,
    ) -> None:
        self.builder = builder
        self.queue = queue
        self.breaker = breaker
        self.interval = interval
        self._path = status_path(data_dir)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._backoff = interval
        self._turn = 0
        self.upgraded = 0

    def start(self) -> None:
        if self.breaker is None or self.interval <= 0:
            return  # one engine only: nothing is ever degraded by a fallback
        self._thread = threading.Thread(target=self._run, name="upgrade", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        delay = self.interval
        while not self._stop.wait(delay):
            try:
                delay = self.step()
            except Exception:  # the thread must outlive one bad page or disk hiccup
                logger.exception("upgrading degraded audio failed")
                delay = self._fail()

    def degraded(self) -> list[str]:
        found = []
        for slug in self.builder.store.slugs():
            try:
                if self.builder.status(slug).state == "degraded":
                    found.append(slug)
            except ReaderError:
                continue
        return found

    def step(self) -> float:
        """One look, and at most one page upgraded; the seconds until the next look."""
        pages = self.degraded()
        if not pages:
            self._backoff = self.interval
            self._write("idle", None, 0, 0.0)
            return self.interval
        wait = self.breaker.retry_in() if self.breaker is not None else 0.0
        if wait > 0:
            self._write("waiting", None, len(pages), wait)
            return max(wait, self.interval)
        slug = pages[self._turn % len(pages)]
        self._turn += 1  # a page that will not upgrade does not hold up the others
        self._write("upgrading", slug, len(pages), 0.0)
        self.queue.upgrade(slug).result()
        if self.builder.status(slug).state == "degraded":
            delay = self._fail()
            self._write("waiting", None, len(pages), delay)
            return delay
        self.upgraded += 1
        self._backoff = self.interval
        logger.info("upgraded %s with the preferred voice", slug)
        self._write("upgrading" if len(pages) > 1 else "idle", None, len(pages) - 1, 0.0)
        return PAUSE_BETWEEN_PAGES

    def _fail(self) -> float:
        delay = self._backoff
        self._backoff = min(BACKOFF_CAP, self._backoff * 2)
        return delay

    def _write(self, state: str, slug: str | None, pending: int, next_try: float) -> None:
        report = {
            "state": state,
            "slug": slug,
            "degraded_pages": pending,
            "upgraded_pages": self.upgraded,
            "next_try_s": round(next_try, 1),
            "engine": self.builder.clips.engines[0].name,
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        try:
            write_atomic(self._path, json.dumps(report).encode())
        except OSError:
            logger.warning("could not write %s", self._path)
