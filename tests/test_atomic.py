"""Atomic writes leave whole files, readable as the process umask allows (nginx serves them)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reader._atomic import write_atomic


@pytest.fixture
def umask() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_a_written_file_has_the_mode_the_umask_gives(
    umask: None, tmp_path: Path, mask: int, mode: int
) -> None:
    os.umask(mask)
    target = tmp_path / "audio" / "x.mp3"
    write_atomic(target, b"data")
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert target.read_bytes() == b"data"


def test_a_replaced_file_leaves_no_temp_file_behind(umask: None, tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    write_atomic(target, b"old")
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


WRITER = """
import sys
from pathlib import Path
from reader._atomic import write_atomic

path, me = Path(sys.argv[1]), sys.argv[2]
for round in range(int(sys.argv[3])):
    write_atomic(path, (me * 50_000).encode())
"""


def test_processes_sharing_a_directory_replace_a_file_whole(tmp_path: Path) -> None:
    """Replicas sharing the data directory write the same manifest: a reader sees one writer's
    file or another's, never a mix, and no temp file is left."""
    target = tmp_path / "manifests" / "side.json"
    names = [f"{n}" for n in range(3)]
    whole = {(name * 50_000).encode() for name in names}
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(target), name, "150"]) for name in names
    ]
    reads = 0
    for _ in range(100_000):
        if all(writer.poll() is not None for writer in writers):
            break
        try:
            data = target.read_bytes()
        except FileNotFoundError:
            continue  # before the first write
        assert data in whole
        reads += 1
    for writer in writers:
        assert writer.wait(timeout=300) == 0
    assert reads > 0 and target.read_bytes() in whole
    assert [path.name for path in target.parent.iterdir()] == [target.name]
