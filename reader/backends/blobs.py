"""Where clips and tracks are kept: files in the data directory, or an S3-compatible store.

A blob is immutable bytes under a name, optionally with a small sidecar (a clip's JSON
description). A blob that has a sidecar counts as finished only with it. Writes are
first-writer-wins: a second writer of the same name gets the blob that is already there, so a
published name never changes under a listener and a clip's description always belongs to its
bytes. Only ``replace`` (a clip made anew on purpose) overwrites.

With an object store, the data directory holds a local copy of what this replica read or
wrote: clips (needed as files to assemble tracks) and a bounded cache of tracks.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from reader._atomic import write_atomic
from reader.errors import BackendUnavailable

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

logger = logging.getLogger(__name__)

SIDECAR_KEY = "reader-sidecar"
"""The S3 user metadata that carries a blob's sidecar (stored with the bytes, atomically)."""
MAX_SIDECAR = 1800
"""Bytes of sidecar S3 metadata may hold (2 KiB for all user metadata, with room to spare)."""


@dataclass(frozen=True)
class Blob:
    """A stored blob, as a local file (the blob itself, or this replica's copy of it)."""

    path: Path
    sidecar: bytes | None = None


class BlobStore(Protocol):
    """Named, immutable bytes. Every method may block: call them from a worker thread."""

    def get(self, name: str, *, sidecar: bool = False) -> Blob | None:
        """The blob ``name``, or None; with ``sidecar``, only a blob stored with one."""
        ...

    def put(
        self, name: str, data: bytes, sidecar: bytes | None = None, *, replace: bool = False
    ) -> Blob:
        """Stores ``data`` unless a finished blob ``name`` exists (then that one is returned:
        first writer wins); ``replace`` stores it in any case."""
        ...

    def size(self, name: str) -> int | None:
        """The blob's size in bytes, or None when there is none."""
        ...


def sidecar_path(path: Path) -> Path:
    return path.with_suffix(".json")


class FileBlobs:
    """Blobs as files under ``root`` (a data directory, local or shared such as NFS); the
    sidecar is a ``.json`` file next to the bytes, written after them."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: str) -> Path:
        return self.root / name

    def get(self, name: str, *, sidecar: bool = False) -> Blob | None:
        path = self.path(name)
        if not sidecar:
            return Blob(path) if path.is_file() else None
        side = sidecar_path(path)
        try:
            meta = side.read_bytes()
        except FileNotFoundError:
            return None
        except IsADirectoryError:
            logger.warning("ignoring unreadable sidecar %s", side)
            return None
        if not path.is_file():
            logger.warning("sidecar %s has no blob", side)
            return None
        return Blob(path, meta)

    def put(
        self, name: str, data: bytes, sidecar: bytes | None = None, *, replace: bool = False
    ) -> Blob:
        if not replace:
            found = self.get(name, sidecar=sidecar is not None)
            if found is not None:
                return found
        path = self.path(name)
        write_atomic(path, data)
        if sidecar is not None:
            write_atomic(sidecar_path(path), sidecar)
        return Blob(path, sidecar)

    def size(self, name: str) -> int | None:
        try:
            return self.path(name).stat().st_size
        except FileNotFoundError:
            return None

    def remove(self, name: str) -> None:
        path = self.path(name)
        path.unlink(missing_ok=True)
        sidecar_path(path).unlink(missing_ok=True)


def store_unavailable(error: Exception) -> BackendUnavailable:
    logger.warning("object store does not answer: %s", error)
    return BackendUnavailable(
        "Lydarkivet svarer ikke lige nu. Lyd, der allerede er hentet, kan stadig høres; "
        "prøv igen om lidt."
    )


class S3Blobs:
    """Blobs as objects under ``prefix`` in ``bucket``; the sidecar is user metadata of the
    object, so bytes and description are written (and won) together. First writer wins by a
    conditional put (``If-None-Match: *``, answered 412 when the object exists)."""

    def __init__(self, client: S3Client, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    def fetch(self, name: str) -> tuple[bytes, bytes | None] | None:
        """The object's bytes and sidecar, or None when there is no such object."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.prefix + name)
            data = answer["Body"].read()
        except ClientError as error:
            if _status(error) == 404:
                return None
            raise store_unavailable(error) from None
        except BotoCoreError as error:
            raise store_unavailable(error) from None
        meta = answer.get("Metadata", {}).get(SIDECAR_KEY)
        return data, meta.encode("ascii") if meta is not None else None

    def store(self, name: str, data: bytes, sidecar: bytes | None, *, replace: bool) -> bool:
        """Whether ``data`` was stored (False: an object was there first)."""
        from botocore.exceptions import BotoCoreError, ClientError

        metadata: dict[str, str] = {}
        if sidecar is not None:
            if len(sidecar) > MAX_SIDECAR:
                raise ValueError(f"a sidecar of {len(sidecar)} bytes is too large for S3")
            metadata[SIDECAR_KEY] = sidecar.decode("ascii")
        try:
            if replace:
                self.client.put_object(
                    Bucket=self.bucket, Key=self.prefix + name, Body=data, Metadata=metadata
                )
            else:
                self.client.put_object(
                    Bucket=self.bucket,
                    Key=self.prefix + name,
                    Body=data,
                    Metadata=metadata,
                    IfNoneMatch="*",
                )
        except ClientError as error:
            # 409: another conditional write of the same key is in progress.
            if _status(error) in (409, 412):
                return False
            raise store_unavailable(error) from None
        except BotoCoreError as error:
            raise store_unavailable(error) from None
        return True

    def head(self, name: str) -> int | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = self.client.head_object(Bucket=self.bucket, Key=self.prefix + name)
        except ClientError as error:
            if _status(error) == 404:
                return None
            raise store_unavailable(error) from None
        except BotoCoreError as error:
            raise store_unavailable(error) from None
        return answer["ContentLength"]


