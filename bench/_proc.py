"""Running the programs a benchmark measures: wall time, exit status, output and peak memory."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
"""The repository root: benchmarks run from here so that ``tests.fakes`` is importable."""


class BenchError(RuntimeError):
    """A measured program failed, so there is nothing honest to report."""


@dataclass(frozen=True)
class Run:
    seconds: float
    returncode: int
    stdout: str
    stderr: str
    max_rss_kib: int
    """Peak resident set size of the process (or its largest reaped descendant), in KiB."""

    def check(self, what: str) -> Run:
        if self.returncode != 0:
            tail = " | ".join(self.stderr.strip().splitlines()[-3:])
            raise BenchError(f"{what} exited with {self.returncode}: {tail}")
        return self


def run(
    command: Sequence[str | Path],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path = ROOT,
) -> Run:
    """Run ``command`` to its end; its output goes to files so nothing blocks on a full pipe.

    Its peak RSS is the ``VmHWM`` of its own memory, read from /proc while it runs. Not
    ``ru_maxrss``: Linux carries the parent's peak over into a child at exec, so every child of
    this (large) benchmark process would report at least the benchmark's own size.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            [str(part) for part in command],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=dict(env) if env is not None else None,
            cwd=cwd,
        )
        peak = _PeakWatch(process.pid)
        _, status, _ = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        peak.stop()
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            seconds=seconds,
            returncode=process.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            max_rss_kib=peak.kib,
        )


class _PeakWatch:
    """Polls a process's ``VmHWM`` (the high-water mark of its resident memory) until stopped;
    the mark only grows, so the last reading is the peak, short of the final few ms."""

    INTERVAL = 0.02

    def __init__(self, pid: int) -> None:
        self.path = Path(f"/proc/{pid}/status")
        self.kib = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._done.is_set():
            try:
                for line in self.path.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        self.kib = max(self.kib, int(line.split()[1]))
            except (OSError, ValueError):
                pass  # gone, or a zombie without memory
            self._done.wait(self.INTERVAL)

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def reader_command() -> list[str]:
    """The installed ``reader`` console script next to this interpreter, else ``-m reader``."""
    script = Path(sys.executable).parent / "reader"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "reader"]


def reader_env(*, content_dir: Path, data_dir: Path, engine: str = "espeak") -> dict[str, str]:
    """This environment with the settings a benchmark fixes; other ``READER_*`` pass through."""
    env = dict(os.environ)
    env.update(
        READER_CONTENT_DIR=str(content_dir),
        READER_DATA_DIR=str(data_dir),
        READER_ENGINE=engine,
    )
    return env


@dataclass(frozen=True)
class BuildSummary:
    """The last line of ``reader build``."""

    pages: int
    sentences: int
    synthesised: int
    reused: int
    audio_seconds: float


_SUMMARY = re.compile(
    r"^(\d+) pages: (\d+) sentences, (\d+) clips synthesised, (\d+) clips reused, "
    r"([\d.]+) s of audio",
    re.MULTILINE,
)


def build_summary(output: str) -> BuildSummary:
    match = _SUMMARY.search(output)
    if match is None:
        raise BenchError(f"no summary line in the output of reader build: {output.strip()!r}")
    pages, sentences, synthesised, reused = (int(group) for group in match.groups()[:4])
    return BuildSummary(pages, sentences, synthesised, reused, float(match.group(5)))


def reader_build(content_dir: Path, data_dir: Path, *args: str) -> tuple[Run, BuildSummary]:
    """``reader build`` with espeak-ng as a subprocess, checked, with its summary."""
    done = run(
        [*reader_command(), "build", *args],
        env=reader_env(content_dir=content_dir, data_dir=data_dir),
    ).check("reader build")
    return done, build_summary(done.stdout)
