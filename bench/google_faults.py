"""A listener on a cold section while Google misbehaves: time to the first audio byte when the
endpoint hangs, and when it answers 429 with a long Retry-After, against the same section from
a service that has only espeak-ng (the fallback voice, with no Google to wait for).

The difference is what Google's trouble costs a listener: ``READER_PRIMARY_WAIT`` bounds it, so
sound starts within a few seconds whatever the endpoint does. Each run is a fresh ``reader
serve`` on an empty data directory, asked the way the player asks (the page's JSON, then the
section's audio, following its redirect), with the fake Google endpoint of ``tests/fakes``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from bench._proc import BenchError
from bench._result import Result, interleave, median
from bench._servers import reader_serve
from bench.cold_page import FirstByte, first_byte
from bench.corpus import CONTENT, load_pages, written_text
from tests.fakes.google import Behaviour, FakeGoogle, Hang, Status

NAME = "google-faults"
MARGIN = 5.0
"""Most seconds the faulty endpoint may add to the first byte (the default primary wait is 3)."""
FAULTS: dict[str, Behaviour] = {
    "hangs": Hang(seconds=60.0),
    "429, Retry-After 30": Status(429, retry_after="30"),
}


def _cold(slug: str, route: str, env: dict[str, str]) -> FirstByte:
    with (
        tempfile.TemporaryDirectory() as data,
        reader_serve(CONTENT, Path(data), env=env) as server,
    ):
        status = server.get(f"/api/pages/{slug}")[0]
        if status != 200:
            raise BenchError(f"GET /api/pages/{slug} answered {status}")
        return first_byte(server, route)


def _faulty(slug: str, route: str, fault: Behaviour) -> Callable[[], FirstByte]:
    def measure() -> FirstByte:
        with FakeGoogle(default=fault) as google:
            env = {"READER_ENGINE": "auto", "READER_GTTS_URL": google.url}
            return _cold(slug, route, env)

    return measure


def run(repeat: int) -> list[Result]:
    page = max(load_pages(CONTENT), key=lambda page: len(written_text(page)))
    section = page.sections[0]
    route = f"/api/pages/{page.slug}/sections/{section.id}/audio"
    results = []
    for label, fault in FAULTS.items():
        mine, theirs = interleave(
            repeat,
            _faulty(page.slug, route, fault),
            lambda: _cold(page.slug, route, {"READER_ENGINE": "espeak"}),
            name=f"{NAME} ({label})",
        )
        ours = median([side.seconds for side in mine])
        reference = median([side.seconds for side in theirs])
        results.append(
            Result(
                name=f"{NAME}: Google {label}",
                ours=ours,
                reference=reference,
                unit="s",
                ratio=ours / reference,
                target=f"ours - espeak-only <= {MARGIN:.0f} s",
                meets=ours - reference <= MARGIN,
                details=[
                    f"section {section.id!r} of {page.slug!r} ({len(section.sentences)} "
                    "sentences), first byte after the ID3 tag; each run a fresh `reader serve` "
                    "on an empty data directory",
                ],
                samples={
                    "ours": [side.seconds for side in mine],
                    "reference": [side.seconds for side in theirs],
                },
            )
        )
    return results