def _status(error: Exception) -> int | None:
    response = getattr(error, "response", {})
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return status if isinstance(status, int) else None


class CachedBlobs:
    """An object store seen through a local copy: reads fill it, writes go to the store first
    and then to it. With ``max_bytes``, the least recently used copies are deleted beyond it
    (the store keeps them); without, the copy keeps everything (clips, small and needed as
    files)."""

    def __init__(self, remote: S3Blobs, local: FileBlobs, max_bytes: int | None = None) -> None:
        self.remote = remote
        self.local = local
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._sizes: OrderedDict[str, int] = OrderedDict()
        self._total = 0
        if max_bytes is not None:
            self._scan()

    def _scan(self) -> None:
        """The copies a previous run left, oldest first, so the bound holds across restarts."""
        root = self.local.root
        found: list[tuple[float, str, int]] = []
        for path in root.rglob("*") if root.is_dir() else ():
            if path.is_file() and path.suffix != ".json" and not path.name.startswith("."):
                stat = path.stat()
                found.append((stat.st_mtime, path.relative_to(root).as_posix(), stat.st_size))
        for _, name, size in sorted(found):
            self._remember(name, size)
        self._evict()

    def get(self, name: str, *, sidecar: bool = False) -> Blob | None:
        found = self.local.get(name, sidecar=sidecar)
        if found is not None:
            self._used(name, found.path)
            return found
        fetched = self.remote.fetch(name)
        if fetched is None:
            return None
        data, meta = fetched
        if sidecar and meta is None:
            return None
        return self._keep(name, data, meta)

    def put(
        self, name: str, data: bytes, sidecar: bytes | None = None, *, replace: bool = False
    ) -> Blob:
        if not replace:
            found = self.local.get(name, sidecar=sidecar is not None)
            if found is not None:
                return found
        if self.remote.store(name, data, sidecar, replace=replace):
            return self._keep(name, data, sidecar)
        winner = self.remote.fetch(name)
        if winner is None:  # deleted in between by an operator: ours is as good as any
            return self.put(name, data, sidecar, replace=True)
        logger.info("%s was written first by another replica", name)
        return self._keep(name, *winner)

    def size(self, name: str) -> int | None:
        local = self.local.size(name)
        return local if local is not None else self.remote.head(name)

    def _keep(self, name: str, data: bytes, sidecar: bytes | None) -> Blob:
        blob = self.local.put(name, data, sidecar, replace=True)
        self._remember(name, len(data))
        self._evict()
        return blob

    def _used(self, name: str, path: Path) -> None:
        if self.max_bytes is None:
            return
        with self._lock:
            if name in self._sizes:
                self._sizes.move_to_end(name)
        try:
            os.utime(path)  # the order survives a restart (see _scan)
        except OSError:
            pass

    def _remember(self, name: str, size: int) -> None:
        if self.max_bytes is None:
            return
        with self._lock:
            self._total += size - self._sizes.pop(name, 0)
            self._sizes[name] = size

    def _evict(self) -> None:
        if self.max_bytes is None:
            return
        while True:
            with self._lock:
                if self._total <= self.max_bytes or len(self._sizes) <= 1:
                    return
                name, size = self._sizes.popitem(last=False)
                self._total -= size
            self.local.remove(name)

    @property
    def cached_bytes(self) -> int:
        with self._lock:
            return self._total
