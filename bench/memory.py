"""(d) Peak memory of ``reader build`` over a 200-page corpus, next to the build of the two real
pages."""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench._proc import Run, reader_build
from bench._result import Result, median, progress
from bench.corpus import CONTENT, synthetic_corpus

NAME = "memory"
PAGES = 200
TARGET_MB = 300.0


def _mb(kib: int) -> float:
    return kib * 1024 / 1_000_000


def _build(content: Path) -> tuple[Run, str]:
    with tempfile.TemporaryDirectory() as data:
        done, summary = reader_build(content, Path(data))
    return done, (
        f"{summary.pages} pages, {summary.sentences} sentences, {summary.synthesised} clips "
        f"synthesised, {summary.reused} reused, {summary.audio_seconds / 3600:.1f} h of audio"
    )


def run(repeat: int) -> Result:
    # Peak RSS is a property of the program, not of the machine's load: one build of the large
    # corpus tells it (and takes a minute or two). The small reference build is repeated.
    with tempfile.TemporaryDirectory() as scratch:
        corpus = synthetic_corpus(Path(scratch) / "content", PAGES)
        progress(f"{NAME}: building {PAGES} pages (one run)")
        big, big_facts = _build(corpus)
    small_runs: list[Run] = []
    small_facts = ""
    for index in range(repeat):
        progress(f"{NAME}: reference build of the real pages, run {index + 1} of {repeat}")
        done, small_facts = _build(CONTENT)
        small_runs.append(done)
    ours = _mb(big.max_rss_kib)
    reference = median([_mb(done.max_rss_kib) for done in small_runs])
    return Result(
        name=NAME,
        ours=ours,
        reference=reference,
        unit="MB",
        ratio=ours / reference,
        target=f"ours <= {TARGET_MB:.0f} MB",
        meets=ours <= TARGET_MB,
        details=[
            f"{PAGES}-page corpus: {big_facts}; wall time {big.seconds:.1f} s",
            f"real pages: {small_facts}; wall time {median([d.seconds for d in small_runs]):.1f} s",
            "ratio = peak RSS of the corpus build / of the real pages' build (1 MB = 10^6 bytes)",
        ],
        samples={
            "ours": [ours],
            "reference": [_mb(done.max_rss_kib) for done in small_runs],
            "ours_seconds": [big.seconds],
        },
    )
