"""Rendered answers kept in memory by what they were made from, with their gzip variant.

An answer whose bytes depend only on content (a page's reading view, its JSON) is made once per
version of that content: the first request renders it, compresses it and hashes both variants;
every later request with the same key is a dictionary look-up. The cache is bounded by the bytes
it holds and forgets the least recently used answers first.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass, field

GZIP_LEVEL = 6
"""zlib's default: level 9 takes about twice as long for 1–2 % less on these pages."""
MIN_GZIP_BYTES = 256
"""Below this the gzip header and a round trip of negotiation are worth more than the bytes."""


def strong_etag(data: bytes) -> str:
    return f'"{hashlib.sha256(data).hexdigest()[:32]}"'


@dataclass(frozen=True, slots=True)
class Rendered:
    """One answer in both encodings. ``gzip`` is None when compressing does not make it smaller.

    Each variant has its own strong ETag (the hash of its own bytes): RFC 9110 wants different
    representations of a resource to have different entity tags.
    """

    body: bytes
    media_type: str
    etag: str
    gzip: bytes | None
    gzip_etag: str | None
    header_lines: dict[tuple[bool, bool], list[tuple[bytes, bytes]]] = field(
        default_factory=dict, compare=False, repr=False
    )
    """(gzip, 304) → the header lines of that answer, filled in by whoever serves it first
    (``FastPages``), so that they are made once and kept exactly as long as the answer is."""

    @classmethod
    def of(cls, body: bytes, media_type: str) -> Rendered:
        packed: bytes | None = None
        if len(body) >= MIN_GZIP_BYTES:
            # mtime=0: the same bytes give the same gzip bytes, in every process and on every run.
            packed = gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
            if len(packed) >= len(body):
                packed = None
        return cls(
            body=body,
            media_type=media_type,
            etag=strong_etag(body),
            gzip=packed,
            gzip_etag=strong_etag(packed) if packed is not None else None,
        )

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzip or b"")


@dataclass(frozen=True, slots=True)
class RenderStats:
    renders: int
    """Answers made (the cache did not have them)."""
    hits: int
    """Answers served from the cache."""
    entries: int
    bytes: int


class RenderCache:
    """Thread-safe. One answer is kept per (kind, name), that of the newest version asked for,
    so an edited page's old renders leave as soon as the new one is made. Two requests for the
    same missing version render it once (the second waits for the first)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[str, str], tuple[Hashable, Rendered]] = OrderedDict()
        self._in_flight: dict[tuple[str, str, Hashable], Future[Rendered]] = {}
        self._bytes = 0
        self._renders: dict[str, int] = {}
        self._hits: dict[str, int] = {}

    def get(
        self, kind: str, name: str, version: Hashable, render: Callable[[], Rendered]
    ) -> Rendered:
        """The answer of ``kind`` for ``name`` at ``version``, rendered only if it is not kept.

        ``version`` must cover everything the answer depends on: a version seen before is not
        rendered again while it is kept. An exception from ``render`` reaches every caller
        waiting for the same version, and nothing is kept.
        """
        slot = (kind, name)
        flight = (kind, name, version)
        with self._lock:
            found = self._entries.get(slot)
            if found is not None and found[0] == version:
                self._entries.move_to_end(slot)
                self._hits[kind] = self._hits.get(kind, 0) + 1
                return found[1]
            future = self._in_flight.get(flight)
            leader = future is None
            if future is None:
                future = self._in_flight[flight] = Future()
        if not leader:
            return future.result()
        try:
            rendered = render()
        except BaseException as error:  # handed to whoever waits for the same version
            with self._lock:
                del self._in_flight[flight]
            future.set_exception(error)
            raise
        with self._lock:
            self._renders[kind] = self._renders.get(kind, 0) + 1
            self._keep(slot, version, rendered)
            del self._in_flight[flight]
        future.set_result(rendered)
        return rendered

    def _keep(self, slot: tuple[str, str], version: Hashable, rendered: Rendered) -> None:
        old = self._entries.pop(slot, None)
        if old is not None:
            self._bytes -= old[1].size
        if rendered.size > self.max_bytes:
            return
        self._entries[slot] = (version, rendered)
        self._bytes += rendered.size
        while self._bytes > self.max_bytes:
            _, (_, dropped) = self._entries.popitem(last=False)
            self._bytes -= dropped.size

    def stats(self, kind: str) -> RenderStats:
        with self._lock:
            kept = [entry for slot, (_, entry) in self._entries.items() if slot[0] == kind]
            return RenderStats(
                renders=self._renders.get(kind, 0),
                hits=self._hits.get(kind, 0),
                entries=len(kept),
                bytes=sum(entry.size for entry in kept),
            )

    def stats_by_kind(self) -> dict[str, RenderStats]:
        """The counts of every kind rendered or served so far."""
        with self._lock:
            kinds = set(self._renders) | set(self._hits)
        return {kind: self.stats(kind) for kind in kinds}
