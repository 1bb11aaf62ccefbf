"""HTTP load with ``wrk`` (written in C, so the client is not what limits the rate measured).

Every load benchmark uses the same settings on every side it compares; only loopback addresses
are ever loaded.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bench._proc import BenchError

DURATION = 5
"""Seconds each run of wrk lasts."""
THREADS = 2
CONNECTIONS = 50
TIMEOUT = 30
"""Seconds before wrk counts a request as timed out (and leaves it out of its latencies): long,
so that a slow answer shows in the percentiles instead of disappearing from them."""

NO_TARGET = "none (reported)"
"""The target of a row that is reported, not judged."""

_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_TOTAL = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h)", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")
_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_PERCENTILE = re.compile(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
_MS_PER_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


@dataclass(frozen=True)
class Load:
    """What one run of wrk saw."""

    requests: int
    seconds: float
    per_second: float
    latency_ms: dict[int, float]
    """Percentile (50, 75, 90, 99) to milliseconds; empty unless asked for."""
    errors: int
    """Answers with a status of 400 or more, and connect, read, write and timeout errors."""

    def percentile(self, which: int) -> float:
        if which not in self.latency_ms:
            raise BenchError(f"wrk reported no {which}th percentile: {self.latency_ms}")
        return self.latency_ms[which]


def binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise BenchError("wrk is not installed (scripts/bench installs it)")
    return found


def wrk(
    url: str,
    *,
    script: Path | None = None,
    latency: bool = False,
    duration: int = DURATION,
    connections: int = CONNECTIONS,
    threads: int = THREADS,
) -> Load:
    """Load ``url`` (on 127.0.0.1 only) for ``duration`` seconds and read wrk's report."""
    if urlsplit(url).hostname != "127.0.0.1":
        raise BenchError(f"load is only ever sent to 127.0.0.1, not {url}")
    command = [binary(), "-t", str(threads), "-c", str(connections), "-d", f"{duration}s"]
    command += ["--timeout", f"{TIMEOUT}s"]
    if latency:
        command.append("--latency")
    if script is not None:
        command += ["-s", str(script)]
    done = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=duration + TIMEOUT + 30
    )
    if done.returncode != 0:
        raise BenchError(f"wrk exited with {done.returncode}: {done.stderr.strip()[-300:]}")
    return parse(done.stdout)


def parse(report: str) -> Load:
    rate = _RATE.search(report)
    total = _TOTAL.search(report)
    if rate is None or total is None:
        raise BenchError(f"unexpected output of wrk: {report.strip()[-300:]!r}")
    non_2xx = _NON_2XX.search(report)
    socket = _SOCKET.search(report)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket is not None:
        errors += sum(int(count) for count in socket.groups())
    return Load(
        requests=int(total.group(1)),
        seconds=float(total.group(2)) * _MS_PER_UNIT[total.group(3)] / 1000,
        per_second=float(rate.group(1)),
        latency_ms={
            int(match.group(1)): float(match.group(2)) * _MS_PER_UNIT[match.group(3)]
            for match in _PERCENTILE.finditer(report)
        },
        errors=errors,
    )


def checked(load: Load, what: str) -> Load:
    """``load``, unless some answers were errors: then the rate says nothing about ``what``."""
    if load.errors:
        raise BenchError(f"{what}: {load.errors} of {load.requests} requests failed under load")
    return load


def range_script(directory: Path, first: int, last: int) -> Path:
    """A wrk script asking every request for ``bytes=first-last``."""
    path = directory / f"range-{first}-{last}.lua"
    path.write_text(f'wrk.headers["Range"] = "bytes={first}-{last}"\n', encoding="utf-8")
    return path


def header_script(path: Path, headers: dict[str, str]) -> Path:
    """A wrk script sending ``headers`` with every request, written to ``path``."""
    # Lua's long brackets take the value as it is, quotes (an ETag's) and all.
    lines = [f'wrk.headers["{name}"] = [[{value}]]' for name, value in headers.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
