"""Clips and tracks as blobs: first writer wins, in a directory and in an S3-compatible store,
and the local copy of the store stays within its bound."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from reader.backends.blobs import CachedBlobs, FileBlobs, S3Blobs
from tests.backends.servers import BUCKET, SeaweedServer

pytestmark = pytest.mark.slow


def store(seaweed: SeaweedServer) -> S3Blobs:
    return S3Blobs(seaweed.client(), BUCKET, f"{uuid.uuid4().hex}/")


def test_files_keep_the_first_writer_unless_told_to_replace(tmp_path: Path) -> None:
    blobs = FileBlobs(tmp_path)
    first = blobs.put("ab/x.mp3", b"first", b'{"n": 1}')
    second = blobs.put("ab/x.mp3", b"second", b'{"n": 2}')
    assert (second.path.read_bytes(), second.sidecar) == (b"first", b'{"n": 1}')
    assert first.path == second.path == tmp_path / "ab" / "x.mp3"
    replaced = blobs.put("ab/x.mp3", b"third", b'{"n": 3}', replace=True)
    assert (replaced.path.read_bytes(), replaced.sidecar) == (b"third", b'{"n": 3}')


def test_a_blob_with_a_sidecar_counts_only_once_the_sidecar_is_there(tmp_path: Path) -> None:
    blobs = FileBlobs(tmp_path)
    blobs.put("ab/x.mp3", b"bytes")
    assert blobs.get("ab/x.mp3") is not None
    assert blobs.get("ab/x.mp3", sidecar=True) is None


def test_the_store_keeps_the_first_writer_of_bytes_and_sidecar_together(
    seaweed: SeaweedServer,
) -> None:
    remote = store(seaweed)
    assert remote.store("ab/x.mp3", b"first", b'{"n":1}', replace=False)
    assert not remote.store("ab/x.mp3", b"second", b'{"n":2}', replace=False)
    assert remote.fetch("ab/x.mp3") == (b"first", b'{"n":1}')
    assert remote.store("ab/x.mp3", b"third", b'{"n":3}', replace=True)
    assert remote.fetch("ab/x.mp3") == (b"third", b'{"n":3}')
    assert remote.fetch("ab/none.mp3") is None
    assert remote.head("ab/x.mp3") == len(b"third")


def test_the_second_replica_to_write_gets_the_first_ones_blob(
    seaweed: SeaweedServer, tmp_path: Path
) -> None:
    remote = store(seaweed)
    one = CachedBlobs(remote, FileBlobs(tmp_path / "a"))
    other = CachedBlobs(remote, FileBlobs(tmp_path / "b"))
    one.put("ab/x.mp3", b"made on a", b'{"by":"a"}')
    won = other.put("ab/x.mp3", b"made on b", b'{"by":"b"}')
    assert (won.path.read_bytes(), won.sidecar) == (b"made on a", b'{"by":"a"}')
    assert won.path == tmp_path / "b" / "ab" / "x.mp3"
    read = other.get("ab/x.mp3", sidecar=True)
    assert read is not None and read.sidecar == b'{"by":"a"}'


def test_the_local_copy_lets_the_least_recently_used_go_beyond_its_bound(
    seaweed: SeaweedServer, tmp_path: Path
) -> None:
    remote = store(seaweed)
    size = 1000
    cached = CachedBlobs(remote, FileBlobs(tmp_path), max_bytes=int(2.5 * size))
    for name in ("a.mp3", "b.mp3"):
        cached.put(name, name.encode() * (size // 5))
    assert cached.get("a.mp3") is not None  # a is now used more recently than b
    cached.put("c.mp3", b"c.mp3" * (size // 5))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a.mp3", "c.mp3"]
    assert cached.cached_bytes <= int(2.5 * size)
    again = cached.get("b.mp3")  # gone from the copy, not from the store
    assert again is not None and again.path.read_bytes() == b"b.mp3" * (size // 5)
    # A new process over the same directory knows what is there and keeps to a smaller bound.
    smaller = CachedBlobs(remote, FileBlobs(tmp_path), max_bytes=size)
    assert smaller.cached_bytes <= size
    assert len(list(tmp_path.iterdir())) == 1
