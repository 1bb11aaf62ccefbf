"""Page audio in the object store, through nginx in front of three replicas, against nginx
serving the same file from disk, in the same run.

One Redis, one SeaweedFS (``weed mini``) and three ``reader serve`` replicas sharing them run on
127.0.0.1, with nginx and ``deploy/nginx-replicas.conf`` in front (its replicas, cache and port
put in, as ``tests/deploy`` does). The page with the most text is built into the store first;
the replicas' data directories start empty. The reference is nginx with a plain static-file
config serving the very bytes the store holds. wrk loads both with 64 KiB Range GETs; the order
alternates from one repeat to the next.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from bench._proc import BenchError
from bench._result import Result, median, progress
from bench._servers import Server, free_port, nginx, plain_config, reader_serve
from bench._wrk import CONNECTIONS, DURATION, THREADS, checked, wrk
from bench.corpus import copy_content, load_pages, written_text
from reader.config import Settings
from reader.services import build_services
from tests.backends.servers import ACCESS_KEY, BUCKET, SECRET_KEY, RedisServer, SeaweedServer
from tests.deploy.nginx import REPLICAS_CONFIG, local_replicas_config

NAME = "replica-audio"
TARGET = 0.8
REPLICAS = 3
RANGE_BYTES = 64 * 1024
ORIGIN = "https://www.htk.dk"
SIDES = ("replicas", "nginx")


@dataclass(frozen=True)
class Setup:
    servers: dict[str, Server]
    """nginx in front of the replicas; nginx serving the file from disk (the reference)."""
    audio: str
    data: bytes
    scripts: dict[str, Path]
    """wrk scripts: a 64 KiB Range, and the same from another site's page (Origin)."""


def _script(directory: Path, name: str, headers: dict[str, str]) -> Path:
    path = directory / f"{name}.lua"
    path.write_text(
        "".join(f'wrk.headers["{key}"] = "{value}"\n' for key, value in headers.items()),
        encoding="utf-8",
    )
    return path


def _shared(redis: RedisServer, store: SeaweedServer, prefix: str) -> dict[str, str]:
    return {
        "READER_REDIS_URL": redis.url,
        "READER_STORAGE_URL": f"s3://{BUCKET}/{prefix}",
        "READER_S3_ENDPOINT": store.endpoint,
        "READER_S3_ACCESS_KEY_ID": ACCESS_KEY,
        "READER_S3_SECRET_ACCESS_KEY": SECRET_KEY,
        "READER_ALLOWED_ORIGINS": ORIGIN,
        "READER_WATCH_INTERVAL": "0",
        "READER_UPGRADE_INTERVAL": "0",
        "READER_AUTO_REGENERATE": "false",
    }


def _build_into_store(content: Path, root: Path, env: dict[str, str]) -> str:
    """The longest page built (espeak-ng) into the store; its track's ``/audio/`` path."""
    page = max(load_pages(content), key=lambda page: len(written_text(page)))
    settings = Settings(
        content_dir=content,
        data_dir=root / "build-var",
        engine="espeak",
        redis_url=SecretStr(env["READER_REDIS_URL"]),
        storage_url=env["READER_STORAGE_URL"],
        s3_endpoint=env["READER_S3_ENDPOINT"],
        s3_access_key_id=SecretStr(ACCESS_KEY),
        s3_secret_access_key=SecretStr(SECRET_KEY),
    )
    services = build_services(settings)
    try:
        digest = services.builder.build(page.slug).manifest.page.hash
    finally:
        services.close()
    return f"/audio/{digest}.mp3"


