"""Atomic writes leave whole files, readable as the process umask allows (nginx serves them)."""

from __future__ import annotations

import os
import stat
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
