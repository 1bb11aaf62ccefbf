"""All settings of the service, read from the environment (prefix ``READER_``)."""

from __future__ import annotations

import re
from ipaddress import ip_address
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENGINE_NAMES = ("piper", "gtts", "espeak")
"""The engines ``READER_ENGINE`` may list."""

DEFAULT_EDITOR_LABEL = "redaktion"
"""The name the audit log gives a token that has no label of its own."""

MIN_TOKEN_LENGTH = 16
_LABEL = re.compile(r"[\w .@-]{1,40}")

DEFAULT_PIPER_VOICE = "da_DK-talesyntese-medium"

PIPER_VOICES_URL = "https://huggingface.co/rhasspy/piper-voices/resolve/main"
"""Where the Piper voices are published."""

GOOGLE_TTS_URL = "https://translate.google.com/_/TranslateWebserverUi/data/batchexecute"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def parse_admin_tokens(value: str) -> list[tuple[str, str]]:
    """``READER_ADMIN_TOKEN`` as (label, token) pairs; ``ValueError`` names what is wrong.

    ``"s3cret…"`` is one token labelled ``redaktion``; ``"anna:s3cret…,bo:other…"`` are two. A
    token on its own may not contain ``:`` (give it a label); no token may contain ``,``.
    """
    pairs: list[tuple[str, str]] = []
    for entry in (part.strip() for part in value.split(",")):
        if not entry:
            continue
        label, colon, token = entry.partition(":")
        if not colon:
            label, token = DEFAULT_EDITOR_LABEL, entry
        label = label.strip()
        if not _LABEL.fullmatch(label):
            raise ValueError(
                f"READER_ADMIN_TOKEN: {label[:40]!r} is not a label (1-40 letters, digits, "
                "spaces or . _ - @)"
            )
        if len(token) < MIN_TOKEN_LENGTH or token != token.strip():
            raise ValueError(
                f"READER_ADMIN_TOKEN must be at least {MIN_TOKEN_LENGTH} characters long, "
                f"without spaces around it (the token of {label!r})"
            )
        if any(label == known for known, _ in pairs):
            raise ValueError(f"READER_ADMIN_TOKEN: the label {label!r} is used twice")
        if any(token == known for _, known in pairs):
            raise ValueError("READER_ADMIN_TOKEN: two labels have the same token")
        pairs.append((label, token))
    if not pairs:
        raise ValueError("READER_ADMIN_TOKEN is set but holds no token: unset it or give one")
    return pairs


