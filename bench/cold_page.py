"""A listener on a page nobody has listened to: time to the first audio byte of its first
section (streamed while the section is made), against the time to the first audio byte when the
whole page is built first.

Both sides ask a running ``reader serve`` (espeak-ng) with an empty data directory, the way a
listener would: the page's JSON first (the reading view), then the audio route, following its
307 to ``/audio/<hash>.mp3`` on the same connection, until the first byte of the MP3 arrives.
"""

from __future__ import annotations

import http.client
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench._proc import BenchError
from bench._result import Result, interleave, median
from bench._servers import HOST, Server, reader_serve
from bench.corpus import CONTENT, load_pages, written_text

NAME = "cold-page"
TARGET = 0.2


@dataclass(frozen=True)
class FirstByte:
    seconds: float
    """From sending the request to the audio route to the first byte of the MP3."""
    size: int
    """Bytes of the MP3 the route led to."""


def first_byte(server: Server, route: str) -> FirstByte:
    """Ask ``route`` (following a redirect) and time the first byte of audio: the first byte
    after the ID3 tag, whether the MP3 comes as a stored file or streamed as it is made."""
    connection = http.client.HTTPConnection(HOST, server.port, timeout=120)
    try:
        started = time.perf_counter()
        connection.request("GET", route)
        response = connection.getresponse()
        if response.status == 307:
            location = response.getheader("location")
            response.read()
            if location is None or not location.startswith("/audio/"):
                raise BenchError(f"GET {route} redirected to {location!r}, not to the audio")
            connection.request("GET", location)
            response = connection.getresponse()
        if response.status != 200 or response.getheader("content-type") != "audio/mpeg":
            raise BenchError(f"GET {route} answered {response.status}, not audio")
        head = b""
        while len(head) < 10 or len(head) <= _tag_size(head):
            chunk = response.read1(65536)
            if not chunk:
                raise BenchError(f"GET {route}: the MP3 ended before its first frame")
            head += chunk
        seconds = time.perf_counter() - started
        rest = response.read()
        return FirstByte(seconds, len(head) + len(rest))
    finally:
        connection.close()


def _tag_size(head: bytes) -> int:
    """Bytes of the ID3v2 tag that ``head`` starts with (0 without one)."""
    if not head.startswith(b"ID3"):
        return 0
    size = 0
    for byte in head[6:10]:
        size = (size << 7) | (byte & 0x7F)
    return 10 + size


def _cold(slug: str, route: str) -> FirstByte:
    """``route`` asked of a service that has just started on an empty data directory."""
    with tempfile.TemporaryDirectory() as data, reader_serve(CONTENT, Path(data)) as server:
        status = server.get(f"/api/pages/{slug}")[0]  # the reading view, before play
        if status != 200:
            raise BenchError(f"GET /api/pages/{slug} answered {status}")
        return first_byte(server, route)


def run(repeat: int) -> Result:
    page = max(load_pages(CONTENT), key=lambda page: len(written_text(page)))
    section = page.sections[0]
    section_route = f"/api/pages/{page.slug}/sections/{section.id}/audio"
    page_route = f"/api/pages/{page.slug}/audio"
    mine, theirs = interleave(
        repeat,
        lambda: _cold(page.slug, section_route),
        lambda: _cold(page.slug, page_route),
        name=NAME,
    )
    ours = median([side.seconds for side in mine])
    reference = median([side.seconds for side in theirs])
    ratio = ours / reference
    return Result(
        name=NAME,
        ours=ours,
        reference=reference,
        unit="s",
        ratio=ratio,
        target=f"first section/whole page <= {TARGET}",
        meets=ratio <= TARGET,
        details=[
            f"page {page.slug!r}: {len(page.sentences())} sentences in {len(page.sections)} "
            f"sections; first section {section.id!r}: {len(section.sentences)} sentences",
            f"MP3s reached: section {mine[-1].size} bytes, page {theirs[-1].size} bytes; "
            "each run in a fresh `reader serve` (espeak-ng) on an empty data directory",
        ],
        samples={
            "ours": [side.seconds for side in mine],
            "reference": [side.seconds for side in theirs],
        },
    )
