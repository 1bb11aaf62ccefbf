"""The single entry point: ``python -m bench.run [--only NAME] [--repeat N] [--json FILE]``.

Prints the machine's context first and a table at the end; exits 1 when a benchmark misses its
target, 2 when one could not be measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path

from bench import (
    audio_serving,
    build_floor,
    build_latency,
    cold_page,
    google_faults,
    gtts_path,
    incremental,
    memory,
    page_serving,
    piper_build,
    replica_audio,
    restart,
    site_import,
    takeover,
)
from bench._proc import ROOT, BenchError
from bench._result import Result
from bench._wrk import NO_TARGET

BENCHMARKS: dict[str, Callable[[int], Result | list[Result]]] = {
    build_floor.NAME: build_floor.run,
    incremental.NAME: incremental.run,
    gtts_path.NAME: gtts_path.run,
    memory.NAME: memory.run,
    audio_serving.NAME: audio_serving.run,
    cold_page.NAME: cold_page.run,
    build_latency.NAME: build_latency.run,
    google_faults.NAME: google_faults.run,
    site_import.NAME: site_import.run,
    page_serving.NAME: page_serving.run,
    restart.NAME: restart.run,
    replica_audio.NAME: replica_audio.run,
    piper_build.NAME: piper_build.run,
    takeover.NAME: takeover.run,
}
"""Each gives one row of the table, or several measured together (the audio benchmarks)."""
DEFAULT_REPEAT = 3
COLUMNS = ("benchmark", "ours", "reference", "ratio", "target", "verdict")


def machine() -> dict[str, object]:
    return {
        "nproc": os.cpu_count(),
        "load_average": [round(value, 2) for value in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


DECIMALS = {"MB": 0, "req/s": 0, "ms": 1}
"""Decimals shown per unit; seconds get 3."""


def _value(value: float, unit: str) -> str:
    return f"{value:.{DECIMALS.get(unit, 3)}f} {unit}"


def _verdict(result: Result) -> str:
    if result.target == NO_TARGET:
        return "-"
    return "meets" if result.meets else "misses"


def table(results: Sequence[Result]) -> str:
    rows = [COLUMNS]
    for result in results:
        rows.append(
            (
                result.name,
                _value(result.ours, result.unit),
                _value(result.reference, result.unit),
                f"{result.ratio:.3f}",
                result.target,
                _verdict(result),
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(COLUMNS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    for result in results:
        lines.extend(f"  {result.name}: {detail}" for detail in result.details)
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description="Speech-pipeline and audio-delivery benchmarks against references.",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(BENCHMARKS),
        metavar="NAME",
        help=f"run only this benchmark (may be repeated): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=DEFAULT_REPEAT,
        metavar="N",
        help=f"runs of each side; the median is reported (default {DEFAULT_REPEAT})",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results here")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    missing = [tool for tool in ("espeak-ng", "ffmpeg") if shutil.which(tool) is None]
    if missing:
        print(f"bench: {', '.join(missing)} not installed (run scripts/setup)", file=sys.stderr)
        return 2
    os.chdir(ROOT)
    context = machine()
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"machine: {context['nproc']} CPUs, load average {load}, Python {context['python']}, "
        f"{context['platform']}; repeat {args.repeat}, medians"
    )
    sys.stdout.flush()
    names = args.only or list(BENCHMARKS)
    results: list[Result] = []
    started = time.perf_counter()
    try:
        for name in names:
            outcome = BENCHMARKS[name](args.repeat)
            results.extend(outcome if isinstance(outcome, list) else [outcome])
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 2
    print(table(results))
    print(
        f"total {time.perf_counter() - started:.0f} s; load average now "
        + " ".join(f"{value:.2f}" for value in os.getloadavg())
    )
    if args.json:
        report = {
            "machine": context,
            "repeat": args.repeat,
            "results": [asdict(result) for result in results],
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0 if all(result.meets for result in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
