"""Piper voices: the ones reader knows where to get, and where an installed one lives.

A voice is a model (``NAME.onnx``) and its settings (``NAME.onnx.json``), installed under
``data_dir/voices/NAME/``. The voice files are data for the Piper process; reader itself only
finds, checks and copies them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reader.config import Settings

PIPER_VOICES_URL = "https://huggingface.co/rhasspy/piper-voices/resolve/main"
"""Where the Piper voices are published."""


@dataclass(frozen=True)
class VoiceFile:
    name: str
    path: str
    """Below the publisher's address."""
    sha256: str
    size: int


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
            VoiceFile(
                "da_DK-talesyntese-medium.onnx.json",
                f"{_TALESYNTESE}.onnx.json",
                "56207f31c52827aedc246761cb9925b97fdc16286d287d661ae170fd5631483c",
                4878,
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
