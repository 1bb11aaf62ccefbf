"""``reader serve`` as a real process on a loopback port, for tests that need real HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
STARTUP_POLLS = 400
POLL_INTERVAL = 0.05


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def run_reader(
    content_dir: Path, data_dir: Path, *args: str, env: Mapping[str, str] | None = None
) -> str:
    """``python -m reader ARGS`` on these directories, as an operator runs it (``env`` adds
    READER_* settings); what it printed. A non-zero exit fails the test."""
    done = subprocess.run(
        [sys.executable, "-m", "reader", *args],
        cwd=REPO,
        env={
            **os.environ,
            "READER_CONTENT_DIR": str(content_dir),
            "READER_DATA_DIR": str(data_dir),
            **(env or {}),
        },
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return done.stdout


@contextmanager
def reader_server(
    content_dir: Path, data_dir: Path, env: Mapping[str, str] | None = None
) -> Iterator[str]:
    """Start ``python -m reader serve``, wait until /healthz answers, yield its base URL."""
    with reader_process(content_dir, data_dir, env) as served:
        yield served.base_url


@dataclass(frozen=True)
class Served:
    process: subprocess.Popen[bytes]
    base_url: str

    def output(self) -> str:
        """What the process printed; only once it has ended."""
        assert self.process.stdout is not None
        return self.process.stdout.read().decode(errors="replace")


@contextmanager
def reader_process(
    content_dir: Path, data_dir: Path, env: Mapping[str, str] | None = None
) -> Iterator[Served]:
    """``reader serve`` as a process the test may signal (it is ended afterwards if need be);
    ``env`` adds READER_* settings."""
    port = free_port()
    full_env = {
        **os.environ,  # READER_* were cleared by the shared fixtures; the gTTS URL is loopback
        "READER_CONTENT_DIR": str(content_dir),
        "READER_DATA_DIR": str(data_dir),
        **(env or {}),
    }
    command = [sys.executable, "-m", "reader", "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        command, cwd=REPO, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(process, base_url)
        yield Served(process, base_url)
    finally:
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _wait_until_healthy(process: subprocess.Popen[bytes], base_url: str) -> None:
    for _ in range(STARTUP_POLLS):
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            raise AssertionError(f"reader serve exited with {process.returncode}:\n{output}")
        try:
            if httpx.get(f"{base_url}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(POLL_INTERVAL)
    raise AssertionError(f"reader serve did not answer on {base_url} after {STARTUP_POLLS} polls")
