"""Disks that fail as real ones do: a full tmpfs and a read-only bind mount.

The tests run as root (here and in CI), so they mount these themselves and always unmount them.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def tmpfs(mount: Path, *, size: str) -> Iterator[Path]:
    mount.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=True)


def fill(mount: Path) -> None:
    """Write until the file system says it is full: 0 bytes free."""
    block = b"\0" * 4096
    # Unbuffered, so closing never retries a write the disk refused.
    with (mount / "filler").open("ab", buffering=0) as handle:
        try:
            for _ in range(1_000_000):  # bounded: 4 GB is far more than any test tmpfs
                handle.write(block)
        except OSError:
            pass
    with (mount / "filler-tail").open("ab", buffering=0) as handle:
        try:
            for _ in range(4096):  # the last bytes of a block that was not whole
                handle.write(b"\0")
        except OSError:
            pass


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs filled to the last byte."""
    with tmpfs(tmp_path / "full", size="2m") as mount:
        fill(mount)
        yield mount


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A read-only bind mount of an ordinary directory: root cannot write there either."""
    source = tmp_path / "source"
    source.mkdir()
    mount = tmp_path / "ro"
    mount.mkdir()
    subprocess.run(["mount", "--bind", str(source), str(mount)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(mount)], check=True)
        yield mount
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=True)
