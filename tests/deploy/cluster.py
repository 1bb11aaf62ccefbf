"""Several ``reader serve`` processes on loopback ports sharing one Redis, one SeaweedFS and one
content directory, as deploy/compose.yaml runs them, and nginx in front with
deploy/nginx-replicas.conf."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from tests.backends.servers import ACCESS_KEY, BUCKET, SECRET_KEY, RedisServer, SeaweedServer
from tests.deploy.nginx import REPLICAS_CONFIG, local_replicas_config, running_nginx
from tests.web.server import STARTUP_POLLS, free_port

REPO = Path(__file__).resolve().parents[2]
TOKEN = "editor-token-for-the-cluster"
POLL = 0.05


@dataclass
class Replica:
    port: int
    data_dir: Path
    log: Path
    process: subprocess.Popen[bytes] | None = None
    _out: IO[bytes] | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, env: dict[str, str], extra: list[str] | None = None) -> None:
        self._out = self.log.open("ab")
        command = [sys.executable, "-m", "reader", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), *(extra or [])]
        self.process = subprocess.Popen(
            command,
            cwd=REPO,
            env={**env, "READER_DATA_DIR": str(self.data_dir)},
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    def wait_until_healthy(self) -> None:
        assert self.process is not None
        for _ in range(STARTUP_POLLS):
            if self.process.poll() is not None:
                raise AssertionError(f"replica exited: {self.log.read_text(errors='replace')}")
            try:
                if httpx.get(f"{self.base_url}/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(POLL)
        raise AssertionError(f"replica on {self.base_url} did not answer")

    def kill(self) -> None:
        """SIGKILL: the replica is gone at once, with no clean shutdown."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        if self._out is not None:
            self._out.close()
            self._out = None


@dataclass
class Cluster:
    root: Path
    env: dict[str, str]
    replicas: list[Replica]
    nginx_port: int

    @property
    def nginx(self) -> tuple[str, int]:
        return ("127.0.0.1", self.nginx_port)


def cluster_env(
    root: Path, redis: RedisServer, store: SeaweedServer, **settings: str
) -> dict[str, str]:
    """What every replica runs with (all but its data directory): espeak-ng only, so nothing
    leaves the machine, and no background work beyond what a test asks for."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("READER_")}
    env.update(
        {
            "READER_CONTENT_DIR": str(root / "content"),
            "READER_ENGINE": "espeak",
            "READER_REDIS_URL": redis.url,
            "READER_STORAGE_URL": f"s3://{BUCKET}/{uuid.uuid4().hex}",
            "READER_S3_ENDPOINT": store.endpoint,
            "READER_S3_ACCESS_KEY_ID": ACCESS_KEY,
            "READER_S3_SECRET_ACCESS_KEY": SECRET_KEY,
            "READER_ADMIN_TOKEN": TOKEN,
            "READER_AUTO_REGENERATE": "false",
            "READER_UPGRADE_INTERVAL": "0",
            "READER_WATCH_INTERVAL": "0",
            "READER_ALLOWED_ORIGINS": "https://www.htk.dk",
            **{f"READER_{name.upper()}": value for name, value in settings.items()},
        }
    )
    return env


@contextmanager
def cluster(replicas: int, **settings: str) -> Iterator[Cluster]:
    """Redis, SeaweedFS, ``replicas`` replicas sharing them and a copy of content/, and nginx
    in front of them; everything on 127.0.0.1, everything stopped at the end."""
    # nginx's workers run unprivileged and keep their cache under here.
    root = Path(tempfile.mkdtemp(prefix="reader-cluster-"))
    root.chmod(0o755)
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, root, ignore_errors=True)
        shutil.copytree(REPO / "content", root / "content")
        redis = RedisServer(root / "redis")
        redis.start()
        stack.callback(redis.stop)
        store = SeaweedServer(root / "weed")
        store.start()
        stack.callback(store.stop)
        env = cluster_env(root, redis, store, **settings)
        started = [
            Replica(free_port(), root / f"var-{n}", root / f"replica-{n}.log")
            for n in range(replicas)
        ]
        for replica in started:
            stack.callback(replica.stop)
            replica.start(env)
        for replica in started:
            replica.wait_until_healthy()
        port = free_port()
        text = local_replicas_config(
            REPLICAS_CONFIG.read_text(), root, [r.port for r in started], port
        )
        stack.enter_context(running_nginx(root, text, port))
        yield Cluster(root, env, started, port)
