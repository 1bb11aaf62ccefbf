"""``reader clean``: audio no page uses any more goes once it is old, temp files a crash left
go, and nothing a current manifest points to is ever removed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from reader.audio.clean import TMP_GRACE, carry_out, plan_clean
from reader.audio.manifest import Manifest, ManifestStore
from reader.config import Settings
from reader.services import build_services
from tests.editor.apps import FOREBYG, POLITIK
from tests.web.server import REPO, reader_server

GRACE = 3600.0


@dataclass(frozen=True)
class Built:
    data_dir: Path
    needed: set[Path]
    """Every file a current manifest points to."""
    replaced: set[Path]
    """Tracks and clips only the page's previous audio used."""


def manifest_files(data_dir: Path, manifest: Manifest) -> set[Path]:
    tracks = [manifest.page.hash, *(section.hash for section in manifest.sections)]
    clips = {clip.key for clip in manifest.clips}
    return {data_dir / "audio" / f"{digest}.mp3" for digest in tracks} | {
        data_dir / "clips" / key[:2] / f"{key}{suffix}"
        for key in clips
        for suffix in (".mp3", ".json")
    }


def age(paths: Iterator[Path] | set[Path], seconds: float) -> None:
    then = time.time() - seconds
    for path in paths:
        os.utime(path, (then, then))


@pytest.fixture
def built(settings: Settings) -> Built:
    """Both seed pages built; then one sentence of one page changed and built again, so its
    old page and section tracks and the old sentence's clip are no longer used."""
    services = build_services(settings)
    manifests = ManifestStore(settings.data_dir)
    try:
        for slug in (POLITIK, FOREBYG):
            services.builder.build(slug)
        before = manifests.load(POLITIK)
        assert before is not None
        old = manifest_files(settings.data_dir, before)
        page = settings.pages_dir / f"{POLITIK}.html"
        text = page.read_text(encoding="utf-8")
        page.write_text(
            text.replace("Integrationsråd, der vejleder", "Integrationsråd, som vejleder", 1),
            encoding="utf-8",
        )
        services.builder.build(POLITIK)
    finally:
        services.close()
    needed = set()
    for slug in (POLITIK, FOREBYG):
        manifest = manifests.load(slug)
        assert manifest is not None
        needed |= manifest_files(settings.data_dir, manifest)
    replaced = old - needed
    assert replaced and all(path.is_file() for path in needed | replaced)
    kinds = {path.relative_to(settings.data_dir).parts[0] for path in replaced}
    assert kinds == {"audio", "clips"}  # old tracks and the old sentence's clip
    return Built(settings.data_dir, needed, replaced)


def leave_temp_file(data_dir: Path) -> Path:
    """What an atomic write interrupted by a crash leaves."""
    path = data_dir / "audio" / ".0123456789abcdef0123456789abcdef.mp3.00ff00ff00ff00ff.tmp"
    path.write_bytes(b"half a track")
    return path


def test_old_unused_audio_and_old_temp_files_go_and_every_needed_file_stays(built: Built) -> None:
    temp = leave_temp_file(built.data_dir)
    age(built.data_dir.rglob("*"), GRACE + TMP_GRACE + 60)  # needed files are old too
    plan = plan_clean(built.data_dir, grace=GRACE)
    assert not plan.problems
    planned = {removal.path for removal in plan.removals}
    assert planned == built.replaced | {temp}
    assert plan.size == sum(path.stat().st_size for path in planned)
    removed = list(carry_out(plan))
    assert {removal.path for removal in removed} == planned
    assert not any(path.exists() for path in planned)
    assert all(path.is_file() for path in built.needed)
    assert plan_clean(built.data_dir, grace=GRACE).removals == []


def test_unused_audio_within_the_grace_period_and_fresh_temp_files_stay(built: Built) -> None:
    temp = leave_temp_file(built.data_dir)  # being written right now, as far as anyone knows
    age(built.replaced, GRACE - 60)
    assert plan_clean(built.data_dir, grace=GRACE).removals == []
    age([temp], TMP_GRACE + 60)
    assert [removal.path for removal in plan_clean(built.data_dir, grace=GRACE).removals] == [temp]


