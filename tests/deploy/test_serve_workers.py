"""``reader serve --workers N``: N processes on one port, refused without Redis to share."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.backends.servers import RedisServer
from tests.deploy.cluster import Replica
from tests.web.server import free_port

REPO = Path(__file__).resolve().parents[2]
HEADER_LIMIT = 2048


def environment(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("READER_")}
    shutil.copytree(REPO / "content", tmp_path / "content", dirs_exist_ok=True)
    env.update(
        READER_CONTENT_DIR=str(tmp_path / "content"),
        READER_DATA_DIR=str(tmp_path / "var"),
        READER_ENGINE="espeak",
        READER_WATCH_INTERVAL="0",
        READER_UPGRADE_INTERVAL="0",
        **{f"READER_{name.upper()}": value for name, value in settings.items()},
    )
    return env


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.parametrize("workers", [2, 4])
def test_several_workers_without_redis_stop_start_up_saying_what_to_set(
    tmp_path: Path, workers: int
) -> None:
    port = free_port()
    command = [sys.executable, "-m", "reader", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers)]
    done = subprocess.run(
        command, cwd=REPO, env=environment(tmp_path), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"reader serve: --workers {workers} ")
    assert "set READER_REDIS_URL" in lines[0]
    assert not listening(port)


def test_zero_workers_is_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "reader", "serve", "--workers", "0"],
        cwd=REPO,
        env=environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == "reader serve: --workers must be 1 or more, not 0"


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def serving_children(pid: int) -> list[int]:
    """The processes ``pid`` started to serve (not, say, multiprocessing's resource tracker)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            command = (proc / "cmdline").read_bytes()
        except OSError:  # ended meanwhile
            continue
        if fields[1] == str(pid) and b"spawn_main" in command:
            found.append(int(proc.name))
    return found


def test_several_workers_with_redis_serve_with_the_settings_limits(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    replica = Replica(free_port(), tmp_path / "var", tmp_path / "serve.log")
    env = environment(tmp_path, redis_url=redis_server.url, max_header_bytes=str(HEADER_LIMIT))
    try:
        replica.start(env, ["--workers", "2"])
        replica.wait_until_healthy()
        assert replica.process is not None
        assert len(serving_children(replica.process.pid)) == 2, replica.log.read_text()
        assert httpx.get(f"{replica.base_url}/pages/forebyggelsesstrategi").status_code == 200
        # Each process got READER_MAX_HEADER_BYTES, not the protocol's default.
        big = httpx.get(f"{replica.base_url}/healthz", headers={"X-Big": "x" * HEADER_LIMIT})
        assert big.status_code == 431
    finally:
        replica.stop()
    assert not listening(replica.port)
