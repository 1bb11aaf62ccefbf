"""What one reader process shares with others, picked in one place from the settings.

Embedded (the default): locks and the rate limit live in this process, clips, tracks and the
editors' jobs in the data directory, and this process watches the content files. With
``READER_REDIS_URL``: locks, the rate limit and the jobs live in Redis, shared by every
replica, and one replica at a time (the lead) watches the content files they share. With
``READER_STORAGE_URL=s3://…``: clips and tracks live in an S3-compatible store, with a local
copy under the data directory. The rest of the code sees only the small interfaces below; no
module outside this package knows which is in use.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reader.backends.baseline import ContentBaseline, LocalBaseline, RedisBaseline, lead_ttl
from reader.backends.blobs import BlobStore, CachedBlobs, FileBlobs, S3Blobs
from reader.backends.locks import KeyLocks, LocalLocks, RedisLocks
from reader.backends.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from reader.config import Settings
from reader.editor.jobstore import FileJobStore, JobStore, RedisJobStore

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class Backends:
    """The shared parts of one process: built by ``build_backends``, closed with it."""

    locks: KeyLocks
    """One synthesis per clip key."""
    speak_limiter: RateLimiter
    """``POST /api/speak`` requests per client."""
    clips: BlobStore
    """Sentence clips, by ``<2 hex>/<key>.mp3``, with their JSON description as sidecar."""
    tracks: BlobStore
    """Section and page tracks, by ``<hash>.mp3``."""
    jobs: JobStore
    """The editors' regeneration jobs, their state and progress."""
    content: ContentBaseline
    """The content files as last looked at, and whether this process looks."""
    description: str
    """Which backends, for the log (never a secret)."""

    def close(self) -> None:
        self.content.close()
        self.locks.close()


def build_backends(settings: Settings) -> Backends:
    """The backends the settings name. Nothing connects yet: a Redis or store that is down
    does not stop start-up (cached audio and pages need neither)."""
    parts: list[str] = []
    locks: KeyLocks
    limiter: RateLimiter
    jobs: JobStore
    content: ContentBaseline
    if settings.redis_url is None:
        locks = LocalLocks()
        limiter = MemoryRateLimiter(per_minute=settings.speak_per_minute)
        jobs = FileJobStore(settings.data_dir)
        content = LocalBaseline()
        parts.append("locks, rate limit, jobs and content watch in this process")
    else:
        from reader.backends._redis import connect

        url = settings.redis_url.get_secret_value()
        client = connect(url, settings.backend_timeout)
        locks = RedisLocks(client)
        limiter = RedisRateLimiter(
            url, per_minute=settings.speak_per_minute, timeout=settings.backend_timeout
        )
        jobs = RedisJobStore(client)
        ttl = lead_ttl(settings.watch_interval, settings.backend_timeout)
        content = RedisBaseline(client, locks, ttl=ttl)
        parts.append("locks, rate limit, jobs and the content watch's lead in redis")
    clips: BlobStore
    tracks: BlobStore
    local_clips = FileBlobs(settings.data_dir / "clips")
    local_tracks = FileBlobs(settings.data_dir / "audio")
    if settings.storage_url is None:
        clips, tracks = local_clips, local_tracks
        parts.append(f"audio in {settings.data_dir}")
    else:
        store = s3_client(settings)
        prefix = settings.s3_prefix
        clips = CachedBlobs(S3Blobs(store, settings.s3_bucket, prefix + "clips/"), local_clips)
        tracks = CachedBlobs(
            S3Blobs(store, settings.s3_bucket, prefix + "audio/"),
            local_tracks,
            max_bytes=settings.store_cache_mb * 1024 * 1024,
        )
        parts.append(f"audio in s3://{settings.s3_bucket}/{prefix}")
    return Backends(
        locks=locks,
        speak_limiter=limiter,
        clips=clips,
        tracks=tracks,
        jobs=jobs,
        content=content,
        description="; ".join(parts),
    )


def s3_client(settings: Settings) -> S3Client:
    """A client of the object store with a bounded wait on every call and one retry."""
    import boto3
    from botocore.config import Config

    timeout = settings.backend_timeout
    config = Config(
        connect_timeout=timeout,
        read_timeout=timeout,
        retries={"max_attempts": 2, "mode": "standard"},
        s3={"addressing_style": "path"},
        # Checksums on every request are for AWS; other stores may refuse or ignore them.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    key_id = settings.s3_access_key_id
    secret = settings.s3_secret_access_key
    return boto3.session.Session().client(
        "s3",
        endpoint_url=settings.s3_endpoint,
        region_name=settings.s3_region,
        aws_access_key_id=key_id.get_secret_value() if key_id else None,
        aws_secret_access_key=secret.get_secret_value() if secret else None,
        config=config,
    )