@contextmanager
def servers() -> Iterator[Setup]:
    with tempfile.TemporaryDirectory() as scratch, ExitStack() as stack:
        root = Path(scratch)
        root.chmod(0o755)
        content = copy_content(root / "content")
        redis = RedisServer(root / "redis")
        redis.start()
        stack.callback(redis.stop)
        store = SeaweedServer(root / "weed")
        store.start()
        stack.callback(store.stop)
        env = _shared(redis, store, uuid.uuid4().hex)
        progress(f"{NAME}: building the longest page into the object store (espeak-ng)")
        audio = _build_into_store(content, root, env)
        replicas = [
            stack.enter_context(reader_serve(content, root / f"var-{n}", env=env))
            for n in range(REPLICAS)
        ]
        # The bytes the store holds, fetched the way a listener would, from one replica.
        status, _, data = replicas[0].get(audio)
        if status != 200:
            raise BenchError(f"a replica answered {status} for {audio}")
        plain_dir = root / "plain"
        (plain_dir / "audio").mkdir(parents=True)
        (plain_dir / audio.lstrip("/")).write_bytes(data)
        port = free_port()
        text = local_replicas_config(
            REPLICAS_CONFIG.read_text(encoding="utf-8"),
            root,
            [replica.port for replica in replicas],
            port,
        )
        # The benchmark's nginx runs its workers as root (bench._servers.nginx says so).
        text = text.replace("user www-data;\n", "")
        front = stack.enter_context(nginx(text, port, probe="/healthz"))
        port = free_port()
        plain = stack.enter_context(nginx(plain_config(plain_dir, port), port))
        yield Setup(
            servers={"replicas": front, "nginx": plain},
            audio=audio,
            data=data,
            scripts={
                "range": _script(root, "range", {"Range": f"bytes=0-{RANGE_BYTES - 1}"}),
                "origin": _script(
                    root, "origin", {"Range": f"bytes=0-{RANGE_BYTES - 1}", "Origin": ORIGIN}
                ),
            },
        )


def check_answers(setup: Setup) -> None:
    """Both sides answer the timed request with the file's first 64 KiB, before any timing."""
    size = len(setup.data)
    if size <= RANGE_BYTES:
        raise BenchError(f"the page's track is only {size} bytes: no 64 KiB range to ask for")
    wanted = (206, str(RANGE_BYTES), f"bytes 0-{RANGE_BYTES - 1}/{size}")
    asks = [("range", {"Range": f"bytes=0-{RANGE_BYTES - 1}"})]
    asks.append(("origin", {"Range": f"bytes=0-{RANGE_BYTES - 1}", "Origin": ORIGIN}))
    for side, server in setup.servers.items():
        for kind, headers in asks:
            if kind == "origin" and side == "nginx":
                continue
            status, found, body = server.get(setup.audio, headers)
            got = (status, found.get("content-length"), found.get("content-range"))
            if got != wanted or body != setup.data[:RANGE_BYTES]:
                raise BenchError(f"{side}: a 64 KiB Range GET ({kind}) answered {got}")


def run(repeat: int) -> Result:
    rates: dict[str, list[float]] = {"replicas": [], "nginx": [], "origin": []}
    with servers() as setup:
        check_answers(setup)
        for index in range(repeat):
            progress(f"{NAME}: run {index + 1} of {repeat}")
            order = SIDES if index % 2 == 0 else SIDES[::-1]
            for side in order:
                url = setup.servers[side].url(setup.audio)
                load = wrk(url, script=setup.scripts["range"])
                rates[side].append(checked(load, f"Range GETs of {side}").per_second)
            url = setup.servers["replicas"].url(setup.audio)
            load = wrk(url, script=setup.scripts["origin"])
            rates["origin"].append(checked(load, "Range GETs with Origin").per_second)
        size = len(setup.data)
    ratio = median(rates["replicas"]) / median(rates["nginx"])
    origin = median(rates["origin"])
    return Result(
        name=NAME,
        ours=median(rates["replicas"]),
        reference=median(rates["nginx"]),
        unit="req/s",
        ratio=ratio,
        target=f"replicas/nginx >= {TARGET}",
        meets=ratio >= TARGET,
        details=[
            f"wrk -t {THREADS} -c {CONNECTIONS} -d {DURATION}s on 127.0.0.1, Range "
            f"bytes=0-{RANGE_BYTES - 1} of a {size}-byte track kept in SeaweedFS; "
            f"replicas = deploy/nginx-replicas.conf in front of {REPLICAS} `reader serve` "
            "sharing Redis and the store (nginx answers from its own audio cache); "
            "nginx = a plain static-file config serving the same bytes from disk",
            f"with an Origin header (always answered by a replica, from its copy of the "
            f"store's file, with CORS headers): {origin:.0f} req/s, "
            f"{origin / median(rates['nginx']):.3f} of plain nginx",
        ],
        samples=rates,
    )
