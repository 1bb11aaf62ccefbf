"""``reader serve`` makes degraded audio again with gTTS once Google answers again."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.fakes.google import FakeGoogle, Reply, Status
from tests.web.server import reader_server, run_reader

pytestmark = pytest.mark.slow

SLUG = "forebyggelsesstrategi"
TOKEN = "upgrade-test-token-0123"
POLLS = 600
POLL_INTERVAL = 0.2


def page_state(client: httpx.Client) -> str:
    state: str = client.get(f"/api/pages/{SLUG}").json()["audio"]["state"]
    return state


def upgrade_state(client: httpx.Client) -> object:
    rows = client.get("/api/status", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    return {row["slug"]: row["upgrade"] for row in rows}[SLUG]


def wait_for(condition: str, check: object) -> None:
    assert callable(check)
    for _ in range(POLLS):
        if check():
            return
        time.sleep(POLL_INTERVAL)
    raise AssertionError(f"never {condition}")


def reader_status(content_dir: Path, data_dir: Path) -> str:
    # The same engines as the server: auto, the fake's URL (from the environment).
    return run_reader(content_dir, data_dir, "status")


def test_degraded_pages_become_fresh_once_google_answers_again(
    content_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "var"
    with FakeGoogle(default=Status(503)) as google:
        monkeypatch.setenv("READER_ENGINE", "auto")
        monkeypatch.setenv("READER_GTTS_URL", google.url)
        monkeypatch.setenv("READER_GTTS_RETRIES", "0")
        monkeypatch.setenv("READER_BREAKER_RESET", "1")
        monkeypatch.setenv("READER_UPGRADE_INTERVAL", "0.5")
        monkeypatch.setenv("READER_ADMIN_TOKEN", TOKEN)
        with (
            reader_server(content_dir, data_dir) as base,
            httpx.Client(base_url=base, timeout=60) as client,
        ):
            assert client.get(f"/api/pages/{SLUG}/audio").status_code == 307
            assert page_state(client) == "degraded"
            wait_for("waiting", lambda: "waiting for gTTS" in reader_status(content_dir, data_dir))
            status = reader_status(content_dir, data_dir)
            assert f"{SLUG}" in status and "sentences by the fallback" in status
            # Between its tries the upgrader waits; during one it says it is upgrading.
            wait_for("waiting in the editors' status", lambda: upgrade_state(client) == "waiting")

            down = google.requests
            google.default = Reply()  # Google is back
            wait_for("fresh", lambda: page_state(client) == "fresh")
            assert google.requests > down
            audio = client.get(f"/api/pages/{SLUG}").json()["audio"]
            assert not any(section["degraded"] for section in audio["sections"])
    status = reader_status(content_dir, data_dir)
    assert "nothing to do, 1 pages upgraded" in status or "upgrading" in status
