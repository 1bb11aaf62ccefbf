"""Clean-up of the data directory: audio no page uses any more, and temp files a crash left.

A track or clip is kept while any manifest points to it, and for ``grace`` seconds after it
was last written or used: an address a listener was handed a moment ago keeps working, and a
build that has made its files but not yet written its manifest keeps them. When a manifest
cannot be read, nothing but temp files is removed: what it needs is unknown.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from reader.audio.manifest import Manifest

logger = logging.getLogger(__name__)

TMP_GRACE = 600.0
"""Seconds after which a temp file of an atomic write is left over from a crash: a write takes
moments, never minutes."""

Reason = Literal["temp", "unused"]


@dataclass(frozen=True)
class Removal:
    path: Path
    size: int
    reason: Reason


@dataclass
class CleanPlan:
    """What a clean-up removes (or would remove), and why some audio had to stay."""

    removals: list[Removal] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(removal.size for removal in self.removals)


def plan_clean(data_dir: Path, *, grace: float, now: float | None = None) -> CleanPlan:
    """What to remove from ``data_dir``; nothing is removed yet."""
    now = time.time() if now is None else now
    plan = CleanPlan()
    for path in sorted(data_dir.rglob(".*.tmp")):
        _consider(plan, [path], "temp", now - TMP_GRACE)
    tracks: set[str] = set()
    clips: set[str] = set()
    for path in sorted((data_dir / "manifests").glob("*.json")):
        try:
            manifest = Manifest.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            continue
        except (OSError, ValidationError) as error:
            plan.problems.append(f"{path.relative_to(data_dir)}: {type(error).__name__}")
            continue
        tracks.add(manifest.page.hash)
        tracks.update(section.hash for section in manifest.sections)
        clips.update(clip.key for clip in manifest.clips)
    if plan.problems:
        return plan  # a manifest we cannot read may need any of the files
    for path in sorted((data_dir / "audio").glob("*.mp3")):
        if path.stem not in tracks:
            _consider(plan, [path], "unused", now - grace)
    for path in sorted((data_dir / "clips").glob("*/*.mp3")):
        if path.stem not in clips:
            _consider(plan, [path, path.with_suffix(".json")], "unused", now - grace)
    return plan


def _consider(plan: CleanPlan, paths: list[Path], reason: Reason, before: float) -> None:
    """Plan the removal of ``paths`` (a file and its companions) if all were last written
    before ``before``."""
    found = []
    for path in paths:
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        if stat.st_mtime >= before:
            return
        found.append(Removal(path, stat.st_size, reason))
    plan.removals.extend(found)


def carry_out(plan: CleanPlan) -> Iterator[Removal]:
    """Remove the planned files; yields each one removed (one already gone is skipped)."""
    for removal in plan.removals:
        try:
            removal.path.unlink()
        except FileNotFoundError:
            continue
        yield removal


class Cleaner:
    """``reader serve``'s clean-up, every ``interval`` seconds in a thread (never when 0)."""

    def __init__(
        self,
        data_dir: Path,
        *,
        grace: float,
        interval: float,
    ) -> None:
        self.data_dir = data_dir
        self.grace = grace
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.interval > 0 and self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="clean", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def clean_once(self) -> list[Removal]:
        plan = plan_clean(self.data_dir, grace=self.grace)
        for problem in plan.problems:
            logger.warning("clean-up keeps all audio: cannot read %s", problem)
        removed = list(carry_out(plan))
        if removed:
            size = sum(removal.size for removal in removed)
            logger.info("clean-up removed %d files, %d bytes", len(removed), size)
        return removed

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.clean_once()
            except OSError:  # keep going: the disk may be back next time
                logger.exception("clean-up of %s failed", self.data_dir)