class Settings(BaseSettings):
    """Settings of one reader instance. Each field is an environment variable ``READER_<NAME>``."""

    # An error never repeats the value it refuses: it may be a token.
    model_config = SettingsConfigDict(
        env_prefix="READER_", extra="ignore", hide_input_in_errors=True
    )

    content_dir: Path = Path("content")
    """Where the pages (``pages/<slug>.html``) and the pronunciation lexicon live."""

    data_dir: Path = Path("var")
    """Where clips, tracks and manifests are cached. Must be writable."""

    engine: str = "auto"
    """Engines in order of preference, comma-separated (``piper,gtts,espeak``); a clip made by
    a later one is degraded. ``auto`` = Piper when its voice is installed, else gTTS, and
    espeak-ng last."""

    piper_voice: str = DEFAULT_PIPER_VOICE
    """The Piper voice: the name of one installed with ``reader voices install``, or the path
    of an ``.onnx`` model (its ``.onnx.json`` beside it); empty means the default."""

    piper_processes: int = Field(default=1, ge=1, le=16)
    """Piper processes, each with the model loaded (about 350 MB each): sentences spoken at
    once."""

    piper_timeout: float = Field(default=30.0, gt=0, le=600)
    """Seconds one Piper sentence may take (loading the model not included); then its process
    is stopped and the next call starts a new one."""

    admin_token: SecretStr | None = None
    """Bearer token(s) for the editor routes; they are disabled while it is unset.

    One token, or comma-separated ``label:token`` pairs: the label names the editor in the
    audit log (a token without a label is logged as ``redaktion``)."""

    auto_regenerate: bool = True
    """Make new audio as soon as a page or the lexicon changes (else an editor starts it)."""

    watch_interval: float = Field(default=3.0, ge=0, le=3600)
    """Seconds between two looks at the content files for changes made on disk; 0 = never."""

    page_versions: int = Field(default=20, ge=1, le=1000)
    """Earlier versions kept of each page, for rolling back."""

    allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Comma-separated origins allowed to fetch the API and audio from a browser (CORS)."""

    base_url: str = "http://127.0.0.1:8000"
    """The public address of the service, used in absolute links (feeds, ID3 tags, oEmbed)."""

    max_page_bytes: int = Field(default=2_000_000, ge=1_000, le=50_000_000)
    """Largest page HTML accepted, in bytes."""

    gtts_url: str = GOOGLE_TTS_URL
    """Google's TTS endpoint. Only ``https``, or ``http`` to a loopback address (tests)."""

    gtts_timeout: float = Field(default=10.0, gt=0, le=120)
    """Seconds one gTTS request may take before it is retried or given up."""

    gtts_concurrency: int = Field(default=4, ge=1, le=32)
    """Most gTTS requests in flight at once, across the whole process."""

    gtts_retries: int = Field(default=3, ge=0, le=10)
    """Retries of one gTTS request after 429, 5xx or a connection error."""

    espeak_speed: int = Field(default=160, ge=80, le=450)
    """espeak-ng words per minute."""

    espeak_timeout: float = Field(default=30.0, gt=0, le=600)
    """Seconds one espeak-ng or ffmpeg call may take."""

    synthesis_wait: float = Field(default=30.0, gt=0, le=300)
    """Seconds a listener's request waits for audio being made before it gets 503 + Retry-After."""

    primary_wait: float = Field(default=3.0, gt=0, le=120)
    """Seconds a listener waits for gTTS on a sentence before espeak-ng speaks it (degraded)."""

    breaker_reset: float = Field(default=60.0, gt=0, le=3600)
    """Seconds gTTS is left alone after repeated failures before one trial call goes to it."""

    upgrade_interval: float = Field(default=30.0, ge=0, le=3600)
    """Seconds between looks for degraded audio to make again with gTTS; 0 = never."""

    queue_size: int = Field(default=64, ge=1, le=10_000)
    """Most section and page builds waiting at once; beyond it requests get 503 + Retry-After."""

    queue_workers: int = Field(default=2, ge=1, le=32)
    """Threads taking builds off the queue."""

    audio_cache_mb: int = Field(default=128, ge=0, le=16_384)
    """Memory for serving audio files without touching the disk."""

    min_free_mb: int = Field(default=32, ge=0, le=1_048_576)
    """Free space the data directory needs for ``/readyz`` to say ready."""

    speak_max_chars: int = Field(default=1000, ge=1, le=20_000)
    """Longest text ``POST /api/speak`` reads."""

    speak_per_minute: int = Field(default=10, ge=1, le=10_000)
    """``POST /api/speak`` requests one client may make a minute."""

    voices_url: str = PIPER_VOICES_URL
    """Where ``reader voices install`` downloads voices from. Only ``https``, or ``http`` to a
    loopback address (tests)."""

    voices_timeout: float = Field(default=30.0, gt=0, le=600)
    """Seconds ``reader voices install`` waits for the server to connect or send more."""

    @field_validator("piper_voice")
    @classmethod
    def _default_voice(cls, value: str) -> str:
        return value.strip() or DEFAULT_PIPER_VOICE

    @field_validator("engine")
    @classmethod
    def _check_engine(cls, value: str) -> str:
        names = [part.strip() for part in value.split(",") if part.strip()]
        if names == ["auto"]:
            return "auto"
        if not names or any(name not in ENGINE_NAMES for name in names):
            raise ValueError(
                "READER_ENGINE must be auto or a comma-separated list of " + ", ".join(ENGINE_NAMES)
            )
        if len(set(names)) != len(names):
            raise ValueError("READER_ENGINE names an engine twice")
        return ",".join(names)

    @property
    def engine_names(self) -> tuple[str, ...]:
        """The engines listed in ``engine`` (empty for ``auto``: that depends on the voices)."""
        return () if self.engine == "auto" else tuple(self.engine.split(","))

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip().rstrip("/") for part in value.split(",") if part.strip()]
        return value

    @field_validator("allowed_origins")
    @classmethod
    def _check_origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
                raise ValueError(
                    f"READER_ALLOWED_ORIGINS: {origin!r} is not an origin like https://example.dk"
                )
        return value

    @field_validator("gtts_url", "voices_url")
    @classmethod
    def _check_https_url(cls, value: str, info: ValidationInfo) -> str:
        parts = urlsplit(value)
        if parts.scheme == "https" and parts.hostname:
            return value
        if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
            return value
        raise ValueError(
            f"READER_{(info.field_name or '').upper()} must be an https:// address "
            "(plain http only to a loopback address)"
        )

    @field_validator("admin_token")
    @classmethod
    def _check_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parse_admin_tokens(value.get_secret_value())
        return value

    @model_validator(mode="after")
    def _check_base_url(self) -> Settings:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("READER_BASE_URL must be an absolute http(s) address")
        self.base_url = self.base_url.rstrip("/")
        return self

    @property
    def voices_dir(self) -> Path:
        return self.data_dir / "voices"

    @property
    def pages_dir(self) -> Path:
        return self.content_dir / "pages"

    @property
    def lexicon_path(self) -> Path:
        return self.content_dir / "lexicon.txt"
