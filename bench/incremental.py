"""(b) A rebuild after an editor changed one sentence, against the full build from an empty
cache of the same content.

Measured where rebuilds happen: inside the running service (the editors' regenerate route and
the automatic rebuild after a change call the same builder). The same pair is also measured as
two ``reader build`` processes, whose fixed start-up (about 0.3 s of imports) is reported but
says nothing about incremental work.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench._proc import BuildSummary, reader_build
from bench._result import Result, median, progress
from bench.corpus import copy_content, edit_one_sentence
from reader.config import Settings
from reader.services import build_services

NAME = "incremental"
TARGET = 0.1


def _in_process(content: Path, data: Path) -> tuple[float, float, int]:
    """(full build seconds, rebuild-after-edit seconds, clips the rebuild synthesised)."""
    services = build_services(Settings(content_dir=content, data_dir=data, engine="espeak"))
    try:
        started = time.perf_counter()
        for slug in services.store.slugs():
            services.builder.build(slug)
        full = time.perf_counter() - started
        edit_one_sentence(content)
        started = time.perf_counter()
        synthesised = sum(services.builder.build(s).synthesised for s in services.store.slugs())
        return full, time.perf_counter() - started, synthesised
    finally:
        services.close()


def run(repeat: int) -> Result:
    full: list[float] = []
    again: list[float] = []
    made: set[int] = set()
    process_full: list[float] = []
    process_again: list[float] = []
    summaries: list[BuildSummary] = []
    edited = ""
    for index in range(repeat):
        progress(f"{NAME}: run {index + 1} of {repeat}")
        # Each run needs its own full build before the edit, so the two alternate by nature.
        with tempfile.TemporaryDirectory() as scratch:
            first, second, made_now = _in_process(
                copy_content(Path(scratch) / "content"), Path(scratch) / "data"
            )
            full.append(first)
            again.append(second)
            made.add(made_now)
        with tempfile.TemporaryDirectory() as scratch:
            content = copy_content(Path(scratch) / "content")
            data = Path(scratch) / "data"
            done, _ = reader_build(content, data)
            process_full.append(done.seconds)
            edit = edit_one_sentence(content)
            edited = f"{edit.slug}: {edit.before[:50]!r}..."
            done, summary = reader_build(content, data)
            process_again.append(done.seconds)
            summaries.append(summary)
    synthesised = sorted({summary.synthesised for summary in summaries} | made)
    ratio = median(again) / median(full)
    one_clip = synthesised == [1]
    return Result(
        name=NAME,
        ours=median(again),
        reference=median(full),
        unit="s",
        ratio=ratio,
        target=f"edit/full <= {TARGET}, 1 clip",
        meets=ratio <= TARGET and one_clip,
        details=[
            f"edited {edited}",
            f"clips synthesised by the rebuild after the edit: {synthesised} "
            f"({'exactly one' if one_clip else 'NOT exactly one'}), "
            f"reused: {summaries[-1].reused}",
            f"as `reader build` processes: {median(process_again):.3f} s after the edit, "
            f"{median(process_full):.3f} s full, ratio "
            f"{median(process_again) / median(process_full):.3f} (start-up included)",
        ],
        samples={
            "ours": again,
            "reference": full,
            "process_ours": process_again,
            "process_reference": process_full,
        },
    )