def test_a_manifest_that_cannot_be_read_keeps_all_audio(built: Built) -> None:
    temp = leave_temp_file(built.data_dir)
    age(built.data_dir.rglob("*"), GRACE + TMP_GRACE + 60)
    (built.data_dir / "manifests" / "ny-side.json").write_text('{"slug": "ny-side"', "utf-8")
    plan = plan_clean(built.data_dir, grace=GRACE)
    assert plan.problems and "ny-side.json" in plan.problems[0]
    assert [removal.path for removal in plan.removals] == [temp]


def clean(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "READER_DATA_DIR": str(data_dir), "READER_CLEAN_GRACE": str(GRACE)}
    return subprocess.run(
        [sys.executable, "-m", "reader", "clean", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def listed(output: str, verb: str) -> dict[Path, int]:
    found = re.findall(rf"^{verb} (\S+)  (\d+) bytes", output, flags=re.MULTILINE)
    return {Path(path): int(size) for path, size in found}


def test_reader_clean_dry_run_prints_what_it_would_remove_then_removes_it(built: Built) -> None:
    temp = leave_temp_file(built.data_dir)
    age(built.data_dir.rglob("*"), GRACE + TMP_GRACE + 60)
    expected = {path.relative_to(built.data_dir) for path in built.replaced | {temp}}
    size = sum(path.stat().st_size for path in built.replaced | {temp})

    dry = clean(built.data_dir, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert set(listed(dry.stdout, "would remove")) == expected
    assert (
        dry.stdout.splitlines()[-1] == f"would remove {len(expected)} files, {size} bytes (dry run)"
    )
    assert all(path.exists() for path in built.replaced | {temp})

    done = clean(built.data_dir)
    assert done.returncode == 0, done.stderr
    assert listed(done.stdout, "removed") == listed(dry.stdout, "would remove")
    assert done.stdout.splitlines()[-1] == f"removed {len(expected)} files, {size} bytes"
    assert not any(path.exists() for path in built.replaced | {temp})
    assert all(path.is_file() for path in built.needed)


@pytest.mark.slow
def test_reader_serve_cleans_up_every_interval_and_still_serves_the_pages(
    built: Built, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    temp = leave_temp_file(built.data_dir)
    age(built.data_dir.rglob("*"), GRACE + TMP_GRACE + 60)
    monkeypatch.setenv("READER_ENGINE", "espeak")
    monkeypatch.setenv("READER_CLEAN_GRACE", str(GRACE))
    monkeypatch.setenv("READER_CLEAN_INTERVAL", "0.2")
    with (
        reader_server(settings.content_dir, settings.data_dir) as base,
        httpx.Client(base_url=base, timeout=30) as http,
    ):
        for _ in range(600):
            if not any(path.exists() for path in built.replaced | {temp}):
                break
            time.sleep(0.05)
        else:
            raise AssertionError("reader serve did not clean up")
        assert all(path.is_file() for path in built.needed)
        for slug in (POLITIK, FOREBYG):
            track = http.get(f"/api/pages/{slug}/audio", follow_redirects=True)
            assert track.status_code == 200 and track.headers["content-type"] == "audio/mpeg"


def test_a_build_that_reuses_old_unused_audio_keeps_it_from_the_clean_up_meanwhile(
    built: Built, settings: Settings
) -> None:
    """Between a build finding its clips and tracks and writing its manifest, no clean-up may
    take them: finding them counts as using them."""
    age(built.data_dir.rglob("*"), GRACE + 60)
    page = settings.pages_dir / f"{POLITIK}.html"
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("som vejleder", "der vejleder", 1), encoding="utf-8")
    services = build_services(settings)
    try:
        result = services.builder.build(POLITIK)
    finally:
        services.close()
    assert result.synthesised == 0  # the page as it was: everything is found again
    reused = manifest_files(built.data_dir, result.manifest)
    assert built.replaced & reused
    recent = time.time() - GRACE / 2
    assert all(path.stat().st_mtime > recent for path in reused if path.suffix == ".mp3")
